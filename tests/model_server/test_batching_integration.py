"""Server-side batching: fewer model calls, same answers, limits and deadlines."""

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import numpy as np
import pytest

from processes.servers import ModelServerProcess
from tests.fixtures.servers import running_model_server
from tests.model_server.helpers import digits, metric_values, predict_request, stubs, to_array

pytestmark = pytest.mark.integration
MONITORING = "--monitoring_config_file=serving/config/monitoring.config"
CONCURRENT = 16


def _batching_server(
    published_model: Path, tmp_path: Path, timeout_micros: int
) -> contextlib.AbstractContextManager[ModelServerProcess]:
    params = tmp_path / f"batching-{timeout_micros}.config"
    params.write_text(
        "max_batch_size { value: 32 }\n"
        f"batch_timeout_micros {{ value: {timeout_micros} }}\n"
        "num_batch_threads { value: 1 }\n"
    )
    return running_model_server(
        published_model, MONITORING, "--enable_batching", f"--batching_parameters_file={params}"
    )


def _concurrent_predictions(server: ModelServerProcess, images: np.ndarray) -> list[np.ndarray]:
    channel, prediction, _ = stubs(server.grpc_target)
    futures = [
        prediction.Predict.future(predict_request(images[i : i + 1]), timeout=30)
        for i in range(len(images))
    ]
    results = [to_array(f.result().outputs["probabilities"])[0] for f in futures]
    channel.close()
    return results


def _model_calls(server: ModelServerProcess) -> float:
    return metric_values(server.rest_url, ":tensorflow:serving:runtime_latency_count")


@pytest.fixture(scope="module")
def unbatched(published_model: Path) -> Iterator[ModelServerProcess]:
    with running_model_server(published_model, MONITORING) as server:
        yield server


def test_concurrent_requests_merge_into_fewer_model_calls_with_same_answers(
    published_model: Path, tmp_path: Path, unbatched: ModelServerProcess
) -> None:
    images = digits(CONCURRENT)[0]
    before = _model_calls(unbatched)
    expected = _concurrent_predictions(unbatched, images)
    assert _model_calls(unbatched) - before == CONCURRENT  # one call per request

    with _batching_server(published_model, tmp_path, 200_000) as server:
        got = _concurrent_predictions(server, images)
        calls = _model_calls(server)
        rows = metric_values(
            server.rest_url, ":tensorflow:serving:batching_session:processed_batch_size_sum"
        )
    assert 1 <= calls < CONCURRENT / 2
    assert rows == CONCURRENT
    np.testing.assert_allclose(np.stack(got), np.stack(expected), atol=1e-5)


def test_batching_limits_and_deadlines(published_model: Path, tmp_path: Path) -> None:
    with _batching_server(published_model, tmp_path, 2_000_000) as server:
        channel, prediction, _ = stubs(server.grpc_target)
        with pytest.raises(grpc.RpcError) as caught:
            prediction.Predict(predict_request(digits(40)[0]), timeout=10)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "maximum input batch size 32" in caught.value.details()

        # The request waits for the 2 s batch window; the server gives up at the deadline.
        with pytest.raises(grpc.RpcError) as caught:
            prediction.Predict(predict_request(digits(1)[0]), timeout=0.3)
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        deadline = 0.0
        for _ in range(50):
            deadline = metric_values(
                server.rest_url, ":tensorflow:serving:request_count", status="DEADLINE_EXCEEDED"
            )
            if deadline:
                break
            time.sleep(0.1)
        assert deadline == 1
        reply = prediction.Predict(predict_request(digits(1)[0]), timeout=10)
        assert reply.model_spec.version.value == 1
        channel.close()
