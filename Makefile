# The project's commands. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODEL_BASE_PATH ?= models/mnist
RUN_DIR ?= runs/cnn
TENSORBOARD_PORT ?= 6006

.PHONY: setup demo stop test check bench tensorboard protos system-deps container-deps \
	compose-smoke clean

setup: $(STAMP)

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[tf,dev]'
	touch $(STAMP)

# Debian packages that some tests need (chromium for the browser test, prometheus for
# promtool, which checks the dashboard's PromQL); run as root, as CI does.
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium prometheus

# A container engine for the compose smoke run (run as root, as CI does): podman with runc,
# the CNI dnsname plugin (without it, compose services cannot resolve each other's names)
# and debootstrap (the stand-in base image where registries are unreachable); podman's
# settings for a systemd-less machine unless it has its own, and Docker Hub for short image
# names. podman-compose is in the venv.
container-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman runc \
		golang-github-containernetworking-plugin-dnsname debootstrap
	test -e /etc/containers/containers.conf || \
		install -D -m 644 deploy/podman/containers.conf /etc/containers/containers.conf
	install -D -m 644 deploy/podman/registries.conf \
		/etc/containers/registries.conf.d/50-mnist-serving-docker-hub.conf

# Train and publish only when no version is published; serve in the background; try it.
demo: setup
	MODEL_BASE_PATH=$(MODEL_BASE_PATH) RUN_DIR=$(RUN_DIR) $(PY) scripts/demo.py start

# Stop the demo's services by the process ids recorded in .run/ (standard library only).
stop:
	$(PYTHON) scripts/demo.py stop

# End-to-end benchmark: writes .run/bench/end_to_end.{json,png}
# (`--output benchmarks/results/end_to_end` updates the published figures).
bench: setup
	MODEL_BASE_PATH=$(MODEL_BASE_PATH) RUN_DIR=$(RUN_DIR) $(PY) scripts/demo.py publish
	$(PY) -m benchmarks.end_to_end --model-base-path $(MODEL_BASE_PATH)

# TensorBoard on every run under runs/ (their logs/), with the venv's TensorBoard.
tensorboard: setup
	$(PY) scripts/tensorboard_runs.py --logdir runs --port $(TENSORBOARD_PORT)

test: setup
	$(PY) -m pytest

# docker-compose.yml for real: build, up, predict, publish and roll out version 2, restart,
# tear down (its own project name and port). scripts/compose_smoke.py says how.
compose-smoke: setup
	$(PY) scripts/compose_smoke.py

# Regenerate the TF-free TF Serving messages in serving/tfs_api/ from their .proto files.
protos: setup
	$(PY) -m serving.tfs_api.generate

check: setup
	$(PY) -m serving.tfs_api.generate --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy contract reader processes training export serving client tests benchmarks scripts

clean:
	rm -rf $(VENV) runs models .pytest_cache .mypy_cache .ruff_cache
