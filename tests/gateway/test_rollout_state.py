"""The rollout state a worker applies (rollout_state.py): read at start, re-read when the file
changes, and the last good state kept when the file goes missing or bad."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path

import pytest

from contract.rollout import RolloutState, write_state
from serving.gateway.rollout_state import StateWatcher

FIRST = RolloutState(stable=1, candidate=2, mode="canary", percent=10.0, generation=3)


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_unmanaged_without_a_path(tmp_path: Path) -> None:
    watcher = StateWatcher("")
    assert not watcher.managed
    assert watcher.refresh() is None


def test_reads_the_state_and_rereads_it_after_a_change(state_file: Path) -> None:
    write_state(state_file, FIRST)
    watcher = StateWatcher(str(state_file))
    assert watcher.refresh() == FIRST

    write_state(state_file, FIRST.next(percent=50.0))
    state = watcher.refresh()
    assert state is not None
    assert (state.percent, state.generation) == (50.0, 4)


def test_an_unchanged_file_is_not_read_again(state_file: Path) -> None:
    write_state(state_file, FIRST)
    watcher = StateWatcher(str(state_file))
    watcher.refresh()
    # Same inode, size and mtime, different text: only a stat() happens, so not seen.
    stat = state_file.stat()
    state_file.write_text(FIRST.to_json().replace('"percent": 10.0', '"percent": 20.0'))
    os.utime(state_file, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert watcher.refresh() == FIRST


@pytest.mark.parametrize("bad", ["{not json", '{"stable": 1, "mode": "canary"}', ""])
def test_a_corrupt_file_keeps_the_last_good_state_and_is_logged_once(
    state_file: Path, bad: str, caplog: pytest.LogCaptureFixture
) -> None:
    write_state(state_file, FIRST)
    watcher = StateWatcher(str(state_file))
    watcher.refresh()
    caplog.set_level(logging.WARNING, "serving.gateway.rollout")

    state_file.write_text(bad)
    assert watcher.refresh() == FIRST
    os.utime(state_file, ns=(1, 1))  # touched again, still bad: no second line
    assert watcher.refresh() == FIRST
    assert len(warnings(caplog)) == 1
    assert "generation 3" in caplog.text  # what stays applied

    mended = FIRST.next(percent=20.0)
    write_state(state_file, mended)
    assert watcher.refresh() == mended


def test_a_missing_file_keeps_the_last_good_state(
    state_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write_state(state_file, FIRST)
    watcher = StateWatcher(str(state_file))
    watcher.refresh()
    caplog.set_level(logging.WARNING, "serving.gateway.rollout")
    state_file.unlink()
    assert watcher.refresh() == FIRST
    assert watcher.refresh() == FIRST
    assert len(warnings(caplog)) == 1 and "missing" in caplog.text


def test_no_file_at_start_is_unmanaged_until_one_appears(state_file: Path) -> None:
    watcher = StateWatcher(str(state_file))
    assert watcher.refresh() is None
    write_state(state_file, FIRST)
    assert watcher.refresh() == FIRST


def test_the_poller_applies_a_change_without_being_asked(state_file: Path) -> None:
    write_state(state_file, FIRST)
    applied: list[int] = []

    async def scenario() -> RolloutState | None:
        watcher = StateWatcher(str(state_file), on_change=lambda s: applied.append(s.generation))
        watcher.start(interval=0.01)
        write_state(state_file, FIRST.next(mode="canary", percent=30.0))
        for _ in range(500):  # until the poller has seen it, bounded
            if watcher.state is not None and watcher.state.generation == 4:
                break
            await asyncio.sleep(0.01)
        await watcher.stop()
        return watcher.state

    state = asyncio.run(scenario())
    assert state is not None and state.percent == 30.0
    assert applied == [3, 4]
