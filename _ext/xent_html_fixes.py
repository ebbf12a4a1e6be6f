"""Page fixes for the book's HTML: one copy of each inline script, and wide formulas
that scroll instead of being cut off (static/xent.css).

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
    app.connect("html-page-context", _drop_duplicate_inline_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
