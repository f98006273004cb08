# fieldsignal: `make demo` sets up and runs the demo; `make test` sets up and runs the checks.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup demo test lint typecheck unit bench eval clean browser

setup: $(STAMP)

# torch first, pinned: pip takes the CPU wheel; an open requirement would pull a multi-GB CUDA build.
# `fieldsignal train` builds the triage model from data/corpus (about 4 minutes on 2 cores, cached
# under ~/.cache/fieldsignal; without it the first `add` builds it, with the same progress bar).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/fieldsignal train
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/fieldsignal demo

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check fieldsignal tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP) browser
	$(BIN)/pytest -q

# The end-to-end tests drive Debian's chromium (not a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

bench: $(STAMP)
	$(BIN)/python bench/bench_triage.py
	$(BIN)/python bench/bench_memos.py

# The headline accuracy: leave-one-writer-out over the corpus (about 12 minutes on 2 cores).
eval: $(STAMP)
	$(BIN)/fieldsignal eval --data data/corpus/corpus.jsonl --group-by writer

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
