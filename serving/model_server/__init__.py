"""serving/model_server stage."""
