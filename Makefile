# fieldsignal: `make demo` sets up and runs the demo; `make test` sets up and runs the checks.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False

.PHONY: setup model test-model demo test lint typecheck unit bench eval clean browser docs

setup: $(STAMP) model

# torch first, pinned: pip takes the CPU wheel; an open requirement would pull a multi-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/python -m compileall -q fieldsignal  # as pip does for a regular install: no compiling at each start
	touch $(STAMP)

# `fieldsignal train` fine-tunes the local MiniLM on data/corpus, exports it (and the bundled one) to
# ONNX and fits the triage's heads on it (about 30 minutes on 2 cores the first time; cached under
# ~/.cache/fieldsignal, so later runs take seconds; without it the first `add` builds it, with the
# same progress bar).
model: $(STAMP)
	$(BIN)/fieldsignal train

# The tests read notes with the bundled MiniLM as it is (a 4-minute build, cached): tuning is tested
# on small sets in tests/test_finetune.py.
test-model: $(STAMP)
	FIELDSIGNAL_TUNE_ENCODER=false $(BIN)/fieldsignal train

demo: setup
	$(BIN)/fieldsignal demo
	@echo "fieldsignal is $(BIN)/fieldsignal; 'source $(BIN)/activate' puts it on the PATH of this shell."

test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check fieldsignal tests bench data
	$(BIN)/ruff format --check fieldsignal tests bench data
	$(BIN)/lint-imports  # the layers (contracts in pyproject.toml)

typecheck: $(STAMP)
	$(BIN)/mypy

# One worker per core; a module's tests share a worker, so its fixtures (a trained model, a Spark
# session) are built once. Modules are handed out longest first, as tests/scheduling.py orders them
# (--no-loadscope-reorder: xdist would otherwise put the modules with the most tests first).
unit: $(STAMP) browser test-model
	$(BIN)/pytest -q -n auto --dist loadscope --no-loadscope-reorder

# The end-to-end tests drive Debian's chromium (not a downloaded browser).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  { echo "installing Debian's chromium (only it) for the browser tests"; SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

bench: model
	$(BIN)/python bench/bench_triage.py
	$(BIN)/python bench/bench_dupes.py
	$(BIN)/python bench/bench_llm_paste.py
	$(BIN)/python bench/bench_memos.py
	$(BIN)/python bench/bench_store.py

# The headline accuracy: leave-one-writer-out over the corpus, tuning 4 encoders (see README for the time).
eval: $(STAMP)
	$(BIN)/fieldsignal eval --data data/corpus/corpus.jsonl --group-by writer

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The command reference, generated from --help (tests/test_docs.py checks it is current).
docs: $(STAMP)
	$(BIN)/python -m fieldsignal.cli.reference
