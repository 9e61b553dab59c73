# Quick start:  make demo   (set up, then the main job against a local EC2 endpoint)
#               make test   (set up, then lint, type-check and the whole test suite)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

AWSCLI := .venv-awscli/bin/aws

.PHONY: demo test test-fast lint setup package bench bench-smoke bench-org bench-rewrite fault-properties clean

# The Organization benchmark: ACCOUNTS accounts x 17 regions through bench.sim.
ACCOUNTS ?= 100

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev,iac]'
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m scripts.demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest

# The unit layer alone (no server), for a quick loop while editing.
test-fast: $(STAMP)
	$(BIN)/python -m pytest tests/unit -n 0

# Build the sdist and wheel, twine check them, and run the unit tests from the unpacked sdist.
package: $(STAMP)
	$(BIN)/python -m scripts.check_package

# The aws CLI contender lives in its own venv: awscli pins its own botocore.
$(AWSCLI):
	$(PYTHON) -m venv .venv-awscli
	.venv-awscli/bin/python -m pip install --quiet awscli

bench: $(STAMP) $(AWSCLI)
	$(BIN)/python -m bench.run --aws $(AWSCLI)

bench-smoke: $(STAMP) $(AWSCLI)
	$(BIN)/python -m bench.run --smoke --aws $(AWSCLI)
	$(BIN)/python -m bench.rewrite --files 200 --output diff --out /dev/null

bench-org: $(STAMP)
	$(BIN)/python -m bench.org --accounts $(ACCOUNTS)

# sgupdater rewrite over 10,000 generated IaC files (50 MB): every file holding the range (JSON, then
# the diff), then 1 in 100.
bench-rewrite: $(STAMP)
	rm -f bench/results/rewrite.md
	$(BIN)/python -m bench.rewrite --files 10000
	$(BIN)/python -m bench.rewrite --files 10000 --output diff
	$(BIN)/python -m bench.rewrite --files 10000 --every 100

# The write path under many drawn fault schedules (make test runs the two explicit ones).
FAULT_EXAMPLES ?= 25
fault-properties: $(STAMP)
	SGUPDATER_FAULT_EXAMPLES=$(FAULT_EXAMPLES) $(BIN)/python -m pytest -p no:randomly -n 2 \
		tests/e2e/test_write_truth.py -k converges

clean:
	rm -rf $(VENV) .venv-awscli .pytest_cache .mypy_cache .ruff_cache .hypothesis
