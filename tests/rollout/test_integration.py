"""Rollouts end to end: the local model server on a live config in tmp, the gateway following
rollout.json, continuous load through the gateway from many client ids, and the commands as
an operator runs them (`python -m serving.rollout`, a subprocess each).

- canary 20% (its share measured by `model_version` in the answers) → promote: 0 failures;
- canary → restarts of the model server and the gateway (split and labels survive) →
  rollback: 0 failures;
- a candidate that fails to load: exit 2, unloaded, nothing else changed;
- a nearly random candidate under `watch`: rolled back automatically (exit 3), time printed.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from contract.digits import load_bundled
from contract.rollout import AUDIT_FILE, CONFIG_FILE, STATE_FILE, read_state
from processes.servers import GatewayProcess, ModelServerProcess, managed_flags, rollout_command
from serving.rollout import audit
from tests.fixtures.gateway import running_gateway
from tests.fixtures.images import encode
from tests.fixtures.models import QUIET_TF, REPO_ROOT, export_cli, run_module
from tests.fixtures.servers import running_model_server
from tests.model_server.helpers import copy_version

pytestmark = pytest.mark.integration
CLIENTS = 4  # threads posting at once
CLIENT_IDS = 2000  # distinct X-Client-ID values, so the sticky split can show its share
SHARE_TOLERANCE = 5.0  # percentage points


@dataclass
class Answer:
    sent: float  # when the request left: routing is decided as it arrives, and a request
    # routed before a change of state may be answered after it
    client: str
    status: int  # 0: no HTTP answer at all
    version: int | None


class Load:
    """Clients posting real digits through the gateway until stopped; every answer kept."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        digits = load_bundled().images[:50]
        self._pngs = [encode(image) for image in digits]
        self._threads = [threading.Thread(target=self._client, args=(n,)) for n in range(CLIENTS)]

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _client(self, seed: int) -> None:
        pick = random.Random(seed)
        with httpx.Client(timeout=10) as client:
            while not self._stop.is_set():
                client_id = f"client-{pick.randrange(CLIENT_IDS)}"
                png = pick.choice(self._pngs)
                sent = time.monotonic()
                try:
                    response = client.post(
                        f"{self.url}/predict",
                        content=png,
                        headers={"content-type": "image/png", "x-client-id": client_id},
                    )
                    version = response.json().get("model_version") if response.is_success else None
                    answer = Answer(sent, client_id, response.status_code, version)
                except httpx.HTTPError:
                    answer = Answer(sent, client_id, 0, None)
                self.answers.append(answer)
                time.sleep(0.005)

    def since(self, start: float) -> list[Answer]:
        return [a for a in self.answers if a.sent >= start]

    def failures(self) -> list[Answer]:
        return [a for a in self.answers if a.status != 200]


@dataclass
class Managed:
    config_path: Path
    models: Path

    @property
    def state_path(self) -> Path:
        return self.config_path.parent / STATE_FILE

    def rollout(
        self, server: ModelServerProcess, gateway: GatewayProcess | None, *args: str
    ) -> subprocess.CompletedProcess[str]:
        command = rollout_command(
            self.config_path,
            self.models,
            *args,
            model_server=server.grpc_target,
            gateway=gateway.url if gateway is not None else "",
        )
        env = {**os.environ, **QUIET_TF}
        return subprocess.run(
            command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
        )


