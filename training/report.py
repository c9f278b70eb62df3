"""Evaluation of a trained model: accuracy, per-class precision and recall, confusion matrix.

The figures go to evaluation.json; the confusion matrix and a grid of misclassified digits
are also drawn with matplotlib (Agg backend, no display needed) for the PNG file and for
TensorBoard.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: servers and CI have no display

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from contract.model import NUM_CLASSES

MISCLASSIFIED_GRID = (4, 8)  # rows, columns of the misclassified-digits figure


@dataclass(frozen=True)
class Evaluation:
    """Predictions of a model on one labelled split, and what that split was."""

    labels: np.ndarray  # int64 [N]
    predictions: np.ndarray  # int64 [N]
    split: str  # "validation" | "test"
    description: str

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.labels == self.predictions)) if len(self.labels) else 0.0

    @property
    def confusion(self) -> np.ndarray:
        """[true digit, predicted digit] -> count."""
        matrix = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
        np.add.at(matrix, (self.labels, self.predictions), 1)
        return matrix

    def per_class(self) -> list[dict[str, Any]]:
        matrix = self.confusion
        correct = np.diag(matrix)
        predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
        return [
            {
                "digit": digit,
                "precision": _ratio(correct[digit], predicted[digit]),
                "recall": _ratio(correct[digit], actual[digit]),
                "support": int(actual[digit]),
            }
            for digit in range(NUM_CLASSES)
        ]

    def to_json(self) -> dict[str, Any]:
        """The evaluation.json document of the run-directory contract."""
        return {
            "accuracy": self.accuracy,
            "measured_on": {
                "split": self.split,
                "description": self.description,
                "size": len(self.labels),
            },
            "per_class": self.per_class(),
            "confusion_matrix": self.confusion.tolist(),
        }


def _ratio(numerator: int, denominator: int) -> float:
    return float(numerator / denominator) if denominator else 0.0


def confusion_figure(evaluation: Evaluation) -> Figure:
    """The confusion matrix as a heat map with the counts written in the cells."""
    matrix = evaluation.confusion
    figure, axes = plt.subplots(figsize=(6.4, 5.6), dpi=100)
    image = axes.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=axes)
    threshold = matrix.max() / 2
    for (true, predicted), count in np.ndenumerate(matrix):
        color = "white" if count > threshold else "black"
        axes.text(predicted, true, str(count), ha="center", va="center", color=color, fontsize=8)
    axes.set(
        xticks=range(NUM_CLASSES),
        yticks=range(NUM_CLASSES),
        xlabel="predicted digit",
        ylabel="true digit",
        title=f"{evaluation.split}: accuracy {evaluation.accuracy:.2%}",
    )
    figure.tight_layout()
    return figure


def misclassified_figure(evaluation: Evaluation, images: np.ndarray) -> Figure:
    """A grid of the first misclassified digits, each titled 'true → predicted'."""
    wrong = np.flatnonzero(evaluation.labels != evaluation.predictions)
    rows, columns = MISCLASSIFIED_GRID
    figure, grid = plt.subplots(rows, columns, figsize=(columns * 1.2, rows * 1.4), dpi=100)
    shown = wrong[: rows * columns]
    for position, axes in enumerate(grid.flat):
        axes.axis("off")
        if position < len(shown):
            index = shown[position]
            axes.imshow(images[index], cmap="gray", vmin=0, vmax=255)
            true, predicted = evaluation.labels[index], evaluation.predictions[index]
            axes.set_title(f"{true} → {predicted}", fontsize=9, color="firebrick")
    figure.suptitle(f"misclassified: {len(wrong)} of {len(evaluation.labels)}", fontsize=10)
    figure.tight_layout()
    return figure


def figure_png(figure: Figure) -> bytes:
    """Render a figure to PNG bytes and release it."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
