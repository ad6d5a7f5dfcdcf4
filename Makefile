# One command to set up and start the app (`make app`) and one to run the tests (`make test`).
# Both create the virtual environment on first use: CPU torch pinned first, then kb itself.

VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
TORCH_PIN ?= torch==2.13.0
PORT ?= 8501

.PHONY: setup app test test-fast lint eval bench

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@echo "==> Creating the virtual environment in $(VENV) (first run only; 2-3 minutes in all)"
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	@echo "==> Installing the CPU build of torch ($(TORCH_PIN), about 200 MB; the longest step)"
	$(PIP) install -q "$(TORCH_PIN)"
	@echo "==> Installing kb and its dependencies (sentence-transformers, faiss, streamlit, onnxruntime, test tools)"
	$(PIP) install -q -e ".[test,onnx]"
	touch $@
	@echo "==> $(VENV) is ready"

# builds the knowledge base from the default corpus (KB_MIRROR, else ../shared/corpus) when it is empty, then
# serves the app; the model and the data load in the background at once; Ctrl-C stops it
app: setup
	$(VENV)/bin/kb serve --port $(PORT)

test: setup
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not model and not corpus and not browser"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

eval: setup
	$(VENV)/bin/kb eval

# every benchmark behind BENCHMARKS.md (hours); BENCH_ARGS=--quick checks they run, at toy sizes
bench: setup
	$(PY) bench/run_all.py $(BENCH_ARGS)
