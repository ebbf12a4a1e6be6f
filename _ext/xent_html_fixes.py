"""Page fixes for the book's HTML.

* static/xent.css and static/xent.js, on every page: working sidebar buttons on
  phones and desktops, display formulas as wide as the column (MathJax 4 breaks
  them there, see _config.yml), tables, code and outputs that scroll inside their
  own box with a visible cue instead of pushing the page sideways (code keeps its
  indentation), derivation chains, verdict marks, exercise boxes and slider
  figures designed for the light and the dark colour scheme, solution bars that
  open their solution, search results without raw TeX, a print stylesheet (no
  controls, nothing clipped, titles kept with what follows).
* One copy of each inline script (below).
* No search index on pages other than the search page, and no sphinx-design
  assets (62 kB) on pages without a sphinx-design component (below).

Sphinx 7 adds an inline script registered after the builder starts twice (once with
filename None, once with ''), so sphinx-thebe's `const THEBE_JS_URL = ...` runs twice
and every page logs "Identifier 'THEBE_JS_URL' has already been declared".
"""

import re
from pathlib import Path

# pydata-sphinx-theme loads Sphinx's search tools and the whole search index
# (0.17 MB, more than most pages' own HTML) into every page for its search-as-you-
# type box. With that box off (the theme's default, kept here) the search field
# submits to search.html, which loads them itself: elsewhere they are dead weight.
_SEARCH_SCRIPTS = re.compile(
    r'[ \t]*<script src="[^"]*(?:_static/searchtools\.js|_static/language_data\.js|searchindex\.js)'
    r'(?:\?[^"]*)?"></script>\n?'
)


def _drop_duplicate_inline_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen = set()
    kept = []
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body")
        if not getattr(script, "filename", None) and body is not None:
            key = (body, tuple(sorted(script.attributes.items())))
            if key in seen:
                continue
            seen.add(key)
        kept.append(script)
    scripts[:] = kept


# jupyter-book loads sphinx-design (cards, tabs, grids) on every page; a page whose
# body has none of its `sd-` classes does not need its stylesheet or tab script.
_DESIGN_ASSETS = ("sphinx-design.", "design-tabs.js")
_DESIGN_CLASS = re.compile(r'class="(?:[^"]*\s)?sd-')


def _drop_unused_design_assets(app, pagename, templatename, context, doctree):
    if _DESIGN_CLASS.search(context.get("body", "")):
        return
    for key in ("css_files", "script_files"):
        assets = context.get(key)
        if assets:
            assets[:] = [a for a in assets
                         if not any(name in str(getattr(a, "filename", a) or "") for name in _DESIGN_ASSETS)]


def _drop_search_scripts(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    if str(app.builder.theme_options.get("search_as_you_type", "false")).lower() == "true":
        return
    outdir = Path(app.outdir)
    for page in outdir.rglob("*.html"):
        if page.relative_to(outdir).as_posix() == "search.html":
            continue
        html = page.read_text(encoding="utf-8")
        lean = _SEARCH_SCRIPTS.sub("", html)
        if lean != html:
            page.write_text(lean, encoding="utf-8")


def _add_static_path(app, config):
    config.html_static_path.append(str(Path(__file__).parent / "static"))


def setup(app):
    app.connect("config-inited", _add_static_path)
    app.add_css_file("xent.css")
    app.add_css_file("xent-figures.css")
    app.add_js_file("xent.js", loading_method="defer")
    app.connect("html-page-context", _drop_duplicate_inline_scripts)
    app.connect("html-page-context", _drop_unused_design_assets)
    app.connect("build-finished", _drop_search_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
