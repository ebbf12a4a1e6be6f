r"""Where a step is tested: points, sizes and indices.

* Every symbol is drawn at many scales, from 1e-6 to 1e6 in magnitude and of both signs
  unless its domain says otherwise; the first points of an unrestricted symbol are 0, 1
  and -1, where a division or a log is most often undefined.
* Every literal threshold of the lines (a clip at 15, ``exp(-20)``, ``log(3)``,
  ``10**-7``, a Piecewise condition ``x > 40``) is sampled on both sides, close to it.
* Where a denominator, or the argument of a log or a root, vanishes (``1/a`` at a = 0,
  even where SymPy's value hides it), the point is tried exactly: a side undefined there
  as written while the other is defined is a counterexample.
* An undefined function (``f = sp.Function("f")``) is replaced by a few concrete smooth
  functions of the same number of arguments, with seeded random coefficients: a
  polynomial of degree 2, a sine and a Gaussian bump, so that neither its value, nor its
  derivatives, nor their signs follow a pattern a false step could rely on.
* A general size takes its smallest allowed value (1, or the largest entry written of
  a vector of that size: 2 where ``z_2`` is written and ``z`` is summed up to ``C``), a
  few values in 2..8, one in 9..16 and a larger one; free indices take values in
  ``1..size``.
"""

import itertools

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

__all__ = ["index_choices", "in_domain", "kind_of", "landmarks", "near_landmark",
           "round_point", "sample", "size_configs", "stand_in", "stand_ins",
           "undefined_functions", "vanishing_points", "with_stand_ins"]

# Size values: small ones, then 9..16, and one larger.
SMALL_SIZES = tuple(range(2, 9))
MEDIUM_SIZES = tuple(range(9, 17))
LARGE_SIZE = 17
# An index with no size is tried at 1..8, at one value in 9..16 and at this one.
LARGE_INDEX = 40
# Size configurations and index choices per configuration.
SIZE_CONFIGS = 5
INDEX_CHOICES = 4
# Values of an unrestricted symbol tried first.
SPECIAL_VALUES = (0.0, 1.0, -1.0)
# Integers written in a step tried as sizes (and one above): up to this value, at most
# this many of them (the largest).
MAX_LITERAL_SIZE = 32
MAX_LITERAL_CONFIGS = 2
# Thresholds given points on both sides, each.
MAX_LANDMARKS = 6


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
    if kind in ("integer", "positive integer"):
        # Mostly 1..8, also 9..16 and a large value ((i-1)...(i-8) vanishes at 1..8).
        v = rng.integers(1, 9, size=n)
        pick = rng.uniform(size=n)
        v = np.where(pick < 0.2, rng.integers(9, 17, size=n), v)
        v = np.where(pick > 0.95, LARGE_INDEX, v)
        if kind == "integer":
            v = v * rng.choice([-1, 1], size=n) * (rng.uniform(size=n) > 0.05)
        return v.astype(float)
    v = _magnitudes(rng, n) * rng.choice([-1.0, 1.0], size=n)
    special = rng.uniform(size=n) < 0.03
    v[special] = rng.choice([0.0, 1.0, -1.0], size=int(special.sum()))
    return v


def kind_of(s, kinds):
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


def landmarks(exprs):
    """Thresholds to test on both sides of: the constants of the lines (a clip at 15, a
    floor at 1e-7) and their number-valued subexpressions (``exp(-20)``, ``log(3)``,
    ``10**-7``)."""
    found = set()
    for e in exprs:
        for node in sp.preorder_traversal(e):
            numeric = node.is_Atom or isinstance(node, (sp.Pow, sp.exp, sp.log, sp.Mul))
            if not node.is_number or not numeric:
                continue
            try:
                v = abs(complex(node.evalf(15)))
            except (TypeError, ValueError, OverflowError):
                continue
            if v not in (0.0, 1.0, 2.0, 0.5) and np.isfinite(v) and 1e-300 < v < 1e300:
                found.add(v)
    return sorted(found)


# Exact points tried, at most.
MAX_EXACT_POINTS = 6


