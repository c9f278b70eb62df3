"""TF Serving's API messages without TensorFlow.

`tensorflow-serving-api`'s modules import `tensorflow.core.framework.*`, so a client using
them pays for importing TensorFlow (seconds and hundreds of MB). This package holds
trimmed, wire-compatible copies of the few messages a client needs (`*.proto`, with the
generated `*_pb2.py` committed and reproducible via `python -m serving.tfs_api.generate`),
the gRPC stubs (`stubs.py`) and numpy conversions (`tensors.py`).

Why the proto package is renamed (`tfs_api.tensorflow.serving.PredictRequest`): protobuf
keeps one default descriptor pool per process, and TensorFlow's own modules register
`tensorflow.serving.PredictRequest` there. Other file names with the same message names
would fail with "duplicate symbol" in a process that imports both (our test suite does).
Message names never travel on the wire, only field numbers, and the gRPC method paths are
written out in `stubs.py` with the upstream service names, so TF Serving sees the same bytes.
"""
