"""The FastAPI gateway: uploads in, digits out, TF Serving over gRPC behind it."""
