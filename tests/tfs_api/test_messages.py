"""The TF-free TF Serving messages: wire-compatible with TF's, coexisting with them in one
process, and importable without TensorFlow."""

from __future__ import annotations

import numpy as np
import pytest

from serving.tfs_api import (
    get_model_metadata_pb2,
    get_model_status_pb2,
    model_management_pb2,
    model_pb2,
    model_server_config_pb2,
    predict_pb2,
    tensors,
)

# Importing TensorFlow's modules in the same process as ours is the coexistence check:
# both register their descriptors in protobuf's default pool.
tf_apis = pytest.importorskip("tensorflow_serving.apis", reason="needs the tf extra")
from tensorflow_serving.apis import (  # noqa: E402
    get_model_metadata_pb2 as tf_metadata_pb2,
)
from tensorflow_serving.apis import (  # noqa: E402
    get_model_status_pb2 as tf_status_pb2,
)
from tensorflow_serving.apis import (  # noqa: E402
    model_management_pb2 as tf_management_pb2,
)
from tensorflow_serving.apis import (  # noqa: E402
    predict_pb2 as tf_predict_pb2,
)
from tensorflow_serving.config import (  # noqa: E402
    model_server_config_pb2 as tf_config_pb2,
)

PAIRS = [
    (predict_pb2.PredictRequest, tf_predict_pb2.PredictRequest),
    (predict_pb2.PredictResponse, tf_predict_pb2.PredictResponse),
    (get_model_status_pb2.GetModelStatusRequest, tf_status_pb2.GetModelStatusRequest),
    (get_model_status_pb2.GetModelStatusResponse, tf_status_pb2.GetModelStatusResponse),
    (get_model_metadata_pb2.GetModelMetadataRequest, tf_metadata_pb2.GetModelMetadataRequest),
    (get_model_metadata_pb2.GetModelMetadataResponse, tf_metadata_pb2.GetModelMetadataResponse),
    (get_model_metadata_pb2.SignatureDefMap, tf_metadata_pb2.SignatureDefMap),
    (model_server_config_pb2.ModelServerConfig, tf_config_pb2.ModelServerConfig),
    (model_management_pb2.ReloadConfigRequest, tf_management_pb2.ReloadConfigRequest),
    (model_management_pb2.ReloadConfigResponse, tf_management_pb2.ReloadConfigResponse),
]


def assert_subset_of_upstream(ours, theirs, seen: set[str]) -> None:
    """Every field we declare exists upstream with the same number, type and cardinality."""
    if ours.full_name in seen:
        return
    seen.add(ours.full_name)
    assert ours.full_name == "tfs_api." + theirs.full_name
    upstream = {f.number: f for f in theirs.fields}
    for field in ours.fields:
        other = upstream.get(field.number)
        assert other is not None, f"{ours.full_name}.{field.name}: no field {field.number}"
        assert (field.name, field.type, field.is_repeated) == (
            other.name,
            other.type,
            other.is_repeated,
        ), f"{ours.full_name}.{field.name} differs from upstream"
        if field.enum_type is not None:
            values = {v.name: v.number for v in other.enum_type.values}
            for value in field.enum_type.values:
                assert values.get(value.name) == value.number, f"{field.enum_type.full_name}"
        if field.message_type is not None and not field.message_type.full_name.startswith(
            "google.protobuf."
        ):
            assert_subset_of_upstream(field.message_type, other.message_type, seen)


@pytest.mark.parametrize(("ours", "theirs"), PAIRS, ids=lambda m: m.DESCRIPTOR.name)
def test_every_field_matches_upstream(ours, theirs) -> None:
    assert_subset_of_upstream(ours.DESCRIPTOR, theirs.DESCRIPTOR, set())


