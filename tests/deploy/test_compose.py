"""docker-compose.yml (and its CPU override) against the Compose Specification and the code."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

from contract.rollout import CONFIG_FILE, CONTAINER_CONFIG_DIR, STATE_FILE
from tests.deploy import compose_files
from tests.deploy.files import (
    COMPOSE_CPU_FILE,
    COMPOSE_FILE,
    COMPOSE_SCHEMA,
    COMPOSE_STANDIN_FILE,
    GATEWAY_PORT,
    GRPC_PORT,
    MODEL_NAME,
    PROMETHEUS_CONFIG,
    REPO,
    REST_PORT,
    project_version,
)
from tests.deploy.image_refs import pin_problem, split_tag
from tests.deploy.serving_config import (
    gateway_settings_fields,
    monitoring_path,
    served_models,
)
from tests.fixtures.tf_serving_flags import unknown_flags

GPU = compose_files.effective(COMPOSE_FILE)
CPU = compose_files.effective(COMPOSE_FILE, COMPOSE_CPU_FILE)
STANDIN = compose_files.effective(COMPOSE_FILE, COMPOSE_CPU_FILE, COMPOSE_STANDIN_FILE)
VARIANTS = {"gpu": GPU, "cpu": CPU, "standin": STANDIN}
FILES = [COMPOSE_FILE, COMPOSE_CPU_FILE, COMPOSE_STANDIN_FILE]
LIVE_CONFIG = (CONTAINER_CONFIG_DIR / CONFIG_FILE).as_posix()
# Services that `docker compose up` keeps running (one-shot jobs excluded).
LONG_RUNNING = ("tf-serving", "gateway", "tensorboard", "prometheus", "grafana")


def _validator() -> jsonschema.protocols.Validator:
    schema = json.loads(COMPOSE_SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _gpu_devices(service: dict[str, Any]) -> list[dict[str, Any]]:
    devices = service.get("deploy", {}).get("resources", {}).get("reservations", {})
    return [d for d in devices.get("devices", []) if "gpu" in d.get("capabilities", [])]


def _published_ports(service: dict[str, Any]) -> list[str]:
    return [str(p) for p in service.get("ports", [])]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_validates_against_the_compose_specification(path):
    data = compose_files.without_resets(compose_files.load(path))
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


@pytest.mark.parametrize("variant", VARIANTS)
def test_merged_project_validates_against_the_compose_specification(variant):
    errors = list(_validator().iter_errors(VARIANTS[variant]))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_schema_rejects_a_broken_file():
    """Guards the check above against a schema that accepts anything."""
    broken = {"services": {"gateway": {"image": "x:1.0.0", "ports": {"not": "a list"}}}}
    assert list(_validator().iter_errors(broken))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_no_legacy_keys(path):
    text = path.read_text(encoding="utf-8")
    data = yaml.load(text, Loader=compose_files.ComposeLoader)
    assert "version" not in data, "the `version:` key is obsolete in the Compose Specification"
    assert not re.search(r"^\s+links:", text, re.MULTILINE), "use the default network, not links"


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_image_is_pinned_to_an_exact_version(variant):
    problems = [
        f"{name}: {problem}"
        for name, service in VARIANTS[variant]["services"].items()
        if (problem := pin_problem(service.get("image", f"{name} (no image)")))
    ]
    assert not problems, problems


@pytest.mark.parametrize("variant", VARIANTS)
def test_project_images_are_tagged_with_the_project_version(variant):
    for name, service in VARIANTS[variant]["services"].items():
        if "build" in service:
            _, tag = split_tag(service["image"])
            assert tag is not None, name
            assert tag.split("-")[0] == project_version(), f"{name}: {service['image']}"


def test_tf_serving_images_are_the_gpu_and_cpu_builds_of_one_version():
    gpu, cpu = GPU["services"]["tf-serving"]["image"], CPU["services"]["tf-serving"]["image"]
    assert gpu.startswith("tensorflow/serving:") and gpu.endswith("-gpu")
    assert gpu == cpu + "-gpu"


def test_standin_replaces_only_the_tf_serving_image():
    """docker-compose.standin.yml: the local model server's image in TF Serving's place, built
    for the CPU; every other key of every service (flags, ports, volumes, checks) unchanged."""
    for name, service in CPU["services"].items():
        changed = {k for k in service.keys() | STANDIN["services"][name].keys()
                   if service.get(k) != STANDIN["services"][name].get(k)}  # fmt: skip
        assert changed == ({"image", "build"} if name == "tf-serving" else set()), name
    tf_serving = STANDIN["services"]["tf-serving"]
    assert tf_serving["build"]["dockerfile"] == "serving/model_server/Dockerfile"
    assert tf_serving["build"]["args"]["TENSORFLOW_EXTRAS"] == ""
    assert tf_serving["entrypoint"] == ["tensorflow_model_server"]  # the image's shim
    assert STANDIN["volumes"] == CPU["volumes"]


def test_standin_file_says_why_it_exists():
    header = COMPOSE_STANDIN_FILE.read_text(encoding="utf-8").split("\nservices:")[0]
    assert "cannot be pulled" in header and "registr" in header


def test_gpu_variant_reserves_a_gpu_for_serving_and_training():
    for name in ("tf-serving", "model-init", "trainer"):
        devices = _gpu_devices(GPU["services"][name])
        assert devices, f"{name} reserves no GPU"
        assert devices[0]["driver"] == "nvidia"


def test_cpu_variant_reserves_no_gpu_and_builds_without_cuda():
    for name, service in CPU["services"].items():
        assert not _gpu_devices(service), f"{name} still reserves a GPU"
        assert "--per_process_gpu_memory_fraction" not in str(service.get("command", "")), name
    for name in ("model-init", "trainer", "tensorboard"):
        assert CPU["services"][name]["build"]["args"]["TENSORFLOW_EXTRAS"] == "", name
        assert CPU["services"][name]["image"] != GPU["services"][name]["image"], name


@pytest.mark.parametrize("variant", VARIANTS)
def test_model_server_ports_stay_internal(variant):
    tf_serving = VARIANTS[variant]["services"]["tf-serving"]
    assert not tf_serving.get("ports"), "8500 and 8501 must not be published on the host"
    assert {str(p) for p in tf_serving["expose"]} == {str(GRPC_PORT), str(REST_PORT)}
    command = tf_serving["command"]
    assert f"--port={GRPC_PORT}" in command
    assert f"--rest_api_port={REST_PORT}" in command


def test_gateway_is_published_and_waits_for_a_healthy_model_server():
    gateway = GPU["services"]["gateway"]
    # The host port defaults to the gateway's; MNIST_GATEWAY_PORT moves it (a second stack).
    (published,) = _published_ports(gateway)
    port = re.fullmatch(r"\$\{MNIST_GATEWAY_PORT:-(\d+)\}:(\d+)", published)
    assert port, published
    assert int(port[1]) == int(port[2]) == GATEWAY_PORT
    assert gateway["depends_on"]["tf-serving"]["condition"] == "service_healthy"


def test_model_server_starts_after_the_first_model_is_published():
    depends = GPU["services"]["tf-serving"]["depends_on"]
    assert depends["model-init"]["condition"] == "service_completed_successfully"
    assert depends["rollout-init"]["condition"] == "service_completed_successfully"
    seeding = GPU["services"]["rollout-init"]["depends_on"]["model-init"]
    assert seeding["condition"] == "service_completed_successfully"
    assert GPU["services"]["model-init"]["command"] == ["--if-none-published"]
    # The on-demand trainer publishes the next version: no flag, and not part of `up`.
    assert "command" not in GPU["services"]["trainer"]
    assert GPU["services"]["trainer"]["profiles"] == ["train"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_long_running_service_has_a_health_check(variant):
    services = VARIANTS[variant]["services"]
    assert set(LONG_RUNNING) <= set(services)
    for name in LONG_RUNNING:
        check = services[name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_extras_are_behind_profiles():
    services = GPU["services"]
    assert services["tensorboard"]["profiles"] == ["tensorboard"]
    assert services["prometheus"]["profiles"] == ["metrics"]
    assert services["rollout"]["profiles"] == ["rollout"]
    default = {n for n, s in services.items() if not s.get("profiles")}
    assert default == {"model-init", "rollout-init", "tf-serving", "gateway"}


def test_model_server_health_check_reads_the_model_status():
    test = " ".join(GPU["services"]["tf-serving"]["healthcheck"]["test"])
    assert f"/dev/tcp/127.0.0.1/{REST_PORT}" in test
    assert f"GET /v1/models/{MODEL_NAME} " in test
    assert "AVAILABLE" in test


def test_gateway_health_check_uses_liveness_endpoint():
    test = " ".join(GPU["services"]["gateway"]["healthcheck"]["test"])
    assert f"http://127.0.0.1:{GATEWAY_PORT}/healthz" in test


def test_gateway_environment_is_the_settings_class():
    environment = GPU["services"]["gateway"]["environment"]
    fields = gateway_settings_fields()
    unknown = [k for k in environment if k.startswith("GATEWAY_") and k[8:].lower() not in fields]
    assert not unknown, f"not fields of serving.gateway.settings.Settings: {unknown}"
    assert environment["GATEWAY_MODEL_SERVER"] == f"tf-serving:{GRPC_PORT}"
    assert environment["GATEWAY_MODEL_NAME"] == MODEL_NAME
    assert int(environment["GATEWAY_PORT"]) == GATEWAY_PORT


def test_gateway_environment_values_parse(monkeypatch):
    Settings = pytest.importorskip("serving.gateway.settings").Settings

    for key, value in GPU["services"]["gateway"]["environment"].items():
        monkeypatch.setenv(key, str(value))
    settings = Settings()
    assert (settings.host, settings.port) == ("0.0.0.0", GATEWAY_PORT)


def _bind_mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path → host path of the service's bind mounts (`./host:/container:ro`)."""
    mounts = [v.split(":") for v in service["volumes"] if v.startswith("./")]
    return {container: host for host, container, *_ in mounts}


