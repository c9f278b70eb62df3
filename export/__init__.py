"""The export stage: a training run becomes a published model version.

`python -m export` loads the run's Keras model (`run.py`), writes a SavedModel with the
contract's two signatures (`signatures.py`), measures it against the published versions on
the run's held-out digits (`gate.py`), adds TF Serving warmup records (`warmup.py`) and
metadata (`metadata.py`), and renames it into the next integer version folder of the model
base path in one atomic step (`publish.py`). `python -m export --list` prints the published
versions without importing TensorFlow (`listing.py`). Its exceptions are in `errors.py`.
"""
