# The README's two commands: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
export BINDREG_HOME ?= $(CURDIR)/.bindreg

.PHONY: setup demo test bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@echo "Compiling numba kernels once: TOMTOM's (model cards match filters to JASPAR), the trainer's and gkm-SVM's (about a minute)..."
	@# gkmsvm first: it pins numba's threading layer (workqueue) at import, and warns if another kernel has picked OpenMP
	$(BIN)/python -c "import gkmsvm; from bindreg.experiment import filters; from bindreg.score import gkm_scoring; from bindreg.train import onehot_conv, onehot_strands; filters.warm_up(); onehot_conv.warm_up(); onehot_strands.warm_up(); gkm_scoring.warm_up()"
	touch $@

demo: setup
	$(BIN)/bindreg run --model 2layer --task discovery

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .bindreg runs
