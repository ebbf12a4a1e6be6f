r"""A "your turn" exercise: the learner writes the derivation, the book checks it.

One :class:`YourTurn` holds everything about an exercise: the question, the symbols the
learner may use, the start expression, the book's result (a SymPy expression, written as
the chapter writes it; the tests check that it equals the start at every comparison
point), the conditions, the domain the answers are compared on, and the typical mistakes
with their hints. From it come both forms:

* live, in Jupyter: :meth:`YourTurn.check` reads each line (echoed back typeset, "read
  as"), checks each step against the line before with
  :func:`xentlib.symbolic.check_equal` (proved, tested, or refuted with a counterexample
  in the learner's symbols), then checks the last line against the result, and names the
  typical mistake the answer matches;
* static, on the site: the exercise's HTML output (:mod:`xentlib.yourturn.static`) is a
  form that checks the final formula in the browser against the book's values at the
  same random points.
"""

import dataclasses
import html
import re

import numpy as np
import sympy as sp

from xentlib.symbolic import Counterexample, Derivation, check_equal
from xentlib.symbolic.conditions import _conditions
from xentlib.symbolic.rendering import _split_math, html_text
from xentlib.yourturn.reading import FUNCTIONS, ReadError, read_expression
from xentlib.yourturn.sampling import draw_points, values_at

__all__ = ["Attempt", "Mistake", "YourTurn"]

# Values agree when they differ by less than this, relative to their size (at least 1):
# the learner's formula is evaluated in double precision on the static page.
RTOL = 1e-7
NOT_ATTEMPTED = "not attempted yet"


@dataclasses.dataclass(frozen=True)
class Mistake:
    """A typical wrong result and what to say to a learner who gets it.

    Attributes:
      answer: the wrong result (a SymPy expression in the exercise's symbols), e.g.
        ``y - a`` for the sign flip of ``a - y``.
      hint: a sentence (``$...$`` math allowed) that points at the slip without giving
        the answer away.
    """

    answer: object
    hint: str


