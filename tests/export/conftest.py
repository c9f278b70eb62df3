"""The export tests publish in process too: their calibration renders few digits."""

from collections.abc import Iterator
from pathlib import Path

import pytest

import export.publish
from export.calibration import Calibrated
from export.run import HeldOut
from tests.fixtures.models import CALIBRATION_DIGITS


@pytest.fixture(autouse=True)
def quick_calibration(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    calibrate = export.publish.calibrate

    def quick(saved_model_dir: Path, data: HeldOut, per_style: int) -> Calibrated:
        return calibrate(saved_model_dir, data, min(per_style, CALIBRATION_DIGITS))

    monkeypatch.setattr(export.publish, "calibrate", quick)
    yield
