r"""Checking one equality: a proof by SymPy corroborated by tests, or a counterexample.

:func:`check_equal` returns a :class:`Proof` with one of three verdicts:

* **proved**: :mod:`~xentlib.symbolic.proving` reduces the difference of the two sides to
  0, for every value in the stated domain and every size, *and* the two sides agree, and
  are defined, at every test point (``Proof.proved``);
* **tested**: no proof was found (or the sides are undefined somewhere in the stated
  domain) and the two sides agree at every test point (the method says which points;
  ``Proof.ok`` but not ``Proof.proved``);
* **false**: a point where they differ, confirmed with 50-digit arithmetic
  (``Proof.counterexample``). A proof that a test point contradicts is a refutation.

The proof and the tests are independent: the proof works on the lines after SymPy's
``doit()``; the tests substitute concrete sizes and indices into the lines as written
(sums written out, products multiplied out) and only then evaluate derivatives, so a
rewriting SymPy gets wrong (a captured index, a Piecewise differentiated branch by
branch) cannot make both agree. Before either, :mod:`~xentlib.symbolic.audit` rebuilds the
symbols from what the page shows.

How a step is tested (see :mod:`~xentlib.symbolic.sampling` for the points):

* A point where one side is finite and real and the other is not (a log of a negative
  number, a division by zero) is a counterexample, like a point where the values differ.
  Floating point only screens: each disagreement is confirmed, and a sample of agreeing
  points (those near a threshold first) re-checked, at 50 and 75 significant digits; a
  difference counts when it persists with the precision (raised until both sides are
  stable, see :mod:`~xentlib.symbolic.evaluation`), with a relative tolerance of 1e-25
  (1e-13 with a float constant, which carries 16 digits only). Confirmations have a
  budget of their own, so that re-checks never leave a disagreement unconfirmed.
* The random points are seeded from the step's content, so a notebook prints the same
  thing on every run.
* Every stage runs under a time budget (:mod:`~xentlib.symbolic.budgets`), so that a step
  gets its verdict within about half a minute.
"""

import dataclasses
import hashlib
import re
import warnings

import numpy as np
import sympy as sp

from xentlib.symbolic.audit import CheckError, audit, lines_of, separate_bound_indices
from xentlib.symbolic.budgets import within
from xentlib.symbolic.conditions import _conditions
from xentlib.symbolic.evaluation import HP_RTOL, compare, inside_domains, lambdify_numpy
from xentlib.symbolic.proving import domain_symbols, indexed_symbol, prove_zero
from xentlib.symbolic.sampling import (
    INDEX_CHOICES,
    index_choices,
    kind_of,
    landmarks,
    near_landmark,
    round_point,
    sample,
    size_configs,
)

__all__ = ["CheckError", "Counterexample", "Proof", "check_equal"]

# Test points for a step without general sizes, and per index choice with sizes.
NUM_POINTS = 256
POINTS_PER_CHOICE = 24
# Floating point screens; 50 digits decide (see evaluation).
SCREEN_RTOL = 1e-9
# A float constant (0.1) is exact to about 16 digits only.
FLOAT_RTOL = 1e-13
# Disagreements confirmed at 50 digits, agreeing points re-checked there, and points
# where both sides are undefined looked at again.
MAX_CANDIDATES = 10
RECHECKS = 4
UNDEFINED_CHECKS = 2
MAX_EVALUATIONS = 12
# 50-digit confirmations of points that disagree in floating point: a budget of their
# own, so that re-checking agreeing points never leaves a disagreement unconfirmed.
MAX_CONFIRMATIONS = 24
# Time budgets in seconds of processor time: evaluating the lines (doit), all the tests
# (each 50-digit evaluation has its own, see evaluation), the cheap proof and the
# thorough one. Together about 30 s at most.
EVALUATE_SECONDS = 6.0
TESTS_SECONDS = 10.0
PROOF_SECONDS = 6.0
THOROUGH_SECONDS = 6.0


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


def _substitute_all(expr, conditions):
    """Apply every condition's substitutions, before anything is evaluated.

    Substituting first, then ``doit()``, evaluates ``Derivative(L, w)`` given ``L = f(w)``
    as the derivative of ``f(w)`` (not 0), and evaluates a ``Derivative`` that a
    substitution brings in (NumPy cannot print one).
    """
    for c in conditions:
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
    candidates, distinct = [], set()
    for p in order:
        key = tuple(round(float(point[s][p]), 2) for s in symbols)
        if not agree[p] and key not in distinct and len(candidates) < MAX_CANDIDATES:
            distinct.add(key)
            candidates.append(p)
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
            seen[key] = verdict
            if verdict == "differ":
                found.counterexample = report(p, entry, lv, rv, candidate)
                return verdict
            if verdict == "undefined" and found.undefined is None:
                found.undefined = report(p, entry, np.nan, np.nan, candidate)
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
    found.agreeing += n_agree


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