class YourTurn:
    r"""An exercise whose derivation the learner writes.

    Args:
      key: a short unique name, e.g. ``"02-bce-gradient"``.
      title: the heading shown above the exercise.
      prompt: the question (``$...$`` math allowed).
      lhs: LaTeX of what is derived, e.g. ``r"\frac{\partial L}{\partial z}"``.
      start: the expression the derivation starts from (often an unevaluated
        ``sp.Derivative``), what the first line is checked against.
      result: the book's result, what the last line must equal.
      symbols: the SymPy Symbols and IndexedBases the learner may write, by their names.
      domains: ``{name: Domain}`` (:mod:`xentlib.yourturn.sampling`) for every symbol
        but the bound indices of sums: where the final answers are compared, live for the
        hints and on the static page, and where a step's counterexample is looked for.
      conditions: the :mod:`xentlib.symbolic` conditions every step may rely on
        (``Given({a: sigmoid(z)})``, ``sums_to_one(y, C)``, ``positive(b)``...).
      mistakes: :class:`Mistake` s, the typical slips and their hints.
      stable_at: points (dicts like those of the domain) where the answer must stay finite
        in double precision (no overflow, no underflow of a term that matters), for the
        exercises on a stable form.
      start_display: LaTeX shown for ``start``.
      example: a right final answer in the learner's notation, for the teacher's check
        and the tests (never shown to the learner).
      n_points: how many points the final answers are compared at.
      seed: the points' seed.
    """

    def __init__(self, key, title, prompt, lhs, start, result, symbols, domains, *,
                 conditions=None, mistakes=(), stable_at=(), start_display=None,
                 example=None, n_points=200, seed=0):
        self.key = key
        self.title = title
        self.prompt = prompt
        self.lhs = lhs
        self.start = start
        self.result = sp.sympify(result)
        self.symbols = {_name(s): s for s in symbols}
        self.domains = dict(domains)
        self.conditions = _conditions(conditions)
        self.mistakes = tuple(mistakes)
        self.stable_at = tuple(stable_at)
        self.start_display = start_display
        self.example = example
        self.n_points = n_points
        self.seed = seed
        clash = set(self.symbols) & set(FUNCTIONS)
        if clash:
            raise ValueError(f"symbol names that are also function names: {sorted(clash)}")
        missing = {_name(s) for s in _atoms(self.result)} - set(self.domains)
        if missing:
            raise ValueError(f"the result uses {sorted(missing)}, which have no domain")
        # Only a bound index (an integer Symbol without a domain) may go without one: a
        # step's lines are compared at the points too, and a symbol with no value there
        # would make every comparison of a line that uses it undefined.
        loose = [n for n, s in self.symbols.items() if n not in self.domains
                 and not (isinstance(s, sp.Symbol) and s.is_integer)]
        if loose:
            raise ValueError(f"{sorted(loose)} have no domain: give each a domain "
                             "(only the bound index of a sum may go without one)")
        self._points = None
        self._values = {}

    # -- the points the final answers are compared at ------------------------------------

    @property
    def points(self):
        """The comparison points (drawn once, seeded): dicts ``{name: value}``."""
        if self._points is None:
            self._points = draw_points(self.domains, self.n_points, self.seed)
        return self._points

    def values(self, expr):
        """The values of an expression at :attr:`points` (``nan`` where undefined)."""
        key = sp.srepr(expr)
        if key not in self._values:
            evaluated = expr.doit() if expr.has(sp.Derivative) else expr
            self._values[key] = values_at(evaluated, self.points, self.symbols)
        return self._values[key]

    def matching_mistake(self, expr):
        """The :class:`Mistake` whose answer agrees with ``expr`` at every point, or None."""
        mine = self.values(expr)
        for m in self.mistakes:
            if _agree(mine, self.values(m.answer)):
                return m
        return None

    def tell_apart(self, before, after):
        """Whether two lines differ at :attr:`points` (both defined at half of them at least)."""
        return self.step_point(before, after) is not None

    def step_point(self, before, after):
        """``(point, value before, value after)``: where two lines differ, among the
        :attr:`points` where both are defined (half of them at least), the point shortest
        to read; None where they agree."""
        v, w = self.values(before), self.values(after)
        both = np.isfinite(v) & np.isfinite(w)
        if both.sum() < len(v) // 2:
            return None
        differ = both & ~(np.abs(v - w) <= RTOL * np.maximum(1.0, np.abs(w)))
        if not differ.any():
            return None
        n = min(np.flatnonzero(differ), key=lambda k: len(str(self.points[k])))
        return self.points[n], float(v[n]), float(w[n])

    def agree(self, one, other):
        """Whether two expressions agree at :attr:`points`, defined at the same ones (half
        of them at least)."""
        return _agree(self.values(one), self.values(other))

    def within_domains(self, values):
        """Whether a counterexample's values (``{"z": 0.3, "z[2]": 1.5, ...}``) lie in the
        exercise's domains; a value without a domain of its own (derived) is not judged."""
        point = {}
        for name, v in values.items():
            point.setdefault(name.split("[")[0], []).append(v)
        for name, vs in point.items():
            d = self.domains.get(name)
            if d is None or d.kind == "derived":
                continue
            for v in vs:
                if not isinstance(v, (int, float, np.integer, np.floating)):
                    return False
                if d.kind == "unit" and not 0 < v < 1:
                    return False
                if d.kind in ("real", "vector", "size") and not d.low <= v <= d.high:
                    return False
                if d.kind == "simplex" and not 0 <= v <= 1:
                    return False
                if d.kind == "index":
                    of = point.get(d.of, [None])[0]
                    if v < 1 or (of is not None and v > of):
                        return False
        return True

    def differing_point(self, expr):
        """``(point, value of expr, value of the result)`` at the point of :attr:`points`
        that is shortest to read among those where they differ, or None."""
        mine, book = self.values(expr), self.values(self.result)
        scale = np.maximum(1.0, np.abs(book))
        differ = np.isfinite(book) & ~(np.abs(mine - book) <= RTOL * scale)
        if not differ.any():
            return None
        n = min(np.flatnonzero(differ), key=lambda k: len(str(self.points[k])))
        return self.points[n], float(mine[n]), float(book[n])

    def overflow_point(self, expr):
        """The first of :attr:`stable_at` where ``expr`` is not finite in double precision."""
        found = self.unstable_point(expr)
        return None if found is None else found[0]

    def unstable_point(self, expr):
        """``(point, cause)`` at the first of :attr:`stable_at` where ``expr`` is not finite
        in double precision; ``cause`` is ``"overflow"`` (a number beyond the largest
        double, ``inf``), ``"underflow"`` (a number that matters rounded to 0, say before a
        log) or ``None`` where the floating-point flags do not tell. None if it stays finite."""
        for point in self.stable_at:
            value, events = float64_at(expr, point, self.symbols, events=True)
            if not np.isfinite(value):
                cause = next((c for c in ("overflow", "underflow") if c in events), None)
                return point, cause
        return None

    # -- the live check ------------------------------------------------------------------

    def read(self, text):
        """Read one line in this exercise's symbols (see :func:`read_expression`)."""
        return read_expression(text, self.symbols)

    def check(self, *lines):
        """Check the learner's derivation.

        Args:
          *lines: each ``"expression"`` or ``("expression", "reason")``, in order, the
            first one following from the exercise's start; the last one is the answer.
            No lines: the exercise is not attempted yet.

        Returns:
          An :class:`Attempt`, which displays each line as read, each step's verdict, the
          final verdict and a hint.
        """
        return Attempt(self, [_line(x) for x in lines])

    # -- display -------------------------------------------------------------------------

    def _repr_html_(self):
        from xentlib.yourturn.static import form_html

        return form_html(self)

    def __repr__(self):
        names = ", ".join(self.symbols)
        return (f"Your turn: {_plain(self.title)}\n{_plain(self.prompt)}\n"
                f"Symbols: {names}. Check your lines with .check((\"expression\", \"reason\"), ...).")


