"""Rewrite the chapter notebooks in the canonical form that JupyterLab keeps on save.

    python tools/normalize_notebooks.py            # rewrite chapters/*.ipynb in place
    python tools/normalize_notebooks.py --check    # list the notebooks that differ; exit 1
    python tools/normalize_notebooks.py PATH ...   # only these notebooks

Saving a notebook in JupyterLab 4.6 rewrites the kernelspec's display name to the
kernel's ("Python 3 (ipykernel)"), writes the running kernel's `language_info`, keeps
no widget state (ipywidgets does not save it unless asked) and records no execution
timing; `jupyter nbconvert --execute` on the other hand stores widget state and
per-cell timing. The canonical form is what a Lab save produces, so opening, running
and saving a chapter in Lab changes only what the learner changed:

- notebook metadata: `kernelspec` (python3) and `language_info` as the ipykernel kernel
  reports it; its `version` field is the Python that last ran the notebook, which Lab
  rewrites on every save, so it is kept as found and not compared by --check;
- cell metadata: `tags` only (plus `mystnb` options), no `execution` timing,
  `collapsed`, `scrolled`, `ExecuteTime` or editor state; code cells inside an
  exercise solution (between `{solution-start}` and `{solution-end}`) are folded in
  JupyterLab (`jupyter.source_hidden` and `jupyter.outputs_hidden`), so a learner
  opens the answer on purpose, as the site's dropdown does;
- a code cell that only authors a derivation (builds an `xs.Derivation`, prints
  nothing, and ends by showing the chain) is tagged `hide-input`: the site folds its
  source behind "Show code" so the checked panel leads; the notebook keeps it open;
- the first cell is the install cell (tags `remove-cell`, `install-xentlib`) that
  installs xentlib from the repository URL in `_config.yml`, so a downloaded notebook
  runs anywhere; a fork sets its URL there and runs this script;
- JSON as Jupyter writes it: sorted keys, one-space indent, trailing newline.
Outputs are never touched.
"""

from __future__ import annotations

import argparse
import ast
import copy
import re
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"
CONFIG = ROOT / "_config.yml"

INSTALL_TAGS = ["remove-cell", "install-xentlib"]
INSTALL_SOURCE = """\
# Outside a checkout of the book (Colab, a downloaded notebook) install xentlib first.
import importlib.util

if importlib.util.find_spec("xentlib") is None:
    %pip install --quiet "xentlib[symbolic,interactive] @ git+{url}\""""

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {
    "codemirror_mode": {"name": "ipython", "version": 3},
    "file_extension": ".py",
    "mimetype": "text/x-python",
    "name": "python",
    "nbconvert_exporter": "python",
    "pygments_lexer": "ipython3",
}
NOTEBOOK_METADATA_KEPT = ("kernelspec", "language_info", "mystnb")
CELL_METADATA_KEPT = ("tags", "mystnb")
FOLDED = {"source_hidden": True, "outputs_hidden": True}

HIDE_INPUT = "hide-input"
# Calls whose output a reader would look for next to the code that made it.
SHOWS_OTHER_OUTPUT = {"print", "display", "show", "plot", "imshow", "savefig"}

SOLUTION_START = re.compile(r"^\s*(```+|:::+)\s*\{solution-start\}", re.MULTILINE)
SOLUTION_END = re.compile(r"^\s*(```+|:::+)\s*\{solution-end\}", re.MULTILINE)


def repository_url(config: Path = CONFIG) -> str:
    """The book's repository URL, `repository.url` in _config.yml, without a trailing slash."""
    with open(config, encoding="utf-8") as stream:
        settings = yaml.safe_load(stream) or {}
    url = (settings.get("repository") or {}).get("url")
    if not url:
        raise SystemExit(f"{config}: set repository.url (the book's Git repository)")
    return str(url).rstrip("/")


def install_source(url: str) -> str:
    return INSTALL_SOURCE.format(url=url)


