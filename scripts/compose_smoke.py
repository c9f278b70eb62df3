"""`docker compose up`, run for real: build the images, start the stack, predict, roll out a
second version, restart, tear down. Prints each step and how long it took.

    python scripts/compose_smoke.py [--report PATH] [--keep] [--engine podman|docker]

Needs podman with podman-compose, or Docker with Compose v2. It uses its own project name
(`mnist-smoke`) and a free host port, so a user's stack is never touched, and removes its
containers, network and volumes at the end. Where the image registries cannot be reached, it
builds a stand-in for the Python base image (debootstrap, as root) and adds
docker-compose.standin.yml, which puts the local model server in tensorflow/serving's place.

For speed both versions are small models trained on the bundled digits (`--model-kind`,
`--epochs`; the defaults train in seconds), published with the export's `--force`
(EXPORT_OPTIONS), so that the quality gate cannot refuse one by chance.

Exit codes: 0 done, 1 a step failed, 4 no container engine can run here (the message says
why). Runs with the project's venv (`make compose-smoke`): the digits it sends are the
contract's bundled ones, as plain PNG files.
"""

from __future__ import annotations

import argparse
import fcntl
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: the project's packages from the checkout

import numpy as np  # noqa: E402

from contract.digits import load_bundled  # noqa: E402
from processes.ports import free_port  # noqa: E402
from reader.styles import render  # noqa: E402

COMPOSE_FILES = ("docker-compose.yml", "docker-compose.cpu.yml")
STANDIN_FILE = "docker-compose.standin.yml"
BASE_IMAGE = "docker.io/library/python:3.11.14-slim-bookworm"
# The services whose images the project builds, in an order that lets the model server's
# build reuse the trainer's TensorFlow layer (the stand-in's tf-serving comes last).
BUILT_SERVICES = ("model-init", "gateway")
DEBIAN_PACKAGES = "python3,python3-venv,python-is-python3,ca-certificates"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
NO_ENGINE = 4
PROFILES = {"trainer": "train", "rollout": "rollout"}  # docker-compose.yml's on-demand services


class SmokeError(Exception):
    """A step failed; the message says which and why."""


class NoEngine(Exception):
    """No container engine can run here; the message says why."""


@dataclass
class Engine:
    name: str  # podman or docker
    compose: list[str]  # the compose command before its arguments


@dataclass
class Stack:
    engine: Engine
    project: str
    files: list[str]
    port: int
    report: dict[str, Any] = field(default_factory=lambda: {"steps": [], "figures": {}})

    def compose(self, *args: str, timeout: float = 1800, check: bool = True) -> str:
        command = [*self.engine.compose, "-p", self.project]
        for name in self.files:
            command += ["-f", str(REPO / name)]
        env = {**os.environ, "MNIST_GATEWAY_PORT": str(self.port)}
        return run([*command, *args], timeout=timeout, check=check, env=env)

    def run_service(self, service: str, *options: str, args: list[str], timeout: float) -> str:
        """`compose run --rm` of a one-off service; its profile named, as podman-compose
        (unlike Docker Compose) does not enable the profile of the service it runs."""
        profile = ["--profile", PROFILES[service]] if service in PROFILES else []
        return self.compose(*profile, "run", "--rm", "-T", *options, service, *args,
                            timeout=timeout)  # fmt: skip

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def log(message: str) -> None:
    print(message, flush=True)


