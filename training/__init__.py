"""The training stage: MNIST in, a trained Keras model and its report out, in a run directory.

`python -m training` (`cli.py`) loads MNIST from one of its sources (`data.py`), builds one
of the workshop's three models (`models.py`: linear, MLP, CNN), fits it (on the digits,
drawn anew each epoch by `augment.py`; damaged digits as the reader reads them,
`corrupt.py`; and marks that are no digit, `non_digits.py`) with TensorBoard
logs (`train.py`, `summaries.py`) and writes the evaluation on the held-out validation
split (`report.py`) beside `model.keras` and `run.json`; the export stage takes it from
there.
"""