@pytest.mark.parametrize("variant", VARIANTS)
def test_model_server_flags_are_tensorflow_model_server_flags(variant):
    tf_serving = VARIANTS[variant]["services"]["tf-serving"]
    assert tf_serving["entrypoint"] == ["tensorflow_model_server"]
    assert not unknown_flags(tf_serving["command"])


@pytest.mark.parametrize("variant", VARIANTS)
def test_model_server_config_files_are_mounted_and_exist(variant):
    tf_serving = VARIANTS[variant]["services"]["tf-serving"]
    mounts = _bind_mounts(tf_serving)
    static = [f.split("=", 1)[1] for f in tf_serving["command"] if "=/etc/tf-serving/" in f]
    assert len(static) == 2, tf_serving["command"]
    for container_path in static:
        assert container_path in mounts, f"{container_path}: nothing mounted there"
        assert (REPO / mounts[container_path]).is_file(), mounts[container_path]
    # One set of static TF Serving files, shared with the local server: no container copy.
    for name in ("batching", "monitoring"):
        assert mounts[f"/etc/tf-serving/{name}.config"] == f"./serving/config/{name}.config"
    # The live model config is the rollout's, on the config volume (read-only here).
    assert f"--model_config_file={LIVE_CONFIG}" in tf_serving["command"]
    assert f"config:{CONTAINER_CONFIG_DIR}:ro" in tf_serving["volumes"]
    assert not [m for m in mounts if m.startswith(f"{CONTAINER_CONFIG_DIR}/")], "shadows it"


