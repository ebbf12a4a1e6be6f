r"""Checking one equality: a proof by SymPy, or a test at many points, or a counterexample.

:func:`check_equal` returns a :class:`Proof` with one of three verdicts:

* **proved**: :mod:`~xentlib.symbolic.proving` reduces the difference of the two sides to
  0, for every value in the stated domain and every size (``Proof.proved``);
* **tested**: no proof was found and the two sides agree at every test point (the method
  says which points; ``Proof.ok`` but not ``Proof.proved``);
* **false**: a point where they differ, confirmed with 50-digit arithmetic
  (``Proof.counterexample``).

How a step is tested when no proof is found:

* Every symbol is drawn at many scales, from 1e-6 to 1e6 in magnitude and of both signs
  unless its domain says otherwise, with the edges of its domain (probabilities within
  1e-6 of 0 and 1, targets that sum to one both on the simplex and off it).
* A general size (the bound of a ``Sum``) is tried at 2..8, each size independently, and
  never below a literal index in the expression; each free index takes values in 1..size.
* A point where one side is finite and real and the other is not (a log of a negative
  number, a division by zero) is a counterexample, like a point where the values differ.
  Floating point only screens: each disagreement is confirmed, and a sample of agreeing
  points re-checked, at 50 significant digits with a relative tolerance of 1e-25.
* The random points are seeded from the step's content, so a notebook prints the same
  thing on every run.
"""

import dataclasses
import hashlib
import itertools
import re
import warnings

import numpy as np
import sympy as sp
from sympy.matrices import MatrixBase

from xentlib.symbolic.conditions import _conditions
from xentlib.symbolic.proving import decide_index_ranges, indexed_symbol, prove_zero

__all__ = ["Counterexample", "Proof", "check_equal"]

# Sizes a general size symbol takes when no proof is found.
SIZES = tuple(range(2, 9))
# Test points for a step without general sizes.
NUM_POINTS = 256
# Size configurations, index choices per configuration, and points per choice.
SIZE_CONFIGS = 6
INDEX_CHOICES = 6
POINTS_PER_CHOICE = 24
# Floating point screens; 50 digits decide.
SCREEN_RTOL = 1e-9
DIGITS = 50
HP_RTOL = 1e-25
# Differences below this (times the size of the values, at least 1) are beyond what
# 50-digit evaluation resolves reliably: not a counterexample.
HP_ATOL = 1e-40
# Disagreements confirmed at 50 digits, and agreeing points re-checked there.
MAX_CANDIDATES = 10
RECHECKS = 4


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Counterexample:
    """A point where two expressions differ.

    Attributes:
      values: ``{name: value}`` of the symbols at the point (including sizes, indices and
        quantities fixed by the conditions, e.g. the last target of a simplex or
        ``a = sigma(z)``).
      lhs: value of the left (previous) side; for a Matrix, of the first entry that
        differs. A ``complex`` where that side is not real, ``nan`` where it is undefined.
      rhs: value of the right (new) side.
      entry: the Matrix entry ``(row, col)`` counted from 0 (to index the Matrix in
        Python), or ``None`` for scalars. Printed, it is counted from 1, like the
        subscripts in the book's formulas: ``entry (3, 2)`` is row 3, column 2.
    """

    values: dict
    lhs: float
    rhs: float
    entry: tuple = None

    def point(self):
        """The point as ``"z = 0.82, a = 0.6942"``."""
        return ", ".join(f"{k} = {_fmt(v)}" for k, v in self.values.items())

    def entry_label(self):
        """The Matrix entry as the book writes it, counted from 1: ``"(3, 2)"``."""
        if self.entry is None:
            return None
        row, col = self.entry
        return f"({row + 1}, {col + 1})"

    def __str__(self):
        where = f"entry {self.entry_label()}: " if self.entry is not None else ""
        at = f"at {self.point()}: " if self.values else ""
        left, right = _fmt_pair(self.lhs, self.rhs)
        return f"{at}{where}{left} != {right}"