# ---------------------------------------------------------------------------------------
# check_equal
# ---------------------------------------------------------------------------------------


_KIND_TEXT = {"positive": "> 0", "negative": "< 0", "nonnegative": r"\geq 0"}


def _assumption_texts(exprs, declared, kinds, bounds, sizes):
    """What the verdict relies on beyond the conditions' texts: the symbols' declared
    domains, the IndexedBases' ones, index ranges and sizes at least 1."""
    groups = {}
    for s in sorted(declared, key=lambda s: _natural_key(str(s))):
        groups.setdefault(_KIND_TEXT[declared[s]], []).append(sp.latex(s))
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
    alone = [n for n in sizes if n not in by_size]
    if alone:
        texts.append(f"${', '.join(map(sp.latex, alone))} \\geq 1$")
    for s in sorted(set().union(*[e.free_symbols for e in exprs]) if exprs else (), key=str):
        if (isinstance(s, sp.Symbol) and s.is_integer and s not in bounds and s not in sizes
                and s.is_positive):
            texts.append(f"${sp.latex(s)} \\geq 1$")
    return tuple(texts)


def check_equal(lhs, rhs, given=None, domain=None, seed=None):
    """Check that two expressions (or Matrices) are equal under some conditions.

    The symbols are rebuilt from what the page shows (see :mod:`~xentlib.symbolic.audit`)
    and the conditions' substitutions applied to both sides. The sides are then compared
    at many test points of the domain, at concrete sizes written out (see the module
    docstring), and SymPy tries to prove the identity (see
    :mod:`~xentlib.symbolic.proving`: sums over a general size in normal form, case splits
    on ``KroneckerDelta``, ``Max``, ``Abs``, ``Piecewise``). A disagreement confirmed at 50
    digits is a counterexample, proof or not; a proof the tests corroborate is a proof;
    without one the step is *tested*, not proved.

    Args:
      lhs, rhs: SymPy expressions or Matrices of the same shape.
      given: a :class:`Condition` or list of them.
      domain: more conditions (e.g. a derivation-wide domain).
      seed: seed of the test points; by default derived from the content of the step.

    Returns:
      A :class:`Proof`.

    Raises:
      TypeError, CheckError: a misuse the step cannot be checked with (a string or an
        equation as a side, an assumption the page does not show, contradictory
        conditions, a condition about a size no sum runs to); the message names it.

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
      at z = 1: 0.1966 != 1.266
    """
    (lhs_entries, lshape), (rhs_entries, rshape) = lines_of(lhs, rhs)
    if lshape != rshape:
        return Proof(False, f"shapes differ: {lshape or 'scalar'} and {rshape or 'scalar'}")
    step = audit(lhs_entries + rhs_entries, _conditions(given) + _conditions(domain))
    conditions, kinds, simplex = step.conditions, step.kinds, step.simplex
    n_lhs = len(lhs_entries)
    shown_sizes = set(_sizes(step.lines))
    for c in conditions:
        if c.size is not None and shown_sizes and c.size not in shown_sizes:
            runs_to = ", ".join(map(str, sorted(shown_sizes, key=str)))
            raise CheckError(f"{c.text} is stated for the size {c.size}, but the sums of "
                             f"this step run to {runs_to}")
    # SymPy may use what the page shows: each symbol with the domain stated for it
    # (an integral over t of e^{-t^2/(2v)} converges for v > 0).
    domains = domain_symbols(step.lines + [sp.sympify(v) for c in conditions
                                           for kv in c.substitutions.items() for v in kv],
                             kinds)
    if domains:
        conditions = [c.rebuilt(domains) for c in conditions]
        kinds = {domains.get(s, s): kind for s, kind in kinds.items()}
        simplex = [tuple(domains.get(s, s) for s in g) for g in simplex]
    lines = [e.xreplace(domains) for e in step.lines]
    written = [separate_bound_indices(_substitute_all(e, conditions)) for e in lines]
    finished, evaluated = within(EVALUATE_SECONDS, lambda: [e.doit() for e in written])
    if not finished:
        return Proof(False, f"no verdict: SymPy could not evaluate the lines within "
                            f"{EVALUATE_SECONDS:g} s")
    sizes = sorted(set(_sizes(written)) | set(_sizes(evaluated)), key=str)
    indices = _indices(written + evaluated, sizes)
    bounds, literal = _bounds(written + evaluated, sizes, indices)
    substitutions = [kv for c in conditions for kv in c.substitutions.items()]
    shown = lines + [sp.sympify(v) for _, v in substitutions]
    visible = set().union(*[e.free_symbols for e in shown])
    assumptions = _assumption_texts(shown, step.declared, kinds, bounds if sizes else {},
                                    [s for s in sizes if s in visible])

    def verdict(ok, method, ce=None, proved=False):
        return Proof(ok, method, ce, proved, assumptions)

    floats = _floats(lhs_entries + rhs_entries)
    if floats:
        warnings.warn(
            f"the float constant {float(floats[0]):g} rounds: SymPy cannot prove a step with it; "
            "write it exactly, e.g. sp.Rational(1, 10) or sp.nsimplify(expr)",
            stacklevel=3)
    L, R = evaluated[:n_lhs], evaluated[n_lhs:]
    if seed is None:
        seed = _content_seed(*lhs_entries, *rhs_entries, *[c.text for c in conditions])
    rng = np.random.default_rng(seed)
    found = _Tested()
    rtol = FLOAT_RTOL if floats else HP_RTOL
    # Integer indices without a size (delta_{i1}) take integer values, like sizes' indices.
    integer_indices = [s for s in indices if any(
        s in d.free_symbols for e in L + R for d in e.atoms(sp.KroneckerDelta))]
    if sizes or integer_indices:
        within(TESTS_SECONDS, _test_general, written[:n_lhs], written[n_lhs:], lshape,
               conditions, kinds, sizes, indices, bounds, literal, substitutions, rng, found, rtol)
    else:
        within(TESTS_SECONDS, _test_points, L, R, lshape, kinds, simplex, substitutions, rng,
               NUM_POINTS, found, None, rtol)
        symbols = set().union(*[e.free_symbols for e in L + R])
        found.tried = _describe_domain(symbols, kinds, simplex)
    if found.counterexample is not None:
        return verdict(False, "false: a counterexample among the test points",
                       found.counterexample)

    def prove(thorough):
        if floats:
            return None
        notes = set()
        for l, r in zip(L, R):
            done, result = within(THOROUGH_SECONDS if thorough else PROOF_SECONDS,
                                  prove_zero, l - r, kinds, bounds, conditions,
                                  thorough=thorough)
            if not done or result is None:
                return None
            notes |= result
        return notes

    notes = prove(thorough=False)
    if notes is None and not sizes:
        notes = prove(thorough=True)
    if notes is not None and found.undefined is None:
        return verdict(True, _proved_text(notes, sizes, L + R), proved=True)
    if not found.evaluable:
        return verdict(False, "inconclusive: SymPy does not simplify the difference to 0 "
                              "and it cannot be evaluated at test points")
    note = f" ({'; '.join(found.tried)})" if found.tried else ""
    if floats:
        note += f"; the float constant {float(floats[0]):g} prevents a proof"
    if found.undefined is not None:
        at = found.undefined.point()
        return verdict(True, f"tested at {found.agreeing} points{note}; not proved: both "
                             f"sides are undefined at {at}, state the domain where they "
                             "are defined")
    if found.agreeing < 20:
        return verdict(False, f"inconclusive: only {found.agreeing} test points are in the "
                              "domain of both sides (state it with positive / "
                              "in_open_unit_interval / Given)")
    if found.unsettled is not None:
        note += (f"; the sides differ in floating point at {found.unsettled.point()}, "
                 "where the 50-digit confirmations ran out")
    return verdict(True, f"tested at {found.agreeing} points{note}, not proved")


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


