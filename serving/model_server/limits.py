"""Bounds that TF Serving lacks and a Python server needs (its work shares one event loop)."""

# The decoded size of all of a request's tensors: a 16-byte message can ask for 600 MB.
MAX_REQUEST_TENSOR_BYTES = 256 * 1024 * 1024