def run(
    command: list[str],
    *,
    timeout: float = 600,
    check: bool = True,
    env: dict[str, str] | None = None,
    stdin: bytes | None = None,
) -> str:
    """Run a command in the repository; its output, or SmokeError with the tail of it."""
    try:
        result = subprocess.run(
            command,
            cwd=REPO,
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise SmokeError(f"{' '.join(command)}: no answer in {timeout:.0f} s") from exc
    output = (result.stdout + result.stderr).decode(errors="replace")
    if check and result.returncode != 0:
        tail = "\n".join(output.strip().splitlines()[-25:])
        raise SmokeError(f"{' '.join(command)} exited with {result.returncode}:\n{tail}")
    return output


@contextmanager
def step(stack: Stack, name: str) -> Iterator[dict[str, Any]]:
    """Print the step and its duration; record both in the report."""
    log(f"==> {name}")
    record: dict[str, Any] = {"step": name}
    started = time.monotonic()
    try:
        yield record
    finally:
        record["seconds"] = round(time.monotonic() - started, 1)
        stack.report["steps"].append(record)
        log(f"    {name}: {record['seconds']} s")


# --- the engine --------------------------------------------------------------------------


def find_engine(wanted: str | None) -> Engine:
    """podman with podman-compose, else Docker with Compose v2; NoEngine says why not."""
    reasons = []
    for name in [wanted] if wanted else ["podman", "docker"]:
        if shutil.which(name) is None:
            reasons.append(f"{name} is not installed")
            continue
        probe = subprocess.run([name, "info"], capture_output=True, timeout=60, check=False)
        if probe.returncode != 0:
            reasons.append(f"`{name} info` fails: {last_line(probe.stderr)}")
            continue
        compose = compose_command(name)
        if compose is None:
            reasons.append(f"{name} runs, but its compose tool is missing")
            continue
        return Engine(name, compose)
    raise NoEngine("no container engine can run here: " + "; ".join(reasons))


def compose_command(engine: str) -> list[str] | None:
    if engine == "docker":
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        return ["docker", "compose"] if probe.returncode == 0 else None
    beside = Path(sys.executable).parent / "podman-compose"  # the venv's (dev extra)
    found = str(beside) if beside.is_file() else shutil.which("podman-compose")
    return [found] if found else None


def last_line(data: bytes) -> str:
    lines = data.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "(no message)"


def image_present(engine: Engine, image: str) -> bool:
    probe = subprocess.run(
        [engine.name, "image", "inspect", image], capture_output=True, check=False
    )
    return probe.returncode == 0


def pullable(engine: Engine, image: str) -> bool:
    """The image is here, or the registry gives it now (asked by its full name, so that the
    answer is about the registry, not about the engine's short-name settings)."""
    if image_present(engine, image):
        return True
    pull = subprocess.run(
        [engine.name, "pull", qualified(image)], capture_output=True, timeout=1800, check=False
    )
    if pull.returncode != 0:
        log(f"    cannot pull {image}: {last_line(pull.stderr)}")
    return pull.returncode == 0


def qualified(image: str) -> str:
    """docker.io/library/python:3 for python:3, docker.io/tensorflow/serving:2 for
    tensorflow/serving:2; a name with a registry host stays as it is."""
    first = image.split("/")[0]
    if "/" in image and ("." in first or ":" in first or first == "localhost"):
        return image
    return f"docker.io/{image}" if "/" in image else f"docker.io/library/{image}"


def tf_serving_image() -> str:
    """The CPU variant's TF Serving image, as docker-compose.cpu.yml names it."""
    for line in (REPO / COMPOSE_FILES[1]).read_text(encoding="utf-8").splitlines():
        if line.strip().startswith("image: tensorflow/serving:"):
            return line.split("image:", 1)[1].strip()
    raise SmokeError(f"{COMPOSE_FILES[1]} names no tensorflow/serving image")


# --- the stand-in base image -------------------------------------------------------------


def debian_mirror() -> str:
    """The Debian mirror of this machine's apt sources (deb822 or one-line format)."""
    sources = [Path("/etc/apt/sources.list"), *Path("/etc/apt/sources.list.d").glob("*")]
    for path in sources:
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            words = line.replace("URIs:", " ").split()
            for word in words:
                if word.startswith("http") and word.rstrip("/").endswith("/debian"):
                    return word
    return "http://deb.debian.org/debian"


def build_base_standin(engine: Engine) -> None:
    """python:3.11.14-slim-bookworm's stand-in: Debian's Python 3.11 in a minimal root file
    system that trusts the host's certificate authorities (so pip reaches PyPI in a build)."""
    if os.geteuid() != 0 or shutil.which("debootstrap") is None:
        raise SmokeError("the stand-in base image needs root and debootstrap (make system-deps)")
    with tempfile.TemporaryDirectory(prefix="mnist-standin-") as scratch:
        rootfs = Path(scratch) / "rootfs"
        command = ["debootstrap", "--variant=minbase", f"--include={DEBIAN_PACKAGES}"]
        run([*command, "bookworm", str(rootfs), debian_mirror()], timeout=1800)
        shutil.copyfile(HOST_CA_BUNDLE, rootfs / "etc/ssl/certs/ca-certificates.crt")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        imported = subprocess.run(
            [engine.name, "import", "-", BASE_IMAGE],
            stdin=tar.stdout,
            capture_output=True,
            check=False,
        )
        tar.wait()
        if imported.returncode != 0 or tar.returncode != 0:
            raise SmokeError(f"importing the stand-in failed: {last_line(imported.stderr)}")


# --- HTTP ----------------------------------------------------------------------------------


def http(url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Any:
    """GET (or POST `body`), the JSON answer; HTTPError for a status over 399."""
    request = urllib.request.Request(url, data=body, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read() or b"null")


def wait_for(what: str, check: Callable[[], bool], timeout: float) -> float:
    """Poll `check` until it is true; the seconds it took, or SmokeError after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if check():
                return time.monotonic() - started
        except (OSError, urllib.error.URLError, ValueError):
            pass
        time.sleep(0.5)
    raise SmokeError(f"{what}: not within {timeout:.0f} s")


def ready(stack: Stack) -> bool:
    http(stack.url + "/readyz")
    return True


def sample_digits(count: int = 10) -> tuple[list[bytes], list[int]]:
    """`count` bundled digits, evenly spaced (the file is sorted by label), as plain PNG
    files, and their labels."""
    digits = load_bundled()
    picked = range(0, len(digits.labels), max(1, len(digits.labels) // count))[:count]
    rng = np.random.default_rng(0)
    pngs = [render(digits.images[i], "plain", rng) for i in picked]
    return pngs, [int(digits.labels[i]) for i in picked]


def predict(stack: Stack, query: str = "") -> tuple[int, float]:
    """Real digits through the gateway in one request: (the version that answered, accuracy)."""
    images, labels = sample_digits()
    boundary = "mnist-smoke-boundary"
    parts = [
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="digit-{i}.png"\r\nContent-Type: image/png\r\n\r\n'
        ).encode()
        + png
        + b"\r\n"
        for i, png in enumerate(images)
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    answer = http(f"{stack.url}/predict{query}", body, headers)
    digits = [p["digit"] for p in answer["predictions"]]
    correct = sum(d == label for d, label in zip(digits, labels, strict=True))
    return int(answer["model_version"]), correct / len(labels)


def answers_version(stack: Stack, version: int, query: str = "") -> Callable[[], bool]:
    def check() -> bool:
        return predict(stack, query)[0] == version

    return check


# --- the steps -----------------------------------------------------------------------------


def prepare_images(stack: Stack, standin: str) -> None:
    engine = stack.engine
    with step(stack, "registry") as record:
        use = standin == "yes" or (standin == "auto" and not pullable(engine, tf_serving_image()))
        record["standin"] = use
        log(f"    stand-ins: {'yes (' + STANDIN_FILE + ')' if use else 'no'}")
    if use:
        stack.files.append(STANDIN_FILE)
    if not (image_present(engine, BASE_IMAGE) or (not use and pullable(engine, BASE_IMAGE))):
        with step(stack, "stand-in base image (debootstrap)"):
            build_base_standin(engine)
    services = [*BUILT_SERVICES, "tf-serving"] if use else list(BUILT_SERVICES)
    for service in services:
        with step(stack, f"build {service}") as record:
            stack.compose("build", service, timeout=3600)
            record["service"] = service
    sizes = {}
    for image in sorted(set(images_of(stack))):
        size = run([engine.name, "image", "inspect", "--format", "{{.Size}}", image]).strip()
        sizes[image] = int(size)
        log(f"    {image}: {int(size) / 1e6:.0f} MB")
    stack.report["figures"]["image_bytes"] = sizes


def images_of(stack: Stack) -> list[str]:
    """The project's built images: those of the services in the merged files (`config`)."""
    images, in_services = [], False
    for line in stack.compose("config", timeout=120).splitlines():
        if line and not line[0].isspace():  # a top-level key: x-trainer, services, volumes
            in_services = line.startswith("services:")
        elif in_services and line.strip().startswith("image: mnist-"):
            images.append(line.split("image:", 1)[1].strip().strip("'\""))
    return images


def train(stack: Stack, service: str, args: list[str], env: dict[str, str]) -> None:
    options = [f"{k}={v}" for k, v in env.items()]
    flags = [flag for option in options for flag in ("-e", option)]
    stack.run_service(service, *flags, args=args, timeout=3600)


def start(stack: Stack, what: str) -> None:
    with step(stack, what) as record:
        started = time.monotonic()
        stack.compose("up", "-d", *up_options(stack.engine), timeout=600)
        wait_for("the gateway's /readyz", lambda: ready(stack), timeout=900)
        record["up_to_ready_seconds"] = round(time.monotonic() - started, 1)
        log(f"    up → gateway ready: {record['up_to_ready_seconds']} s")
    stack.report["figures"].setdefault("up_to_ready_seconds", []).append(
        record["up_to_ready_seconds"]
    )
    run_health_checks(stack)


def up_options(engine: Engine) -> list[str]:
    """podman-compose turns depends_on into podman's --requires, which restarts a finished
    one-shot (model-init, rollout-init) and fails when it exits at once; it ignores the
    conditions anyway. So every service starts on its own, and each waits for what it needs
    (TF Serving for its config and versions, the gateway for TF Serving)."""
    return ["--no-deps"] if engine.name == "podman" else []


def container_of(stack: Stack, service: str) -> str:
    labels = [
        f"com.docker.compose.project={stack.project}",
        f"com.docker.compose.service={service}",
    ]
    command = [stack.engine.name, "ps", "-q"]
    for label in labels:
        command += ["--filter", f"label={label}"]
    ids = run(command).split()
    if not ids:
        raise SmokeError(f"no running container for {service}")
    return ids[0]


def run_health_checks(stack: Stack) -> None:
    """The images' and compose's health checks, run now (podman runs none by itself)."""
    with step(stack, "health checks"):
        for service in ("tf-serving", "gateway"):
            container = container_of(stack, service)
            if stack.engine.name == "podman":
                run(["podman", "healthcheck", "run", container], timeout=60)
            else:
                wait_for(f"{service} healthy", functools.partial(healthy, container), 300)
            log(f"    {service}: healthy")


def healthy(container: str) -> bool:
    status = run(["docker", "inspect", "--format", "{{.State.Health.Status}}", container])
    return status.strip() == "healthy"


def rollout(stack: Stack, *args: str) -> str:
    output = stack.run_service("rollout", args=list(args), timeout=900)
    log("    " + "\n    ".join(output.strip().splitlines()[-6:]))
    return output


def in_volumes(stack: Stack, tool: str, path: str) -> str:
    """`ls` or `cat` of a path in the stack's volumes, through the rollout service's mounts."""
    return stack.run_service("rollout", "--entrypoint", tool, args=[path], timeout=300)


def smoke(stack: Stack, args: argparse.Namespace) -> None:
    # Small models, so the gate is told (--force): it cannot refuse one by chance.
    train_env = {"MODEL_KIND": args.model_kind, "EXPORT_OPTIONS": "--force"}
    train_args = ["--epochs", str(args.epochs)]
    with step(stack, "clean leftovers of an earlier run"):
        stack.compose("down", "-v", timeout=300, check=False)
    with step(stack, f"publish version 1 (model-init, {args.model_kind}, {args.epochs} epochs)"):
        train(stack, "model-init", ["--if-none-published", *train_args], train_env)
    start(stack, "up")
    with step(stack, "predict through the gateway") as record:
        version, accuracy = predict(stack)
        record.update(version=version, accuracy=accuracy)
        log(f"    version {version} answered, {accuracy:.0%} of 10 digits right")
        if version != 1 or accuracy < 0.5:
            raise SmokeError(f"expected version 1 and most digits right: {version}, {accuracy}")
    with step(stack, "publish version 2 (trainer)"):
        train(stack, "trainer", [*train_args, "--seed", "2"], train_env)
    published = time.monotonic()
    with step(stack, "rollout canary 2 --percent 10"):
        rollout(stack, "canary", "2", "--percent", "10")
        wait_for("version 2 pinned", answers_version(stack, 2, "?version=2"), timeout=300)
    canary_seconds = time.monotonic() - published
    with step(stack, "rollout promote"):
        rollout(stack, "promote")
        wait_for("version 2 unpinned", answers_version(stack, 2), timeout=300)
    figures = stack.report["figures"]
    figures["publish_to_canary_answer_seconds"] = round(canary_seconds, 1)
    figures["publish_to_stable_answer_seconds"] = round(time.monotonic() - published, 1)
    log(
        f"    publish → version 2 answers: canary {canary_seconds:.1f} s, "
        f"stable {figures['publish_to_stable_answer_seconds']} s"
    )
    with step(stack, "restart (down without -v, up)"):
        stack.compose("down", timeout=300)
    start(stack, "up again")
    check_survivors(stack)


def check_survivors(stack: Stack) -> None:
    with step(stack, "models volume and rollout state survived") as record:
        versions = in_volumes(stack, "ls", "/models/mnist").split()
        state = json.loads(in_volumes(stack, "cat", "/config/rollout.json"))
        version, _ = predict(stack)
        record.update(versions=versions, stable=state.get("stable"), answered=version)
        log(f"    /models/mnist: {' '.join(versions)}; rollout.json: stable {state.get('stable')}")
        if not {"1", "2"} <= set(versions) or state.get("stable") != 2:
            raise SmokeError(f"lost after the restart: versions {versions}, state {state}")
        if version != 2:
            raise SmokeError(f"version {version} answered after the restart, not 2")


@contextmanager
def one_run_at_a_time() -> Iterator[None]:
    """Runs on one machine take turns: they build and tag the same images."""
    lock_path = Path(tempfile.gettempdir()) / "mnist-compose-smoke.lock"
    with lock_path.open("a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another smoke run on this machine ({lock_path})")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--engine", choices=["podman", "docker"], help="default: podman, else docker")
    p.add_argument("--project", default="mnist-smoke", help="compose project name")
    p.add_argument("--standin", choices=["auto", "yes", "no"], default="auto")
    p.add_argument("--model-kind", default="linear", help="MODEL_KIND of both versions")
    p.add_argument("--epochs", type=int, default=2, help="training epochs of both versions")
    p.add_argument("--report", type=Path, help="write the steps and figures as JSON here")
    p.add_argument("--keep", action="store_true", help="leave the stack running at the end")
    p.add_argument("--probe", action="store_true", help="only say whether an engine can run")
    return p.parse_args()


def stop_on_sigterm() -> None:
    """A terminated run (a test runner's timeout) still tears its stack down."""

    def handler(signum: int, frame: object) -> None:
        raise SmokeError(f"terminated by signal {signum}")

    signal.signal(signal.SIGTERM, handler)


def main() -> int:
    args = parse_args()
    stop_on_sigterm()
    try:
        engine = find_engine(args.engine)
    except NoEngine as exc:
        log(str(exc))
        return NO_ENGINE
    log(f"engine: {engine.name}, compose: {' '.join(engine.compose)}")
    if args.probe:
        return 0
    with one_run_at_a_time():
        return run_smoke(engine, args)


def run_smoke(engine: Engine, args: argparse.Namespace) -> int:
    stack = Stack(engine, args.project, list(COMPOSE_FILES), free_port())
    failed = None
    try:
        prepare_images(stack, args.standin)
        smoke(stack, args)
    except SmokeError as exc:
        failed = str(exc)
        log(f"FAILED: {failed}")
        if stack.files:
            log(stack.compose("logs", "--tail", "30", timeout=120, check=False)[-6000:])
    finally:
        if not args.keep:
            with step(stack, "tear down (down -v)"):
                stack.compose("down", "-v", timeout=300, check=False)
    stack.report["failed"] = failed
    if args.report:
        args.report.write_text(json.dumps(stack.report, indent=2) + "\n", encoding="utf-8")
    log("done" if failed is None else "failed")
    return 0 if failed is None else 1


if __name__ == "__main__":
    sys.exit(main())
