"""The Grafana dashboard (deploy/grafana/), checked offline: its structure, every query's
metrics and labels are ones the gateway or the model server really exports, PromQL syntax
(promtool, where Debian's prometheus package is installed), and its provisioning in
compose's `metrics` profile and as a ConfigMap in Kubernetes."""

from __future__ import annotations

import json
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from serving.gateway import instruments
from serving.model_server.metrics import Metrics
from tests.deploy import compose_files
from tests.deploy.files import COMPOSE_FILE, K8S, K8S_OVERLAYS, REPO, find_tool
from tests.deploy.image_refs import pin_problem
from tests.deploy.kustomize import find, render
from tests.deploy.promql import names, without_grafana_variables

GRAFANA = REPO / "deploy" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "mnist-serving.json"
DATASOURCES = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
PROVIDERS = GRAFANA / "provisioning" / "dashboards" / "mnist-serving.yml"
K8S_DASHBOARD = K8S / "base" / "grafana" / "mnist-serving.json"
TARGET_LABELS = {"job", "instance"}  # added by Prometheus to every scraped series
GRID_COLUMNS = 24
LABEL_VALUES = re.compile(r"label_values\((.+),\s*(\w+)\)")
GPU = compose_files.effective(COMPOSE_FILE)
# Exported but not charted, and why.
NOT_CHARTED = {"model_server_warmup_requests_total": "start-up detail, in the server's log"}


@cache
def dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return document


def panels() -> list[dict[str, Any]]:
    return [p for p in dashboard()["panels"] if p["type"] != "row"]


def queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) of every query: the panels' and the variables'."""
    found = [(p["title"], t["expr"]) for p in panels() for t in p["targets"]]
    for variable in dashboard()["templating"]["list"]:
        # Grafana's label_values(METRIC, LABEL) asks for what this PromQL names.
        metric, label = LABEL_VALUES.fullmatch(variable["query"]["query"]).groups()  # type: ignore[union-attr]
        found.append((f"${variable['name']}", f"group by ({label}) ({metric})"))
    return found


def series(name: str, kind: str, labels: set[str]) -> dict[str, set[str]]:
    """The series names a metric family is exported as, each with its labels."""
    if kind == "histogram":
        return {f"{name}_bucket": labels | {"le"}, f"{name}_sum": labels, f"{name}_count": labels}
    if kind == "counter" and not name.endswith("_total") and not name.startswith(":"):
        return {f"{name}_total": labels}  # prometheus_client appends _total
    return {name: labels}


@cache
def exported() -> dict[str, set[str]]:
    """Every series the gateway (serving/gateway/instruments.py) and the model server
    (serving/model_server/metrics.py) export, with its labels."""
    found: dict[str, set[str]] = {}
    for metric in vars(instruments).values():
        if isinstance(metric, MetricWrapperBase):
            found |= series(metric._name, str(metric._type), set(metric._labelnames))
    for metric in Metrics().all():
        found |= series(metric.name, metric.kind, set(metric.label_names))
    return found


def test_panels_have_unique_ids_and_titles_and_fit_the_grid() -> None:
    ids = [p["id"] for p in dashboard()["panels"]]
    assert len(ids) == len(set(ids))
    titles = [p["title"] for p in panels()]
    assert len(titles) == len(set(titles))
    cells: set[tuple[int, int]] = set()
    for panel in dashboard()["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= GRID_COLUMNS, panel["title"]
        area = {(x, y) for x in range(grid["x"], grid["x"] + grid["w"])
                for y in range(grid["y"], grid["y"] + grid["h"])}  # fmt: skip
        assert not cells & area, f"{panel['title']} overlaps another panel"
        cells |= area


def test_every_panel_queries_the_provisioned_prometheus() -> None:
    [source] = yaml.safe_load(DATASOURCES.read_text(encoding="utf-8"))["datasources"]
    assert source["type"] == "prometheus"
    for panel in panels():
        assert panel["datasource"]["uid"] == source["uid"], panel["title"]
        assert panel["targets"] and panel["fieldConfig"]["defaults"]["unit"], panel["title"]
        assert all(t["datasource"]["uid"] == source["uid"] for t in panel["targets"])


@pytest.mark.parametrize(("title", "expression"), queries())
def test_queries_name_exported_metrics_and_their_labels(title: str, expression: str) -> None:
    named = names(expression)
    assert named.metrics, f"{title}: no metric in {expression}"
    unknown = named.metrics - set(exported())
    assert not unknown, f"{title}: {sorted(unknown)} are exported by neither service"
    labels = set().union(*(exported()[m] for m in named.metrics)) | TARGET_LABELS
    assert named.labels <= labels, f"{title}: labels {sorted(named.labels - labels)} unknown"


def test_legends_name_labels_of_their_query() -> None:
    for panel in panels():
        for target in panel["targets"]:
            legend = {
                part.split("}}")[0].strip() for part in target["legendFormat"].split("{{")[1:]
            }
            assert legend <= names(target["expr"]).labels, panel["title"]


def test_names_parser_finds_metrics_and_labels() -> None:
    """The checks above are only as good as this: a wrong name must be found."""
    named = names(
        'sum by (le, stage) (rate(gateway_stage_bucket{route=~"/p.*",x!="a b"}[$__rate_interval]))'
        " / on (job) scalar(:tensorflow:serving:request_count offset 5m)"
    )
    assert named.metrics == {"gateway_stage_bucket", ":tensorflow:serving:request_count"}
    assert named.labels == {"le", "stage", "route", "x", "job"}


def test_the_dashboard_covers_traffic_errors_latency_confidence_and_the_model_server() -> None:
    charted = set().union(*(names(e).metrics for _, e in queries()))
    families = {name.removesuffix(s) for name in charted for s in ("_bucket", "_sum", "_count")}
    for metric in exported():
        family = next((f for f in families if metric.startswith(f)), None)
        assert family or metric in NOT_CHARTED, f"{metric} is exported but not charted"
    per_version = [p["title"] for p in panels() if "model_version" in str(p["targets"])]
    assert per_version, "no panel splits by model version"


def test_promql_syntax_is_valid(tmp_path: Path) -> None:
    promtool = find_tool("promtool")
    if promtool is None:
        pytest.skip("promtool is absent (Debian's prometheus package; make system-deps)")
    values = {"$version": ".*"}
    rules = [
        {"record": f"dashboard:query_{i}", "expr": without_grafana_variables(e, values)}
        for i, (_, e) in enumerate(queries())
    ]
    path = tmp_path / "rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_compose_provisions_grafana_in_the_metrics_profile() -> None:
    grafana = GPU["services"]["grafana"]
    assert grafana["profiles"] == ["metrics"]
    assert pin_problem(grafana["image"]) is None
    assert grafana["depends_on"]["prometheus"]["condition"] == "service_healthy"
    mounts = dict(volume.split(":")[:2] for volume in grafana["volumes"])
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    [provider] = yaml.safe_load(PROVIDERS.read_text(encoding="utf-8"))["providers"]
    assert mounts["./deploy/grafana/dashboards"] == provider["options"]["path"]
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/{DASHBOARD.name}"
    [source] = yaml.safe_load(DATASOURCES.read_text(encoding="utf-8"))["datasources"]
    assert source["url"] == "http://prometheus:9090"
    assert "9090:9090" in GPU["services"]["prometheus"]["ports"]


def test_the_k8s_dashboard_is_a_copy_of_the_compose_one() -> None:
    assert K8S_DASHBOARD.read_bytes() == DASHBOARD.read_bytes()


@pytest.mark.parametrize("overlay", list(K8S_OVERLAYS))
def test_k8s_renders_the_dashboard_config_map_for_grafanas_sidecar(overlay: str) -> None:
    config_map = find(render(K8S_OVERLAYS[overlay]), "ConfigMap", "grafana-dashboard-mnist-serving")
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert config_map["data"][DASHBOARD.name] == DASHBOARD.read_text(encoding="utf-8")
