"""A rollout's gateway side against the real local model server: two versions labelled
`stable` and `canary`, the split by client, shadow copies compared, feedback, and a state
change applied by the running gateway."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract.rollout import RolloutState, goes_to_canary, write_state
from tests.fixtures.gateway import running_gateway
from tests.fixtures.images import encode, synthetic_digit
from tests.fixtures.servers import running_model_server

pytestmark = pytest.mark.integration

PNG = {"content-type": "image/png"}
CONFIG = """model_config_list {{ config {{
  name: "mnist" base_path: "{base}" model_platform: "tensorflow"
  model_version_policy {{ specific {{ versions: 1 versions: 2 }} }}
  version_labels {{ key: "stable" value: 1 }}
  version_labels {{ key: "canary" value: 2 }}
}} }}
"""


def figures_when(url: str, done: Any, timeout: float = 10.0) -> dict[str, Any]:
    """GET /v1/rollout until `done(body)` (shadow copies and re-reads happen after answers)."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = httpx.get(f"{url}/v1/rollout").json()
        if done(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def role(body: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(v for v in body["versions"] if v["role"] == name)
    return found


def test_split_shadow_feedback_and_a_state_change(published_model: Path, tmp_path: Path) -> None:
    base = tmp_path / "mnist"
    base.mkdir()
    for version in (1, 2):  # the same SavedModel as two versions: they must agree
        (base / str(version)).symlink_to(published_model / "1")
    config = tmp_path / "models.config"
    config.write_text(CONFIG.format(base=base))
    state_file = tmp_path / "rollout.json"
    write_state(state_file, RolloutState(1, 2, "canary", percent=50.0, generation=1))
    image = encode(synthetic_digit())
    clients = [f"kiosk-{i}" for i in range(24)]

    with (
        running_model_server(None, f"--model_config_file={config}") as server,
        running_gateway(server.grpc_target, rollout_state=str(state_file)) as gateway,
    ):
        answers = {
            c: httpx.post(
                f"{gateway.url}/predict", content=image, headers={**PNG, "x-client-id": c}
            )
            for c in clients
        }
        on_stable = [c for c in clients if not goes_to_canary(c, 50.0)]
        body = figures_when(
            gateway.url, lambda b: role(b, "canary")["shadow_compared"] >= len(on_stable)
        )
        first = answers[clients[0]].json()
        feedback = httpx.post(
            f"{gateway.url}/feedback",
            json={"request_id": first["request_id"], "digit": first["predictions"][0]["digit"]},
        )
        write_state(state_file, RolloutState(1, 2, "shadow", generation=2))
        after = figures_when(gateway.url, lambda b: b["generation"] == 2)
        shadowed = httpx.post(
            f"{gateway.url}/predict", content=image, headers={**PNG, "x-client-id": clients[0]}
        ).json()

    for c in clients:
        assert answers[c].status_code == 200, answers[c].text
        expected = (2, "canary") if goes_to_canary(c, 50.0) else (1, "stable")
        assert (answers[c].json()["model_version"], answers[c].json()["role"]) == expected
    assert 0 < len(on_stable) < len(clients)  # both sides of the split were exercised
    canary, stable = role(body, "canary"), role(body, "stable")
    assert (stable["requests"], stable["errors"], canary["errors"]) == (len(on_stable), 0, 0)
    # The canary answered its share and a copy of each of stable's; the same model agrees.
    assert canary["requests"] == len(clients)
    assert canary["shadow_compared"] == canary["shadow_agreed"] == len(on_stable)
    assert feedback.status_code == 200 and feedback.json()["correct"] is True
    assert after["state"]["mode"] == "shadow"
    assert (shadowed["model_version"], shadowed["role"]) == (1, "stable")
