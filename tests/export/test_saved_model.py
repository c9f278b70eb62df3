"""The published SavedModel: contract signatures, agreement with Keras, metadata, warmup."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.framework import types_pb2
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow_serving.apis import prediction_log_pb2

from export.metadata import sha256_file
from training.data import load_mnist, to_model_input

COMPARED_IMAGES = 100

# What TF Serving reads from saved_model.pb: name -> (dtype, shape) per signature.
CONTRACT = {
    "serving_default": {
        "inputs": {"images": (types_pb2.DT_FLOAT, [-1, 28, 28, 1])},
        "outputs": {
            "probabilities": (types_pb2.DT_FLOAT, [-1, 10]),
            "classes": (types_pb2.DT_INT64, [-1]),
            "digit_score": (types_pb2.DT_FLOAT, [-1]),
            "min_digit_score": (types_pb2.DT_FLOAT, [-1]),
            "min_margin": (types_pb2.DT_FLOAT, [-1]),
        },
    },
    "predict_images": {
        "inputs": {"images": (types_pb2.DT_FLOAT, [-1, 784])},
        "outputs": {"scores": (types_pb2.DT_FLOAT, [-1, 10])},
    },
}


@pytest.fixture(scope="module")
def version_dir(published_model: Path) -> Path:
    return published_model / "1"


@pytest.fixture(scope="module")
def validation_images() -> tuple[np.ndarray, np.ndarray]:
    split = load_mnist("subset", None, 0).validation
    return to_model_input(split.images[:COMPARED_IMAGES]), split.labels[:COMPARED_IMAGES]


def _signature_defs(version_dir: Path) -> dict[str, Any]:
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((version_dir / "saved_model.pb").read_bytes())
    (meta_graph,) = proto.meta_graphs
    return dict(meta_graph.signature_def)


def _described(tensors: Any) -> dict[str, tuple[int, list[int]]]:
    return {
        name: (info.dtype, [dim.size for dim in info.tensor_shape.dim])
        for name, info in tensors.items()
    }


def test_signature_names_dtypes_and_shapes_match_the_contract(version_dir: Path) -> None:
    defs = _signature_defs(version_dir)
    for name, contract in CONTRACT.items():
        assert name in defs, f"signature {name} missing; have {sorted(defs)}"
        assert _described(defs[name].inputs) == contract["inputs"]
        assert _described(defs[name].outputs) == contract["outputs"]
        assert defs[name].method_name == "tensorflow/serving/predict"


def test_both_signatures_agree_with_the_keras_model(
    version_dir: Path, trained_run: Path, validation_images: tuple[np.ndarray, np.ndarray]
) -> None:
    images, labels = validation_images
    outputs = keras.saving.load_model(trained_run / "model.keras")(images, training=False)
    outputs = np.asarray(outputs)  # [n, 11]: the 10 digits and "no digit"
    digit_score = outputs[:, :10].sum(axis=1)
    expected = outputs[:, :10] / digit_score[:, np.newaxis]
    loaded = tf.saved_model.load(str(version_dir))

    served = loaded.signatures["serving_default"](images=tf.constant(images))
    np.testing.assert_allclose(served["probabilities"].numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(served["probabilities"].numpy().sum(axis=1), 1, atol=1e-5)
    np.testing.assert_array_equal(served["classes"].numpy(), expected.argmax(axis=1))
    assert served["classes"].dtype == tf.int64
    np.testing.assert_allclose(served["digit_score"].numpy(), digit_score, atol=1e-5)

    flat = tf.constant(images.reshape(COMPARED_IMAGES, 784))
    scores = loaded.signatures["predict_images"](images=flat)["scores"].numpy()
    np.testing.assert_allclose(scores, expected, atol=1e-5)
    # Sanity floors that an untrained or scrambled export would miss.
    assert np.mean(expected.argmax(axis=1) == labels) > 0.8
    assert np.median(digit_score) > 0.5  # real digits look like digits


def test_every_answer_carries_the_calibration_in_the_metadata(
    version_dir: Path, validation_images: tuple[np.ndarray, np.ndarray]
) -> None:
    """The version's min_digit_score and min_margin on every row, as chosen at export."""
    chosen = json.loads((version_dir / "assets.extra" / "metadata.json").read_text())
    loaded = tf.saved_model.load(str(version_dir)).signatures["serving_default"]
    for rows in (1, 7):
        served = loaded(images=tf.constant(validation_images[0][:rows]))
        for name in ("min_digit_score", "min_margin"):
            values = served[name].numpy()
            assert values.dtype == np.float32 and values.shape == (rows,)
            np.testing.assert_allclose(values, chosen["calibration"][name], rtol=1e-6)


def test_metadata_describes_the_version(version_dir: Path, trained_run: Path) -> None:
    metadata = json.loads((version_dir / "assets.extra" / "metadata.json").read_text())
    run = json.loads((trained_run / "run.json").read_text())
    assert metadata["version"] == 1
    assert metadata["model"] == run["model"] == "cnn"
    assert metadata["data"]["source"] == "subset"
    assert metadata["data"]["train_size"] == run["dataset"]["train_size"]
    assert metadata["data"]["validation_size"] == run["dataset"]["validation_size"]
    assert metadata["params"] == run["params"]
    assert metadata["evaluation"]["measured_on"]["split"] == "validation"
    assert metadata["evaluation"]["measured_on"]["size"] == run["dataset"]["validation_size"]
    assert 0.8 < metadata["evaluation"]["accuracy"] <= 1.0
    assert metadata["saved_model_sha256"] == sha256_file(version_dir / "saved_model.pb")
    assert metadata["gate"]["passed"] is True
    calibration = metadata["calibration"]
    assert 0 < calibration["min_digit_score"] < 1 and 0 < calibration["min_margin"] < 1
    assert calibration["measured_on"]["split"] == "validation"
    assert calibration["figures"]["files"] == 20 * calibration["measured_on"]["digits_per_style"]
    assert calibration["figures"]["not_a_digit"] <= calibration["rule"]["flagged_share"] + 0.01
    assert metadata["forced"] is False
    assert metadata["project_version"]
    assert datetime.fromisoformat(metadata["created_at"]).tzinfo is not None


def read_warmup_file(path: Path) -> list[prediction_log_pb2.PredictionLog]:
    """Parse the file back, as TF Serving does; raises on a record that is not a PredictionLog."""
    return [
        prediction_log_pb2.PredictionLog.FromString(record.numpy())
        for record in tf.data.TFRecordDataset(str(path))
    ]


def test_warmup_records_are_predict_requests_for_both_signatures(version_dir: Path) -> None:
    logs = read_warmup_file(version_dir / "assets.extra" / "tf_serving_warmup_requests")
    assert logs, "no warmup records"
    loaded = tf.saved_model.load(str(version_dir))
    signatures = set()
    for log in logs:
        assert log.WhichOneof("log_type") == "predict_log"
        request = log.predict_log.request
        assert request.model_spec.name == "mnist"
        signatures.add(request.model_spec.signature_name)
        images = tf.make_ndarray(request.inputs["images"])
        assert images.dtype == np.float32
        assert images.min() >= 0.0 and images.max() <= 1.0 and images.max() > 0.5  # real digits
        # Replay it as TF Serving's warmup does: the request must run on its signature.
        outputs = loaded.signatures[request.model_spec.signature_name](images=tf.constant(images))
        assert all(output.shape[0] == images.shape[0] for output in outputs.values())
    assert signatures == {"serving_default", "predict_images"}
