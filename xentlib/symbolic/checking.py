"""Checking one equality: a proof by SymPy, or a test at many points, or a counterexample.

:func:`check_equal` returns a :class:`Proof` with one of three verdicts:

* proved: SymPy reduces the difference of the two sides to 0, for every value in the
  stated domain and every size (``Proof.proved``);
* tested: no proof was found and the two sides agree at every test point (the method
  says which points; ``Proof.ok`` but not ``Proof.proved``);
* false: a point where they differ, confirmed with high-precision arithmetic
  (``Proof.counterexample``).
"""

import dataclasses
import functools
import itertools
import re

import numpy as np
import sympy as sp
from sympy.core.facts import InconsistentAssumptions
from sympy.matrices import MatrixBase

from xentlib.symbolic.conditions import _conditions

__all__ = ["Counterexample", "Proof", "check_equal"]

# Sizes tried when an identity over a general size n is out of SymPy's reach.
CONCRETE_SIZES = (2, 3, 4)
# Random points per numeric check (per size and index choice in the general-n case).
NUM_POINTS = 100
NUM_POINTS_CONCRETE = 20
RTOL = 1e-7
ATOL = 1e-9
# Expressions larger than this are not handed to sp.simplify, which can take minutes.
MAX_SIMPLIFY_OPS = 300

@dataclasses.dataclass(frozen=True)
class Counterexample:
    """A point where two expressions differ.

    Attributes:
      values: ``{name: value}`` of the symbols at the point (including quantities fixed
        by the conditions, e.g. the last target of a simplex or ``a = sigma(z)``).
      lhs: value of the left (previous) side; for a Matrix, of the worst entry.
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
        return f"{at}{where}{_fmt(self.lhs)} != {_fmt(self.rhs)}"


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
        (declared symbol assumptions such as ``p > 0``), for the reader.
    """

    ok: bool
    method: str
    counterexample: Counterexample = None
    proved: bool = False
    assumptions: tuple = ()


def _fmt(v, digits=4):
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if v == int(v) and abs(v) < 1e6:
        return str(int(v))
    return f"{v:.{digits}g}"


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


def _real_symbols(exprs, kinds):
    """Map each plain symbol to one with the assumptions its domain grants SymPy."""
    flags = {
        "positive": {"positive": True},
        "unit": {"positive": True},
        "nonnegative": {"nonnegative": True, "real": True},
        "negative": {"negative": True},
    }
    mapping = {}
    for s in set().union(*[e.free_symbols for e in exprs]):
        if not isinstance(s, sp.Symbol) or isinstance(s, sp.Dummy):
            continue
        extra = flags.get(kinds.get(s), {})
        if s.is_real and not extra:
            continue
        if s.is_integer:
            continue
        assumptions = {k: v for k, v in s.assumptions0.items() if v is True}
        assumptions.update(extra)
        assumptions.setdefault("real", True)
        try:
            mapping[s] = sp.Symbol(s.name, **assumptions)
        except InconsistentAssumptions:
            continue  # the domain contradicts the symbol's own assumptions: keep it
    return mapping


_CHEAP = (
    lambda x: x,
    sp.cancel,
    sp.expand,
    lambda x: sp.expand(sp.expand_log(x)),
)
_THOROUGH = (
    sp.simplify,
    lambda x: sp.simplify(sp.expand_log(x)),
    lambda x: sp.simplify(x.rewrite(sp.exp)),
)


@functools.lru_cache(maxsize=2048)
def _is_zero(e, thorough):
    """Whether SymPy reduces ``e`` to 0, trying cheap rewrites before ``simplify``."""
    transforms = _CHEAP
    if thorough and sp.count_ops(e) <= MAX_SIMPLIFY_OPS:
        transforms += _THOROUGH
    for t in transforms:
        try:
            if t(e) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError, RecursionError):
            continue
    return False


def _symbolic(lhs_entries, rhs_entries, kinds, thorough=True):
    mapping = _real_symbols(lhs_entries + rhs_entries, kinds)
    return all(_is_zero((l - r).xreplace(mapping), thorough)
               for l, r in zip(lhs_entries, rhs_entries))


