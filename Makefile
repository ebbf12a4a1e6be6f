# xent: build the book, run the tests, open the notebooks.
# Every target creates or updates the virtual environment it needs.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# One BLAS thread: the book's matrices are small, and on a 2-core machine a threaded
# BLAS spends more time synchronising than multiplying.
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: book test lab bench clean distclean venv

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@touch $(STAMP)

## make book: execute every notebook and build the static site into _build/html
book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo
	@echo "The book is built: open _build/html/index.html in a browser"
	@echo "  (or serve it: $(BIN)/python -m http.server -d _build/html 8000)"

## make test: the whole suite (unit, property, doctests, notebooks with nbval, browser)
test: book
	$(BIN)/python -m pytest

## make lab: open the notebooks in JupyterLab, sliders live
lab: $(STAMP)
	$(BIN)/jupyter lab chapters/

## make bench: time xentlib against PyTorch (install torch==2.13.0 first) and plain NumPy
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_cross_entropy.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
