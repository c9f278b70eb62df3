"""The served model's interface: its name, signatures and tensors (DESIGN.md, "Contracts")."""

MODEL_NAME = "mnist"

IMAGE_SIDE = 28  # MNIST's images are 28×28, one grey channel
NUM_CLASSES = 10  # the digits 0..9

# serving_default: images float32 [-1, 28, 28, 1] in 0..1, white digit on black
#                  -> probabilities float32 [-1, 10], classes int64 [-1],
#                     digit_score float32 [-1]: how much the input looks like a digit at all,
#                     0..1 (learned from marks that are no digit; versions exported before
#                     it lack it, and the gateway then judges without it),
#                     min_digit_score float32 [-1], min_margin float32 [-1]: the version's
#                     calibration, the same two numbers on every row, chosen when it was
#                     exported (export/calibration.py): a digit_score under min_digit_score
#                     is no digit, a top probability less than min_margin above the
#                     runner-up is uncertain (versions exported before them lack both, and
#                     are judged with reader.judge.DEFAULT_CALIBRATION)
SERVING_DEFAULT = "serving_default"
INPUT_NAME = "images"
PROBABILITIES = "probabilities"
CLASSES = "classes"
DIGIT_SCORE = "digit_score"
CALIBRATION_MIN_DIGIT_SCORE = "min_digit_score"
CALIBRATION_MIN_MARGIN = "min_margin"
IMAGE_SHAPE = (-1, IMAGE_SIDE, IMAGE_SIDE, 1)

# predict_images: images float32 [-1, 784] -> scores float32 [-1, 10], the tensor contract of
# TF Serving's own MNIST example client.
PREDICT_IMAGES = "predict_images"
SCORES = "scores"
FLAT_IMAGE_SHAPE = (-1, IMAGE_SIDE * IMAGE_SIDE)
