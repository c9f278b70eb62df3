"""The reader gives today what it gave when tests/reader/data/reader_parity.npz was recorded
(tests/reader/parity.py): the same masks and soft ink bit for bit, the same components, and
the same fields, boxes and Shape features.

Recorded before scipy.ndimage replaced the hand-written filters and connected components:
that rewrite is held to exact equality (the filters are order statistics and the components
a labelling, so nothing is summed in a new order)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.reader.parity import FIXTURE, outputs


@pytest.fixture(scope="module")
def recorded() -> dict[str, np.ndarray]:
    with np.load(FIXTURE, allow_pickle=False) as npz:
        return dict(npz)


@pytest.fixture(scope="module")
def today() -> dict[str, np.ndarray]:
    return outputs()


def test_the_renders_are_those_recorded(recorded, today):
    # Else reader/styles.py changed its renders: record again from the reader before the change.
    assert list(today["names"]) == list(recorded["names"])
    assert list(today["sources"]) == list(recorded["sources"])


@pytest.mark.parametrize(
    "key", ["errors", "masks", "inks", "pages", "whole", "component_owner", "components"]
)
def test_the_pages_are_unchanged(recorded, today, key):
    differ = mismatches(recorded, today, key, "names")
    assert not differ, f"{key} changed for {len(differ)} renders: {differ[:5]}"


@pytest.mark.parametrize("key", ["readings", "digit_owner", "fields", "boxes", "shapes"])
def test_the_readings_are_unchanged(recorded, today, key):
    differ = mismatches(recorded, today, key, "names")
    assert not differ, f"{key} changed for {len(differ)} renders: {differ[:5]}"


def mismatches(
    recorded: dict[str, np.ndarray], today: dict[str, np.ndarray], key: str, names: str
) -> list[str]:
    """The renders whose `key` rows differ (all of them, named, when the row counts do)."""
    before, after = recorded[key], today[key]
    if before.shape != after.shape:
        return [f"{before.shape} rows recorded, {after.shape} today"]
    owners = {"components": "component_owner", "fields": "digit_owner"}
    owners |= {"boxes": "digit_owner", "shapes": "digit_owner"}
    rows = np.arange(len(before))
    if key in owners:
        rows = recorded[owners[key]]
    flat_before = before.reshape(len(before), -1)
    flat_after = after.reshape(len(after), -1)
    if before.dtype.kind in "US":
        same = flat_before[:, 0] == flat_after[:, 0]
    else:
        same = np.all(flat_before == flat_after, axis=1)
    return sorted({str(recorded[names][row]) for row in rows[~same]})
