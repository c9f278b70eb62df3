"""The ports of the serving stack: TF Serving's defaults and the gateway's."""

GRPC_PORT = 8500  # TF Serving's gRPC API (PredictionService, ModelService)
REST_PORT = 8501  # TF Serving's REST API and its Prometheus metrics
GATEWAY_PORT = 8000  # the FastAPI gateway
