"""The front page's derivation tally, and a guard on the notebooks' committed outputs.

The site is rendered from the notebooks as committed (`execute_notebooks: off`);
`make test` re-executes each one with nbval and compares every output. This extension
reads each chapter notebook's JSON once, when Sphinx reads the page, and

- warns (an error under `--warningiserror`) when a committed output is an error or a
  code cell was never executed, so a derivation that fails is never published;
- records the counts printed by the chapter's cell tagged `derivation-tally`
  ("This page: 12 steps proved, 3 tested."), which the directive

      ```{derivation-tally}
      ```

  turns into a table, one row per chapter of the table of contents (linked title,
  counts) and a total line "N steps proved for every size, M tested". A notebook
  chapter without a tally cell is a warning.

The counts live in the build environment (merged after a parallel read, purged when
a page is re-read), and a page holding the directive is re-read whenever a notebook
changes, so incremental and parallel builds give the same table as a clean one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

TALLY_TAG = "derivation-tally"
TALLY_PATTERN = re.compile(r"(\d+) steps? proved, (\d+) tested(?:, (\d+) refuted)?")

logger = logging.getLogger(__name__)


class derivation_tally(nodes.General, nodes.Element):
    """Placeholder replaced by the table once every page has been read."""


class DerivationTallyDirective(SphinxDirective):
    has_content = False
    required_arguments = 0
    optional_arguments = 0

    def run(self):
        _pages_with_tally(self.env).add(self.env.docname)
        node = derivation_tally()
        node.source, node.line = self.get_source_info()
        return [node]


def _tallies(env) -> dict:
    """docname -> (proved, tested, refuted), or a str saying why there is none."""
    if not hasattr(env, "xent_tallies"):
        env.xent_tallies = {}
    return env.xent_tallies


def _pages_with_tally(env) -> set:
    if not hasattr(env, "xent_tally_pages"):
        env.xent_tally_pages = set()
    return env.xent_tally_pages


def _cell_text(cell: dict) -> str:
    """The plain text a code cell printed or displayed."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(_joined(output.get("text", "")))
        elif output.get("output_type") in ("execute_result", "display_data"):
            parts.append(_joined(output.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def _joined(text) -> str:
    return "".join(text) if isinstance(text, list) else str(text)


def _read_tally(cells: list[dict]):
    tagged = [c for c in cells if TALLY_TAG in c.get("metadata", {}).get("tags", [])]
    if not tagged:
        return f"no code cell tagged {TALLY_TAG!r}"
    if len(tagged) > 1:
        return f"{len(tagged)} cells tagged {TALLY_TAG!r}; a chapter has one"
    text = _cell_text(tagged[0])
    match = TALLY_PATTERN.search(text)
    if match is None:
        return (
            f"the output of its {TALLY_TAG!r} cell ({text.strip()[:80]!r}) does not read "
            "'N steps proved, M tested': run the notebook and save it"
        )
    proved, tested, refuted = match.groups()
    return int(proved), int(tested), int(refuted or 0)


def _check_notebook(app, doctree) -> None:
    env = app.env
    path = Path(env.doc2path(env.docname))
    if path.suffix != ".ipynb":
        return
    with open(path, encoding="utf-8") as stream:
        cells = json.load(stream).get("cells", [])
    code_cells = [c for c in cells if c.get("cell_type") == "code"]
    # Cells are counted as nbval counts them: code cells only, from 0.
    for number, cell in enumerate(code_cells):
        source = _joined(cell.get("source", ""))
        # A cell removed from the page (the install cell) shows no output on the site.
        hidden = "remove-cell" in cell.get("metadata", {}).get("tags", [])
        if source.strip() and cell.get("execution_count") is None and not hidden:
            logger.warning(
                "code cell %d (id %s) was never executed; the site shows committed "
                "outputs, so run the notebook and save it",
                number,
                cell.get("id", "?"),
                location=env.docname,
                type="xent",
                subtype="unexecuted",
            )
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                logger.warning(
                    "code cell %d (id %s) has an error as committed output (%s: %s); "
                    "fix the cell, run the notebook and save it",
                    number,
                    cell.get("id", "?"),
                    output.get("ename", "?"),
                    output.get("evalue", ""),
                    location=env.docname,
                    type="xent",
                    subtype="error-output",
                )
    _tallies(env)[env.docname] = _read_tally(code_cells)


def _chapters_in_toc_order(env) -> list[str]:
    """Every page reachable from the root's table of contents, depth first."""
    order: list[str] = []
    seen = {env.config.root_doc}

    def visit(docname: str) -> None:
        for child in env.toctree_includes.get(docname, []):
            if child not in seen:
                seen.add(child)
                order.append(child)
                visit(child)

    visit(env.config.root_doc)
    return order


def _table(rows: list[list[nodes.Node]], header: list[str]) -> nodes.table:
    table = nodes.table(classes=["xent-tally"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in [60] + [20] * (len(header) - 1):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    head += _row([nodes.Text(text) for text in header])
    body = nodes.tbody()
    group += body
    for cells in rows:
        body += _row(cells)
    return table


def _row(cells: list[nodes.Node]) -> nodes.row:
    row = nodes.row()
    for content in cells:
        entry = nodes.entry()
        entry += nodes.paragraph("", "", content)
        row += entry
    return row


def _resolve_tallies(app, doctree, fromdocname: str) -> None:
    placeholders = list(doctree.findall(derivation_tally))
    if not placeholders:
        return
    env = app.env
    tallies = _tallies(env)
    holders = _pages_with_tally(env)
    rows, proved_total, tested_total, refuted_total = [], 0, 0, 0
    for docname in _chapters_in_toc_order(env):
        if docname in holders or Path(env.doc2path(docname)).suffix != ".ipynb":
            continue
        tally = tallies.get(docname, f"no code cell tagged {TALLY_TAG!r}")
        if isinstance(tally, str):
            logger.warning(
                "derivation tally: chapter %s has %s",
                docname,
                tally,
                location=placeholders[0],
                type="xent",
                subtype="tally",
            )
            continue
        proved, tested, refuted = tally
        proved_total += proved
        tested_total += tested
        refuted_total += refuted
        # The title's own nodes, so that math in a title is typeset, not shown as TeX.
        title = env.titles.get(docname)
        link = nodes.reference(
            "", "", internal=True, refuri=app.builder.get_relative_uri(fromdocname, docname)
        )
        link += [child.deepcopy() for child in title.children] if title else [nodes.Text(docname)]
        rows.append((link, proved, tested, refuted))
    # The refuted column appears only when a page shows refuted steps (the errata do).
    header = ["Chapter", "Steps proved for every size", "Steps tested"]
    if refuted_total:
        header.append("Steps refuted")
    cells = [
        [link] + [nodes.Text(str(n)) for n in counts[: len(header) - 1]]
        for link, *counts in rows
    ]
    total = f"{proved_total} steps proved for every size, {tested_total} tested"
    if refuted_total:
        total += f", {refuted_total} refuted"
    summary = nodes.paragraph("", "", nodes.strong("", total), classes=["xent-tally-total"])
    for node in placeholders:
        fresh = [[cell.deepcopy() for cell in row] for row in cells]
        node.replace_self([_table(fresh, header), summary.deepcopy()])


def _purge(app, env, docname: str) -> None:
    _tallies(env).pop(docname, None)
    _pages_with_tally(env).discard(docname)


def _merge(app, env, docnames, other) -> None:
    theirs = _tallies(other)
    _tallies(env).update({d: theirs[d] for d in docnames if d in theirs})
    _pages_with_tally(env).update(_pages_with_tally(other) & set(docnames))


def _reread_tally_pages(app, env, added, changed, removed):
    """A page showing the tally is out of date as soon as any notebook is."""
    if added or changed or removed:
        return sorted(_pages_with_tally(env) - set(removed))
    return []


def setup(app):
    app.add_node(derivation_tally)
    app.add_directive("derivation-tally", DerivationTallyDirective)
    app.connect("doctree-read", _check_notebook)
    app.connect("doctree-resolved", _resolve_tallies)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.connect("env-get-outdated", _reread_tally_pages)
    return {
        "version": "1",
        "env_version": 1,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
