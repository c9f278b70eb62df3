# The project's commands. `make demo` and `make test` work on a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
MODEL_BASE_PATH ?= models/mnist
RUN_DIR ?= runs/cnn

.PHONY: setup demo stop test check bench system-deps clean

setup: $(STAMP)

# Reinstall only when the project's dependencies change.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[tf,dev]'
	touch $(STAMP)

# Debian packages that some tests need (browser, kubectl); run as root, as CI does.
system-deps:
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

demo: setup
	$(PY) -m training --model cnn --run-dir $(RUN_DIR) --seed 1 $(if $(wildcard $(RUN_DIR)/model.keras),--reuse,)
	$(PY) -m export --run-dir $(RUN_DIR) --model-base-path $(MODEL_BASE_PATH) --if-none-published
	$(PY) -m export --list --model-base-path $(MODEL_BASE_PATH)
	@echo "Published into $(MODEL_BASE_PATH). Serving arrives with the model-server and gateway stages."

test: setup
	$(PY) -m pytest

check: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy training export serving client tests

clean:
	rm -rf $(VENV) runs models .pytest_cache .mypy_cache .ruff_cache
