"""Warmup replay before a version serves, and the SIGTERM drain."""

import shutil
import signal
import struct
import threading
import time
from pathlib import Path

import grpc
import pytest
from tensorflow_serving.apis import get_model_status_pb2, prediction_log_pb2

from tests.fixtures.servers import running_model_server
from tests.model_server.helpers import (
    RPC_TIMEOUT,
    digits,
    metric_values,
    predict_request,
    stubs,
)

pytestmark = pytest.mark.integration
MONITORING = "--monitoring_config_file=serving/config/monitoring.config"
WARMUP = Path("assets.extra") / "tf_serving_warmup_requests"


def _count_records(path: Path) -> int:
    """TFRecord framing: uint64 length, uint32 crc, payload, uint32 crc."""
    data, offset, count = path.read_bytes(), 0, 0
    while offset < len(data):
        (length,) = struct.unpack_from("<Q", data, offset)
        offset += 12 + length + 4
        count += 1
    return count


def test_warmup_records_are_replayed_before_serving(published_model: Path) -> None:
    records = _count_records(published_model / "1" / WARMUP)
    assert records > 0
    with running_model_server(published_model, MONITORING) as server:
        replayed = metric_values(server.rest_url, "model_server_warmup_requests_total")
        assert replayed == records
        assert "Number of warmup records read: " in server.log()
    with running_model_server(published_model, MONITORING, "--enable_model_warmup=false") as off:
        assert metric_values(off.rest_url, "model_server_warmup_requests_total") == 0


def test_failing_warmup_fails_the_load(published_model: Path, tmp_path: Path) -> None:
    import tensorflow as tf

    base = tmp_path / "mnist"
    shutil.copytree(published_model, base)
    # No retries: the broken version ends at once (TF Serving retries 5 times, a minute apart).
    with running_model_server(base, "--max_num_load_retries=0", poll_seconds=0.5) as server:
        shutil.copytree(base / "1", base / ".staging")
        bad = prediction_log_pb2.PredictionLog()
        bad.predict_log.request.CopyFrom(predict_request(digits(1)[0].reshape(1, 28, 28)))
        with tf.io.TFRecordWriter(str(base / ".staging" / WARMUP)) as writer:
            writer.write(bad.SerializeToString())
        (base / ".staging").rename(base / "2")
        channel, prediction, model = stubs(server.grpc_target)
        request = get_model_status_pb2.GetModelStatusRequest()
        request.model_spec.name = "mnist"
        deadline = time.monotonic() + 30
        states: dict[int, tuple[int, str]] = {}
        while time.monotonic() < deadline:
            response = model.GetModelStatus(request, timeout=RPC_TIMEOUT)
            states = {
                s.version: (s.state, s.status.error_message) for s in response.model_version_status
            }
            if states.get(2, (0, ""))[0] == get_model_status_pb2.ModelVersionStatus.END:
                break
            time.sleep(0.1)
        assert "warmup" in states[2][1]
        assert states[1][0] == get_model_status_pb2.ModelVersionStatus.AVAILABLE
        reply = prediction.Predict(predict_request(digits(1)[0]), timeout=RPC_TIMEOUT)
        assert reply.model_spec.version.value == 1
        channel.close()


def test_sigterm_finishes_requests_in_flight_then_exits_zero(
    published_model: Path, tmp_path: Path
) -> None:
    params = tmp_path / "batching.config"
    # A 1.5 s batch window keeps a request in flight while the signal arrives.
    params.write_text("max_batch_size { value: 32 }\nbatch_timeout_micros { value: 1500000 }\n")
    with running_model_server(
        published_model, "--enable_batching", f"--batching_parameters_file={params}"
    ) as server:
        channel, prediction, _ = stubs(server.grpc_target)
        outcome: list[object] = []

        def in_flight() -> None:
            try:
                outcome.append(prediction.Predict(predict_request(digits(1)[0]), timeout=20))
            except grpc.RpcError as exc:
                outcome.append(exc)

        thread = threading.Thread(target=in_flight)
        thread.start()
        time.sleep(0.5)
        server.process.send_signal(signal.SIGTERM)
        thread.join(20)
        assert server.process.wait(20) == 0
        [reply] = outcome
        assert not isinstance(reply, grpc.RpcError), reply
        channel.close()

        late_channel, late, _ = stubs(server.grpc_target)
        with pytest.raises(grpc.RpcError) as caught:
            late.Predict(predict_request(digits(1)[0]), timeout=2)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
        late_channel.close()
