"""The "your turn" exercises on the static site (xentlib.yourturn.static).

A page whose HTML contains an exercise gets the checker (static/yourturn.js) and its
styles (static/yourturn.css); other pages load neither. The checker fetches the bundled
math.js subset (static/yourturn-mathjs.min.js, built by _ext/yourturn/ from pinned
versions) when a reader first focuses or submits a form, so a page that is only read
never downloads it.
"""

from pathlib import Path

STATIC = Path(__file__).parent / "static"
MARKER = 'class="xent-yourturn"'


def _add_static_path(app, config):
    if str(STATIC) not in map(str, config.html_static_path):
        config.html_static_path.append(str(STATIC))


def _add_assets(app, pagename, templatename, context, doctree):
    if MARKER not in context.get("body", ""):
        return
    # Called from html-page-context, these add the files to this page only.
    app.add_css_file("yourturn.css")
    app.add_js_file("yourturn.js", loading_method="defer")


def setup(app):
    app.connect("config-inited", _add_static_path)
    app.connect("html-page-context", _add_assets)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
