"""The deployment files' health checks, run for real against the local model server (same
REST protocol as TF Serving) and the gateway over loopback: the commands that compose and
Kubernetes will run, with only the port changed."""

from __future__ import annotations

import subprocess
from urllib.parse import urlsplit

import httpx
import pytest

from processes.ports import free_port
from tests.deploy import compose_files
from tests.deploy.files import COMPOSE_FILE, GATEWAY_PORT, K8S_OVERLAYS, REST_PORT
from tests.deploy.kustomize import container, find, render
from tests.deploy.serving_config import monitoring_path
from tests.fixtures.servers import running_model_server

pytestmark = pytest.mark.integration

SERVICES = compose_files.effective(COMPOSE_FILE)["services"]


def _port(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def _tf_serving_check(rest_port: int) -> list[str]:
    """The compose health check of tf-serving, aimed at another REST port."""
    test = SERVICES["tf-serving"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return [arg.replace(f"/{REST_PORT}", f"/{rest_port}") for arg in test[1:]]


def _run(command: list[str]) -> int:
    return subprocess.run(command, capture_output=True, timeout=30, check=False).returncode


def test_kubernetes_readiness_probe_is_the_compose_health_check():
    c = container(find(render(K8S_OVERLAYS["gpu"]), "Deployment", "tf-serving"), "tf-serving")
    assert c["readinessProbe"]["exec"]["command"] == _tf_serving_check(REST_PORT)


def test_tf_serving_check_passes_when_the_model_is_available(model_server):
    assert _run(_tf_serving_check(_port(model_server.rest_url))) == 0


def test_tf_serving_check_fails_when_nothing_listens():
    assert _run(_tf_serving_check(free_port())) != 0


def test_tf_serving_check_fails_while_no_version_is_available(tmp_path):
    empty = tmp_path / "mnist"
    empty.mkdir()
    with running_model_server(empty, wait_for_model=None) as server:
        assert _run(_tf_serving_check(_port(server.rest_url))) != 0


def test_prometheus_scrape_path_serves_metrics(model_server):
    reply = httpx.get(model_server.rest_url + monitoring_path(), timeout=10)
    assert reply.status_code == 200
    assert ":tensorflow:serving:request_count" in reply.text


def test_gateway_health_check_passes_against_a_running_gateway(request):
    try:
        gateway = request.getfixturevalue("gateway")
    except pytest.FixtureLookupError:
        pytest.skip("the gateway fixture does not exist yet (gateway stage)")
    test = SERVICES["gateway"]["healthcheck"]["test"]
    command = [a.replace(f":{GATEWAY_PORT}/", f":{_port(gateway.url)}/") for a in test[1:]]
    assert _run(command) == 0
    command_closed = [a.replace(f":{GATEWAY_PORT}/", f":{free_port()}/") for a in test[1:]]
    assert _run(command_closed) != 0
