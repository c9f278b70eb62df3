"""The files a training run writes into its run directory, which the export reads."""

MODEL_FILE = "model.keras"  # the trained Keras model
EVALUATION_FILE = "evaluation.json"  # accuracy, per-class figures, confusion matrix
RUN_FILE = "run.json"  # model, data, parameters; written last, so it marks a finished run
CONFUSION_MATRIX_FILE = "confusion_matrix.png"
LOGS_DIR = "logs"  # TensorBoard