def _deindex(exprs):
    """Replace Indexed objects (``z[1]``, ``a[i]``) by real symbols of the same name."""
    mapping = {}
    for e in exprs:
        for x in e.atoms(sp.Indexed):
            mapping[x] = sp.Symbol(str(x), real=True)
    return mapping


def _sample(symbols, kinds, simplex, rng, n):
    """Draw ``n`` points: {symbol: array}; domains from the conditions and assumptions."""
    values = {}
    for group in simplex:
        present = [s for s in group if s in symbols]
        if not present:
            continue
        draw = rng.dirichlet(np.ones(len(group) + 1), size=n)
        for i, s in enumerate(group):
            if s in symbols:
                values[s] = draw[:, i]
    for s in symbols:
        if s in values:
            continue
        kind = kinds.get(s)
        if kind is None:
            if s.is_integer:
                kind = "integer"
            elif s.is_positive:
                kind = "positive"
            elif s.is_nonnegative:
                kind = "nonnegative"
            elif s.is_negative:
                kind = "negative"
        if kind == "integer":
            values[s] = rng.integers(1, 7, size=n).astype(float)
        elif kind == "positive":
            values[s] = np.exp(rng.uniform(-2, 2, size=n))
        elif kind == "unit":
            values[s] = rng.uniform(0.05, 0.95, size=n)
        elif kind == "nonnegative":
            values[s] = rng.uniform(0, 3, size=n)
        elif kind == "negative":
            values[s] = rng.uniform(-3, -0.05, size=n)
        else:
            values[s] = rng.uniform(-3, 3, size=n)
    return values


def _round_point(point, simplex):
    rounded = {s: round(float(v), 2) for s, v in point.items()}
    for group in simplex:
        present = [rounded[s] for s in group if s in rounded]
        if present and (sum(present) >= 1 or min(present) <= 0):
            return point
    for s, v in rounded.items():
        if v == 0 and point[s] != 0:
            return point
    return rounded


def _exact_difference(l, r, point):
    """Both sides at a point with 30 significant digits, and whether they differ."""
    subs = {s: sp.Float(v, 30) for s, v in point.items()}
    lv = complex(sp.N(l.xreplace(subs), 30))
    rv = complex(sp.N(r.xreplace(subs), 30))
    real_l, real_r = abs(lv.imag) <= ATOL, abs(rv.imag) <= ATOL
    apart = abs(lv - rv) > ATOL + RTOL * max(abs(lv), abs(rv))
    return lv.real, rv.real, apart or real_l != real_r


def _numeric(lhs_entries, rhs_entries, shape, conds, originals, rng, n_points, extra=None):
    """Compare at random points. Returns (n_valid, counterexample or None)."""
    kinds, simplex = {}, []
    for c in conds:
        kinds.update(c.kinds)
        simplex.extend(c.simplex)
    exprs = lhs_entries + rhs_entries
    index_map = _deindex(exprs)
    kinds = {index_map.get(k, k): v for k, v in kinds.items()}
    simplex = [tuple(index_map.get(s, s) for s in g) for g in simplex]
    lhs_entries = [e.xreplace(index_map) for e in lhs_entries]
    rhs_entries = [e.xreplace(index_map) for e in rhs_entries]
    symbols = sorted(
        set().union(*[e.free_symbols for e in lhs_entries + rhs_entries]), key=str
    )
    symbols = [s for s in symbols if not isinstance(s, sp.IndexedBase)]
    point = _sample(symbols, kinds, simplex, rng, n_points)
    try:
        f = sp.lambdify(symbols, lhs_entries + rhs_entries, modules="numpy")
        with np.errstate(all="ignore"):
            out = [np.broadcast_to(np.asarray(v, dtype=complex), (n_points,))
                   for v in f(*[point[s] for s in symbols])]
    except (TypeError, ValueError, NameError, AttributeError, NotImplementedError):
        # Something NumPy cannot evaluate (an unevaluated Sum, an unknown function or
        # its derivative):
        # no numeric evidence either way, the symbolic proof must decide.
        return None, None
    k = len(lhs_entries)
    L, R = np.array(out[:k]), np.array(out[k:])
    finite = np.isfinite(L) & np.isfinite(R)
    real = (np.abs(L.imag) <= ATOL) & (np.abs(R.imag) <= ATOL)
    valid = np.all(finite & real, axis=0)
    close = np.abs(L - R) <= ATOL + RTOL * np.maximum(np.abs(L), np.abs(R))
    bad_points = np.flatnonzero(valid & ~np.all(close, axis=0))
    for p in bad_points[:5]:
        entry = int(np.flatnonzero(~close[:, p])[0])
        raw = {s: point[s][p] for s in symbols}
        for candidate in (_round_point(raw, simplex), raw):
            lv, rv, differ = _exact_difference(lhs_entries[entry], rhs_entries[entry], candidate)
            if differ:
                values = dict(extra or {})
                values.update(_report_values(candidate, originals, index_map))
                where = None if shape is None else divmod(entry, shape[1])
                return int(valid.sum()), Counterexample(values, lv, rv, where)
    return int(valid.sum()), None


