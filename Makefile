# xent: build the book, run the tests, open the notebooks.
# Every target creates or updates the virtual environment it needs.
#   make PYTHON=python3.10 venv    choose the interpreter the venv is made from
#   make test JOBS=4                pytest workers (default 2)
#   make lab LAB_ARGS="--port 8890 --no-browser"

PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed
JOBS     ?= 2
LAB_ARGS ?=
BOOK_ARGS ?=

# JupyterLab refuses to start as root unless told to (containers, WSL as root).
ALLOW_ROOT := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

# One BLAS thread: the book's matrices are small, and on a 2-core machine a threaded
# BLAS spends more time synchronising than multiplying.
export OPENBLAS_NUM_THREADS ?= 1

# The pins in requirements.txt and constraints.txt are for Python 3.10 to 3.14
# (tools/check_pins.py checks that each resolves to wheels there).
define CHECK_PYTHON
import sys
v = sys.version_info[:2]
if not (3, 10) <= v <= (3, 14):
    sys.exit(f"Python {v[0]}.{v[1]}: the pinned requirements are for Python 3.10 to 3.14; "
             "choose one with make PYTHON=python3.13 (or python3.10, ..., python3.14)")
endef
export CHECK_PYTHON

.PHONY: book test lab normalize bench clean distclean venv

venv: $(STAMP)

$(STAMP): requirements.txt constraints.txt pyproject.toml
	@test -x $(BIN)/python || { $(PYTHON) -c "$$CHECK_PYTHON" && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

## make book: render the committed, executed notebooks into the static site _build/html
book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going $(BOOK_ARGS)
	@echo
	@echo "The book is built: open _build/html/index.html in a browser"
	@echo "  (or serve it: $(BIN)/python -m http.server -d _build/html 8000)"

## make test: build the book, then every test in parallel: unit, property, doctests,
## each notebook re-executed and compared with its committed outputs (nbval), browser
test: book
	$(BIN)/python -m pytest -n $(JOBS) --dist loadfile

## make lab: open the notebooks in JupyterLab, sliders live
lab: $(STAMP)
	$(BIN)/jupyter lab $(ALLOW_ROOT) $(LAB_ARGS) chapters/

## make normalize: rewrite every chapter notebook's metadata in the canonical form
## JupyterLab keeps, and point each install cell at _config.yml's repository URL
normalize: $(STAMP)
	$(BIN)/python tools/normalize_notebooks.py

## make bench: time every loss path and softmax_vjp against PyTorch (install torch==2.13.0 first)
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_cross_entropy.py

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
