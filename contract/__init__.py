"""The contract between the pipeline's stages, in one place and without TensorFlow.

Every stage imports it and none restates it:

- `contract.model`: the model name, signatures, tensor names, shapes and class count;
- `contract.ports`: the ports of TF Serving and the gateway;
- `contract.run_dir`: the files a training run leaves for the export;
- `contract.versions`: what counts as a version in a model base path;
- `contract.preprocessing`: an uploaded image to the model's input, the way MNIST was made,
  and its errors (`ImageError` and below, defined in `contract.image_errors`); its steps:
  `contract.page` (lighting, lines, noise, the ink's mask and components, with
  `contract.components` and `contract.filters`), `contract.grouping` (which components make
  the digit, or the digits of a number) and `contract.digit_field` (the 28×28 field);
- `contract.reading`: an upload read as the digits it shows, left to right, each with its
  model input, its box in the upload and its shape (`read(data) -> Reading`);
- `contract.answers`: the judge, a Reading and the model's probabilities to an answer with a
  status: digit, uncertain, not_a_digit or number (`judge(reading, probabilities, scores)`,
  `judge_all` for several uploads in one batch);
- `contract.likeness`: how far a field lies from the shapes MNIST digits take;
- `contract.digits`: real MNIST digits for samples and benchmarks, and the IDX file format;
- `contract.project`: the project's name and version, recorded with every run and version;
- `contract.rollout`: the rollout state (stable, candidate, split) that the rollout commands
  write and every gateway reads, and the gateway's figures per version that the guard reads.

`model`, `ports`, `project`, `rollout`, `run_dir` and `versions` use the standard library only (the
demo's `stop` runs without the venv); the image modules and `digits` need numpy and Pillow,
which the base install has.
"""
