r"""How a derivation looks: HTML for the site and JupyterLab, LaTeX, and plain text.

All three forms carry the same verdict marks:

* proved: ✓ (green);
* tested: ≈ (amber) with a short note saying where it was tested;
* false: ✗ (red) with the counterexample.

In HTML the colours come from the book's stylesheet (classes ``xent-proved``,
``xent-tested``, ``xent-failed`` on the step), so that each colour scheme, light and
dark, chooses its own legible shade; the marks differ in shape as well as colour.

The HTML is a structured chain the book's stylesheet lays out (and stacks on narrow
screens)::

    <div class="xent-derivation">
      <div class="xent-title">...</div>                  (when the derivation has a name)
      <div class="xent-step xent-start">
        <div class="xent-expr"><span class="math ...">\(\displaystyle lhs = start\)</span></div>
      </div>
      <div class="xent-step xent-proved">                (or xent-tested, xent-failed)
        <div class="xent-expr"><span class="math ...">\(\displaystyle = expr\)</span></div>
        <div class="xent-reason"><span class="xent-mark">✓</span> reason
          <span class="xent-given">given ...</span>
          <span class="xent-method">tested at ...</span></div>
        <div class="xent-counterexample">                (failed steps)
          <span class="math ...">\(lhs \neq rhs\)</span>   (what fails first,
          <span class="math ...">\(\text{at } x = ...\)</span>  then where, a row each)
        </div>
      </div>
      <div class="xent-domain">for ...</div>
    </div>

Math sits in ``<span class="math notranslate nohighlight">\( ... \)</span>``, the class
Sphinx's MathJax typesets (JupyterLab typesets every output).
"""

import html
import re

import sympy as sp
from sympy.matrices import MatrixBase

from xentlib.symbolic.testing import _fmt, _fmt_pair

__all__ = ["latex_text", "to_html", "to_latex", "to_text"]

MARKS = {"proved": "✓", "tested": "≈", "failed": "✗"}
LATEX_MARKS = {
    "proved": r"{\color{green}\checkmark}",
    "tested": r"{\color{orange}\approx}",
    "failed": r"{\color{red}\boldsymbol{\times}}",
}


def _split_math(s):
    """``[text, math, text, ...]`` from a string with ``$...$`` math (``\\$`` is a dollar)."""
    parts = re.split(r"(?<!\\)\$", s)
    if len(parts) % 2 == 0:
        raise ValueError(f"unbalanced $ in {s!r}")
    return parts


def latex_text(s):
    """Reason text with ``$...$`` math as LaTeX to put inside a math environment."""
    out = []
    for i, part in enumerate(_split_math(s)):
        if i % 2:
            out.append(part)
            continue
        # \text{} takes its argument verbatim in MathJax: braces, backslashes and
        # escaped dollars go outside it, as math.
        for chunk in re.split(r"(\\\$|[{}\\&%#])", part):
            if chunk in ("{", "}", "\\$", "&", "%", "#"):
                out.append("\\" + chunk[-1])
            elif chunk == "\\":
                out.append(r"\backslash ")
            elif chunk:
                out.append(r"\text{" + chunk + "}")
    return "".join(out)


def _math_html(tex, display=False):
    style = r"\displaystyle " if display else ""
    return (f'<span class="math notranslate nohighlight">\\({style}'
            f"{html.escape(tex, quote=False)}\\)</span>")


def html_text(s):
    """Reason text with ``$...$`` math as HTML, the math in MathJax spans."""
    out = []
    for i, part in enumerate(_split_math(s)):
        if i % 2:
            out.append(_math_html(part))
        else:
            out.append(html.escape(part.replace("\\$", "$"), quote=False))
    return "".join(out)


def _expr_latex(expr, display):
    return display if display is not None else sp.latex(expr)


def _oneline(expr):
    if isinstance(expr, MatrixBase):
        return "Matrix(" + sp.sstr(expr.tolist()) + ")"
    return sp.sstr(expr)


def _conditions_texts(step):
    return [c.text for c in step.given] + list(step.assumptions)


def _short_method(step):
    """What the reader sees beside a tested step: where it was tested."""
    return re.sub(r",? not proved$", "", step.method)


def _latex_name(name):
    """LaTeX of a symbol's name; ``z[1]`` (an Indexed) becomes ``z_{1}``."""
    m = re.fullmatch(r"(\w+)\[(.+)\]", name)
    if m:
        return f"{sp.latex(sp.Symbol(m.group(1)))}_{{{m.group(2)}}}"
    return sp.latex(sp.Symbol(name))


