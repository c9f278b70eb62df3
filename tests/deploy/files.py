"""Paths of the deployment files, and the tools that check them (found, not assumed)."""

from __future__ import annotations

import shutil
import sys
import tomllib
from pathlib import Path

# The deployment files must agree with the contract's ports and model name.
from contract.model import MODEL_NAME  # noqa: F401
from contract.ports import GATEWAY_PORT, GRPC_PORT, REST_PORT  # noqa: F401

REPO = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO / "docker-compose.yml"
COMPOSE_CPU_FILE = REPO / "docker-compose.cpu.yml"
COMPOSE_STANDIN_FILE = REPO / "docker-compose.standin.yml"
COMPOSE_SCHEMA = Path(__file__).parent / "schemas" / "compose-spec.json"
SERVING_CONFIG = REPO / "serving" / "config"
PROMETHEUS_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
TRAINER_SCRIPT = REPO / "deploy" / "trainer" / "train_and_publish.sh"
MODEL_SERVER_SHIM = REPO / "deploy" / "model_server" / "tensorflow_model_server.sh"
DOCKERFILES = (
    REPO / "training" / "Dockerfile",
    REPO / "serving" / "gateway" / "Dockerfile",
    REPO / "serving" / "model_server" / "Dockerfile",
)
K8S = REPO / "k8s"
K8S_OVERLAYS = {"gpu": K8S / "overlays" / "gpu", "cpu": K8S / "overlays" / "cpu"}


def project_version() -> str:
    with (REPO / "pyproject.toml").open("rb") as f:
        return str(tomllib.load(f)["project"]["version"])


def find_tool(name: str) -> str | None:
    """A tool installed in this virtualenv (pip's console scripts) first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name)