def exact_points(exprs, symbols):
    """Exact values at which a condition of the lines switches: the solutions of each
    equality or inequality in one symbol (``Eq(x, 1/3)`` in a Piecewise holds only at
    x = 1/3, which no float is). ``(symbol, value)`` pairs, values as SymPy numbers."""
    found = []
    for e in exprs:
        for rel in sp.sympify(e).atoms(sp.core.relational.Relational):
            free = rel.free_symbols & set(symbols)
            if len(free) != 1 or rel.free_symbols != free:
                continue
            (s,) = free
            # Linear conditions only (a threshold a s + b), solved without sp.solve.
            gap = sp.expand(rel.lhs - rel.rhs)
            a, b = gap.coeff(s), gap.subs(s, 0)
            if a.is_zero is False and a.is_number and b.is_number and sp.expand(
                    gap - a * s - b) == 0:
                v = -b / a
                if v.is_real and (s, v) not in found:
                    found.append((s, v))
    return found[:MAX_EXACT_POINTS]


# Highest degree of a denominator (or log / root argument) whose real roots are tried.
MAX_ROOT_DEGREE = 2


def vanishing_points(exprs, symbols):
    """Exact values where a part of the lines is undefined or switches sign: the real
    roots of every denominator and of every argument of a log or a fractional power, in
    one symbol, where they are roots of a polynomial of degree at most 2 (``1/a`` at
    a = 0, ``log(1 - a)`` at a = 1). SymPy may have simplified the written part away
    in the value (``1/(1 + (1 - a)/a)`` is 0 at a = 0 for SymPy, undefined as written),
    so these points are where definedness is tested. ``(symbol, value)`` pairs."""
    found = []
    for e in exprs:
        for node in sp.preorder_traversal(sp.sympify(e)):
            if isinstance(node, sp.Pow) and not (node.exp.is_integer and node.exp.is_nonnegative):
                arg = node.base
            elif isinstance(node, sp.log):
                arg = node.args[0]
            else:
                continue
            free = arg.free_symbols
            if len(free) != 1 or not free <= set(symbols):
                continue
            (s,) = free
            numerator = sp.fraction(sp.together(arg))[0]
            try:
                poly = sp.Poly(numerator, s)
            except sp.PolynomialError:
                continue
            if not 1 <= poly.degree() <= MAX_ROOT_DEGREE:
                continue
            for v in sp.roots(poly):
                if v.is_real and (s, v) not in found:
                    found.append((s, v))
    return found[:MAX_EXACT_POINTS]


def near_landmark(value, marks, factor=2.0):
    """Whether ``value`` lies within ``factor`` of one of the thresholds (in magnitude)."""
    v = abs(float(value))
    return any(m / factor <= v <= factor * m for m in marks)


def _beside(kind, marks):
    """Values just below and just above each threshold (0.1% away), in the domain."""
    out = []
    for m in marks[:MAX_LANDMARKS]:
        pair = [m * (1 - 1e-3), m * (1 + 1e-3)]
        if kind == "negative":
            out += [-v for v in pair]
        elif kind in ("positive", "nonnegative"):
            out += pair
        elif kind == "unit":
            out += [v for v in pair if v < 1] + [1 - v for v in pair if v < 1]
        elif kind is None:
            out += pair + [-v for v in pair]
    return out


def _near_landmarks(values, kind, landmarks, rng):
    """Move a tenth of the values next to the expressions' constants."""
    n = len(values)
    pick = rng.uniform(size=n) < 0.2
    if not landmarks or not pick.any():
        return values
    # Both sides of each threshold: just below and just above, or a little further.
    side = rng.choice([-1.0, 1.0], size=n)
    step = np.where(rng.uniform(size=n) < 0.5, 10.0 ** rng.uniform(-4, -1, size=n),
                    rng.uniform(0.1, 0.7, size=n))
    near = rng.choice(landmarks, size=n) * np.exp(side * step)
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