def _report_values(point, originals, index_map):
    """Values of the sampled symbols, then of those fixed by substitutions, by name."""
    back = {v: k for k, v in index_map.items()}
    subs = {s: sp.Float(v, 30) for s, v in point.items()}
    out = {str(back.get(s, s)): v for s, v in point.items()}
    out = dict(sorted(out.items(), key=lambda kv: _natural_key(kv[0])))
    for sym, expr in originals:
        value = sp.sympify(expr).doit().xreplace(index_map).xreplace(subs)
        if str(sym) in out or value.free_symbols:
            continue
        value = complex(sp.N(value, 15))
        if abs(value.imag) < 1e-12:
            out[str(sym)] = value.real
    return out


def _natural_key(name):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _sizes(exprs):
    sizes = set()
    for e in exprs:
        for s in e.atoms(sp.Sum):
            for _, lo, hi in s.limits:
                sizes |= (sp.sympify(hi).free_symbols | sp.sympify(lo).free_symbols)
    return sorted(sizes, key=str)


def _indices(exprs, sizes):
    found = set()
    for e in exprs:
        for s in e.free_symbols:
            if isinstance(s, sp.Symbol) and s.is_integer and s not in sizes:
                found.add(s)
    return sorted(found, key=str)


def _assumption_texts(exprs, kinds):
    """What the symbols' own assumptions say, where no condition says it already."""
    groups = {}
    for s in sorted(set().union(*[e.free_symbols for e in exprs]), key=lambda s: _natural_key(str(s))):
        if not isinstance(s, sp.Symbol) or isinstance(s, sp.Dummy) or s in kinds or s.is_integer:
            continue
        for test, text in ((s.is_positive, "> 0"), (s.is_negative, "< 0"),
                           (s.is_nonnegative, r"\geq 0"), (s.is_nonpositive, r"\leq 0")):
            if test:
                groups.setdefault(text, []).append(sp.latex(s))
                break
    return tuple(f"${', '.join(names)} {text}$" for text, names in groups.items())


def check_equal(lhs, rhs, given=None, domain=None, seed=0):
    """Check that two expressions (or Matrices) are equal under some conditions.

    The conditions' substitutions are applied to both sides first. A seeded numeric
    screen at random points of the domain looks for a counterexample (confirmed with
    30-digit arithmetic); if there is none, SymPy simplification (``cancel``, ``expand``,
    ``expand_log`` with the domain's assumptions, ``simplify``) tries to prove the
    identity, and where it is inconclusive the numeric evidence stands and is named.
    Expressions over a general size ``n`` (``Sum`` with a symbolic bound) that SymPy cannot
    simplify are checked at n = 2, 3, 4 for every value of the free indices.

    Args:
      lhs, rhs: SymPy expressions or Matrices of the same shape.
      given: a :class:`Condition` or list of them.
      domain: more conditions (e.g. a derivation-wide domain).
      seed: seed of the random points.

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
      (False, 'false: counterexample among 100 test points')
      >>> print(p.counterexample)
      at z = 0.82: 0.2123 != 1.176
    """
    proof = _check_equal(lhs, rhs, given, domain, seed)
    conds = _conditions(given) + _conditions(domain)
    kinds = {}
    for c in conds:
        kinds.update(c.kinds)
    lhs_entries, _ = _entries(lhs)
    rhs_entries, _ = _entries(rhs)
    exprs = lhs_entries + rhs_entries + [sp.sympify(v) for c in conds for v in c.substitutions.values()]
    return dataclasses.replace(proof, assumptions=_assumption_texts(exprs, kinds))


