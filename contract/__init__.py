"""The contract between the pipeline's stages, in one place and without TensorFlow.

Every stage imports it and none restates it:

- `contract.model`: the model name, signatures, tensor names, shapes and class count;
- `contract.ports`: the ports of TF Serving and the gateway;
- `contract.run_dir`: the files a training run leaves for the export;
- `contract.versions`: what counts as a version in a model base path;
- `contract.digits`: real MNIST digits for samples and benchmarks, and the IDX file format;
- `contract.project`: the project's name and version, recorded with every run and version;
- `contract.rollout`: the rollout state (stable, candidate, split) that the rollout commands
  write and every gateway reads, and the gateway's figures per version that the guard reads.

`model`, `ports`, `project`, `rollout`, `run_dir` and `versions` use the standard library only (the
demo's `stop` runs without the venv); `digits` needs numpy. Reading uploads is the reader's
job (the `reader` package), not the contract's.
"""