def _call_name(node: ast.AST) -> str | None:
    func = node.func if isinstance(node, ast.Call) else None
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def _derivation_root(node: ast.AST) -> ast.AST:
    """The object a chain `d.step(...).step(...)` starts from."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "step":
        node = node.func.value
    return node


def authors_only_derivations(source: str) -> bool:
    """Whether a code cell only builds derivations and shows the last one.

    True when the cell calls `Derivation(...)`, calls nothing that shows another
    output (print, display, plots), and ends with a bare expression that is a
    derivation made in the cell (its name, or a `.step(...)` chain on it): the
    cell's one output is the checked chain. A cell that does not parse as Python
    (IPython magics) is never such a cell.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    calls = [_call_name(n) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    if "Derivation" not in calls or SHOWS_OTHER_OUTPUT.intersection(calls):
        return False
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return False
    derivations = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _call_name(_derivation_root(node.value)) == "Derivation":
            derivations.update(t.id for t in node.targets if isinstance(t, ast.Name))
    shown = _derivation_root(tree.body[-1].value)
    return (isinstance(shown, ast.Name) and shown.id in derivations) or _call_name(shown) == "Derivation"


def _python_version() -> str:
    return ".".join(str(part) for part in sys.version_info[:3])


def normalize(nb: nbformat.NotebookNode, url: str) -> nbformat.NotebookNode:
    """The canonical form of a notebook (a new object; `nb` is not modified)."""
    nb = copy.deepcopy(nb)
    language_info = dict(LANGUAGE_INFO)
    language_info["version"] = nb.metadata.get("language_info", {}).get(
        "version", _python_version()
    )
    kept = {k: nb.metadata[k] for k in NOTEBOOK_METADATA_KEPT if k in nb.metadata}
    kept.update(kernelspec=dict(KERNELSPEC), language_info=language_info)
    nb.metadata = nbformat.from_dict(kept)

    in_solution = False
    for cell in nb.cells:
        metadata = {k: cell.metadata[k] for k in CELL_METADATA_KEPT if k in cell.metadata}
        if "tags" in metadata:
            metadata["tags"] = list(dict.fromkeys(metadata["tags"]))
            if not metadata["tags"]:
                del metadata["tags"]
        if cell.cell_type == "markdown":
            if SOLUTION_START.search(cell.source):
                in_solution = True
            if SOLUTION_END.search(cell.source):
                in_solution = False
        elif cell.cell_type == "code" and in_solution:
            metadata["jupyter"] = dict(FOLDED)
        if cell.cell_type == "code" and not in_solution and authors_only_derivations(cell.source):
            tags = metadata.get("tags", [])
            if not {"remove-input", "remove-cell", HIDE_INPUT}.intersection(tags):
                metadata["tags"] = tags + [HIDE_INPUT]
        cell.metadata = nbformat.from_dict(metadata)

    first = nb.cells[0] if nb.cells else None
    if first is not None and "install-xentlib" in first.metadata.get("tags", []):
        first.source = install_source(url)
        tags = first.metadata["tags"]
        first.metadata["tags"] = INSTALL_TAGS + [t for t in tags if t not in INSTALL_TAGS]
    else:
        cell = nbformat.v4.new_code_cell(install_source(url))
        cell.metadata["tags"] = list(INSTALL_TAGS)
        nb.cells.insert(0, cell)
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    """The notebook's JSON exactly as Jupyter saves it (nbformat.write adds the newline)."""
    text = nbformat.writes(nb)
    return text if text.endswith("\n") else text + "\n"


def problems(path: Path, url: str) -> list[str]:
    """What differs between a notebook file and its canonical form (empty when none)."""
    text = path.read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    found = []
    first = nb.cells[0] if nb.cells else None
    if first is None or "install-xentlib" not in first.metadata.get("tags", []):
        found.append("the first cell is not the install cell (tag install-xentlib)")
    elif first.source != install_source(url):
        found.append(f"the install cell does not install from {url} (_config.yml)")
    canonical = dumps(normalize(nb, url))
    if not found and canonical != text:
        found.append("metadata or JSON layout differ from what JupyterLab writes")
    return found


def chapter_notebooks() -> list[Path]:
    return sorted(p for p in CHAPTERS.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, help="notebooks (default: chapters/*.ipynb)")
    parser.add_argument("--check", action="store_true", help="report, do not rewrite")
    args = parser.parse_args(argv)
    url = repository_url()
    paths = args.paths or chapter_notebooks()
    status = 0
    for path in paths:
        if args.check:
            for problem in problems(path, url):
                print(f"{path}: {problem}; run make normalize")
                status = 1
            continue
        text = path.read_text(encoding="utf-8")
        canonical = dumps(normalize(nbformat.reads(text, as_version=4), url))
        if canonical != text:
            path.write_text(canonical, encoding="utf-8")
            print(f"normalized {path}")
    return status


if __name__ == "__main__":
    sys.exit(main())