def _check_equal(lhs, rhs, given=None, domain=None, seed=0):
    """The verdict of :func:`check_equal`, without the assumptions it used."""
    conds = _conditions(given) + _conditions(domain)
    lhs_entries, lshape = _entries(lhs)
    rhs_entries, rshape = _entries(rhs)
    if lshape != rshape:
        return Proof(False, f"shapes differ: {lshape or 'scalar'} and {rshape or 'scalar'}")
    originals = [kv for c in conds for kv in c.substitutions.items()]
    kinds = {}
    for c in conds:
        kinds.update(c.kinds)
    n_lhs = len(lhs_entries)
    written = [_substitute_all(e, conds) for e in lhs_entries + rhs_entries]
    lhs_entries = [e.doit() for e in written[:n_lhs]]
    rhs_entries = [e.doit() for e in written[n_lhs:]]
    # doit() may turn a Sum over KroneckerDelta(i, k) into a Piecewise in k <= m: the size
    # comes from the Sum as written, so that k is drawn within 1..n like every index.
    evaluated = lhs_entries + rhs_entries
    left = set().union(*[e.free_symbols for e in evaluated])
    sizes = sorted(set(_sizes(evaluated)) | (set(_sizes(written)) & left), key=str)
    if sizes:
        return _check_general(lhs_entries, rhs_entries, lshape, conds, sizes, kinds, seed)
    rng = np.random.default_rng(seed)
    n_valid, ce = _numeric(lhs_entries, rhs_entries, lshape, conds, originals, rng, NUM_POINTS)
    if ce is not None:
        return Proof(False, f"false: counterexample among {n_valid} test points", ce)
    if _symbolic(lhs_entries, rhs_entries, kinds):
        return Proof(True, "proved: SymPy simplifies the difference to 0", proved=True)
    if n_valid is None:
        return Proof(False, "inconclusive: SymPy does not simplify the difference to 0 "
                            "and NumPy cannot evaluate it")
    if n_valid < NUM_POINTS // 2:
        return Proof(
            False,
            f"inconclusive: only {n_valid} of {NUM_POINTS} random points are in the domain "
            "of both sides (state it with positive / in_open_unit_interval / Given)",
        )
    return Proof(True, f"tested at {n_valid} points, not proved")


def _check_general(lhs_entries, rhs_entries, shape, conds, sizes, kinds, seed):
    # simplify() on symbolic Sums is slow and rarely succeeds: only cheap rewrites here,
    # then concrete sizes.
    if _symbolic(lhs_entries, rhs_entries, kinds, thorough=False):
        names = ", ".join(map(str, sizes))
        return Proof(True, f"proved: SymPy simplifies the difference to 0 for every {names}",
                     proved=True)
    indices = _indices(lhs_entries + rhs_entries, sizes)
    rng = np.random.default_rng(seed)
    total = 0
    for n_val in CONCRETE_SIZES:
        size_values = {s: n_val for s in sizes}
        concrete = [c.concrete(size_values) for c in conds]
        originals = [kv for c in concrete for kv in c.substitutions.items()]
        for combo in itertools.product(range(1, n_val + 1), repeat=len(indices)):
            fixed = dict(size_values)
            fixed.update(zip(indices, combo))

            def at(e):
                e = e.subs(fixed).doit()
                for c in concrete:
                    e = c.substitute(e)
                return e

            L = [at(e) for e in lhs_entries]
            R = [at(e) for e in rhs_entries]
            extra = {str(s): v for s, v in fixed.items()}
            n_valid, ce = _numeric(L, R, shape, concrete, originals, rng,
                                   NUM_POINTS_CONCRETE, extra)
            if not n_valid:
                return Proof(False, f"inconclusive at n = {n_val}: no point of the domain "
                                    "could be evaluated")
            total += n_valid
            if ce is not None:
                return Proof(False, f"numeric at n = {n_val}", ce)
    sizes_text = ", ".join(map(str, CONCRETE_SIZES))
    idx = f" and every {', '.join(map(str, indices))}" if indices else ""
    return Proof(True, f"tested at {total} points (n = {sizes_text}{idx}), not proved")