@pytest.fixture
def managed(published_model: Path, tmp_path: Path) -> Managed:
    models = tmp_path / "models" / "mnist"
    shutil.copytree(published_model, models)
    setup = Managed(tmp_path / "config" / CONFIG_FILE, models)
    init = subprocess.run(
        rollout_command(setup.config_path, models, "init"),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert init.returncode == 0, init.stderr
    return setup


@contextmanager
def serving(setup: Managed) -> Iterator[tuple[ModelServerProcess, GatewayProcess]]:
    flags = managed_flags(setup.config_path, setup.models)
    with (
        running_model_server(None, *flags) as server,
        running_gateway(server.grpc_target, rollout_state=str(setup.state_path)) as gateway,
    ):
        yield server, gateway


def wait_for_gateway(gateway: GatewayProcess, setup: Managed) -> None:
    state = read_state(setup.state_path)
    assert state is not None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if httpx.get(f"{gateway.url}/v1/rollout").json()["generation"] == state.generation:
            return
        time.sleep(0.1)
    raise AssertionError(f"the gateway never applied generation {state.generation}")


def canary_share(load: Load, seconds: float = 6.0) -> float:
    """The percent of answers given by version 2 over the next `seconds`; each client id
    kept to one version (the split is sticky)."""
    start = time.monotonic()
    time.sleep(seconds)
    answers = [a for a in load.since(start) if a.status == 200]
    assert len(answers) > 200, f"only {len(answers)} answers in {seconds} s"
    sides: dict[str, set[int | None]] = {}
    for answer in answers:
        sides.setdefault(answer.client, set()).add(answer.version)
    assert all(len(versions) == 1 for versions in sides.values()), "a client changed sides"
    return 100 * sum(a.version == 2 for a in answers) / len(answers)


def pinned(gateway: GatewayProcess, label: str) -> int:
    png = encode(load_bundled().images[0])
    response = httpx.post(
        f"{gateway.url}/predict",
        params={"label": label},
        content=png,
        headers={"content-type": "image/png"},
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return int(response.json()["model_version"])


def test_canary_then_promote_under_load_fails_no_request(managed: Managed) -> None:
    with serving(managed) as (server, gateway), Load(gateway.url) as load:
        copy_version(managed.models / "1", managed.models / "2")  # staged: not served
        time.sleep(2)
        assert {a.version for a in load.answers if a.status == 200} == {1}

        started = managed.rollout(server, gateway, "canary", "2", "--percent", "20")
        assert started.returncode == 0, started.stderr
        wait_for_gateway(gateway, managed)
        share = canary_share(load)
        print(f"\ncanary share at 20%: {share:.1f}% of answers")
        assert abs(share - 20) <= SHARE_TOLERANCE

        promoted = managed.rollout(server, gateway, "promote")
        assert promoted.returncode == 0, promoted.stderr
        after = time.monotonic()
        time.sleep(2)
    assert {a.version for a in load.since(after)} == {2}
    assert load.failures() == []
    print(f"requests: {len(load.answers)}, failed: {len(load.failures())}")
    assert "versions: 2" in managed.config_path.read_text()


def test_split_and_labels_survive_restarts_then_rollback_fails_no_request(
    managed: Managed,
) -> None:
    copy_version(managed.models / "1", managed.models / "2")
    with serving(managed) as (server, gateway):
        started = managed.rollout(server, gateway, "canary", "2", "--percent", "20")
        assert started.returncode == 0, started.stderr
    # Both restarted: the model server from the live config, the gateway from the state.
    with serving(managed) as (server, gateway):
        assert (pinned(gateway, "stable"), pinned(gateway, "canary")) == (1, 2)
        wait_for_gateway(gateway, managed)
        with Load(gateway.url) as load:
            share = canary_share(load)
            print(f"\ncanary share at 20% after restarts: {share:.1f}%")
            assert abs(share - 20) <= SHARE_TOLERANCE
            status = managed.rollout(server, gateway, "status")
            assert "80% stable, 20% canary" in status.stdout, status.stdout + status.stderr

            rolled_back = managed.rollout(server, gateway, "rollback")
            assert rolled_back.returncode == 0, rolled_back.stderr
            after = time.monotonic()
            time.sleep(2)
        assert {a.version for a in load.since(after)} == {1}
        assert load.failures() == []
        print(f"requests: {len(load.answers)}, failed: {len(load.failures())}")
    assert "versions: 2" not in managed.config_path.read_text()


def test_a_candidate_that_fails_to_load_is_refused_and_unloaded(managed: Managed) -> None:
    broken = managed.models / "2"
    broken.mkdir()
    (broken / "saved_model.pb").write_bytes(b"not a SavedModel")
    flags = [*managed_flags(managed.config_path, managed.models), "--max_num_load_retries=0"]
    before = managed.state_path.read_text()
    with running_model_server(None, *flags) as server:
        refused = managed.rollout(server, None, "canary", "2", "--percent", "10")
        assert refused.returncode == 2
        assert refused.stderr.startswith("error: version 2 failed to load: ")
        assert refused.stderr.count("\n") == 1, refused.stderr
        status = managed.rollout(server, None, "status")
    assert managed.state_path.read_text() == before
    assert "versions: 2" not in managed.config_path.read_text()
    assert "model server" in status.stdout and "1 AVAILABLE" in status.stdout, status.stdout


@pytest.fixture(scope="module")
def poor_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A linear model that has hardly learnt anything: it answers nearly at random."""
    run_dir = tmp_path_factory.mktemp("runs") / "poor"
    trained = run_module(
        "training",
        *("--model", "linear", "--epochs", "1", "--learning-rate", "0.000001"),
        *("--dataset", "subset", "--run-dir", str(run_dir), "--seed", "0"),
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    return run_dir


def test_the_guard_rolls_back_a_bad_candidate_by_itself(managed: Managed, poor_run: Path) -> None:
    published = export_cli(poor_run, managed.models, "--version", "2", "--force")
    assert published.returncode == 0, published.stderr[-2000:]
    with serving(managed) as (server, gateway), Load(gateway.url) as load:
        started = managed.rollout(server, gateway, "canary", "2", "--percent", "20")
        assert started.returncode == 0, started.stderr
        began = time.monotonic()
        watched = managed.rollout(
            server,
            gateway,
            *("watch", "--window", "10", "--interval", "1"),
            *("--min-requests", "20", "--min-comparisons", "20"),
        )
        took = time.monotonic() - began
        print(f"\nwatch: rolled back in {took:.1f} s\n{watched.stdout}")
        assert watched.returncode == 3, watched.stdout + watched.stderr
        after = time.monotonic()
        time.sleep(2)
    assert "rollback: version 2 (canary 20%): failed" in watched.stdout
    assert {a.version for a in load.since(after)} == {1}
    state = read_state(managed.state_path)
    assert state is not None and (state.stable, state.candidate) == (1, None)
    record = audit.last(managed.config_path.parent, audit.GUARD)
    assert record is not None and record["action"] == "rollback"
    assert record["figures"]["candidate"]["version"] == 2
    assert (managed.config_path.parent / AUDIT_FILE).exists()
