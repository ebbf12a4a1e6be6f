r"""The static form of an exercise: HTML the book's site checks in the browser.

Displaying a :class:`~xentlib.yourturn.YourTurn` gives this HTML: the question, a text
field for the final formula, a Check button, a "read as" line where the formula is echoed
back typeset, and a result area. Its data (:func:`payload`) is computed here, from SymPy,
when the notebook runs: the comparison points, the book's values at them (30 digits,
rounded to doubles), each typical mistake's values and hint, and the points where the
answer must stay finite. The values are computed from the exercise's definition, where
the result is written once.

On the site, ``_ext/xent_yourturn.py`` adds ``yourturn.js`` (and the bundled math.js it
parses with) to the pages that contain such a form; the script reads the formula, checks
its names, evaluates it in double precision at every point and reports agreement as a
test (never as a proof), or the point, shortest to read, where it differs, with both values and the
hint of the mistake it matches. In Jupyter the form stays hidden (the page's script is
not there) and the live check, :meth:`YourTurn.check`, takes its place.
"""

import html
import json

import numpy as np
import sympy as sp

from xentlib.symbolic.rendering import html_text
from xentlib.yourturn.reading import FUNCTIONS

__all__ = ["form_html", "payload"]

KINDS = {"real": "scalar", "unit": "scalar", "derived": "scalar", "size": "size",
         "index": "index", "vector": "array", "simplex": "array"}


def _jsonable(v):
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()] if v.ndim else _jsonable(float(v))
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    v = float(v)
    return v if np.isfinite(v) else None


def _kind(ex, name, value):
    """How the browser treats a name: a number, an array (indexed from 1), an index."""
    d = ex.domains.get(name)
    if d is not None and d.kind != "derived":
        return KINDS[d.kind]
    return "array" if np.ndim(value) else "scalar"


def payload(ex):
    """The data the browser checks the final formula with, as a JSON-ready dict.

    Keys: ``names`` (``{name: kind}``, the symbols the formula may use: ``"scalar"``,
    ``"array"`` (how many axes in ``axes``), ``"index"``, ``"size"``, ``"bound"`` (a
    Sum's index) or ``"absent"`` (a symbol of the stepwise version the result does not
    depend on)), ``functions``,
    ``points`` (the comparison points), ``reference`` (the book's value at each point,
    ``None`` where undefined), ``mistakes`` (``[{"hint": html, "values": [...]}]``),
    ``stable`` (points where the formula must stay finite), ``rtol``.
    """
    from xentlib.yourturn.exercise import RTOL

    points = ex.points
    first = points[0]
    names = {}
    for name, obj in ex.symbols.items():
        if name in first:
            names[name] = _kind(ex, name, first[name])
        elif isinstance(obj, sp.Symbol) and obj.is_integer:
            names[name] = "bound"  # only as the index of a Sum
        else:
            names[name] = "absent"  # the result does not depend on it
    axes = {name: int(np.ndim(first[name])) for name in names if names[name] == "array"}
    return {
        "key": ex.key,
        "names": names,
        "axes": axes,
        "functions": sorted(FUNCTIONS),
        "points": [{k: _jsonable(v) for k, v in p.items()} for p in points],
        "reference": _jsonable(ex.values(ex.result)),
        "mistakes": [{"hint": html_text(m.hint),
                      "values": _jsonable(np.round(ex.values(m.answer), 12))}
                     for m in ex.mistakes],
        "stable": [{k: _jsonable(v) for k, v in p.items()} for p in ex.stable_at],
        "rtol": RTOL,
    }


def _domain_html(ex):
    parts = []
    for name, d in ex.domains.items():
        obj = ex.symbols.get(name)
        if d.text and obj is not None:
            parts.append(html_text(f"${sp.latex(obj)} {d.text}$"))
    return ", ".join(parts)


def form_html(ex):
    """The exercise as self-contained HTML: the question and the in-browser form."""
    data = json.dumps(payload(ex), separators=(",", ":"), allow_nan=False)
    # Inside a <script> element only "</" could end it early.
    data = data.replace("</", "<\\/")
    field = f"xent-yourturn-{html.escape(ex.key)}"
    names = ", ".join(f"<code>{html.escape(n)}</code>" for n in ex.symbols)
    functions = ", ".join(f"<code>{html.escape(f)}</code>" for f in FUNCTIONS)
    return "".join([
        f'<div class="xent-yourturn" data-key="{html.escape(ex.key)}">',
        f'<div class="xent-yourturn-title">Your turn: {html_text(ex.title)}</div>',
        f'<p class="xent-yourturn-prompt">{html_text(ex.prompt)}</p>',
        f'<p class="xent-yourturn-vocabulary">Names: {names}. Functions: {functions}. '
        "Powers: <code>^</code> or <code>**</code>.</p>",
        # Shown by yourturn.js, on the book's site; in Jupyter the live check replaces it.
        '<div class="xent-yourturn-static" hidden>',
        f'<label class="xent-yourturn-label" for="{field}">'
        f'{html_text(f"${ex.lhs} =$")}</label>',
        '<div class="xent-yourturn-row">',
        f'<input type="text" id="{field}" class="xent-yourturn-input" autocomplete="off" '
        'autocapitalize="off" spellcheck="false" placeholder="your final formula">',
        '<button type="button" class="xent-yourturn-check">Check</button></div>',
        '<div class="xent-yourturn-echo" aria-live="polite"></div>',
        '<div class="xent-yourturn-result" aria-live="polite"></div>',
        f'<p class="xent-yourturn-domain">Checked at {ex.n_points} random points: '
        f"{_domain_html(ex)}.</p>",
        '<p class="xent-yourturn-launch">This checks the final formula at random points: '
        "a test, not a proof. For the stepwise version, each line proved, tested or refuted "
        "by SymPy with its reason shown beside it, open this page in Jupyter, Colab or Binder "
        "(the launch buttons at the top of the page) and write your lines in the next "
        "cell.</p>",
        "</div>",
        f'<script type="application/json" class="xent-yourturn-data">{data}</script>',
        "</div>",
    ])
