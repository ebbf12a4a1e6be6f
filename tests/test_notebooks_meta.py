"""The chapter notebooks as committed: canonical metadata, install cell, tally cell.

`tools/normalize_notebooks.py` defines the canonical form (what JupyterLab writes on
save); `make normalize` rewrites the notebooks into it.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _load_normalizer():
    spec = importlib.util.spec_from_file_location(
        "normalize_notebooks", ROOT / "tools" / "normalize_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


normalizer = _load_normalizer()
NOTEBOOKS = normalizer.chapter_notebooks()
URL = normalizer.repository_url()


def _toc_files() -> list[str]:
    with open(ROOT / "_toc.yml", encoding="utf-8") as stream:
        toc = yaml.safe_load(stream)
    files = []
    for part in toc.get("parts", []):
        files += [entry["file"] for entry in part.get("chapters", [])]
    return files


def _notebook_ids(paths):
    return [p.name for p in paths]


def test_repository_url_is_a_git_host_url():
    assert URL.startswith("https://"), f"_config.yml repository.url {URL!r} is not an https URL"
    assert not URL.endswith(".git"), "write repository.url without .git"


def test_every_chapter_notebook_is_listed_in_the_table_of_contents():
    listed = set(_toc_files())
    unlisted = [p.name for p in NOTEBOOKS if f"chapters/{p.stem}" not in listed]
    assert not unlisted, f"notebooks missing from _toc.yml: {unlisted}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_notebook_ids(NOTEBOOKS))
def test_notebook_is_normalized(path):
    found = normalizer.problems(path, URL)
    assert not found, f"{path.relative_to(ROOT)}: " + "; ".join(found) + " (run make normalize)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_notebook_ids(NOTEBOOKS))
def test_first_cell_installs_xentlib_from_the_configured_repository(path):
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "code", f"{path.name}: the first cell is not a code cell"
    tags = first.metadata.get("tags", [])
    assert {"remove-cell", "install-xentlib"} <= set(tags), f"{path.name}: tags are {tags}"
    assert f"git+{URL}\"" in first.source, (
        f"{path.name}: the install cell does not install from {URL} (_config.yml); "
        "run make normalize"
    )
    assert first.source == normalizer.install_source(URL)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_notebook_ids(NOTEBOOKS))
def test_chapter_has_one_tally_cell(path):
    cells = nbformat.read(path, as_version=4).cells
    tally = [c for c in cells if "derivation-tally" in c.metadata.get("tags", [])]
    assert len(tally) == 1, (
        f"{path.name}: {len(tally)} cells tagged derivation-tally; a chapter ends with "
        "exactly one, containing xs.tally()"
    )
    assert tally[0].cell_type == "code" and tally[0].source.strip() == "xs.tally()"


def test_normalizing_is_idempotent_and_keeps_outputs(tmp_path):
    source = next((p for p in NOTEBOOKS if json.loads(p.read_text())["cells"]), None)
    if source is None:
        pytest.fail("no chapter notebook to check the normalizer on")
    nb = nbformat.read(source, as_version=4)
    # The noise a Run All with nbconvert and an older Jupyter leave behind.
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.metadata["language_info"] = {"name": "python", "version": "3.10.13"}
    for cell in nb.cells:
        cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
        cell.metadata["collapsed"] = False
        cell.metadata["scrolled"] = True
    once = normalizer.normalize(nb, URL)
    twice = normalizer.normalize(once, URL)
    assert normalizer.dumps(once) == normalizer.dumps(twice)
    assert set(once.metadata) <= {"kernelspec", "language_info", "mystnb"}
    assert once.metadata.kernelspec == normalizer.KERNELSPEC
    # The Python that last ran the notebook is what a Lab save writes: kept as found.
    assert once.metadata.language_info["version"] == "3.10.13"
    normalized = {c.id: c for c in once.cells}
    for before in nb.cells:
        after = normalized[before.id]
        assert after.source == before.source or "install-xentlib" in after.metadata.get("tags", [])
        assert after.get("outputs") == before.get("outputs")
        assert not {"execution", "collapsed", "scrolled"} & set(after.metadata)
    path = tmp_path / source.name
    path.write_text(normalizer.dumps(once), encoding="utf-8")
    assert normalizer.problems(path, URL) == []


def test_solution_code_cells_are_folded_in_jupyterlab():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("```{exercise} Title\n:label: ex-a\nText.\n```"),
        nbformat.v4.new_markdown_cell("```{solution-start} ex-a\n:class: dropdown\n```\nProse."),
        nbformat.v4.new_code_cell("print(1)"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```"),
        nbformat.v4.new_code_cell("print(2)"),
    ]
    out = normalizer.normalize(nb, URL)
    code = [c for c in out.cells if c.cell_type == "code"]
    assert "install-xentlib" in code[0].metadata["tags"]
    assert code[1].metadata.get("jupyter") == {"source_hidden": True, "outputs_hidden": True}
    assert "jupyter" not in code[2].metadata


AUTHORING = """\
z = sp.Symbol("z", real=True)
d = xs.Derivation(r"\\sigma'(z)", sp.Derivative(xs.sigmoid(z), z), name="slope",
                  display=r"\\frac{d}{dz} \\sigma(z)")
