"""serving/gateway stage."""
