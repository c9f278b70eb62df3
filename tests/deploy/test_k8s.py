"""The kustomize overlays: they render, validate against Kubernetes' schemas, and agree with
the code (ports, model name, config files, gateway settings, health endpoints)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from contract.rollout import CONFIG_FILE, CONTAINER_CONFIG_DIR, STATE_FILE
from tests.deploy import compose_files
from tests.deploy.files import (
    COMPOSE_CPU_FILE,
    COMPOSE_FILE,
    GATEWAY_PORT,
    GRPC_PORT,
    K8S,
    K8S_OVERLAYS,
    MODEL_NAME,
    REPO,
    REST_PORT,
    SERVING_CONFIG,
    project_version,
)
from tests.deploy.image_refs import pin_problem, split_tag
from tests.deploy.kustomize import container, find, pod_spec, render
from tests.deploy.serving_config import (
    gateway_settings_fields,
    monitoring_path,
    served_models,
)
from tests.fixtures.tf_serving_flags import unknown_flags

# The oldest Kubernetes release we support (HPA v2, PDB v1 and the rest are GA there) and
# the newest schemas that kubernetes-validate bundles; both pinned.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
NAMESPACE = "mnist"
WORKLOADS = (
    ("Deployment", "tf-serving"),
    ("Deployment", "gateway"),
    ("Deployment", "rollout"),
    ("Job", "trainer"),
)
LIVE_CONFIG = (CONTAINER_CONFIG_DIR / CONFIG_FILE).as_posix()
COMPOSE = {
    "gpu": compose_files.effective(COMPOSE_FILE),
    "cpu": compose_files.effective(COMPOSE_FILE, COMPOSE_CPU_FILE),
}

OVERLAYS = list(K8S_OVERLAYS)
K8S_CONFIG_FILES = ("models.config", "batching.config", "monitoring.config")


def _objects(overlay: str) -> tuple[dict[str, Any], ...]:
    return render(K8S_OVERLAYS[overlay])


def _all_containers(overlay: str) -> list[tuple[str, dict[str, Any]]]:
    """Every container of the workloads, init containers included."""
    return [
        (name, c)
        for kind, name in WORKLOADS
        for spec in [pod_spec(find(_objects(overlay), kind, name))]
        for c in spec["containers"] + spec.get("initContainers", [])
    ]


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _labels(selector_holder: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = selector_holder["podSelector"]["matchLabels"]
    return labels


def _env(c: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in c.get("env", [])}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_the_whole_topology(overlay):
    kinds = {(o["kind"], o["metadata"]["name"]) for o in _objects(overlay)}
    expected = {
        ("Namespace", NAMESPACE),
        ("PersistentVolumeClaim", "model-store"),
        ("Job", "trainer"),
        ("Deployment", "tf-serving"),
        ("Service", "tf-serving"),
        ("Deployment", "gateway"),
        ("Deployment", "rollout"),
        ("Service", "gateway"),
        ("HorizontalPodAutoscaler", "gateway"),
        ("PodDisruptionBudget", "gateway"),
        ("Ingress", "gateway"),
        ("NetworkPolicy", "tf-serving-from-gateway-only"),
        ("ConfigMap", "grafana-dashboard-mnist-serving"),  # see test_grafana.py
    }
    assert expected <= kinds
    configmaps = [n for k, n in kinds if k == "ConfigMap" and n.startswith("tf-serving-config-")]
    assert len(configmaps) == 1


def test_default_kustomization_is_the_gpu_overlay():
    assert render(K8S) == _objects("gpu")


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_validates_against_the_kubernetes_schemas(overlay, version):
    validate = pytest.importorskip("kubernetes_validate")
    failures = []
    for obj in _objects(overlay):
        try:
            validate.validate(obj, version, strict=True)
        except validate.ValidationError as exc:
            failures.append(f"{obj['kind']}/{obj['metadata']['name']}: {exc}")
    assert not failures, "\n".join(failures)


def test_the_validator_rejects_a_broken_object():
    """Guards the check above against a validator that accepts anything."""
    validate = pytest.importorskip("kubernetes_validate")
    gateway = find(_objects("gpu"), "Deployment", "gateway")
    broken = {**gateway, "spec": {**gateway["spec"], "replicas": "two"}}
    with pytest.raises(validate.ValidationError):
        validate.validate(broken, KUBERNETES_VERSIONS[-1], strict=True)
    unknown = {**gateway, "spec": {**gateway["spec"], "replica": 2}}
    with pytest.raises(validate.ValidationError):
        validate.validate(unknown, KUBERNETES_VERSIONS[-1], strict=True)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_image_is_pinned(overlay):
    images = [c["image"] for _, c in _all_containers(overlay)]
    problems = [p for image in images if (p := pin_problem(image))]
    assert not problems, problems
    for image in images:
        name, tag = split_tag(image)
        if name.startswith("mnist-"):
            assert tag is not None and tag.split("-")[0] == project_version(), image


def test_gpu_overlay_puts_serving_and_training_on_a_gpu():
    objects = _objects("gpu")
    for kind, name in (("Deployment", "tf-serving"), ("Job", "trainer")):
        c = container(find(objects, kind, name), name)
        assert c["resources"]["limits"]["nvidia.com/gpu"] == "1", name
        tolerations = pod_spec(find(objects, kind, name)).get("tolerations", [])
        assert any(t["key"] == "nvidia.com/gpu" for t in tolerations), name
    tf_serving = container(find(objects, "Deployment", "tf-serving"), "tf-serving")
    assert tf_serving["image"].endswith("-gpu")


def test_cpu_overlay_asks_for_no_gpu():
    objects = _objects("cpu")
    assert "nvidia.com/gpu" not in str(objects)
    tf_serving = container(find(objects, "Deployment", "tf-serving"), "tf-serving")
    gpu_image = container(find(_objects("gpu"), "Deployment", "tf-serving"), "tf-serving")
    assert gpu_image["image"] == tf_serving["image"] + "-gpu"
    trainer = container(find(objects, "Job", "trainer"), "trainer")
    assert trainer["image"].endswith("-cpu")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_images_are_the_images_of_compose(overlay):
    """The same names and tags as the matching compose variant builds and pulls."""
    compose = {s["image"] for s in COMPOSE[overlay]["services"].values()}
    images = {c["image"] for _, c in _all_containers(overlay)}
    assert images <= compose, images - compose
    assert {split_tag(i)[0] for i in images} == {
        "tensorflow/serving",
        "mnist-gateway",
        "mnist-trainer",
    }


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_namespaced_objects_live_in_the_restricted_namespace(overlay):
    objects = _objects(overlay)
    namespace = find(objects, "Namespace", NAMESPACE)
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for obj in objects:
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == NAMESPACE, obj["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_meet_the_restricted_pod_security_standard(overlay):
    for kind, name in WORKLOADS:
        spec = pod_spec(find(_objects(overlay), kind, name))
        security = spec["securityContext"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] != 0, name
        assert security["seccompProfile"]["type"] == "RuntimeDefault", name
        for c in spec["containers"] + spec.get("initContainers", []):
            context = c["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert context["readOnlyRootFilesystem"] is True, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits(overlay):
    for name, c in _all_containers(overlay):
        for kind in ("requests", "limits"):
            assert {"cpu", "memory"} <= set(c["resources"][kind]), f"{name} {kind}"


def test_tf_serving_ports_probes_and_service():
    objects = _objects("gpu")
    deployment = find(objects, "Deployment", "tf-serving")
    c = container(deployment, "tf-serving")
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {
        "grpc": GRPC_PORT,
        "rest": REST_PORT,
    }
    assert f"--port={GRPC_PORT}" in c["args"] and f"--rest_api_port={REST_PORT}" in c["args"]
    readiness = " ".join(c["readinessProbe"]["exec"]["command"])
    assert f"/dev/tcp/127.0.0.1/{REST_PORT}" in readiness
    assert f"GET /v1/models/{MODEL_NAME} " in readiness and "AVAILABLE" in readiness
    assert c["livenessProbe"]["tcpSocket"]["port"] == "rest"
    service = find(objects, "Service", "tf-serving")
    assert service["spec"]["type"] == "ClusterIP"
    assert [p["port"] for p in service["spec"]["ports"]] == [GRPC_PORT]
    template_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert _matches(service["spec"]["selector"], template_labels)


def _config_sources() -> dict[str, Path]:
    """ConfigMap key → the file it must copy (the static files that compose mounts)."""
    return {name: SERVING_CONFIG / name for name in K8S_CONFIG_FILES if name != CONFIG_FILE}


@pytest.mark.parametrize("name", K8S_CONFIG_FILES)
def test_k8s_config_files_are_byte_identical_copies_of_serving_config(name):
    # kustomize reads only files below its root, hence the copies; they must not drift.
    copy, source = K8S / "base" / "config" / name, SERVING_CONFIG / name
    assert copy.read_bytes() == source.read_bytes(), (
        f"{copy.relative_to(REPO)} differs from {source.relative_to(REPO)}: "
        f"cp {source.relative_to(REPO)} {copy.relative_to(REPO)}"
    )


def test_tf_serving_config_map_copies_the_mounted_files():
    objects = _objects("gpu")
    configmap = next(
        o
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("tf-serving-config-")
    )
    sources = _config_sources()
    assert sorted(configmap["data"]) == sorted(sources)
    for key, text in configmap["data"].items():
        if not sources[key].is_file():
            pytest.skip(f"{sources[key].relative_to(REPO)} does not exist yet")
        assert text == sources[key].read_text(encoding="utf-8"), (
            f"k8s/base/config/{key} differs from {sources[key].relative_to(REPO)}: copy it"
        )
    deployment = find(objects, "Deployment", "tf-serving")
    volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
    c = container(deployment, "tf-serving")
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    static = "/etc/tf-serving"
    assert volumes[mounts[static]]["configMap"]["name"] == configmap["metadata"]["name"]
    flags = [arg.split("=", 1)[1] for arg in c["args"] if f"={static}/" in arg]
    assert sorted(f.removeprefix(static + "/") for f in flags) == sorted(configmap["data"])


def _mounts(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["mountPath"]: m for m in c["volumeMounts"]}


def _claim(workload: dict[str, Any], mount: dict[str, Any]) -> str:
    volumes = {v["name"]: v for v in pod_spec(workload)["volumes"]}
    claim: str = volumes[mount["name"]]["persistentVolumeClaim"]["claimName"]
    return claim


def test_the_live_config_folder_is_on_the_model_store():
    """An init container seeds config/ on the model store; TF Serving and the gateway read it,
    the rollout pod writes it: the same claim and subPath everywhere."""
    objects = _objects("gpu")
    tf_serving = find(objects, "Deployment", "tf-serving")
    server = container(tf_serving, "tf-serving")
    assert f"--model_config_file={LIVE_CONFIG}" in server["args"]
    (init,) = pod_spec(tf_serving)["initContainers"]
    assert init["image"] == container(find(objects, "Deployment", "gateway"), "gateway")["image"]
    assert init["command"] + init["args"] == [
        "python", "-m", "serving.rollout", "--config", LIVE_CONFIG,
        "--model-base-path", "/models/mnist", "init",
    ]  # fmt: skip
    gateway_deployment = find(objects, "Deployment", "gateway")
    gateway = container(gateway_deployment, "gateway")
    rollout_deployment = find(objects, "Deployment", "rollout")
    rollout = container(rollout_deployment, "rollout")
    config = CONTAINER_CONFIG_DIR.as_posix()
    for workload, c, writes in (
        (tf_serving, init, True),
        (tf_serving, server, False),
        (gateway_deployment, gateway, False),
        (rollout_deployment, rollout, True),
    ):
        mount = _mounts(c)[config]
        assert (mount["subPath"], _claim(workload, mount)) == ("config", "model-store"), c["name"]
        assert mount.get("readOnly", False) is not writes, c["name"]
    assert _env(gateway)["GATEWAY_ROLLOUT_STATE"] == (CONTAINER_CONFIG_DIR / STATE_FILE).as_posix()
    assert _env(rollout) == {
        "ROLLOUT_MODEL_SERVER": f"tf-serving:{GRPC_PORT}",
        "ROLLOUT_GATEWAY": f"http://gateway:{GATEWAY_PORT}",
        "ROLLOUT_CONFIG": LIVE_CONFIG,
        "ROLLOUT_MODEL_BASE_PATH": "/models/mnist",
    }
    assert _mounts(rollout)["/models"]["readOnly"] is True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_tf_serving_flags_are_tensorflow_model_server_flags(overlay):
    c = container(find(_objects(overlay), "Deployment", "tf-serving"), "tf-serving")
    assert c["command"] == ["tensorflow_model_server"]
    assert not unknown_flags(c["args"])


def test_models_config_base_path_is_on_the_model_store():
    deployment = find(_objects("gpu"), "Deployment", "tf-serving")
    c = container(deployment, "tf-serving")
    models = served_models()
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert mounts["/models"]["name"] == "model-store" and mounts["/models"]["readOnly"]
    assert models[MODEL_NAME] == "/models/mnist"
    trainer = container(find(_objects("gpu"), "Job", "trainer"), "trainer")
    assert _env(trainer)["MODEL_BASE_PATH"] == "/models/mnist"
    trainer_mounts = {m["mountPath"]: m for m in trainer["volumeMounts"]}
    assert trainer_mounts["/models"]["subPath"] == mounts["/models"]["subPath"]


def test_metrics_annotations_match_the_monitoring_config():
    objects = _objects("gpu")
    tf_serving = find(objects, "Deployment", "tf-serving")["spec"]["template"]["metadata"]
    assert tf_serving["annotations"]["prometheus.io/path"] == monitoring_path()
    assert tf_serving["annotations"]["prometheus.io/port"] == str(REST_PORT)
    gateway = find(objects, "Deployment", "gateway")["spec"]["template"]["metadata"]
    assert gateway["annotations"]["prometheus.io/path"] == "/metrics"


def test_gateway_deployment():
    objects = _objects("gpu")
    deployment = find(objects, "Deployment", "gateway")
    assert deployment["spec"]["replicas"] >= 2
    c = container(deployment, "gateway")
    assert c["ports"] == [{"name": "http", "containerPort": GATEWAY_PORT}]
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    env = _env(c)
    tf_serving = find(objects, "Service", "tf-serving")
    assert env["GATEWAY_MODEL_SERVER"] == f"{tf_serving['metadata']['name']}:{GRPC_PORT}"
    assert env["GATEWAY_MODEL_NAME"] == MODEL_NAME
    assert int(env["GATEWAY_PORT"]) == GATEWAY_PORT


def test_gateway_environment_is_the_settings_class(monkeypatch):
    env = _env(container(find(_objects("gpu"), "Deployment", "gateway"), "gateway"))
    fields = gateway_settings_fields()
    unknown = [k for k in env if k.startswith("GATEWAY_") and k[8:].lower() not in fields]
    assert not unknown, f"not fields of serving.gateway.settings.Settings: {unknown}"
    settings_module = pytest.importorskip("serving.gateway.settings")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = settings_module.Settings()
    assert settings.port == GATEWAY_PORT and settings.host == "0.0.0.0"


def test_gateway_service_hpa_pdb_and_ingress_point_at_the_gateway():
    objects = _objects("gpu")
    deployment = find(objects, "Deployment", "gateway")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = find(objects, "Service", "gateway")
    assert _matches(service["spec"]["selector"], labels)
    assert service["spec"]["ports"][0]["port"] == GATEWAY_PORT
    hpa = find(objects, "HorizontalPodAutoscaler", "gateway")["spec"]
    target = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gateway"}
    assert hpa["scaleTargetRef"] == target
    assert hpa["minReplicas"] >= 2 and hpa["maxReplicas"] > hpa["minReplicas"]
    assert [m["resource"]["name"] for m in hpa["metrics"]] == ["cpu"]
    pdb = find(objects, "PodDisruptionBudget", "gateway")["spec"]
    assert _matches(pdb["selector"]["matchLabels"], labels)
    assert pdb["minAvailable"] < hpa["minReplicas"], "the PDB must allow a drain"
    backend = find(objects, "Ingress", "gateway")["spec"]["rules"][0]["http"]["paths"][0]
    assert backend["backend"]["service"] == {"name": "gateway", "port": {"name": "http"}}


def test_only_the_gateway_reaches_tf_serving():
    objects = _objects("gpu")
    policy = find(objects, "NetworkPolicy", "tf-serving-from-gateway-only")["spec"]
    pods = {
        name: find(objects, kind, name)["spec"]["template"]["metadata"]["labels"]
        for kind, name in WORKLOADS
    }
    protected = {n for n, labels in pods.items() if _matches(_labels(policy), labels)}
    assert protected == {"tf-serving"}
    assert policy["policyTypes"] == ["Ingress"]
    (rule,) = policy["ingress"]
    admitted = set()
    for source in rule["from"]:
        assert set(source) == {"podSelector"}, "no namespace or IP block may be admitted"
        admitted |= {n for n, labels in pods.items() if _matches(_labels(source), labels)}
    assert admitted == {"gateway", "rollout"}
    assert rule["ports"] == [{"protocol": "TCP", "port": GRPC_PORT}]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_model_store_access_mode(overlay):
    pvc = find(_objects(overlay), "PersistentVolumeClaim", "model-store")
    expected = {"gpu": ["ReadWriteMany"], "cpu": ["ReadWriteOnce"]}[overlay]
    assert pvc["spec"]["accessModes"] == expected


def _megabytes(size: str) -> int:
    return int(size.removesuffix("m")) * 1024 * 1024


def test_ingress_limits_leave_the_answers_to_the_gateway():
    """Over the ingress's limits nginx answers in HTML; so they must be looser than the
    gateway's, whose JSON errors name the limit."""
    objects = _objects("gpu")
    annotations = find(objects, "Ingress", "gateway")["metadata"]["annotations"]
    c = container(find(objects, "Deployment", "gateway"), "gateway")
    env = _env(c)
    nginx = "nginx.ingress.kubernetes.io/"
    assert _megabytes(annotations[nginx + "proxy-body-size"]) > int(env["GATEWAY_MAX_UPLOAD_BYTES"])
    settings = pytest.importorskip("serving.gateway.settings").Settings()
    assert float(annotations[nginx + "proxy-read-timeout"]) > settings.rpc_timeout_seconds
    ready_timeout = float(env["GATEWAY_READY_TIMEOUT_SECONDS"])
    assert ready_timeout < c["readinessProbe"]["timeoutSeconds"]
