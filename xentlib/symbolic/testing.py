r"""Testing a step at points: sizes, index values and points where the two sides are
compared, and what the comparisons find.

:func:`~xentlib.symbolic.checking.check_equal` decides the verdict from what this module
finds (see :mod:`~xentlib.symbolic.sampling` for the points themselves):

* A point where one side is finite and real and the other is not (a log of a negative
  number, a division by zero) is a counterexample, like a point where the values differ;
  a side is real only where every part of it is (``asin(2) + acos(2)`` is ``pi/2`` in
  the complex numbers, and still undefined). The verdict names the part and what it
  needs (``log(u) needs u > 0``), also where both sides are undefined.
  Floating point only screens: each disagreement is confirmed, and a sample of agreeing
  points (those near a threshold first) re-checked, at 50 and 75 significant digits; a
  difference counts when it persists with the precision (raised until both sides are
  stable, see :mod:`~xentlib.symbolic.evaluation`), with a relative tolerance of 1e-45
  (1e-13 with a float constant, which carries 16 digits only). Confirmations have a
  budget of their own, so that re-checks never leave a disagreement unconfirmed.
* An undefined function (``f = sp.Function("f")``) cannot be evaluated: a few concrete
  smooth functions stand in for it, one after the other, and a counterexample says which.
* Each derivative of the lines (a few, innermost first), written out at a small size, is
  cross-checked at a few points against a 50-digit numerical derivative; a disagreement
  is a counterexample that names the derivative and both values.
* A size starts at 1, or at the largest entry written of a vector of that size (``z_2``
  needs ``C >= 2``): the verdict then says "for every C ≥ 2 (z_2 is written)".
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

from xentlib.symbolic.audit import index_range
from xentlib.symbolic.expressions import evaluate
from xentlib.symbolic.evaluation import (
    HP_RTOL,
    compare,
    defined_on_one_side,
    defined_throughout,
    differ_exactly,
    derivative_gap,
    inside_domains,
    lambdify_numpy,
    missing_conditions,
)
from xentlib.symbolic.proving import indexed_symbol
from xentlib.symbolic.sampling import (
    INDEX_CHOICES,
    LARGE_INDEX,
    compared_values,
    exact_points,
    free_index_values,
    in_domain,
    index_choices,
    kind_of,
    landmarks,
    near_landmark,
    round_point,
    sample,
    size_configs,
    vanishing_points,
)

# Test points per index choice, for a step with general sizes.
POINTS_PER_CHOICE = 24
# Agreeing points at 0 and 1 whose parts are each checked to be defined.
SPECIAL_CHECKS = 3
# Floating point screens; 50 digits decide (see evaluation).
SCREEN_RTOL = 1e-9
# Disagreements confirmed at 50 digits, agreeing points re-checked there, and points
# where both sides are undefined looked at again.
MAX_CANDIDATES = 10
RECHECKS = 4
UNDEFINED_CHECKS = 2
MAX_EVALUATIONS = 12
# 50-digit confirmations of points that disagree in floating point: a budget of their
# own, so that re-checking agreeing points never leaves a disagreement unconfirmed.
MAX_CONFIRMATIONS = 24
# Points whose sides are looked at part by part, for a part that is not a real number
# (asin(2) in asin(x) + acos(x) = pi/2), per step.
DEFINEDNESS_CHECKS = 4
# Derivatives cross-checked numerically: how many per step, at how many points each.
MAX_DERIVATIVES = 4
DERIVATIVE_POINTS = 2


# ---------------------------------------------------------------------------------------
# A counterexample, and values as the reader sees them
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
# Sizes, indices and bounds
# ---------------------------------------------------------------------------------------


def _sizes(exprs):
    """Symbols in the bounds of a Sum or Product, apart from the indices of enclosing
    sums: in ``sum_{j=1}^{C} sum_{k=1}^{j} x_k`` the size is C, and j takes its values
    from the outer sum when it is written out."""
    sizes, bound = set(), set()
    for e in exprs:
        for s in e.atoms(sp.Sum, sp.Product):
            for k, lo, hi in s.limits:
                bound.add(k)
                sizes |= sp.sympify(hi).free_symbols | sp.sympify(lo).free_symbols
    return sorted(sizes - bound, key=str)


def _indices(exprs, sizes):
    found = set()
    for e in exprs:
        for s in e.free_symbols:
            if isinstance(s, sp.Symbol) and s.is_integer and s not in sizes:
                found.add(s)
    return sorted(found, key=str)


def _bounds(exprs, sizes, indices):
    """Free index -> the size it ranges up to; and each size's smallest value, with the
    entry that sets it: ``{C: (2, "z_2")}`` where ``z_2`` is written and ``z`` is summed
    up to ``C`` (an entry written of a vector no sum runs over bounds every size)."""
    base_size = {}
    for e in exprs:
        for s in e.atoms(sp.Sum, sp.Product):
            k, lo, hi = s.limits[0]
            for x in s.function.atoms(sp.Indexed):
                for pos, ix in enumerate(x.indices):
                    if ix == k and hi in sizes:
                        base_size.setdefault((x.base, pos), hi)
    smallest = {}
    for e in exprs:
        for x in e.atoms(sp.Indexed):
            for pos, ix in enumerate(x.indices):
                if not ix.is_Integer or int(ix) < 2:
                    continue
                entry = f"{x.base}_{','.join(map(str, x.indices))}"
                bounded = [base_size[(x.base, pos)]] if (x.base, pos) in base_size else sizes
                for size in bounded:
                    if int(ix) > smallest.get(size, (1, None))[0]:
                        smallest[size] = (int(ix), entry)
    bounds = {}
    for idx in indices:
        candidates = sorted({base_size[(x.base, pos)] for e in exprs for x in e.atoms(sp.Indexed)
                             for pos, ix in enumerate(x.indices)
                             if ix == idx and (x.base, pos) in base_size}, key=str)
        if candidates:
            bounds[idx] = candidates[0]
        elif sizes:
            bounds[idx] = sizes[0]
    return bounds, smallest


def _content_seed(*parts):
    text = "\x1f".join(sp.srepr(p) if isinstance(p, sp.Basic) else str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def _floats(exprs):
    found = set()
    for e in exprs:
        found |= {f for f in e.atoms(sp.Float)}
    return sorted(found, key=float)


# ---------------------------------------------------------------------------------------
# Testing at points
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass
class _Tested:
    """What the test points found."""

    agreeing: int = 0
    counterexample: Counterexample = None
    evaluable: bool = False
    # A point of the domain where both sides are undefined (a Counterexample of nans).
    undefined: Counterexample = None
    tried: list = dataclasses.field(default_factory=list)
    rechecks: int = RECHECKS
    # 50-digit comparisons left for this step: re-checks, and confirmations.
    evaluations: int = MAX_EVALUATIONS
    confirmations: int = MAX_CONFIRMATIONS
    # A point where the sides differ in floating point that 50 digits did not settle.
    unsettled: Counterexample = None
    # The part of a side that is not a real number at the counterexample or at the
    # point where both sides are undefined, and what it needs ("log(u) needs u > 0").
    missing: str = None
    # The concrete functions that stood in for the undefined ones at the counterexample.
    stand_in: str = None
    # A derivative whose SymPy value a numerical derivative contradicts, as a sentence.
    derivative: str = None
    # Points where the sides agree at 50 digits but floating point found one undefined,
    # still to be looked at part by part (each look evaluates every part that can fail).
    definedness: int = DEFINEDNESS_CHECKS


def _test_points(L, R, shape, kinds, simplex, substitutions, rng, n_points, found, extra=None,
                 rtol=HP_RTOL):
    """Compare the sides at test points; the findings accumulate in ``found`` (a
    :class:`_Tested`)."""
    index_map = {x: indexed_symbol(x) for e in L + R for x in e.atoms(sp.Indexed)}
    kinds = {index_map.get(k, k): v for k, v in kinds.items()}
    simplex = [tuple(index_map.get(s, s) for s in g) for g in simplex]
    L = [e.xreplace(index_map) for e in L]
    R = [e.xreplace(index_map) for e in R]
    symbols = sorted(set().union(*[e.free_symbols for e in L + R]),
                     key=lambda s: _natural_key(str(s)))
    f = lambdify_numpy(symbols, L + R)
    if f is None:
        return
    marks = landmarks(L + R)
    point = sample(symbols, kinds, simplex, rng, n_points, marks)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = [np.broadcast_to(np.asarray(v, dtype=complex), (n_points,))
                   for v in f(*[point[s] for s in symbols])]
        # Not real counts as undefined here; 50 digits tell the two apart.
        out = [np.where(np.abs(v.imag) <= 1e-12 * (1 + np.abs(v.real)), v.real, np.nan)
               for v in out]
    except (TypeError, ValueError, NameError, AttributeError, ZeroDivisionError,
            OverflowError, KeyError):
        return
    found.evaluable = True
    inside = inside_domains(substitutions, kinds, symbols, point, index_map, n_points)
    k = len(L)
    Lv, Rv = np.array(out[:k]), np.array(out[k:])
    # Points outside the domain of a substituted symbol (a_0 = 1 - a with a_0 > 0) are
    # no test of the step: they count as agreeing, and are neither checked nor counted.
    Lv, Rv = np.where(inside, Lv, 0.0), np.where(inside, Rv, 0.0)
    fl, fr = np.isfinite(Lv), np.isfinite(Rv)
    # At 0 and 1 a part may be undefined while floating point, through an infinity,
    # finds both sides equal ((1 - a)/a is inf at a = 0, and 1/(1 + inf) is 0): such
    # points are looked at part by part.
    special = np.zeros(n_points, dtype=bool)
    for s in symbols:
        special |= np.isin(point[s], (0.0, 1.0, -1.0))
    with np.errstate(all="ignore"):
        gap = np.abs(Lv - Rv) / np.maximum(np.maximum(np.abs(Lv), np.abs(Rv)), 1e-300)
    close = fl & fr & ((gap <= SCREEN_RTOL) | (Lv == Rv))
    # Score each (entry, point): one side finite and the other not first, then the
    # largest relative gap; both undefined last.
    score = np.where(fl != fr, np.inf, np.where(fl & fr, np.where(close, -1.0, gap), -0.5))
    agree = np.all(close, axis=0)
    both_undefined = np.any(~fl & ~fr, axis=0)
    # Counterexamples a reader can check: values that differ before one-sided ones, and
    # points of moderate magnitude first.
    with np.errstate(all="ignore"):
        spread = np.zeros(n_points)
        for s in symbols:
            spread = np.maximum(spread, np.abs(np.log10(np.abs(point[s]) + 1e-300)))
    worst = score.max(axis=0)
    category = np.where(worst == np.inf, 1, np.where(worst >= 0, 0, 2))
    # Where both sides are undefined in floating point, which point shows a difference
    # at 50 digits (two branches of a complex log) is luck: take them in random order.
    spread = np.where(category == 2, rng.uniform(size=n_points), spread)
    order = np.lexsort((spread, category))
    # Taken in turn from the two kinds, so that points whose values differ but cannot
    # be settled never crowd out points where only one side is defined.
    by_category, distinct = {0: [], 1: [], 2: []}, set()
    for p in order:
        key = tuple(round(float(point[s][p]), 2) for s in symbols)
        if not agree[p] and key not in distinct:
            distinct.add(key)
            by_category[int(category[p])].append(p)
    turns = itertools.zip_longest(by_category[0], by_category[1])
    candidates = [p for pair in turns for p in pair if p is not None]
    candidates = (candidates + by_category[2])[:MAX_CANDIDATES]
    n_agree = int((agree & inside).sum())

    def report(p, entry, lv, rv, values_point):
        values = dict(extra or {})
        values.update(_report_values(values_point, substitutions, index_map))
        where = None if shape is None else divmod(entry, shape[1])
        return Counterexample(values, lv, rv, where)

    seen = {}

    def settle(p, entry, raw, confirming=False):
        """Compare one entry at 50 digits; a disagreement is recorded in ``found``."""
        verdict = "unresolved"
        rounded = round_point(raw, kinds, simplex)
        # Rounding may land a point next to a threshold on it: then the point as drawn.
        near = any(near_landmark(v, marks) for v in raw.values())
        for candidate in (rounded, raw) if near and rounded != raw else (rounded,):
            key = (entry, tuple(sorted((str(s), float(v)) for s, v in candidate.items())))
            if key in seen:
                verdict = seen[key]  # the same point again (0, 1 and -1 are drawn often)
                continue
            budget = "confirmations" if confirming else "evaluations"
            if getattr(found, budget) <= 0:
                return "exhausted"
            setattr(found, budget, getattr(found, budget) - 1)
            verdict, lv, rv = compare(L[entry], R[entry], candidate, rtol)
            if (verdict == "agree" and (not (fl[entry, p] and fr[entry, p]) or special[p])
                    and found.definedness > 0):
                found.definedness -= 1
                verdict, lv, rv, missing = defined_throughout(L[entry], R[entry], candidate,
                                                              lv, rv)
                found.missing = missing or found.missing
            seen[key] = verdict
            if verdict == "differ":
                found.counterexample = report(p, entry, lv, rv, candidate)
                if found.missing is None:
                    not_real = [not (isinstance(v, float) and np.isfinite(v)) for v in (lv, rv)]
                    found.missing = missing_conditions(L[entry], R[entry], candidate, not_real)
                return verdict
            if verdict == "undefined" and found.undefined is None:
                found.undefined = report(p, entry, np.nan, np.nan, candidate)
                found.missing = missing_conditions(L[entry], R[entry], candidate)
        # The verdict at the point as drawn (rounding may land on a threshold).
        return verdict

    for p in candidates:
        raw = {s: point[s][p] for s in symbols}
        entries = [e for e in np.argsort(-score[:, p], kind="stable") if not close[e, p]]
        point_ok = True
        for entry in entries[:3]:
            verdict = settle(p, entry, raw, confirming=True)
            if found.counterexample is not None:
                return
            # Out of confirmations: the disagreement stands unsettled (a point that no
            # precision settles, as e^{-370000}, is no test of the step).
            if (verdict == "exhausted" and found.unsettled is None and fl[entry, p]
                    and fr[entry, p]):
                found.unsettled = report(p, entry, float(Lv[entry, p]), float(Rv[entry, p]),
                                         raw)
            point_ok &= verdict == "agree"
        if point_ok and len(entries) <= 3:
            n_agree += 1
    # Points where both sides are undefined in floating point (perhaps an overflow).
    undefined_points = [p for p in np.flatnonzero(both_undefined) if p not in candidates]
    for p in undefined_points[:UNDEFINED_CHECKS if found.undefined is None else 0]:
        raw = {s: point[s][p] for s in symbols}
        entry = int(np.flatnonzero(~fl[:, p] & ~fr[:, p])[0])
        settle(p, entry, raw)
        if found.counterexample is not None:
            return
    # Points that agree in floating point, re-checked at 50 digits: those next to a
    # threshold (where a saturated branch differs in the 20th digit) first.
    # Most suspicious first: a gap below the screen's tolerance (a saturated branch
    # differs in the 13th digit), then points next to a threshold.
    agreeing = list(rng.permutation(np.flatnonzero(agree & inside)))
    with np.errstate(all="ignore"):
        small_gap = np.nan_to_num(np.where(close, gap, 0.0)).max(axis=0)
    agreeing.sort(key=lambda p: (-small_gap[p], not any(
        near_landmark(point[s][p], marks, 1.01) for s in symbols)))
    for p in agreeing[:found.rechecks if extra is None else min(found.rechecks, 2)]:
        found.rechecks -= 1
        raw = {s: point[s][p] for s in symbols}
        settle(p, int(rng.integers(k)), raw)
        if found.counterexample is not None:
            return
    # Points at 0 and 1 that agree, part by part (a few).
    distinct = {}
    for p in np.flatnonzero(agree & inside & special):
        distinct.setdefault(tuple(float(point[s][p]) for s in symbols), p)
    for p in list(distinct.values())[:SPECIAL_CHECKS]:
        raw = {s: point[s][p] for s in symbols}
        for entry in range(min(k, 3)):
            settle(p, entry, raw)
            if found.counterexample is not None:
                return
    found.agreeing += n_agree
    # Where a condition switches at a point no float is (Eq(x, 1/3)): that exact point,
    # the other symbols as at the first test point.
    for s, v in exact_points(L + R, symbols):
        exact = {t: v if t == s else point[t][0] for t in symbols}
        for entry in range(k):
            gap = differ_exactly(L[entry], R[entry], exact, rtol)
            if gap is not None:
                found.counterexample = report(0, entry, gap[0], gap[1], exact)
                return
    # Where a denominator, or a log's or a root's argument, vanishes: a side undefined
    # there as written while the other is defined.
    in_groups = {t for g in simplex for t in g}
    for s, v in vanishing_points(L + R, symbols):
        kind = kind_of(s, kinds)
        if (s in in_groups or (kind is not None and "integer" in kind and not v.is_integer)
                or not in_domain({s: v}, {s: kind}, ())):
            continue
        exact = {t: v if t == s else point[t][0] for t in symbols}
        as_floats = {t: np.array([float(w)]) for t, w in exact.items()}
        if not inside_domains(substitutions, kinds, symbols, as_floats, index_map, 1)[0]:
            continue
        for entry in range(k):
            if s not in L[entry].free_symbols | R[entry].free_symbols:
                continue
            one_sided = defined_on_one_side(L[entry], R[entry], exact)
            if one_sided is not None:
                found.missing = one_sided[2]
                found.counterexample = report(0, entry, one_sided[0], one_sided[1], exact)
                return


def _report_values(point, substitutions, index_map):
    """Values of the sampled symbols, then of those fixed by substitutions, by name."""
    back = {v: k for k, v in index_map.items()}
    subs = {s: sp.Float(v, 30) for s, v in point.items()}
    out = {str(back.get(s, s)): float(v) for s, v in point.items()}
    out = dict(sorted(out.items(), key=lambda kv: _natural_key(kv[0])))
    for sym, expr in substitutions:
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
    kinds_present = {kind_of(s, kinds) for s in symbols}
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



def _cross_check_derivatives(lines, kinds, sizes, indices, bounds, smallest, rng, found):
    """Compare each derivative of the lines (the innermost ones, a few) with a 50-digit
    numerical derivative of what it differentiates, at a small size and an index
    choice, written out, at a few points; a disagreement is a counterexample."""
    derivatives = sorted({d for e in lines for d in e.atoms(sp.Derivative)
                          if not d.expr.has(sp.Derivative)}, key=sp.default_sort_key)
    if not derivatives:
        return
    configs = size_configs(sizes, {s: n for s, (n, _) in smallest.items()}, rng)
    size_values = configs[min(1, len(configs) - 1)]
    largest = max(size_values.values(), default=3)
    values, _ = _index_values([e.xreplace(size_values) for e in lines], indices, bounds,
                              size_values, largest, rng)
    if values is None:
        return
    fixed = {**size_values, **index_choices(indices, values, rng, 1)[0]}
    for d in derivatives[:MAX_DERIVATIVES]:
        try:
            concrete = sp.Derivative(evaluate(d.expr.subs(fixed)),
                                     *[(v.subs(fixed), n) for v, n in d.variable_count])
        except (TypeError, ValueError, AttributeError, NotImplementedError):
            continue  # not a derivative by a variable once written out: nothing to check
        if not isinstance(concrete, sp.Derivative):
            continue
        index_map = {x: indexed_symbol(x) for x in concrete.atoms(sp.Indexed)}
        concrete = concrete.xreplace(index_map)
        symbols = sorted(concrete.free_symbols, key=lambda s: _natural_key(str(s)))
        c_kinds = {index_map.get(k.subs(fixed), k.subs(fixed)) if isinstance(k, sp.Basic)
                   else k: v for k, v in kinds.items()}
        points = sample(symbols, c_kinds, [], rng, DERIVATIVE_POINTS)
        for p in range(DERIVATIVE_POINTS):
            point = round_point({s: points[s][p] for s in symbols}, c_kinds, [])
            gap = derivative_gap(concrete, point)
            if gap is not None:
                values = {str(s): v for s, v in fixed.items()}
                values.update(_report_values(point, [], index_map))
                found.counterexample = Counterexample(values, gap[0], gap[1])
                found.derivative = (f"{_d_by(d)} of {d.expr} is {_fmt(gap[0], 10)} by "
                                    f"SymPy, {_fmt(gap[1], 10)} numerically (50 digits)")
                return


def _d_by(derivative):
    """``"d/dx"``, ``"d^2/dx^2"``, ``"d^2/dx dy"``."""
    order = sum(int(n) for _, n in derivative.variable_count)
    by = " ".join(f"d{v}" + (f"^{n}" if n != 1 else "") for v, n in derivative.variable_count)
    return f"d{'^' + str(order) if order != 1 else ''}/{by}"



def _test_general(L, R, shape, conditions, step_kinds, sizes, indices, bounds, smallest,
                  substitutions, rng, found, rtol):
    """Test at concrete sizes (each size independently) and index values, substituted
    into the lines as written before anything is evaluated."""
    written = {int(v) for e in L + R for v in e.atoms(sp.Integer)}
    configs = size_configs(sizes, {s: n for s, (n, _) in smallest.items()}, rng, written)
    tried = {s: [] for s in sizes}
    for size_values in configs:
        try:
            concrete = [c.concrete(size_values) for c in conditions if
                        c.size is None or c.size in size_values]
        except ValueError:
            continue
        kinds, simplex = dict(step_kinds), []
        for c in concrete:
            kinds.update(c.kinds)
            simplex.extend(c.simplex)
        c_substitutions = substitutions + [kv for c in concrete for kv in c.substitutions.items()]
        largest = max(size_values.values(), default=8)
        sized = [e.xreplace(size_values) for e in L + R]
        values, must = _index_values(sized, indices, bounds, size_values, largest, rng)
        if values is None:
            continue  # at these sizes some index picks no entry that exists
        for s, v in size_values.items():
            tried[s].append(v)
        # Sizes first: sums written out, derivatives taken on what is written; with free
        # indices, once their values are in too (a derivative by z_k with k a symbol is
        # far slower to take than by z_2).
        written_out = sized if indices else [evaluate(e) for e in sized]
        # Large sizes cost most to write out: fewer index choices there.
        count = INDEX_CHOICES if largest <= 8 else (2 if len(sizes) == 1 else 1)
        for choice in index_choices(indices, values, rng, count, must):
            fixed = {**size_values, **choice}

            def at(e):
                e = evaluate(e.xreplace(choice)) if choice else e
                for c in concrete:
                    e = c.substitute(e)
                return e

            Lc, Rc = [at(e) for e in written_out[:len(L)]], [at(e) for e in written_out[len(L):]]
            # A domain stated for z_i holds for the entry i stands for.
            c_kinds = {(k.subs(fixed) if isinstance(k, sp.Basic) else k): v
                       for k, v in kinds.items()}
            extra = {str(s): v for s, v in fixed.items()}
            _test_points(Lc, Rc, shape, c_kinds, simplex, c_substitutions, rng,
                         POINTS_PER_CHOICE, found, extra, rtol)
            if found.counterexample is not None:
                return
            found.tried = _tried_text(tried, indices, sizes, smallest)
    found.tried = _tried_text(tried, indices, sizes, smallest)


def _index_values(sized, indices, bounds, size_values, largest, rng):
    """The values each free index may take with the sizes in ``size_values``: 1 to its
    size (an index with no size: also above 8), only those whose entries exist
    (``z_{2k}`` in a sum to 4 takes k = 1, 2); and the values that must be tried, the
    integers the index is compared with and, for an index with no size, the ones above 8.
    ``(None, None)`` when some index has no value."""
    values, must = {}, {}
    for i in indices:
        size = size_values.get(bounds.get(i))
        if size is None and not size_values:
            candidates = free_index_values(rng)
            must[i] = candidates[8:]
        else:
            candidates = list(range(1, (size or largest) + 1))
        lo, hi = index_range(sized, i, 1, max(candidates))
        values[i] = [v for v in candidates if lo <= v <= hi]
        if not values[i]:
            return None, None
        extra = sorted(v for v in compared_values(sized, i) if v >= 1 and (
            size is None or v <= size) and lo <= v <= hi)
        values[i] = sorted(set(values[i]) | set(extra))
        must[i] = must.get(i, []) + extra
    return values, must


def _tried_text(tried, indices, sizes, smallest):
    out = []
    for s, values in tried.items():
        if values:
            since = (f", at least {smallest[s][0]} since {smallest[s][1]} is written"
                     if s in smallest else "")
            out.append(f"{s} = {', '.join(map(str, sorted(set(values))))}{since}")
    if indices and sizes:
        out.append(f"indices {', '.join(map(str, indices))} from 1 to the size")
    elif indices:
        out.append(f"indices {', '.join(map(str, indices))} from 1 to 8, one of 9 to 16 "
                   f"and {LARGE_INDEX}")
    return out
