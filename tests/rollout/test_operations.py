"""The rollout's steps against fakes that journal what they were asked: the order that lets
no request fail, the files written, and the refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from contract.rollout import AUDIT_FILE, STATE_FILE, RolloutState, read_state
from serving.rollout import audit, config
from serving.rollout.errors import RolloutError
from serving.rollout.operations import Rollout
from tests.rollout.fakes import FakeGateways, FakeModelServer


def applied(rollout: Rollout) -> tuple[list[int], dict[str, int]]:
    """What the config file says is served."""
    (model,) = config.read(rollout.config_path).model_config_list.config
    return list(model.model_version_policy.specific.versions), dict(model.version_labels)


def server(rollout: Rollout) -> FakeModelServer:
    assert isinstance(rollout.server, FakeModelServer)
    return rollout.server


def gateways(rollout: Rollout) -> FakeGateways:
    assert isinstance(rollout.gateways, FakeGateways)
    return rollout.gateways


def test_init_writes_the_config_and_state_once(rollout: Rollout, models: Path) -> None:
    assert applied(rollout) == ([1], {"stable": 1})
    state = read_state(rollout.state_path)
    assert state is not None and (state.stable, state.candidate, state.generation) == (1, None, 1)
    before = rollout.state_path.read_text(), rollout.config_path.read_text()
    rollout.init()  # version 2 is published now; nothing changes
    assert (rollout.state_path.read_text(), rollout.config_path.read_text()) == before


def test_init_serves_the_newest_published_or_1(tmp_path: Path, models: Path) -> None:
    (models / "7").mkdir()
    fresh = Rollout(tmp_path / "a" / "models.config", models, server=None, gateways=None)  # type: ignore[arg-type]
    fresh.say = lambda _: None
    assert fresh.init().stable == 7
    empty = Rollout(tmp_path / "b" / "models.config", tmp_path / "none", None, None)  # type: ignore[arg-type]
    empty.say = lambda _: None
    assert empty.init().stable == 1


def test_canary_loads_then_labels_then_splits(rollout: Rollout, journal: list[str]) -> None:
    state = rollout.canary(2, 20)
    assert journal == [
        "reload [1, 2] [('stable', 1)]",  # loaded beside stable, no traffic yet
        "reload [1, 2] [('canary', 2), ('stable', 1)]",  # AVAILABLE: labelled
    ]
    assert (state.stable, state.candidate, state.mode, state.percent) == (1, 2, "canary", 20)
    assert read_state(rollout.state_path) == state
    assert applied(rollout) == ([1, 2], {"stable": 1, "canary": 2})


def test_shadow_gets_the_canary_label_and_no_share(rollout: Rollout) -> None:
    state = rollout.shadow(2)
    assert (state.mode, state.percent) == ("shadow", 0.0)
    assert server(rollout).labels == {"stable": 1, "canary": 2}
    again = rollout.canary(2, 10)  # a shadow may become the canary: nothing to load again
    assert (again.mode, again.percent, again.generation) == ("canary", 10.0, state.generation + 1)


def test_promote_moves_both_labels_waits_for_the_gateways_then_unloads(
    rollout: Rollout, journal: list[str]
) -> None:
    rollout.canary(2, 20)
    journal.clear()
    state = rollout.promote()
    assert journal == [
        "reload [1, 2] [('canary', 2), ('stable', 2)]",
        f"gateways at generation {state.generation}",
        "reload [2] [('stable', 2)]",
    ]
    assert (state.stable, state.candidate, state.mode) == (2, None, None)
    assert applied(rollout) == ([2], {"stable": 2})
    assert server(rollout).held[1].state == "END"


def test_rollback_stops_the_traffic_first_then_unloads(
    rollout: Rollout, journal: list[str]
) -> None:
    rollout.canary(2, 20)
    journal.clear()
    state = rollout.rollback()
    assert journal == [f"gateways at generation {state.generation}", "reload [1] [('stable', 1)]"]
    assert (state.stable, state.candidate) == (1, None)
    assert applied(rollout) == ([1], {"stable": 1})


def test_an_unreachable_gateway_is_a_warning_not_a_stop(
    rollout: Rollout, capsys: pytest.CaptureFixture[str]
) -> None:
    rollout.canary(2, 20)
    gateways(rollout).reachable = False
    state = rollout.rollback()
    assert state.candidate is None
    warning = capsys.readouterr().err
    assert (
        f"gateway http://gateway did not confirm rollout generation {state.generation}" in warning
    )


def test_a_candidate_that_fails_to_load_is_backed_out(rollout: Rollout, journal: list[str]) -> None:
    server(rollout).failing[2] = "saved_model.pb is corrupt"  # GetModelStatus: END, this error
    with pytest.raises(RolloutError, match=r"version 2 failed to load: saved_model\.pb is corrupt"):
        rollout.canary(2, 20)
    assert journal[-1] == "reload [1] [('stable', 1)]"
    assert applied(rollout) == ([1], {"stable": 1})
    assert rollout.state() == read_state(rollout.state_path)
    assert rollout.state().candidate is None


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.canary(9, 10), "version 9 is not on disk in"),
        (lambda r: r.canary(1, 10), "version 1 is already stable"),
        (lambda r: r.canary(2, 101), "--percent 101 is outside 0..100"),
        (lambda r: r.canary(2, -1), "--percent -1 is outside 0..100"),
        (lambda r: r.promote(), "there is no candidate to promote"),
        (lambda r: r.rollback(), "there is no candidate to roll back"),
    ],
)
def test_bad_requests_are_refused_and_change_nothing(
    rollout: Rollout, journal: list[str], call, message: str
) -> None:  # type: ignore[no-untyped-def]
    before = rollout.state_path.read_text()
    with pytest.raises(RolloutError, match=message):
        call(rollout)
    assert journal == []
    assert rollout.state_path.read_text() == before


def test_a_second_candidate_is_refused_while_one_runs(rollout: Rollout, models: Path) -> None:
    rollout.shadow(2)
    (models / "3").mkdir()
    with pytest.raises(RolloutError, match="version 2 is already the shadow: promote or roll"):
        rollout.canary(3, 10)
    rollout.canary(2, 10)
    with pytest.raises(RolloutError, match="already takes traffic as the canary"):
        rollout.shadow(2)


def test_every_change_is_audited(rollout: Rollout) -> None:
    rollout.canary(2, 20)
    rollout.rollback()
    actions = [(r["by"], r["action"], r["candidate"]) for r in audit.records(rollout.config_dir)]
    assert actions == [("operator", "canary", 2), ("operator", "rollback", 2)]
    assert (rollout.config_dir / AUDIT_FILE).exists()


def test_no_state_is_a_clear_error(tmp_path: Path, models: Path) -> None:
    bare = Rollout(tmp_path / "models.config", models, None, None)  # type: ignore[arg-type]
    with pytest.raises(RolloutError, match=f"no rollout state at {tmp_path / STATE_FILE}"):
        bare.state()


def test_the_state_round_trips(rollout: Rollout) -> None:
    state = rollout.canary(2, 12.5)
    assert RolloutState.from_json(rollout.state_path.read_text()) == state
