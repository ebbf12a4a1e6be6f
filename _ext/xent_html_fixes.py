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

Sphinx 7 adds an inline script registered after the builder starts twice (once with
filename None, once with ''), so sphinx-thebe's `const THEBE_JS_URL = ...` runs twice
and every page logs "Identifier 'THEBE_JS_URL' has already been declared".
"""

from pathlib import Path


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


def _add_static_path(app, config):
    config.html_static_path.append(str(Path(__file__).parent / "static"))


def setup(app):
    app.connect("config-inited", _add_static_path)
    app.add_css_file("xent.css")
    app.add_js_file("xent.js", loading_method="defer")
    app.connect("html-page-context", _drop_duplicate_inline_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