class Attempt:
    """The learner's lines, read and checked.

    Attributes:
      exercise: the :class:`YourTurn`.
      lines: ``[(text, reason)]`` as given.
      read: for each line, the SymPy expression, or the :class:`ReadError` message.
      derivation: the :class:`~xentlib.symbolic.Derivation` of the lines (when every line
        was read), each step with its verdict.
      final: the :class:`~xentlib.symbolic.Proof` that the last line equals the result.
      mistake: the typical :class:`Mistake` the last line matches, when it is wrong.
      overflow: a point of the exercise's ``stable_at`` where the last line is not finite
        in double precision although it equals the result.
      overflow_cause: ``"overflow"``, ``"underflow"`` or None (not told) at that point.
    """

    def __init__(self, exercise, lines):
        self.exercise = exercise
        self.lines = lines
        self.read = []
        self.derivation = self.final = self.mistake = self.overflow = self.differs = None
        self.overflow_cause = None
        for text, _ in lines:
            try:
                self.read.append(exercise.read(text))
            except ReadError as e:
                self.read.append(str(e))
        if not lines or not all(isinstance(r, sp.Expr) for r in self.read):
            return
        ex = exercise
        d = Derivation(ex.lhs, ex.start, domain=ex.conditions, strict=False,
                       display=ex.start_display, name="your derivation")
        for (text, reason), expr in zip(lines, self.read):
            d.step(expr, reason)
        before = ex.start
        for step in d.steps:
            # A step only tested, not proved, is also compared at the exercise's points; a
            # refuted step's counterexample is moved to one of them when it falls outside
            # the exercise's domains (y = 1.04 where y is a probability, a size of 1).
            tested = step.ok and not step.proved
            outside = (not step.ok and step.counterexample is not None
                       and not ex.within_domains(step.counterexample.values))
            found = ex.step_point(before, step.expr) if tested or outside else None
            if _inconclusive(step) and ex.agree(before, step.expr):
                step.ok = True
                step.method = f"tested at the exercise's {ex.n_points} points ({step.method})"
            elif found is not None:
                point, v, w = found
                step.ok = False
                step.counterexample = Counterexample(_flat(point), v, w)
                step.method = "false: a counterexample among the exercise's points"
            before = step.expr
        self.derivation = d
        answer = self.read[-1]
        self.final = check_equal(answer, ex.result, domain=ex.conditions)
        differs = ex.differing_point(answer)
        if self.final.ok and not self.final.proved and differs is not None:
            # Tested, not proved, and the exercise's own points (those of the static page)
            # tell the two apart: the answer is wrong, whatever other points missed.
            point, mine, book = differs
            self.final = dataclasses.replace(
                self.final, ok=False, counterexample=Counterexample(_flat(point), mine, book),
                method="false: a counterexample among the exercise's points")
        elif _inconclusive(self.final) and ex.agree(answer, ex.result):
            # The checker ran out of time or precision; the exercise's points (those of
            # the static page) decide, as a test.
            self.final = dataclasses.replace(
                self.final, ok=True, proved=False,
                method=f"tested at the exercise's {ex.n_points} points ({self.final.method})")
        if not self.final.ok:
            self.mistake = ex.matching_mistake(answer)
            self.differs = differs
        else:
            unstable = ex.unstable_point(answer)
            if unstable is not None:
                self.overflow, self.overflow_cause = unstable

    @property
    def attempted(self):
        return bool(self.lines)

    @property
    def correct(self):
        """Every line read, every step holds, the last equals the result and is stable."""
        return (self.derivation is not None and self.derivation.ok and self.final.ok
                and self.overflow is None)

    def summary(self):
        """The verdict in one or two sentences, plain text."""
        return self._summary(_plain)

    def _summary(self, hint_text):
        if not self.attempted:
            return (f"{NOT_ATTEMPTED}: write your lines in check(...), each "
                    '"expression" or ("expression", "reason").')
        unread = [(i, r) for i, r in enumerate(self.read, 1) if isinstance(r, str)]
        if unread:
            return "; ".join(f"line {i} could not be read: {msg}" for i, msg in unread)
        failed = [s for s in self.derivation.steps if not s.ok]
        parts = []
        # A single line is its own final answer: the final verdict below says it all.
        if failed and not (len(self.lines) == 1 and not self.final.ok):
            parts.append(_plain(failed[0].failure_message().replace("step", "line", 1)))
        if not self.final.ok:
            ce = self.final.counterexample
            if self.differs is not None:
                point, mine, book = self.differs
                at = ", ".join(f"{k} = {_short(v)}" for k, v in point.items())
                where = f" (at {at}: yours is {_pair(mine, book)})"
            else:
                where = f" (at {ce.point()}: yours is {_pair(ce.lhs, ce.rhs)})" if ce else ""
            parts.append(f"the last line is not the result{where}")
            if self.mistake is not None:
                parts.append("hint: " + hint_text(self.mistake.hint))
        elif self.overflow is not None:
            at = ", ".join(f"{k} = {_short(v)}" for k, v in self.overflow.items())
            parts.append(f"the last line equals the result but is not finite in floating "
                         f"point (overflow or underflow) at {at}: "
                         + _UNSTABLE[self.overflow_cause])
        if not parts:
            how = "proved" if self.derivation.proved and self.final.proved else "tested"
            parts.append(f"right: every step holds and the last line is the result ({how})")
        return "; ".join(parts) + "."

    def __repr__(self):
        out = [f"Your turn: {_plain(self.exercise.title)}"]
        for (text, _), r in zip(self.lines, self.read):
            shown = f"read as {sp.sstr(r)}" if isinstance(r, sp.Expr) else f"not read: {r}"
            out.append(f"  {text}  ->  {shown}")
        out.append(self.summary())
        return "\n".join(out)

    def _repr_html_(self):
        rows = ['<div class="xent-yourturn-live">',
                f'<div class="xent-yourturn-title">Your turn: {html_text(self.exercise.title)}</div>']
        if not self.attempted:
            rows.append(f'<p class="xent-yourturn-verdict">{html.escape(self.summary())}</p></div>')
            return "".join(rows)
        rows.append("<ol class=\"xent-yourturn-read\">")
        for (text, _), r in zip(self.lines, self.read):
            if isinstance(r, sp.Expr):
                shown = "read as " + html_text(f"${sp.latex(r)}$")
            else:
                shown = f'<span class="xent-yourturn-error">not read: {html.escape(r)}</span>'
            rows.append(f"<li><code>{html.escape(text)}</code> &rarr; {shown}</li>")
        rows.append("</ol>")
        if self.derivation is not None:
            rows.append(self.derivation.to_html())
        state = "right" if self.correct else "wrong"
        # The hint's math is typeset; the rest of the verdict is plain text.
        marker = "\x00hint\x00"
        verdict = html.escape(self._summary(lambda hint: marker))
        if self.mistake is not None:
            verdict = verdict.replace(marker, html_text(self.mistake.hint))
        rows.append(f'<p class="xent-yourturn-verdict xent-yourturn-{state}">{verdict}</p></div>')
        return "".join(rows)