def test_models_config_base_path_is_in_the_models_volume():
    tf_serving = GPU["services"]["tf-serving"]
    assert "models:/models:ro" in tf_serving["volumes"]
    # serving.rollout init seeds the live config from the template in serving/config.
    models = served_models(REPO / "serving" / "config" / "models.config")
    assert models[MODEL_NAME] == "/models/mnist"
    for name in ("model-init", "trainer"):
        assert GPU["services"][name]["environment"]["MODEL_BASE_PATH"] == "/models/mnist"


def test_rollout_services_share_the_config_volume():
    """rollout-init seeds it, the rollout commands write it, TF Serving and the gateway read it;
    the commands reach TF Serving and the gateway by their service names."""
    services = GPU["services"]
    gateway_image = services["gateway"]["image"]
    for name in ("rollout-init", "rollout"):
        service = services[name]
        assert service["image"] == gateway_image, "the gateway image runs them (no TensorFlow)"
        assert service["build"] == services["gateway"]["build"], "built, never pulled"
        assert f"config:{CONTAINER_CONFIG_DIR}" in service["volumes"], name
        assert "models:/models:ro" in service["volumes"], name
        env = service["environment"]
        assert env["ROLLOUT_MODEL_SERVER"] == f"tf-serving:{GRPC_PORT}"
        assert env["ROLLOUT_GATEWAY"] == f"http://gateway:{GATEWAY_PORT}"
        assert env["ROLLOUT_CONFIG"] == LIVE_CONFIG
        assert (
            env["ROLLOUT_MODEL_BASE_PATH"] == services["trainer"]["environment"]["MODEL_BASE_PATH"]
        )
    assert services["rollout-init"]["command"] == ["python", "-m", "serving.rollout", "init"]
    assert services["rollout"]["entrypoint"] == ["python", "-m", "serving.rollout"]
    gateway = services["gateway"]
    assert f"config:{CONTAINER_CONFIG_DIR}:ro" in gateway["volumes"]
    state = (CONTAINER_CONFIG_DIR / STATE_FILE).as_posix()
    assert gateway["environment"]["GATEWAY_ROLLOUT_STATE"] == state
    assert "config" in GPU["volumes"]


def test_prometheus_scrapes_the_gateway_and_the_model_server_metrics_path():
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert jobs["gateway"]["static_configs"][0]["targets"] == [f"gateway:{GATEWAY_PORT}"]
    assert jobs["gateway"]["metrics_path"] == "/metrics"
    assert jobs["tf-serving"]["static_configs"][0]["targets"] == [f"tf-serving:{REST_PORT}"]
    assert jobs["tf-serving"]["metrics_path"] == monitoring_path()
    mount = "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro"
    assert mount in GPU["services"]["prometheus"]["volumes"]
