"""The serving side: everything between a published SavedModel and an HTTP client.

- `serving/config/`: TF Serving's configuration files, read by both model servers;
- `serving.model_server`: a local model server speaking TF Serving's gRPC and REST APIs
  (`python -m serving.model_server`; production runs the tensorflow/serving container);
- `serving.gateway`: the FastAPI gateway, uploads in and digits out over gRPC
  (`python -m serving.gateway`);
- `serving.tfs_api`: TF Serving's API messages and stubs without TensorFlow.
"""
