"""The reader: an uploaded image to the digits it shows, and the judge of the model's answer.

TF-free (numpy, Pillow, SciPy), imported by the gateway, the clients, training (its
non-digit examples) and the benchmarks. The path of an upload:

- `reader.preprocessing`: decode within the limits (errors: `reader.image_errors`), and the
  single-digit `preprocess`;
- `reader.page`: polarity, lighting, paper lines and noise taken out, the ink's mask and its
  components (`reader.components`, `reader.filters`);
- `reader.grouping`: which components make a digit, or the digits of a number;
- `reader.digit_field`: a digit's ink as a 28×28 MNIST field;
- `reader.reading`: an upload read as its digits, left to right, each with its field, its box
  and its shape (`read(data) -> Reading`);
- `reader.likeness`: how far a field lies from the shapes MNIST digits take;
- `reader.judge`: a Reading and the model's outputs to an answer (digit, uncertain, number,
  not_a_digit) by the answering version's own calibration (`Calibration`, chosen at export),
  `judge_all` for several uploads of one batch;
- `reader.styles`: uploads rendered in the styles people send, for the reader's evaluation
  (benchmarks, tests, sample files); never training data.
"""
