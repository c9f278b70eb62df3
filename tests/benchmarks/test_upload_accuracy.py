"""The upload benchmark's command line and its goal arithmetic (the measuring itself needs the
official test set and a model: the benchmark is run by hand, see its docstring)."""

from __future__ import annotations

from pathlib import Path

from benchmarks.upload_accuracy import Task, answer_text, chunk_rng, goal_rows, run_task
from contract.digits import load_bundled
from reader.judge import DIGIT, NOT_A_DIGIT, NUMBER, UNCERTAIN, Answer, DigitAnswer
from reader.styles import NUMBER_STYLES
from tests.fixtures.cli import assert_one_line_error, run_cli


def test_a_missing_model_is_one_line(tmp_path: Path) -> None:
    run = run_cli("benchmarks.upload_accuracy", "--model-dir", str(tmp_path))
    assert_one_line_error(run, 1, f"no SavedModel in --model-dir {tmp_path}")
    assert not run.imported_tensorflow


def test_an_unknown_style_is_refused() -> None:
    run = run_cli("benchmarks.upload_accuracy", "--model-dir", "m", "--styles", "plain,fax")
    assert run.code == 2 and "unknown --styles fax" in run.stderr_lines[-1]


def test_a_task_renders_the_same_files_whatever_runs_it() -> None:
    digits = load_bundled().images[:6]
    first = run_task(Task("phone", 3, digits, files=True, inputs=True, reads=False))
    again = run_task(Task("phone", 3, digits, files=True, inputs=False, reads=False))
    assert first.files == again.files and first.files is not None and len(first.files) == 6
    assert first.inputs is not None and first.inputs.shape == (6, 28, 28)
    other = run_task(Task("phone", 4, digits, files=True, inputs=False, reads=False))
    assert other.files != first.files  # each chunk its own generator
    numbers = digits.reshape(3, 2, 28, 28)
    made = run_task(Task(NUMBER_STYLES[0], 0, numbers, files=True, inputs=False, reads=False))
    assert made.files is not None and len(made.files) == 3
    assert chunk_rng("scribble", 1).random() == chunk_rng("scribble", 1).random()


def test_another_draw_renders_other_files_of_the_same_digits() -> None:
    digits = load_bundled().images[:4]
    published = run_task(Task("pen_thin", 0, digits, files=True, inputs=False, reads=False))
    drawn = run_task(Task("pen_thin", 0, digits, True, False, False, draw=1))
    again = run_task(Task("pen_thin", 0, digits, True, False, False, draw=1))
    assert drawn.files == again.files
    assert drawn.files is not None and published.files is not None
    assert all(a != b for a, b in zip(drawn.files, published.files, strict=True))


def answer(status: str, *digits: int) -> Answer:
    read = (DigitAnswer(DIGIT, d, 0.9, ((d, 0.9), (0, 0.1)), (0, 0, 1, 1), ()) for d in digits)
    return Answer(status, tuple(read))


def test_answers_are_compared_as_the_digits_they_give() -> None:
    assert answer_text(answer(DIGIT, 7)) == "7"
    assert answer_text(answer(UNCERTAIN, 4)) == "4"  # the most likely, as shown
    assert answer_text(answer(NUMBER, 2, 0, 2, 6)) == "2026"
    assert answer_text(answer(NOT_A_DIGIT, 1)) is None
    assert answer_text(None) is None  # refused, e.g. a blank upload


def style(accuracy: float, delta: float, flagged: float = 0.0) -> dict[str, float]:
    return {"accuracy": accuracy, "delta_points": delta, "flagged": flagged}


def test_goals_name_the_worst_style_and_the_missed_ones() -> None:
    styles = {"plain": style(0.99, 0.0), "phone": style(0.985, -0.5), "lined": style(0.97, -2.0)}
    (row,) = goal_rows(styles, {}, {})
    assert not row["met"] and row["measured"] == "worst lined -2.00"
    styles["lined"] = style(0.981, -0.9)
    assert goal_rows(styles, {}, {})[0]["met"]


def test_number_and_non_digit_goals() -> None:
    styles = {"plain": style(0.99, 0.0, flagged=0.004), "phone": style(0.985, -0.5, 0.012)}
    numbers = {
        "number_paper": {4: {"read_right": 0.97}},
        "number_photo": {4: {"read_right": 0.94}},
    }
    non_digits = {"scribble": {"flagged": 0.95}, "noise": {"flagged": 0.9}}
    rows = {row["goal"]: row for row in goal_rows(styles, numbers, non_digits)}
    assert not rows["4-digit numbers read right ≥ 95%"]["met"]  # the worst style counts
    assert rows["non-digits flagged ≥ 90%"]["met"]  # 92.5% over the kinds
    digits_flagged = rows["real digits flagged < 1%"]  # over all styles: (0.4% + 1.2%) / 2
    assert digits_flagged["met"] and digits_flagged["measured"] == "0.80% (all styles)"
    styles["phone"]["flagged"] = 0.02
    assert not goal_rows(styles, numbers, non_digits)[-1]["met"]