# ---------------------------------------------------------------------------------------


def _name(s):
    if isinstance(s, sp.IndexedBase):
        return str(s.label)
    if isinstance(s, sp.Symbol):
        return s.name
    raise TypeError(f"symbols are SymPy Symbols or IndexedBases, got {s!r}")


def _atoms(expr):
    """The Symbols and IndexedBases an expression depends on (bound indices excluded)."""
    bases = {x.base for x in expr.atoms(sp.Indexed)}
    return {s for s in expr.free_symbols if not isinstance(s, sp.Indexed)} | bases


def _line(x):
    if isinstance(x, str):
        return x, "your step"
    if isinstance(x, (tuple, list)) and len(x) == 2 and all(isinstance(t, str) for t in x):
        return x[0], _reason(x[1].strip()) or "your step"
    raise TypeError('each line is "expression" or ("expression", "reason"), both text; '
                    f"got {x!r}")


def _inconclusive(verdict):
    """A step or proof the checker could not settle (no counterexample, no agreement)."""
    return (not verdict.ok and verdict.counterexample is None
            and str(verdict.method).startswith("inconclusive"))


def _reason(text):
    """A reason as the checker shows it: ``$...$`` is math; a ``$`` without its pair
    ("cost $5", "since a = $\\sigma(z)") is a plain dollar sign."""
    try:
        _split_math(text)
    except ValueError:
        return re.sub(r"(?<!\\)\$", r"\\$", text)
    return text