@dataclasses.dataclass(frozen=True)
class Proof:
    """Outcome of :func:`check_equal`.

    Attributes:
      ok: whether the two sides are equal (under the conditions): proved, or tested
        without a counterexample.
      method: a sentence for the reader saying how: ``"proved: ..."``,
        ``"tested at N points (...), not proved"``, or how a failure was found.
      counterexample: a :class:`Counterexample` when ``ok`` is false and one was found.
      proved: whether ``ok`` rests on a symbolic proof (for every value of the domain and
        every size), not only on test points.
      assumptions: LaTeX texts of what the verdict relied on beyond the conditions
        (declared symbol assumptions such as ``p > 0``, index ranges), for the reader.
    """

    ok: bool
    method: str
    counterexample: Counterexample = None
    proved: bool = False
    assumptions: tuple = ()


def _fmt(v, digits=4):
    """A value as the reader sees it: ``0.2123``, ``3``, ``0 + 3.142i``, ``undefined``."""
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, complex):
        if v.imag == 0:
            return _fmt(v.real, digits)
        sign = "-" if v.imag < 0 else "+"
        return f"{_fmt(v.real, digits)} {sign} {_fmt(abs(v.imag), digits)}i"
    v = float(v)
    if np.isnan(v):
        return "undefined"
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.{digits}g}"


def _fmt_pair(lhs, rhs):
    """Both values with as many digits as it takes to see that they differ."""
    for digits in (4, 7, 10, 13, 17):
        left, right = _fmt(lhs, digits), _fmt(rhs, digits)
        if left != right:
            return left, right
    return left, right + " (they differ beyond 17 digits)"


