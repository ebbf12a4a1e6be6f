"""The theme's and the extensions' stylesheets without the rules no page can match.

pydata-sphinx-theme ships one stylesheet (_static/styles/pydata-sphinx-theme.css,
0.31 MB once xent_icons.py has dropped its icon glyph rules) that carries all of
Bootstrap: grid columns, spacing and colour utilities for every breakpoint, and
components the book never shows; myst-nb's stylesheet (43 kB) styles Jupyter widget
views the site does not show. A reader's browser downloads all of it on every page.
When the build is finished, in every stylesheet of _static except the book's own
(_ext/static, whose classes xent.js may compose at run time), a selector is dropped if it requires a class that
appears nowhere in the built site: not in a page, not in a script (where the theme's
and Bootstrap's scripts name the classes they add, such as `show` or `collapsing`).
A rule goes when all of its selectors go. Selectors without class names (elements,
ids, attributes) always stay, and so do classes with a prefix a script may complete
at run time (`bs-tooltip-` + placement and the like, `DYNAMIC_PREFIXES`).
"""

from __future__ import annotations

import re
from pathlib import Path

# The book's own stylesheets, kept whole.
OWN_STATIC = Path(__file__).parent / "static"
# Classes a script builds from pieces, so that their full names appear nowhere.
DYNAMIC_PREFIXES = ("bs-", "tooltip", "popover", "modal", "offcanvas", "dropdown", "carousel",
                    "collaps", "toast", "fade", "show")
_CLASS = re.compile(r"\.(-?[A-Za-z_][\w-]*)")
_WORD = re.compile(r"[A-Za-z0-9_-]+")
# Blocks whose body is a list of rules, pruned like the top level.
_NESTING = ("@media", "@supports", "@layer", "@container", "@document")


def split_selectors(head: str) -> list[str]:
    """The selectors of a rule's comma-separated list, commas inside (...) or [...] kept."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(head):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(head[start:i])
            start = i + 1
    parts.append(head[start:])
    return parts


def selector_can_match(selector: str, words: set[str]) -> bool:
    # Attribute values ([href$=".pdf"]) and comments (the licence) are not class names.
    bare = re.sub(r"\[[^\]]*\]|/\*.*?\*/", "", selector, flags=re.S)
    # A class inside :not(), :is(), :where() or :has() need not be present for the
    # selector to match: only the classes outside them count.
    while True:
        inner = re.sub(r":(?:not|is|where|has)\([^()]*\)", "", bare)
        if inner == bare:
            break
        bare = inner
    classes = _CLASS.findall(bare)
    return all(c in words or c.startswith(DYNAMIC_PREFIXES) for c in classes)


def prune(css: str, words: set[str]) -> str:
    """`css` without the selectors (and rules) that need a class not in `words`."""
    out, i, n = [], 0, len(css)
    while i < n:
        open_brace = css.find("{", i)
        if open_brace < 0:
            out.append(css[i:])
            break
        depth, close = 0, open_brace
        while close < n:
            depth += {"{": 1, "}": -1}.get(css[close], 0)
            if depth == 0:
                break
            close += 1
        head, body = css[i:open_brace], css[open_brace + 1:close]
        at_rule = head.strip()
        if at_rule.startswith(_NESTING):
            inner = prune(body, words)
            if inner.strip():
                out.append(f"{head}{{{inner}}}")
        elif at_rule.startswith("@"):  # @font-face, @keyframes, @charset ...
            out.append(f"{head}{{{body}}}")
        else:
            kept = [s for s in split_selectors(head) if selector_can_match(s, words)]
            if kept:
                out.append(f"{','.join(kept)}{{{body}}}")
        i = close + 1
    return "".join(out)


def site_words(outdir: Path) -> set[str]:
    """Every word of every page and script of the built site."""
    words: set[str] = set()
    for path in [*outdir.rglob("*.html"), *outdir.rglob("*.js")]:
        words.update(_WORD.findall(path.read_text(encoding="utf-8", errors="replace")))
    return words


def prune_stylesheets(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    outdir = Path(app.outdir)
    own = {p.name for p in OWN_STATIC.glob("*.css")}
    words = site_words(outdir)
    for path in sorted((outdir / "_static").rglob("*.css")):
        if path.name in own:
            continue
        css = path.read_text(encoding="utf-8")
        lean = prune(css, words)
        if lean != css:
            path.write_text(lean, encoding="utf-8")


def setup(app):
    # After xent_icons (priority 500), which reads the theme's full stylesheet.
    app.connect("build-finished", prune_stylesheets, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
