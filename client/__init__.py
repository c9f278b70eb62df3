"""Command-line clients for the gateway and the model server (coming with the clients issue)."""