def _natural_key(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


# ---------------------------------------------------------------------------------------
# The problem: both sides, conditions substituted, sizes and indices found
# ---------------------------------------------------------------------------------------


def _entries(expr):
    if isinstance(expr, MatrixBase):
        return list(expr), expr.shape
    return [sp.sympify(expr)], None


def _substitute_all(expr, conds):
    """Apply every condition's substitutions, before anything is evaluated.

    Substituting first, then ``doit()``, evaluates ``Derivative(L, w)`` given ``L = f(w)``
    as the derivative of ``f(w)`` (not 0), and evaluates a ``Derivative`` that a
    substitution brings in (NumPy cannot print one).
    """
    for c in conds:
        expr = c.substitute(expr)
    return expr


def _sizes(exprs):
    """Symbols in the bounds of a Sum or Product."""
    sizes = set()
    for e in exprs:
        for s in e.atoms(sp.Sum, sp.Product):
            for _, lo, hi in s.limits:
                sizes |= sp.sympify(hi).free_symbols | sp.sympify(lo).free_symbols
    return sorted(sizes, key=str)


def _indices(exprs, sizes):
    found = set()
    for e in exprs:
        for s in e.free_symbols:
            if isinstance(s, sp.Symbol) and s.is_integer and s not in sizes:
                found.add(s)
    return sorted(found, key=str)


def _bounds(exprs, sizes, indices):
    """Free index -> the size it ranges up to; and the largest literal index."""
    base_size, literal = {}, 0
    for e in exprs:
        for s in e.atoms(sp.Sum, sp.Product):
            k, lo, hi = s.limits[0]
            for x in s.function.atoms(sp.Indexed):
                for pos, ix in enumerate(x.indices):
                    if ix == k and hi in sizes:
                        base_size.setdefault((x.base, pos), hi)
        for x in e.atoms(sp.Indexed):
            for ix in x.indices:
                if ix.is_Integer:
                    literal = max(literal, int(ix))
    bounds = {}
    for idx in indices:
        candidates = sorted({base_size[(x.base, pos)] for e in exprs for x in e.atoms(sp.Indexed)
                             for pos, ix in enumerate(x.indices)
                             if ix == idx and (x.base, pos) in base_size}, key=str)
        if candidates:
            bounds[idx] = candidates[0]
        elif sizes:
            bounds[idx] = sizes[0]
    return bounds, literal


def _content_seed(*parts):
    text = "\x1f".join(sp.srepr(p) if isinstance(p, sp.Basic) else str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def _floats(exprs):
    found = set()
    for e in exprs:
        found |= {f for f in e.atoms(sp.Float)}
    return sorted(found, key=float)


# ---------------------------------------------------------------------------------------
# Test points
# ---------------------------------------------------------------------------------------


def _magnitudes(rng, n):
    """Magnitudes from 1e-6 to 1e6: a third log-uniform, the rest of order 1."""
    wide = 10.0 ** rng.uniform(-6, 6, size=n)
    near = np.exp(rng.uniform(-2, 1.5, size=n))
    return np.where(rng.uniform(size=n) < 1 / 3, wide, near)


def _draw(kind, rng, n):
    if kind == "positive":
        return _magnitudes(rng, n)
    if kind == "negative":
        return -_magnitudes(rng, n)
    if kind == "nonnegative":
        v = _magnitudes(rng, n)
        v[rng.uniform(size=n) < 0.05] = 0.0
        return v
    if kind == "unit":
        u = rng.uniform(0, 1, size=n)
        edge = 10.0 ** rng.uniform(-6, -1, size=n)
        pick = rng.uniform(size=n)
        return np.where(pick < 0.2, edge, np.where(pick < 0.4, 1 - edge, u))
    if kind == "integer":
        return rng.integers(-8, 9, size=n).astype(float)
    if kind == "positive integer":
        return rng.integers(1, 9, size=n).astype(float)
    v = _magnitudes(rng, n) * rng.choice([-1.0, 1.0], size=n)
    special = rng.uniform(size=n) < 0.03
    v[special] = rng.choice([0.0, 1.0, -1.0], size=int(special.sum()))
    return v


def _kind_of(s, kinds):
    kind = kinds.get(s)
    if kind is not None:
        return kind
    if s.is_integer:
        return "positive integer" if s.is_positive else "integer"
    for test, name in ((s.is_positive, "positive"), (s.is_negative, "negative"),
                       (s.is_nonnegative, "nonnegative")):
        if test:
            return name
    return None


def _landmarks(exprs):
    """Constants of the expressions (a clip at 15, a floor at 1e-7): thresholds to test
    on both sides of."""
    found = set()
    for e in exprs:
        for c in e.atoms(sp.Number):
            v = abs(float(c))
            if v not in (0.0, 1.0, 2.0, 0.5) and np.isfinite(v):
                found.add(v)
    return sorted(found)


def _near_landmarks(values, kind, landmarks, rng):
    """Move a tenth of the values next to the expressions' constants."""
    n = len(values)
    pick = rng.uniform(size=n) < 0.1
    if not landmarks or not pick.any():
        return values
    near = rng.choice(landmarks, size=n) * np.exp(rng.uniform(-0.7, 0.7, size=n))
    if kind == "unit":
        near = np.where(near < 1, near, 1 - 1 / (1 + near))
        near = np.where(rng.uniform(size=n) < 0.5, near, 1 - near)
    elif kind == "negative":
        near = -near
    elif kind is None:
        near = near * rng.choice([-1.0, 1.0], size=n)
    elif kind not in ("positive", "nonnegative"):
        return values
    return np.where(pick, near, values)


def _sample(symbols, kinds, simplex, rng, n, landmarks=()):
    """``n`` points: {symbol: array}, from each symbol's domain."""
    values = {}
    for group in simplex:
        present = [s for s in group if s in symbols]
        if not present:
            continue
        m = len(group) + 1
        on = rng.dirichlet(np.full(m, rng.choice([0.3, 1.0, 3.0])), size=n)
        restricted = any(kinds.get(s) in ("unit", "nonnegative", "positive") for s in group)
        if not restricted:
            # Targets that sum to one are not said to be nonnegative: half off the simplex.
            off = rng.normal(size=(n, m)) * _magnitudes(rng, n)[:, None]
            off[:, -1] = 1 - off[:, :-1].sum(axis=1)
            on = np.where(rng.uniform(size=(n, 1)) < 0.5, on, off)
        for i, s in enumerate(group):
            if s in symbols:
                values[s] = on[:, i]
    for s in symbols:
        if s not in values:
            kind = _kind_of(s, kinds)
            values[s] = _near_landmarks(_draw(kind, rng, n), kind, list(landmarks), rng)
    return values


def _in_domain(point, kinds, simplex):
    for s, v in point.items():
        kind = kinds.get(s)
        if ((kind == "positive" and not v > 0) or (kind == "negative" and not v < 0)
                or (kind == "nonnegative" and not v >= 0)
                or (kind == "unit" and not 0 < v < 1)):
            return False
    for group in simplex:
        vals = [point[s] for s in group if s in point]
        if vals and all(kinds.get(s) is not None for s in group):
            if sum(vals) >= 1 or min(vals) <= 0:
                return False
    return True


def _round_point(point, kinds, simplex):
    """The point with short decimals, when that stays in the domain."""

    def short(v):
        if v == 0 or 0.01 <= abs(v) < 1000:
            return round(float(v), 2)
        return float(f"{v:.2g}")

    rounded = {s: short(v) for s, v in point.items()}
    if any(rounded[s] == 0 and point[s] != 0 for s in point):
        return point
    return rounded if _in_domain(rounded, kinds, simplex) else point


class _Unresolved(Exception):
    """50-digit evaluation cannot guarantee its digits at this point."""


def _hp(expr, point, digits):
    """``expr`` at ``point`` with ``digits`` correct digits: a SymPy number, or None where
    it is undefined (raises :class:`_Unresolved` where the digits cannot be guaranteed)."""
    # evalf's own substitution: exact values, evaluated adaptively without building
    # exact powers such as (3/4)**734512.
    exact = {s: sp.Rational(float(v)) for s, v in point.items()}
    try:
        v = sp.sympify(expr).evalf(digits, subs=exact, maxn=6 * digits, strict=True)
    except sp.core.evalf.PrecisionExhausted as err:
        raise _Unresolved() from err
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError):
        return None
    if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return v


def _hp_compare(l, r, point):
    """``"agree"``, ``"differ"``, ``"undefined"`` (both sides) or ``"unresolved"``, and the
    two values.

    Values are floats, ``nan`` where a side is undefined or not real. A difference must
    show at 50 and at 75 digits to count: evaluation that loses precision (a log of a
    number within 1e-50 of 1) must not make a counterexample.
    """
    for digits in (DIGITS, DIGITS + 25):
        try:
            lv, rv = _hp(l, point, digits), _hp(r, point, digits)
        except _Unresolved:
            return "unresolved", np.nan, np.nan
        if lv is None and rv is None:
            return "undefined", np.nan, np.nan
        if lv is None or rv is None:
            return "differ", _value(lv), _value(rv)
        gap = abs(sp.N(lv - rv, digits))
        scale = max(abs(lv), abs(rv))
        if gap <= HP_RTOL * scale or gap <= HP_ATOL * max(1, scale):
            return "agree", _value(lv), _value(rv)
    return "differ", _value(lv), _value(rv)


def _value(v):
    """A 50-digit value as a float, a complex where it is not real, nan where undefined."""
    if v is None:
        return np.nan
    re_, im_ = (float(t) for t in v.as_real_imag())
    if abs(im_) > 1e-30 * max(1, abs(re_)):
        return complex(re_, im_)
    return re_


def _lambdify(symbols, exprs):
    try:
        return sp.lambdify(symbols, exprs, modules="numpy")
    except (TypeError, ValueError, NameError, AttributeError, NotImplementedError,
            SyntaxError, KeyError):
        return None


def _test_points(L, R, shape, kinds, simplex, originals, rng, n_points, extra=None):
    """Compare the sides at test points.

    Returns ``(n_agreeing, counterexample or None, evaluable)``.
    """
    index_map = {x: indexed_symbol(x) for e in L + R for x in e.atoms(sp.Indexed)}
    kinds = {index_map.get(k, k): v for k, v in kinds.items()}
    simplex = [tuple(index_map.get(s, s) for s in g) for g in simplex]
    L = [e.xreplace(index_map) for e in L]
    R = [e.xreplace(index_map) for e in R]
    symbols = sorted(set().union(*[e.free_symbols for e in L + R]), key=lambda s: _natural_key(str(s)))
    f = _lambdify(symbols, L + R)
    if f is None:
        return 0, None, False
    point = _sample(symbols, kinds, simplex, rng, n_points, _landmarks(L + R))
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = [np.broadcast_to(np.asarray(v, dtype=complex), (n_points,))
                   for v in f(*[point[s] for s in symbols])]
        # Not real counts as undefined here; 50 digits tell the two apart.
        out = [np.where(np.abs(v.imag) <= 1e-12 * (1 + np.abs(v.real)), v.real, np.nan)
               for v in out]
    except (TypeError, ValueError, NameError, AttributeError, ZeroDivisionError,
            OverflowError):
        return 0, None, False
    k = len(L)
    Lv, Rv = np.array(out[:k]), np.array(out[k:])
    fl, fr = np.isfinite(Lv), np.isfinite(Rv)
    with np.errstate(all="ignore"):
        gap = np.abs(Lv - Rv) / np.maximum(np.maximum(np.abs(Lv), np.abs(Rv)), 1e-300)
    close = fl & fr & ((gap <= SCREEN_RTOL) | (Lv == Rv))
    # Score each (entry, point): one side finite and the other not first, then the
    # largest relative gap; both undefined last.
    score = np.where(fl != fr, np.inf, np.where(fl & fr, np.where(close, -1.0, gap), -0.5))
    agree = np.all(close, axis=0)
    # Counterexamples a reader can check: values that differ before one-sided ones, and
    # points of moderate magnitude first.
    with np.errstate(all="ignore"):
        spread = np.zeros(n_points)
        for s in symbols:
            spread = np.maximum(spread, np.abs(np.log10(np.abs(point[s]) + 1e-300)))
    worst = score.max(axis=0)
    category = np.where(worst == np.inf, 1, np.where(worst >= 0, 0, 2))
    order = np.lexsort((spread, category))
    candidates = [p for p in order if not agree[p]][:MAX_CANDIDATES]
    n_agree = int(agree.sum())

    def report(p, entry, lv, rv, values_point):
        values = dict(extra or {})
        values.update(_report_values(values_point, originals, index_map))
        where = None if shape is None else divmod(entry, shape[1])
        return Counterexample(values, lv, rv, where)

    for p in candidates:
        raw = {s: point[s][p] for s in symbols}
        entries = [e for e in np.argsort(-score[:, p], kind="stable") if not close[e, p]]
        point_ok = True
        for entry in entries[:3]:
            for candidate in (_round_point(raw, kinds, simplex), raw):
                verdict, lv, rv = _hp_compare(L[entry], R[entry], candidate)
                if verdict == "differ":
                    return n_agree, report(p, entry, lv, rv, candidate), True
            if verdict != "agree":
                point_ok = False
        if point_ok and len(entries) <= 3:
            n_agree += 1
    # Points that agree in floating point, re-checked at 50 digits.
    agreeing = np.flatnonzero(agree)
    for p in rng.permutation(agreeing)[:RECHECKS]:
        raw = {s: point[s][p] for s in symbols}
        entry = int(rng.integers(k))
        verdict, lv, rv = _hp_compare(L[entry], R[entry], raw)
        if verdict == "differ":
            return n_agree, report(p, entry, lv, rv, raw), True
    return n_agree, None, True


def _report_values(point, originals, index_map):
    """Values of the sampled symbols, then of those fixed by substitutions, by name."""
    back = {v: k for k, v in index_map.items()}
    subs = {s: sp.Float(v, 30) for s, v in point.items()}
    out = {str(back.get(s, s)): float(v) for s, v in point.items()}
    out = dict(sorted(out.items(), key=lambda kv: _natural_key(kv[0])))
    for sym, expr in originals:
        try:
            value = sp.sympify(expr).doit().xreplace(index_map).xreplace(subs)
        except (TypeError, ValueError, AttributeError):
            continue
        if str(sym) in out or value.free_symbols:
            continue
        try:
            value = complex(sp.N(value, 15))
        except (TypeError, ValueError):
            continue
        if abs(value.imag) < 1e-12:
            out[str(sym)] = value.real
    return out


def _describe_domain(symbols, kinds, simplex):
    kinds_present = {_kind_of(s, kinds) for s in symbols}
    parts = []
    if None in kinds_present:
        parts.append("magnitudes 1e-6 to 1e6 of both signs")
    elif kinds_present & {"positive", "negative", "nonnegative"}:
        parts.append("magnitudes 1e-6 to 1e6")
    if "unit" in kinds_present:
        parts.append("probabilities up to 1e-6 from 0 and 1")
    if simplex:
        parts.append("targets summing to 1, on and off the simplex")
    return parts


# ---------------------------------------------------------------------------------------
# check_equal
# ---------------------------------------------------------------------------------------


def _assumption_texts(exprs, kinds, bounds):
    """What the symbols' own assumptions say, where no condition says it already."""
    groups = {}
    symbols = sorted(set().union(*[e.free_symbols for e in exprs]),
                     key=lambda s: _natural_key(str(s)))
    labels = {x.base.label for e in exprs for x in e.atoms(sp.Indexed)}
    for s in symbols:
        if (not isinstance(s, sp.Symbol) or isinstance(s, sp.Dummy) or s in kinds
                or s.is_integer or s in labels):
            continue
        for test, text in ((s.is_positive, "> 0"), (s.is_negative, "< 0"),
                           (s.is_nonnegative, r"\geq 0"), (s.is_nonpositive, r"\leq 0")):
            if test:
                groups.setdefault(text, []).append(sp.latex(s))
                break
    seen_bases = set()
    for e in exprs:
        for x in sorted(e.atoms(sp.Indexed), key=sp.default_sort_key):
            if x.base in seen_bases or x in kinds:
                continue
            seen_bases.add(x.base)
            for test, text in ((x.is_positive, "> 0"), (x.is_negative, "< 0"),
                               (x.is_nonnegative, r"\geq 0")):
                if test:
                    name = f"{sp.latex(x.base.label)}_{{{','.join(map(sp.latex, x.indices))}}}"
                    groups.setdefault(text, []).append(name)
                    break
    texts = [f"${', '.join(names)} {text}$" for text, names in groups.items()]
    by_size = {}
    for idx, n in bounds.items():
        by_size.setdefault(n, []).append(idx)
    for n, idxs in sorted(by_size.items(), key=lambda kv: str(kv[0])):
        names = ", ".join(sp.latex(i) for i in sorted(idxs, key=str))
        texts.append(f"${names} \\in \\{{1, \\dots, {sp.latex(n)}\\}}$")
    return tuple(texts)


def check_equal(lhs, rhs, given=None, domain=None, seed=None):
    """Check that two expressions (or Matrices) are equal under some conditions.

    The conditions' substitutions are applied to both sides first. SymPy then tries to
    prove the identity (see :mod:`~xentlib.symbolic.proving`: sums over a general size
    in normal form, case splits on ``KroneckerDelta``, ``Max``, ``Abs``, ``Piecewise``).
    Where no proof is found, the sides are compared at many test points of the domain
    (see the module docstring); a disagreement confirmed at 50 digits is a
    counterexample, and without one the step is *tested*, not proved.

    Args:
      lhs, rhs: SymPy expressions or Matrices of the same shape.
      given: a :class:`Condition` or list of them.
      domain: more conditions (e.g. a derivation-wide domain).
      seed: seed of the test points; by default derived from the content of the step.

    Returns:
      A :class:`Proof`.

    Examples:
      >>> import sympy as sp
      >>> from xentlib.symbolic import sigmoid
      >>> z = sp.Symbol("z", real=True)
      >>> p = check_equal(sp.diff(sigmoid(z), z), sigmoid(z) * (1 - sigmoid(z)))
      >>> p.proved, p.method
      (True, 'proved: SymPy simplifies the difference to 0')
      >>> p = check_equal(sp.diff(sigmoid(z), z), sigmoid(z) * (1 + sigmoid(z)))
      >>> p.ok, p.method
      (False, 'false: a counterexample among the test points')
      >>> print(p.counterexample)
      at z = -1: 0.1966 != 0.3413
    """
    conds = _conditions(given) + _conditions(domain)
    lhs_entries, lshape = _entries(lhs)
    rhs_entries, rshape = _entries(rhs)
    if lshape != rshape:
        return Proof(False, f"shapes differ: {lshape or 'scalar'} and {rshape or 'scalar'}")
    kinds, simplex = {}, []
    for c in conds:
        kinds.update(c.kinds)
        simplex.extend(c.simplex)
    originals = [kv for c in conds for kv in c.substitutions.items()]
    n_lhs = len(lhs_entries)
    written = [_substitute_all(e, conds) for e in lhs_entries + rhs_entries]
    evaluated = [e.doit() for e in written]
    # doit() may turn a Sum over KroneckerDelta(i, k) into a Piecewise in k <= m: the
    # size comes from the Sum as written.
    left = set().union(*[e.free_symbols for e in evaluated])
    sizes = sorted(set(_sizes(evaluated)) | (set(_sizes(written)) & left), key=str)
    indices = _indices(evaluated, sizes)
    bounds, literal = _bounds(written + evaluated, sizes, indices)
    shown = lhs_entries + rhs_entries + [sp.sympify(v) for _, v in originals]
    assumptions = _assumption_texts(shown, kinds, bounds if sizes else {})

    def verdict(ok, method, ce=None, proved=False):
        return Proof(ok, method, ce, proved, assumptions)

    floats = _floats(lhs_entries + rhs_entries)
    if floats:
        warnings.warn(
            f"the float constant {float(floats[0]):g} rounds: SymPy cannot prove a step with it; "
            "write it exactly, e.g. sp.Rational(1, 10) or sp.nsimplify(expr)",
            stacklevel=3)
    L, R = evaluated[:n_lhs], evaluated[n_lhs:]

    def prove(thorough):
        if floats:
            return None
        notes = set()
        for l, r in zip(L, R):
            found = prove_zero(l - r, kinds, bounds, conds, thorough=thorough)
            if found is None:
                return None
            notes |= found
        return notes

    notes = prove(thorough=False)
    if notes is not None:
        return verdict(True, _proved_text(notes, sizes, L + R), proved=True)
    if seed is None:
        seed = _content_seed(*lhs_entries, *rhs_entries, *[c.text for c in conds])
    rng = np.random.default_rng(seed)
    # Integer indices without a size (delta_{i1}) take integer values, like sizes' indices.
    integer_indices = [s for s in indices if any(
        isinstance(d, sp.KroneckerDelta) for e in L + R for d in e.atoms(sp.KroneckerDelta)
        if s in d.free_symbols)]
    if sizes or integer_indices:
        n_ok, ce, evaluable, tried = _test_general(L, R, lshape, conds, sizes, indices,
                                                   bounds, literal, originals, rng)
    else:
        n_ok, ce, evaluable = _test_points(L, R, lshape, kinds, simplex, originals, rng,
                                           NUM_POINTS)
        symbols = set().union(*[e.free_symbols for e in L + R])
        tried = _describe_domain(symbols, kinds, simplex)
    if ce is not None:
        return verdict(False, "false: a counterexample among the test points", ce)
    if not sizes:
        notes = prove(thorough=True)
        if notes is not None:
            return verdict(True, _proved_text(notes, sizes, L + R), proved=True)
    if not evaluable:
        return verdict(False, "inconclusive: SymPy does not simplify the difference to 0 "
                              "and it cannot be evaluated at test points")
    if n_ok < 20:
        return verdict(False, f"inconclusive: only {n_ok} test points are in the domain of "
                              "both sides (state it with positive / in_open_unit_interval / "
                              "Given)")
    note = f" ({'; '.join(tried)})" if tried else ""
    if floats:
        note += f"; the float constant {float(floats[0]):g} prevents a proof"
    return verdict(True, f"tested at {n_ok} points{note}, not proved")


def _proved_text(notes, sizes, exprs):
    text = "proved: SymPy simplifies the difference to 0"
    if notes:
        text += " in each case (" + "; ".join(sorted(notes)) + ")"
    if sizes:
        names = ", ".join(map(str, sizes))
        no_sums = not any(e.has(sp.Sum, sp.Product) for e in exprs)
        polynomial = no_sums and all(e.is_polynomial(*sizes) for e in exprs)
        text += f" for every {names}"
        if polynomial:
            text += f" (both sides are polynomials in {names})"
    return text


def _size_configs(sizes, smallest, rng):
    """Size values to try: all smallest, all largest, then each size on its own."""
    if not sizes:
        return [{}]
    low = [n for n in SIZES if n >= smallest] or [smallest]
    high = list(range(low[0], max(low[-1], smallest + 3) + 1))
    configs = [{s: high[0] for s in sizes}, {s: high[-1] for s in sizes}]
    while len(configs) < SIZE_CONFIGS:
        configs.append({s: int(rng.choice(high)) for s in sizes})
    unique = []
    for c in configs:
        if c not in unique:
            unique.append(c)
    return unique


def _index_choices(indices, ranges, rng):
    if not indices:
        return [{}]
    grid = list(itertools.product(*[range(1, ranges[i] + 1) for i in indices]))
    if len(grid) <= INDEX_CHOICES:
        return [dict(zip(indices, g)) for g in grid]
    # Extremes (all 1, all last), then random ones.
    picks = [grid[0], grid[-1]]
    picks += [grid[i] for i in rng.choice(len(grid), size=INDEX_CHOICES - 2, replace=False)]
    return [dict(zip(indices, g)) for g in picks]


def _test_general(L, R, shape, conds, sizes, indices, bounds, literal, originals, rng):
    """Test at concrete sizes (each size independently) and index values."""
    total, evaluable = 0, False
    configs = _size_configs(sizes, max(2, literal), rng)
    for size_values in configs:
        concrete = [c.concrete(size_values) for c in conds]
        kinds, simplex = {}, []
        for c in concrete:
            kinds.update(c.kinds)
            simplex.extend(c.simplex)
        c_originals = originals + [kv for c in concrete for kv in c.substitutions.items()]
        largest = max(size_values.values(), default=SIZES[-1])
        ranges = {i: size_values.get(bounds.get(i), largest) for i in indices}
        for choice in _index_choices(indices, ranges, rng):
            fixed = {**size_values, **choice}

            def at(e):
                e = decide_index_ranges(e, bounds).subs(fixed).doit()
                for c in concrete:
                    e = c.substitute(e)
                return e

            Lc, Rc = [at(e) for e in L], [at(e) for e in R]
            extra = {str(s): v for s, v in fixed.items()}
            n_ok, ce, ok_eval = _test_points(Lc, Rc, shape, kinds, simplex, c_originals, rng,
                                             POINTS_PER_CHOICE, extra)
            evaluable |= ok_eval
            total += n_ok
            if ce is not None:
                return total, ce, True, []
    tried = []
    for s in sizes:
        vals = sorted({c[s] for c in configs})
        tried.append(f"{s} = {', '.join(map(str, vals))}")
    if indices and sizes:
        tried.append(f"indices {', '.join(map(str, indices))} from 1 to the size")
    elif indices:
        tried.append(f"indices {', '.join(map(str, indices))} from 1 to {SIZES[-1]}")
    return total, None, evaluable, tried