_UNSTABLE = {
    "overflow": "a number there overflows (it exceeds the largest double, about 1.8e308); "
                "find a form that never exponentiates a large positive number",
    "underflow": "a number there underflows (it rounds to 0, and a log or a division of it "
                 "is not finite); find a form whose terms that matter never round to 0, "
                 "e.g. by taking the largest term out",
    None: "find a form that stays within the range of double precision",
}


def _agree(mine, theirs):
    """Equal where both are defined, and defined at the same points (enough of them)."""
    both = np.isfinite(mine) & np.isfinite(theirs)
    if np.any(np.isfinite(mine) != np.isfinite(theirs)) or both.sum() < len(mine) // 2:
        return False
    scale = np.maximum(1.0, np.abs(theirs[both]))
    return bool(np.all(np.abs(mine[both] - theirs[both]) <= RTOL * scale))


def float64_at(expr, point, symbols, events=False):
    """The value of ``expr`` at ``point`` in double precision (``inf``/``nan`` on overflow).

    With ``events=True``, ``(value, set of floating-point events)``: ``"overflow"``,
    ``"underflow"``, ``"divide by zero"``, ``"invalid value"``, as NumPy's flags report them.
    """
    subs, arrays = {}, {}
    for name, v in point.items():
        obj = symbols.get(name)
        if isinstance(obj, sp.IndexedBase):
            arrays[obj] = np.asarray(v, dtype=float)
        elif obj is not None:
            subs[obj] = v
    e = sp.sympify(expr).xreplace({k: sp.Integer(v) if isinstance(v, (int, np.integer))
                                   else sp.Symbol(f"_v_{_name(k)}") for k, v in subs.items()})
    if e.has(sp.Sum):
        e = e.doit()
    cells = {}

    def entry(x):
        at = tuple(int(i) - 1 for i in x.indices)
        s = sp.Symbol(f"_e_{x.base}_{'_'.join(map(str, at))}")
        cells[s] = float(arrays[x.base][at])
        return s

    e = e.replace(lambda x: isinstance(x, sp.Indexed) and x.base in arrays, entry)
    floats = {sp.Symbol(f"_v_{_name(k)}"): float(v) for k, v in subs.items()
              if not isinstance(v, (int, np.integer))}
    floats.update(cells)
    args = list(floats)
    f = sp.lambdify(args, e, modules="numpy")
    seen = set()

    def record(kind, flag):
        seen.add(kind.split(" encountered")[0].strip())

    with np.errstate(all="call", call=record):
        value = float(np.real_if_close(f(*[np.float64(floats[a]) for a in args])))
    return (value, seen) if events else value


