"""Keep one copy of each inline script in the book's pages.

Sphinx 7 adds an inline script registered after the builder starts twice (once with
filename None, once with ''), so sphinx-thebe's `const THEBE_JS_URL = ...` runs twice
and every page logs "Identifier 'THEBE_JS_URL' has already been declared".
"""


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


def setup(app):
    app.connect("html-page-context", _drop_duplicate_inline_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
