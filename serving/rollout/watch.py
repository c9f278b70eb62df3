"""`watch`: the guard's loop. Every few seconds it reads the gateways' figures since the
current step settled, judges them (guard.py) and acts: rolls back at once on a failed rule,
raises the canary to the next step once a step has held a whole window, promotes after the
last step. Each decision is printed on one line and appended to the audit log.

The first seconds of a step are not judged: a freshly loaded version answers its first
calls of each batch size slowly (TensorFlow builds their kernels), which would fail the p99
rule of an identical copy of stable (measured: 205 ms against 35 ms in the first 4 s)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from contract.rollout import CANARY, RolloutState, VersionFigures
from serving.rollout import audit, guard
from serving.rollout.errors import RolloutError
from serving.rollout.figures import combined
from serving.rollout.operations import Rollout

PROMOTED, ROLLED_BACK = 0, 3  # exit codes


@dataclass
class Watch:
    rollout: Rollout
    steps: list[float]
    window_seconds: float
    thresholds: guard.Thresholds
    interval_seconds: float = 0.0  # 0: a fifth of the window, between 0.5 and 5 s
    settle_seconds: float = 5.0  # the start of each step, not judged
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    say: Callable[[str], None] = field(default=print)

    def run(self) -> int:
        """Watches until it promotes (0) or rolls back (3)."""
        state = self.rollout.state()
        if state.candidate is None:
            raise RolloutError(
                "there is no candidate to watch: start one with `canary N --percent P`"
            )
        interval = self.interval_seconds or min(5.0, max(0.5, self.window_seconds / 5))
        steps = ",".join(f"{s:g}" for s in self.steps)
        self.say(
            f"guard: version {state.candidate} ({_share(state)}) against stable {state.stable}; "
            f"steps {steps}%, window {self.window_seconds:g} s after {self.settle_seconds:g} s "
            "of settling"
        )
        candidate, step_started = state.candidate, self.clock()
        while True:
            self.sleep(interval)
            state = self.rollout.state()
            if state.candidate != candidate:
                raise RolloutError(
                    f"the candidate changed under the guard (version {candidate} is no longer "
                    "the candidate); stopped"
                )
            held = self.clock() - step_started - self.settle_seconds
            if held < min(interval, 1.0):
                continue  # settling: nothing to judge yet
            verdict, figures = self._judge(state, min(held, self.window_seconds))
            action = guard.act(verdict, held, self.window_seconds)
            after = guard.next_percent(state.percent if state.mode == CANARY else 0.0, self.steps)
            if action == "advance" and after is None:
                action = "promote"
            reason = _reason(action, verdict, held, self.window_seconds, after)
            self.say(f"{action}: version {candidate} ({_share(state)}): {reason}")
            details = {"reason": reason, "checks": [asdict(c) for c in verdict.checks], **figures}
            if action == "rollback":
                self.rollout.rollback(by=audit.GUARD, **details)
                return ROLLED_BACK
            if action == "promote":
                self.rollout.promote(by=audit.GUARD, **details)
                return PROMOTED
            if action == "advance":
                assert after is not None
                self.rollout.set_percent(after, **details)
                step_started = self.clock()
                continue
            audit.append(self.rollout.config_dir, audit.GUARD, action, **_where(state), **details)

    def _judge(self, state: RolloutState, window: float) -> tuple[guard.Verdict, dict[str, object]]:
        answers = self.rollout.gateways.figures(window)
        reachable = [answer for answer in answers.values() if answer is not None]
        if not reachable:
            names = ", ".join(answers)
            check = guard.Check("gateways", None, f"waiting for traffic: no answer from {names}")
            return guard.Verdict("wait", [check]), {}
        stable, candidate = guard.pick(combined(reachable), state)
        verdict = guard.judge(stable, candidate, self.thresholds)
        return verdict, {"window_seconds": round(window, 3), "figures": _figures(stable, candidate)}


def _share(state: RolloutState) -> str:
    return f"canary {state.percent:g}%" if state.mode == CANARY else f"{state.mode}"


def _where(state: RolloutState) -> dict[str, object]:
    where = {"stable": state.stable, "candidate": state.candidate, "percent": state.percent}
    return {**where, "generation": state.generation}


def _figures(stable: VersionFigures, candidate: VersionFigures) -> dict[str, object]:
    return {"stable": asdict(stable), "candidate": asdict(candidate)}


def _reason(
    action: str, verdict: guard.Verdict, held: float, window: float, after: float | None
) -> str:
    summary = verdict.summary()
    if action == "rollback":
        failed = "; ".join(f"{c.rule} {c.detail}" for c in verdict.failed())
        return f"failed {failed} | {summary}"
    if action == "wait":
        return f"waiting for traffic ({held:.0f} s into the step) | {summary}"
    if action == "hold":
        return f"holding, {held:.0f} of {window:g} s | {summary}"
    target = "promote" if after is None else f"canary {after:g}%"
    return f"held {held:.0f} s, next {target} | {summary}"