def sample(symbols, kinds, simplex, rng, n, landmarks=()):
    """``n`` points: {symbol: array}, from each symbol's domain."""
    values = {}
    protected = np.zeros(n, dtype=bool)
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
            kind = kind_of(s, kinds)
            values[s] = _near_landmarks(_draw(kind, rng, n), kind, list(landmarks), rng)
            fixed = list(SPECIAL_VALUES) if kind is None else []
            fixed += _beside(kind, list(landmarks))
            if fixed and n >= 3 * len(fixed):
                # Each special value and each side of each threshold once, at a point
                # of its own per symbol.
                at = rng.choice(n, size=len(fixed), replace=False)
                values[s][at] = fixed
                protected[at] = True
    _moderate_rows(values, symbols, kinds, simplex, protected)
    return values


def _moderate_rows(values, symbols, kinds, simplex, protected):
    """Redraw a quarter of the points with every free symbol of order 1 at once.

    With many symbols, a point where all of them are moderate is rare when each is drawn
    alone, yet that is where a factor such as ``a (1 - a)`` with ``a = sigma(sum_i
    theta_i x_i)`` is not negligible: there a false step shows. The rows come from a
    generator of their own (seeded by the symbols), so the other points stay as drawn.
    """
    free = [s for s in symbols if kind_of(s, kinds) in (None, "positive", "negative",
                                                         "nonnegative")
            and not any(s in g for g in simplex)]
    n = len(protected)
    if len(free) < 3 or n < 8:
        return
    names = "\x1f".join(sorted(map(str, free)))
    own = np.random.default_rng(int.from_bytes(names.encode()[:8].ljust(8, b"\0"), "little")
                                + n)
    rows = (own.uniform(size=n) < 0.25) & ~protected
    for s in free:
        kind = kind_of(s, kinds)
        v = own.uniform(0.2, 1.5, size=n)
        if kind is None:
            v = v * own.choice([-1.0, 1.0], size=n)
        elif kind == "negative":
            v = -v
        values[s] = np.where(rows, v, values[s])


def in_domain(point, kinds, simplex):
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


def round_point(point, kinds, simplex):
    """The point with short decimals, when that stays in the domain."""

    def short(v):
        if v == 0 or 0.01 <= abs(v) < 1000:
            return round(float(v), 2)
        return float(f"{v:.2g}")

    rounded = {s: short(v) for s, v in point.items()}
    if any(rounded[s] == 0 and point[s] != 0 for s in point):
        return point
    return rounded if in_domain(rounded, kinds, simplex) else point



def size_configs(sizes, smallest, rng, literals=()):
    """Size values to try: all at the smallest allowed, all small (2..8), then each size
    on its own at a medium value (9..16), the others small, and one size at a large
    value (the work grows with the product of the sizes); last, each size at the integers
    written in the step above 8 (``binomial(n, 21)`` vanishes below 21), and one more.

    ``smallest`` maps a size to its smallest allowed value (1 where it is missing; 2
    where ``z_2`` of a vector of that size is written)."""
    if not sizes:
        return [{}]
    low = {s: smallest.get(s, 1) for s in sizes}
    small = {s: [n for n in SMALL_SIZES if n > low[s]] or [low[s] + 1] for s in sizes}
    medium = {s: [n for n in MEDIUM_SIZES if n > low[s]] or [low[s] + 9] for s in sizes}

    def lowest():
        return dict(low)

    configs = [lowest(), {s: int(rng.choice(small[s])) for s in sizes}]
    for s in sizes:
        configs.append({**{t: min(small[t]) for t in sizes}, s: int(rng.choice(medium[s]))})
    # One large configuration: written out, nested sums of 20 terms each are slow.
    configs.append({**lowest(), sizes[0]: max(LARGE_SIZE, low[sizes[0]] + 12)})
    while len(configs) < SIZE_CONFIGS:
        configs.append({s: int(rng.choice([low[s]] + small[s])) for s in sizes})
    written = sorted({v for v in literals if max(SMALL_SIZES) < v <= MAX_LITERAL_SIZE})
    for value in written[-MAX_LITERAL_CONFIGS:]:
        for s in sizes:
            if value >= low[s]:
                configs.append({**lowest(), s: value})
            configs.append({**lowest(), s: max(value + 1, low[s])})
    unique = []
    for c in configs:
        if c not in unique:
            unique.append(c)
    return unique