d.step(xs.sigmoid(z) * (1 - xs.sigmoid(z)), "quotient rule", display=r"\\sigma(1 - \\sigma)")
d
"""


@pytest.mark.parametrize(
    "source, authoring",
    [
        (AUTHORING, True),
        # a `.step(...)` chain as the last expression shows the chain too
        (AUTHORING.replace("\nd\n", "\nd.step(z, 'again')\n"), True),
        # a derivation displayed, then something printed: the code stays open
        (AUTHORING.replace("\nd\n", "\ndisplay(d)\nprint(d.ok)\n"), False),
        (AUTHORING.replace("\nd\n", "\nd.ok\n"), False),  # shows a value, not the chain
        (AUTHORING.replace("\nd\n", "\nx = 1\n"), False),  # shows nothing
        ("x = f(1)\nx\n", False),  # no derivation at all
        ("%timeit xs.Derivation('L', z)\n", False),  # a magic: not plain Python
    ],
    ids=["name", "step-chain", "prints", "other-value", "no-output", "no-derivation", "magic"],
)
def test_derivation_authoring_cells_are_recognised(source, authoring):
    assert normalizer.authors_only_derivations(source) is authoring


def test_derivation_authoring_cells_fold_on_the_site_only():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(AUTHORING),
        nbformat.v4.new_code_cell(AUTHORING.replace("\nd\n", "\nprint(d.ok)\n")),
        nbformat.v4.new_code_cell(AUTHORING),
    ]
    nb.cells[2].metadata["tags"] = ["remove-input"]
    out = normalizer.normalize(nb, URL)
    authoring, printing, removed = out.cells[1:]
    assert authoring.metadata["tags"] == ["hide-input"]
    # JupyterLab keeps the source open: no jupyter.source_hidden
    assert "jupyter" not in authoring.metadata
    assert "tags" not in printing.metadata
    assert removed.metadata["tags"] == ["remove-input"]
    assert normalizer.dumps(normalizer.normalize(out, URL)) == normalizer.dumps(out)


# A backtick fence's info string may not contain a backtick (CommonMark), so
# ```{exercise} `log1p` matters is not a directive at all: JupyterLab shows it as raw
# text and the site drops it or fails to pair the solution. Use :::{exercise} instead.
_BACKTICK_FENCE_WITH_BACKTICK = re.compile(r"^\s*(`{3,})\{[\w:-]+\}[^\n]*`", re.MULTILINE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_notebook_ids(NOTEBOOKS))
def test_no_directive_fence_has_a_backtick_in_its_title(path):
    bad = []
    for number, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "markdown":
            bad += [
                f"cell {number}: {m.group(0).strip()}"
                for m in _BACKTICK_FENCE_WITH_BACKTICK.finditer(cell.source)
            ]
    assert not bad, (
        f"{path.name}: a ``` fence whose title holds a backtick is not a directive; "
        "write it with a colon fence (:::{exercise} ... :::): " + "; ".join(bad)
    )
