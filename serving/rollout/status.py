"""`status`: what is on disk, what the model server holds, the labels, the roles, the split,
and the guard's last decision."""

from __future__ import annotations

from serving.rollout import audit, config
from serving.rollout.errors import RolloutError
from serving.rollout.operations import Rollout


def report(rollout: Rollout) -> list[str]:
    state = rollout.state()
    lines = [f"published on disk ({rollout.model_base_path}): {_listed(rollout.published())}"]
    try:
        held = rollout.server.states()
        shown = [f"{v} {s.state}" + (f" ({s.error})" if s.error else "") for v, s in held.items()]
        lines.append(f"model server {rollout.server.target}: {', '.join(shown) or 'none held'}")
    except RolloutError as exc:
        lines.append(f"model server: {exc}")
    labels = _labels(rollout)
    lines.append(f"labels (as last applied, {rollout.config_path}): {labels}")
    roles = [f"{state.stable} stable"]
    if state.candidate is not None:
        roles.append(f"{state.candidate} {state.mode}")
    lines.append(f"roles: {', '.join(roles)}")
    lines.append(f"split: {_split(state.percent, state.mode)} (generation {state.generation})")
    lines.append(f"guard's last decision: {_last_decision(rollout)}")
    return lines


def _listed(versions: list[int]) -> str:
    return ", ".join(map(str, versions)) or "none"


def _labels(rollout: Rollout) -> str:
    # TF Serving has no call listing labels: the live config is what was applied last.
    try:
        models = config.read(rollout.config_path).model_config_list.config
    except config.ConfigFileError as exc:
        return str(exc)
    pairs = [f"{k} → {v}" for model in models for k, v in sorted(model.version_labels.items())]
    return ", ".join(pairs) or "none"


def _split(percent: float, mode: str | None) -> str:
    if mode is None:
        return "100% stable"
    if mode == "shadow":
        return "100% stable, copies to the shadow"
    return f"{100 - percent:g}% stable, {percent:g}% canary"


def _last_decision(rollout: Rollout) -> str:
    record = audit.last(rollout.config_dir, audit.GUARD)
    if record is None:
        return "none yet"
    return f"{record['time']} {record['action']}: {record.get('reason', '')}".rstrip(": ")
