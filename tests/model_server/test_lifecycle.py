"""Version lifecycle: hot publish under load, failed loads, config reload with labels."""

import shutil
import threading
import time
from pathlib import Path

import grpc
import pytest
from tensorflow_serving.apis import get_model_status_pb2, model_management_pb2
from tensorflow_serving.config import model_server_config_pb2

from tests.fixtures.servers import running_model_server
from tests.model_server.helpers import RPC_TIMEOUT, copy_version, digits, predict_request, stubs

pytestmark = pytest.mark.integration
POLL_SECONDS = 1.0
State = get_model_status_pb2.ModelVersionStatus.State


def _states(model_stub, version: int | None = None) -> dict[int, tuple[int, str]]:  # type: ignore[no-untyped-def]
    request = get_model_status_pb2.GetModelStatusRequest()
    request.model_spec.name = "mnist"
    if version is not None:
        request.model_spec.version.value = version
    response = model_stub.GetModelStatus(request, timeout=RPC_TIMEOUT)
    return {s.version: (s.state, s.status.error_message) for s in response.model_version_status}


def test_new_version_is_served_within_two_polls_and_no_request_fails(
    published_model: Path, tmp_path: Path
) -> None:
    base = tmp_path / "mnist"
    shutil.copytree(published_model, base)
    (base / "staging-tmp").mkdir()  # non-numeric folders are never versions
    with running_model_server(base, poll_seconds=POLL_SECONDS) as server:
        channel, prediction, model = stubs(server.grpc_target)
        images = digits(4)[0]
        served: list[tuple[float, int]] = []
        failures: list[BaseException] = []
        stop = threading.Event()

        def client() -> None:
            while not stop.is_set():
                try:
                    reply = prediction.Predict(predict_request(images), timeout=RPC_TIMEOUT)
                    served.append((time.monotonic(), reply.model_spec.version.value))
                except grpc.RpcError as exc:
                    failures.append(exc)

        threads = [threading.Thread(target=client) for _ in range(2)]
        for thread in threads:
            thread.start()
        try:
            time.sleep(1.0)
            published_at = time.monotonic()
            copy_version(base / "1", base / "2")
            loading_seen = available_seen = None
            while time.monotonic() - published_at < 60 and available_seen is None:
                state = _states(model).get(2, (None, ""))[0]
                if state == State.LOADING and loading_seen is None:
                    loading_seen = time.monotonic()
                if state == State.AVAILABLE:
                    available_seen = time.monotonic()
                time.sleep(0.05)
            time.sleep(1.0)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert not failures, failures[:3]
        first_v2 = min(t for t, v in served if v == 2)
        load_seconds = available_seen - (loading_seen or published_at)  # type: ignore[operator]
        assert first_v2 - published_at <= 2 * POLL_SECONDS + load_seconds + 0.2
        versions = [v for _, v in sorted(served)]
        assert versions[0] == 1 and versions[-1] == 2
        states = _states(model)
        assert states[2][0] == State.AVAILABLE and states[1][0] == State.END  # latest {1}
        assert set(states) == {1, 2}
        channel.close()


def test_corrupt_versions_are_reported_and_serving_goes_on(
    published_model: Path, tmp_path: Path
) -> None:
    base = tmp_path / "mnist"
    shutil.copytree(published_model, base)
    # No retries: the broken version ends at once (TF Serving retries 5 times, a minute apart).
    with running_model_server(base, "--max_num_load_retries=0", poll_seconds=0.5) as server:
        channel, prediction, model = stubs(server.grpc_target)
        (base / "3").mkdir()
        (base / "3" / "saved_model.pb").write_bytes(b"not a protobuf at all")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and _states(model).get(3, (0,))[0] != State.END:
            time.sleep(0.1)
        state, error = _states(model, 3)[3]
        assert state == State.END and "saved_model.pb" in error
        reply = prediction.Predict(predict_request(digits(1)[0]), timeout=RPC_TIMEOUT)
        assert reply.model_spec.version.value == 1

        # Missing variables: a second broken version, reported the same way.
        shutil.copytree(base / "1", base / "4")
        shutil.rmtree(base / "4" / "variables")
        while time.monotonic() < deadline and _states(model).get(4, (0,))[0] != State.END:
            time.sleep(0.1)
        assert _states(model, 4)[4][0] == State.END and _states(model, 4)[4][1]
        assert _states(model, 1)[1][0] == State.AVAILABLE
        reply = prediction.Predict(predict_request(digits(1)[0]), timeout=RPC_TIMEOUT)
        assert reply.model_spec.version.value == 1
        channel.close()


def _config(base: Path, labels: dict[str, int]) -> model_server_config_pb2.ModelServerConfig:
    config = model_server_config_pb2.ModelServerConfig()
    model = config.model_config_list.config.add(
        name="mnist", base_path=str(base), model_platform="tensorflow"
    )
    model.model_version_policy.all.SetInParent()
    for label, version in labels.items():
        model.version_labels[label] = version
    return config


def test_config_reload_applies_labels_without_restart(
    published_model: Path, tmp_path: Path
) -> None:
    base = tmp_path / "mnist"
    shutil.copytree(published_model, base)
    copy_version(base / "1", base / "2")
    config_file = tmp_path / "models.config"
    config_file.write_text(str(_config(base, {})))
    with running_model_server(None, f"--model_config_file={config_file}") as server:
        channel, prediction, model = stubs(server.grpc_target)
        request = model_management_pb2.ReloadConfigRequest()
        request.config.CopyFrom(_config(base, {"stable": 1, "canary": 2}))
        response = model.HandleReloadConfigRequest(request, timeout=60)
        assert response.status.error_code == 0
        images = digits(1)[0]
        for label, version in (("stable", 1), ("canary", 2)):
            reply = prediction.Predict(predict_request(images, label=label), timeout=RPC_TIMEOUT)
            assert reply.model_spec.version.value == version

        # A label may only name an AVAILABLE version; the old labels stay.
        request.config.CopyFrom(_config(base, {"stable": 7}))
        with pytest.raises(grpc.RpcError) as caught:
            model.HandleReloadConfigRequest(request, timeout=60)
        assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
        assert "version 7" in caught.value.details()
        reply = prediction.Predict(predict_request(images, label="stable"), timeout=RPC_TIMEOUT)
        assert reply.model_spec.version.value == 1
        channel.close()