def _test_general(L, R, shape, conditions, step_kinds, sizes, indices, bounds, literal,
                  substitutions, rng, found, rtol):
    """Test at concrete sizes (each size independently) and index values, substituted
    into the lines as written before anything is evaluated."""
    written = {int(v) for e in L + R for v in e.atoms(sp.Integer)}
    configs = size_configs(sizes, max(1, literal), rng, written)
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
        ranges = {i: size_values.get(bounds.get(i), largest) for i in indices}
        for s, v in size_values.items():
            tried[s].append(v)
        # Sizes first: sums written out, derivatives taken on what is written.
        written_out = [e.subs(size_values).doit() for e in L + R]
        # Large sizes cost most to write out: fewer index choices there.
        count = INDEX_CHOICES if largest <= 8 else (2 if len(sizes) == 1 else 1)
        for choice in index_choices(indices, ranges, rng, count):
            fixed = {**size_values, **choice}

            def at(e):
                e = e.subs(choice).doit() if choice else e
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
            found.tried = _tried_text(tried, indices, sizes)
    found.tried = _tried_text(tried, indices, sizes)


def _tried_text(tried, indices, sizes):
    out = [f"{s} = {', '.join(map(str, sorted(set(v))))}" for s, v in tried.items() if v]
    if indices and sizes:
        out.append(f"indices {', '.join(map(str, indices))} from 1 to the size")
    elif indices:
        out.append(f"indices {', '.join(map(str, indices))} from 1 to 8")
    return out