def free_index_values(rng):
    """Values tried for an index no size bounds: 1..8, one of 9..16 and a large one
    (``(i-1)...(i-8)`` vanishes at 1..8)."""
    return list(range(1, 9)) + [int(rng.choice(MEDIUM_SIZES)), LARGE_INDEX]


def compared_values(exprs, index):
    """Integers an ``index`` is compared with (``KroneckerDelta(i, 12)``, ``i > 3``,
    ``Eq(i, 12)``) and their neighbours on both sides."""
    out = set()
    for e in exprs:
        for node in sp.sympify(e).atoms(sp.KroneckerDelta, sp.core.relational.Relational):
            if index in node.free_symbols:
                for n in node.atoms(sp.Integer):
                    out |= {int(n) - 1, int(n), int(n) + 1}
    return out


def index_choices(indices, values, rng, count=INDEX_CHOICES, must=None):
    """Assignments of the free indices, each from its list of ``values``: all first, all
    last, then every value in ``must[i]`` for index ``i`` (the others at random), then
    random ones up to ``count`` in all (the values in ``must`` may make more)."""
    if not indices:
        return [{}]
    grid = list(itertools.product(*[values[i] for i in indices]))
    if len(grid) <= count:
        return [dict(zip(indices, g)) for g in grid]
    picks = [grid[0], grid[-1]]
    for n, i in enumerate(indices):
        for v in (must or {}).get(i, ()):
            pick = [values[t][int(rng.integers(len(values[t])))] for t in indices]
            pick[n] = v
            picks.append(tuple(pick))
    picks += [grid[i] for i in rng.choice(len(grid), size=max(count - len(picks), 0),
                                          replace=False)]
    unique = list(dict.fromkeys(picks))
    return [dict(zip(indices, g)) for g in unique]


# Concrete functions tried in place of each undefined function.
STAND_INS = 3


def _coefficient(rng, low=-2.0, high=2.0):
    """A short decimal (exact in SymPy), never 0."""
    v = 0.0
    while v == 0.0:
        v = round(float(rng.uniform(low, high)), 1)
    return sp.Rational(repr(v))


def stand_in(arity, rng):
    """A smooth function of ``arity`` arguments with random coefficients, as a
    ``sp.Lambda``: ``c + sum_i (b_i t_i + q_i t_i^2) + d sin(w . t + p) +
    e exp(-(t . t) / s)``."""
    t = sp.symbols(f"t1:{arity + 1}", real=True)
    body = _coefficient(rng)
    for ti in t:
        body += _coefficient(rng) * ti + _coefficient(rng, -0.5, 0.5) * ti**2
    phase = sum((_coefficient(rng) * ti for ti in t), _coefficient(rng))
    body += _coefficient(rng) * sp.sin(phase)
    body += _coefficient(rng) * sp.exp(-sum(ti**2 for ti in t) / _coefficient(rng, 0.5, 4))
    return sp.Lambda(t, body)


def stand_ins(functions, rng, count=STAND_INS):
    """``count`` assignments ``{f: Lambda}`` of concrete smooth functions to the undefined
    functions (SymPy ``FunctionClass`` objects, each with its arity)."""
    return [{f: stand_in(arity, rng) for f, arity in sorted(functions.items(), key=str)}
            for _ in range(count)]


def undefined_functions(exprs):
    """The undefined functions of the lines (``f`` of ``f(x)``), each with its arity."""
    return {f.func: len(f.args) for e in exprs for f in e.atoms(AppliedUndef)}


def with_stand_ins(expr, assignment):
    """``expr`` with each undefined function replaced by its concrete stand-in (inside
    derivatives too, which then differentiate the stand-in)."""
    return expr.replace(lambda e: isinstance(e, AppliedUndef) and e.func in assignment,
                        lambda e: assignment[e.func](*e.args))