def test_predict_request_parses_as_tensorflow_serving_request() -> None:
    import tensorflow as tf

    images = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    request = predict_pb2.PredictRequest()
    request.model_spec.name = "mnist"
    request.model_spec.version_label = "stable"
    request.model_spec.signature_name = "serving_default"
    request.inputs["images"].CopyFrom(tensors.make_tensor_proto(images))

    theirs = tf_predict_pb2.PredictRequest.FromString(request.SerializeToString())

    assert theirs.model_spec.version_label == "stable"
    assert theirs.model_spec.signature_name == "serving_default"
    np.testing.assert_array_equal(tf.make_ndarray(theirs.inputs["images"]), images)


def test_tensorflow_serving_answers_parse_as_ours() -> None:
    import tensorflow as tf

    probabilities = np.eye(10, dtype=np.float32)[[3, 7]]
    response = tf_predict_pb2.PredictResponse()
    response.model_spec.name = "mnist"
    response.model_spec.version.value = 4
    response.outputs["probabilities"].CopyFrom(tf.make_tensor_proto(probabilities))
    response.outputs["classes"].CopyFrom(tf.make_tensor_proto(np.array([3, 7], np.int64)))

    ours = predict_pb2.PredictResponse.FromString(response.SerializeToString())

    assert ours.model_spec.version.value == 4
    np.testing.assert_array_equal(
        tensors.make_ndarray(ours.outputs["probabilities"]), probabilities
    )
    np.testing.assert_array_equal(tensors.make_ndarray(ours.outputs["classes"]), [3, 7])


def test_signature_defs_unpack_from_tensorflow_serving_metadata() -> None:
    signature_map = tf_metadata_pb2.SignatureDefMap()
    signature = signature_map.signature_def["serving_default"]
    signature.inputs["images"].dtype = 1
    signature.inputs["images"].tensor_shape.dim.add(size=-1)
    signature.outputs["classes"].dtype = 9
    response = tf_metadata_pb2.GetModelMetadataResponse()
    response.model_spec.name = "mnist"
    response.metadata["signature_def"].Pack(signature_map)

    ours = get_model_metadata_pb2.GetModelMetadataResponse.FromString(response.SerializeToString())
    signatures = tensors.unpack_signature_defs(ours)

    assert signatures["serving_default"].inputs["images"].tensor_shape.dim[0].size == -1
    assert signatures["serving_default"].outputs["classes"].dtype == 9


def test_model_status_states_match() -> None:
    state = tf_status_pb2.ModelVersionStatus.AVAILABLE
    status = tf_status_pb2.GetModelStatusResponse()
    status.model_version_status.add(version=2, state=state)
    ours = get_model_status_pb2.GetModelStatusResponse.FromString(status.SerializeToString())
    assert ours.model_version_status[0].state == get_model_status_pb2.ModelVersionStatus.AVAILABLE
    assert model_pb2.ModelSpec.DESCRIPTOR.full_name == "tfs_api.tensorflow.serving.ModelSpec"


def test_a_reload_request_parses_as_tensorflow_servings() -> None:
    request = model_management_pb2.ReloadConfigRequest()
    model = request.config.model_config_list.config.add()
    model.name, model.base_path, model.model_platform = "mnist", "/models/mnist", "tensorflow"
    model.model_version_policy.specific.versions.extend([1, 2])
    model.version_labels["stable"] = 1
    model.version_labels["canary"] = 2

    theirs = tf_management_pb2.ReloadConfigRequest.FromString(request.SerializeToString())

    (config,) = theirs.config.model_config_list.config
    assert (config.name, config.base_path, config.model_platform) == (
        "mnist",
        "/models/mnist",
        "tensorflow",
    )
    assert config.model_version_policy.WhichOneof("policy_choice") == "specific"
    assert list(config.model_version_policy.specific.versions) == [1, 2]
    assert dict(config.version_labels) == {"stable": 1, "canary": 2}


def test_a_refused_reload_reads_as_ours() -> None:
    response = tf_management_pb2.ReloadConfigResponse()
    response.status.error_code = 9  # FAILED_PRECONDITION
    response.status.error_message = "Request to assign label to version 2 of model mnist"
    ours = model_management_pb2.ReloadConfigResponse.FromString(response.SerializeToString())
    assert ours.status.error_code == 9
    assert ours.status.error_message.startswith("Request to assign label to version 2")