def _flat(point):
    """A point with each entry of a vector or matrix named like ``z[1]``, ``W[1, 2]``."""
    out = {}
    for name, v in point.items():
        if np.ndim(v) == 0:
            out[name] = v
            continue
        for at, x in np.ndenumerate(np.asarray(v)):
            out[f"{name}[{', '.join(str(i + 1) for i in at)}]"] = float(x)
    return out


# LaTeX commands of the prompts and hints, as plain text reads them.
_UNICODE = {
    "partial": "∂", "sigma": "σ", "delta": "δ", "theta": "θ", "sum": "Σ", "pi": "π",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "neq": "≠", "in": "∈", "pm": "±",
    "cdot": "·", "dots": "…", "ldots": "…", "top": "ᵀ", "approx": "≈", "infty": "∞",
    "log": "log", "exp": "exp", "max": "max", "min": "min",
}


def _plain(s):
    """Text with ``$...$`` math as plain text: ``\\partial L / \\partial z`` reads
    ``∂L / ∂z``, ``\\frac{a}{b}`` reads ``(a)/(b)``, ``\\delta_{ij}`` reads ``δ_ij``."""
    parts = _split_math(s)
    return "".join(_plain_math(p) if i % 2 else p.replace("\\$", "$")
                   for i, p in enumerate(parts))


def _plain_math(tex):
    frac = re.compile(r"\\[dt]?frac\{([^{}]*)\}\{([^{}]*)\}")
    while frac.search(tex):
        tex = frac.sub(lambda m: f"{_group(m.group(1))}/{_group(m.group(2))}", tex)
    tex = re.sub(r"\\(?:operatorname|text|mathrm)\{([^{}]*)\}", r"\1", tex)
    tex = re.sub(r"\\(?:[bB]igg?[lr]?|left|right)(?![a-zA-Z])", "", tex)
    tex = re.sub(r"\\[,;:! ]", " ", tex)
    tex = tex.replace("\\{", "\x01").replace("\\}", "\x02")
    tex = re.sub(r"\\([a-zA-Z]+) ?",
                 lambda m: _UNICODE.get(m.group(1), m.group(1)) + (" " if m.group(1) in (
                     "log", "exp", "max", "min", "le", "leq", "ge", "geq", "in", "neq",
                     "approx") else ""), tex)
    # Braces that only group: x_{ij} reads x_ij, e^{z} reads e^z, e^{-z} reads e^(-z).
    tex = re.sub(r"([_^])\{([^{}]*)\}",
                 lambda m: m.group(1) + (m.group(2) if re.fullmatch(r"\w+", m.group(2))
                                         else f"({m.group(2)})"), tex)
    tex = tex.replace("{", "").replace("}", "").replace("\x01", "{").replace("\x02", "}")
    tex = re.sub(r"\b(log|exp|max|min) (?=[(_])", r"\1", tex)
    return re.sub(r"\s+", " ", re.sub(r"(?<=∂) ", "", tex))


def _group(t):
    t = _plain_math(t).strip()
    return t if re.fullmatch(r"[\w∂σδθ\\]+", t) else f"({t})"


def _short(v):
    if isinstance(v, np.ndarray):
        if v.ndim == 2:
            return "(" + ", ".join(_short(row) for row in v) + ")"
        return "(" + ", ".join(f"{x:.4g}" for x in v) + ")"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _pair(mine, book):
    from xentlib.symbolic.testing import _fmt_pair

    left, right = _fmt_pair(mine, book)
    return f"{left}, the result is {right}"