def _counterexample_rows(step):
    """LaTeX rows that show why a step is false."""
    ce = step.counterexample
    if ce is None:
        return [r"\text{false: " + re.sub(r"[{}\\$]", "", step.method) + "}"]
    # Braces keep a minus sign unary after the colon.
    pairs = [f"{_latex_name(k)} = {{{_fmt(v)}}}" for k, v in ce.values.items()]
    # A few assignments per row keep the chain narrow enough for a page.
    rows = [",\\ ".join(pairs[i:i + 4]) for i in range(0, len(pairs), 4)] or [""]
    rows[0] = (r"\text{false at }" if pairs else r"\text{false}") + rows[0]
    where = "" if ce.entry is None else r"\text{, entry }" + ce.entry_label()
    left, right = (t.replace("undefined", r"\text{undefined}").replace(" (they", r"\text{ (they")
                   .replace("digits)", r"digits)}") for t in _fmt_pair(ce.lhs, ce.rhs))
    rows[-1] += f"{where}:\\ {{{left}}} \\neq {{{right}}}"
    return [r + "," if i < len(rows) - 1 else r for i, r in enumerate(rows)]


def _counterexample_html_rows(step):
    """LaTeX rows for the site: the failing comparison first, then where it fails.

    A reader (on a phone, a row per line) sees what is false before the values.
    """
    ce = step.counterexample
    if ce is None:
        return [r"\text{false: " + re.sub(r"[{}\\$]", "", step.method) + "}"]
    left, right = (t.replace("undefined", r"\text{undefined}").replace(" (they", r"\text{ (they")
                   .replace("digits)", r"digits)}") for t in _fmt_pair(ce.lhs, ce.rhs))
    where = "" if ce.entry is None else r"\text{entry }" + ce.entry_label() + r"\text{: }"
    rows = [rf"\text{{false: }}{where}{{{left}}} \neq {{{right}}}"]
    pairs = [f"{_latex_name(k)} = {{{_fmt(v)}}}" for k, v in ce.values.items()]
    rows += [r"\text{at }" * (i == 0) + ",\\ ".join(pairs[i:i + 3]) for i in range(0, len(pairs), 3)]
    return rows


def to_latex(d):
    r"""The chain as ``$$\begin{aligned} ... \end{aligned}$$``."""
    lines = [f"{d.lhs} &= {_expr_latex(d.start, d.display)}"]
    for s in d.steps:
        note = latex_text(s.reason)
        texts = _conditions_texts(s)
        if texts:
            note += r"\quad\text{given }" + r"\text{, }".join(latex_text(t) for t in texts)
        if s.verdict == "tested":
            note += r"\quad\text{(" + re.sub(r"[{}\\$]", "", _short_method(s)) + ")}"
        lines.append(f"&= {_expr_latex(s.expr, s.display)} && {LATEX_MARKS[s.verdict]}\\ {note}")
        if not s.ok:
            lines.extend(r"& && \qquad " + row for row in _counterexample_rows(s))
    if d.domain:
        lines.append(r"&&& \text{for }" + r"\text{, }".join(latex_text(c.text) for c in d.domain))
    return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"


def to_html(d):
    """The chain as HTML (see the module docstring for its structure)."""
    rows = ['<div class="xent-derivation">']
    if d.name:
        rows.append(f'<div class="xent-title">{html.escape(d.name, quote=False)}</div>')
    start = f"{d.lhs} = {_expr_latex(d.start, d.display)}"
    rows.append('<div class="xent-step xent-start">'
                f'<div class="xent-expr">{_math_html(start, display=True)}</div></div>')
    for s in d.steps:
        v = s.verdict
        # Hovering the mark tells how the verdict was reached.
        mark = f'<span class="xent-mark" title="{html.escape(s.method)}">{MARKS[v]}</span>'
        reason = [mark, " ", html_text(s.reason)]
        texts = _conditions_texts(s)
        if texts:
            given = ", ".join(html_text(t) for t in texts)
            reason.append(f' <span class="xent-given">given {given}</span>')
        if v == "tested":
            reason.append(f' <span class="xent-method">{html.escape(_short_method(s))}</span>')
        row = [f'<div class="xent-step xent-{v}">',
               f'<div class="xent-expr">{_math_html("= " + _expr_latex(s.expr, s.display), display=True)}</div>',
               f'<div class="xent-reason">{"".join(reason)}</div>']
        if not s.ok:
            # One math span per row: each wraps to the next line on a narrow screen.
            ce = " ".join(_math_html(r) for r in _counterexample_html_rows(s))
            row.append(f'<div class="xent-counterexample">{ce}</div>')
        row.append("</div>")
        rows.append("".join(row))
    if d.domain:
        domain = ", ".join(html_text(c.text) for c in d.domain)
        rows.append(f'<div class="xent-domain">for {domain}</div>')
    rows.append("</div>")
    return "\n".join(rows)


def to_text(d):
    """The chain as deterministic plain text, one line per step with its mark."""
    head = f"Derivation: {d.name}" if d.name else "Derivation"
    lines = [head, f"  {d.lhs}", f"    = {_oneline(d.start)}"]
    if d.domain:
        lines.insert(1, "  for " + ", ".join(c.text for c in d.domain))
    for s in d.steps:
        texts = _conditions_texts(s)
        given = "; given " + ", ".join(texts) if texts else ""
        note = f"  ({_short_method(s)})" if s.verdict == "tested" else ""
        lines.append(f"    = {_oneline(s.expr)}   {MARKS[s.verdict]} {s.reason}{given}{note}")
        if not s.ok:
            lines.append(f"      {s.failure_message()}")
    return "\n".join(lines)
