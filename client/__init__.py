"""Command-line clients: `python -m client predict` (the gateway over HTTP), `grpc` (TF Serving
directly), `samples` (real digits as image files) and `bench` (load and latency figures).

They need only the base install: no TensorFlow, no gateway code.
"""
