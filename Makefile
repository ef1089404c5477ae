# The README's two commands: `make run` (the main job) and `make test`.
# Each creates .venv and installs what it needs on first use.
VENV := .venv
PY := $(VENV)/bin/python
VARIANTLAB := $(VENV)/bin/variantlab
SHARED_MNIST := ../shared/data/mnist

.PHONY: run test quick lint

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q -e '.[train,dev]'
	touch $@

run: $(VENV)/.installed
	bash scripts/ensure-system.sh fashion-mnist
	$(VARIANTLAB) run --dob 18/03/02 --roll B20AI052 --program btech --first Ayush --last Abrol

# Lint (ruff) and types (mypy on src/), as configured in pyproject.toml.
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# The full gate: lint, then every test. pytest exits 5 when it collects no tests: a failure here, not a pass.
test: lint
	bash scripts/ensure-system.sh fashion-mnist chromium poppler
	if [ -d $(SHARED_MNIST) ]; then $(VARIANTLAB) data import --dataset mnist $(SHARED_MNIST); fi
	$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# Everyday work: every test that trains no real model (under 2 minutes on 2 cores).
quick: lint
	bash scripts/ensure-system.sh fashion-mnist chromium poppler
	$(PY) -m pytest -q -m "not trains"; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc
