"""gRPC stubs for TF Serving's PredictionService and ModelService, on a grpc.aio channel (the
gateway) or a blocking one (the rollout commands): the stubs only name the methods.

Written by hand rather than generated: the method paths must name the upstream services
(`tensorflow.serving.PredictionService`), while our messages live in a renamed proto package
(see the package docstring).
"""

from __future__ import annotations

import grpc

from serving.tfs_api import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_management_pb2,
    predict_pb2,
)

PREDICTION_SERVICE = "tensorflow.serving.PredictionService"
MODEL_SERVICE = "tensorflow.serving.ModelService"


class PredictionServiceStub:
    """Predict and GetModelMetadata (Classify, Regress and MultiInference are not used)."""

    def __init__(self, channel: grpc.aio.Channel | grpc.Channel) -> None:
        self.Predict = channel.unary_unary(
            f"/{PREDICTION_SERVICE}/Predict",
            request_serializer=predict_pb2.PredictRequest.SerializeToString,
            response_deserializer=predict_pb2.PredictResponse.FromString,
        )
        self.GetModelMetadata = channel.unary_unary(
            f"/{PREDICTION_SERVICE}/GetModelMetadata",
            request_serializer=get_model_metadata_pb2.GetModelMetadataRequest.SerializeToString,
            response_deserializer=get_model_metadata_pb2.GetModelMetadataResponse.FromString,
        )


class ModelServiceStub:
    """GetModelStatus, and HandleReloadConfigRequest (the rollout commands' call)."""

    def __init__(self, channel: grpc.aio.Channel | grpc.Channel) -> None:
        self.GetModelStatus = channel.unary_unary(
            f"/{MODEL_SERVICE}/GetModelStatus",
            request_serializer=get_model_status_pb2.GetModelStatusRequest.SerializeToString,
            response_deserializer=get_model_status_pb2.GetModelStatusResponse.FromString,
        )
        self.HandleReloadConfigRequest = channel.unary_unary(
            f"/{MODEL_SERVICE}/HandleReloadConfigRequest",
            request_serializer=model_management_pb2.ReloadConfigRequest.SerializeToString,
            response_deserializer=model_management_pb2.ReloadConfigResponse.FromString,
        )
