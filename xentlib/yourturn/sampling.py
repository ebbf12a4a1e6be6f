r"""Where an exercise's answers are compared: random points of the stated domain.

Both forms of an exercise compare the learner's formula with the book's at the same
points: the live form (for the hints, in Python) and the static page (in the browser,
where these points and the book's values at them are the data the page carries). A point
gives every symbol of the final answer a value: scalars, sizes, indices and vectors.

The domain is declared once per symbol with the helpers below; a value that depends on
others (``a = sigma(z)``, ``a = softmax(z)``) is computed from them, so the point
satisfies the exercise's conditions.
"""

import dataclasses

import mpmath
import numpy as np
import sympy as sp

__all__ = ["Domain", "derived", "draw_points", "index", "real", "sigmoid_of", "simplex", "size",
           "softmax_of", "unit", "value_at", "values_at", "vector"]


@dataclasses.dataclass(frozen=True)
class Domain:
    """How one symbol is drawn.

    Attributes:
      kind: ``"real"``, ``"unit"``, ``"size"``, ``"index"``, ``"vector"``, ``"simplex"``
        or ``"derived"``.
      text: the domain as the reader sees it (``z \\in [-8, 8]``), LaTeX.
      low, high: bounds of a real value, a size, or a vector's entries.
      shape: for a vector or matrix, the names of the sizes of its axes.
      of: for an index, the name of the size it runs up to.
      compute: for a derived value, a function of the point drawn so far.
    """

    kind: str
    text: str = ""
    low: float = None
    high: float = None
    shape: tuple = ()
    of: str = None
    compute: object = None


def real(low, high):
    """A real number drawn uniformly from ``[low, high]``."""
    return Domain("real", f"\\in [{low:g}, {high:g}]", low, high)


def unit():
    """A number in (0, 1), drawn uniformly from ``[0.01, 0.99]``."""
    return Domain("unit", r"\in (0, 1)", 0.01, 0.99)


def size(low=2, high=5):
    """A size: an integer from ``low`` to ``high``."""
    return Domain("size", f"\\in \\{{{low}, \\dots, {high}\\}}", low, high)


def index(of):
    """An index from 1 to the size called ``of``.

    A second index of the same size copies an earlier one at a third of the points and is
    drawn uniformly otherwise, so two indices coincide with probability
    1/3 + (2/3) E[1/C]: 0.55 for sizes 2 to 5, and a Kronecker delta is tested
    at both of its values.
    """
    return Domain("index", f"\\in \\{{1, \\dots, {of}\\}}", of=of)


def vector(*shape, low=-5.0, high=5.0):
    """A vector (or a matrix, with two sizes) of reals drawn from ``[low, high]``."""
    return Domain("vector", f"\\in [{low:g}, {high:g}]", low, high, shape=tuple(shape))


def simplex(of):
    """A vector of probabilities that sum to one (drawn uniformly on the simplex)."""
    return Domain("simplex", r"\geq 0,\ \text{summing to } 1", shape=(of,))


def derived(compute, text=""):
    """A value computed from the others: ``compute(point) -> number or array``.

    Compute it in exact arithmetic (mpmath) and round it once, as :func:`sigmoid_of` and
    :func:`softmax_of` do: the points are written into the notebook's output, which is
    compared on every run, and a double-precision ``np.exp`` may differ in the last digit
    from one machine's math library to another's.
    """
    return Domain("derived", text, compute=compute)


def sigmoid_of(name):
    """``a = sigma(point[name])``, computed with mpmath and rounded once to a double."""
    def sigmoid(point):
        return float(1 / (1 + mpmath.exp(-mpmath.mpf(float(point[name])))))

    return derived(sigmoid, f"= \\sigma({name})")


def softmax_of(name):
    """``a = softmax(point[name])``, computed with mpmath and rounded once to doubles."""
    def softmax(point):
        e = [mpmath.exp(mpmath.mpf(float(v))) for v in point[name]]
        total = mpmath.fsum(e)
        return np.array([float(x / total) for x in e])

    return derived(softmax, f"= \\operatorname{{softmax}}({name})")


def draw_points(domains, n, seed):
    """``n`` points: dicts ``{name: float | int | ndarray}``, in the order of ``domains``.

    Args:
      domains: dict ``{name: Domain}``; a derived value comes after what it uses.
      n: the number of points.
      seed: the seed; the same seed gives the same points.
    """
    rng = np.random.default_rng(seed)
    points = []
    for _ in range(n):
        point = {}
        for name, d in domains.items():
            if d.kind in ("real", "unit"):
                point[name] = _short(rng.uniform(d.low, d.high))
            elif d.kind == "size":
                point[name] = int(rng.integers(d.low, d.high + 1))
            elif d.kind == "index":
                earlier = [v for k, v in point.items() if domains[k].kind == "index"
                           and domains[k].of == d.of]
                # A copy at a third of the points, a uniform draw otherwise: two indices of
                # one size coincide at 1/3 + (2/3) E[1/size] of the points (0.55 for sizes
                # 2 to 5), so a Kronecker delta is tested at both of its values.
                if earlier and rng.random() < 1 / 3:
                    point[name] = int(rng.choice(earlier))
                else:
                    point[name] = int(rng.integers(1, point[d.of] + 1))
            elif d.kind == "vector":
                shape = tuple(point[s] for s in d.shape)
                point[name] = _short(rng.uniform(d.low, d.high, size=shape))
            elif d.kind == "simplex":
                p = _short(rng.dirichlet(np.ones(point[d.shape[0]])))
                # The last entry makes the sum exactly one (as exactly as floats can).
                p[-1] = 1.0 - p[:-1].sum()
                point[name] = p
            elif d.kind == "derived":
                point[name] = d.compute(point)
            else:
                raise ValueError(f"unknown domain kind {d.kind!r}")
        points.append(point)
    return points


def _short(x):
    """Drawn values with 6 significant digits: short on the page and in a counterexample.

    Values derived from them (``a = softmax(z)``) keep every digit, so that the point
    satisfies the condition that links them.
    """
    if np.ndim(x) == 0:
        return float(f"{float(x):.6g}")
    return np.array([float(f"{v:.6g}") for v in np.ravel(x)]).reshape(np.shape(x))


def values_at(expr, points, symbols, digits=30):
    """The values of a SymPy expression at points, with ``digits`` significant digits.

    Args:
      expr: the expression; its Symbols and IndexedBases are looked up by name.
      points: dicts from :func:`draw_points`.
      symbols: dict ``{name: Symbol or IndexedBase}``.

    Returns:
      An array of floats, ``nan`` where the expression is undefined or not real (a log
      of a negative number, an index beyond the size).
    """
    expr = sp.sympify(expr)
    compiled = {}
    out = np.full(len(points), np.nan)
    with mpmath.workdps(digits):
        for n, point in enumerate(points):
            # Sizes and indices first: the expression is expanded and compiled once for
            # each choice of them, then evaluated at each point's reals.
            ints = tuple((name, int(v)) for name, v in point.items()
                         if isinstance(v, (int, np.integer)) and name in symbols)
            if ints not in compiled:
                compiled[ints] = _compile(expr, dict(ints), point, symbols)
            f, args = compiled[ints]
            if f is None:
                continue
            try:
                values = [mpmath.mpf(float(_lookup(point, symbols, a))) for a in args]
                v = mpmath.mpc(f(*values))
            except (IndexError, TypeError, ValueError, ZeroDivisionError, OverflowError):
                continue
            if abs(v.imag) <= 1e-12 * max(1, abs(v.real)) and mpmath.isfinite(v.real):
                out[n] = float(v.real)
    return out


def value_at(expr, point, symbols, digits=30):
    """The value of a SymPy expression at one point (see :func:`values_at`)."""
    return float(values_at(expr, [point], symbols, digits)[0])


def _compile(expr, ints, point, symbols):
    """``(function, arguments)``: the expression at these sizes and indices, compiled.

    The arguments are the scalar Symbols and the entries ``(IndexedBase, position)``
    that remain; the function is ``None`` where the expression is undefined (an index
    beyond a size).
    """
    e = expr.xreplace({symbols[k]: sp.Integer(v) for k, v in ints.items()})
    try:
        if e.has(sp.Sum):
            e = e.doit()
        entries = {}

        def entry(x):
            if not all(getattr(i, "is_Integer", False) for i in x.indices):
                raise IndexError
            at = tuple(int(i) - 1 for i in x.indices)
            shape = np.shape(point[str(x.base.label)])
            if len(at) != len(shape) or any(i < 0 or i >= m for i, m in zip(at, shape)):
                raise IndexError
            return entries.setdefault((x.base, at), sp.Dummy())

        bases = {v for v in symbols.values() if isinstance(v, sp.IndexedBase)}
        e = e.replace(lambda x: isinstance(x, sp.Indexed) and x.base in bases, entry)
    except (IndexError, KeyError, TypeError, ValueError):
        return None, ()
    scalars = [s for s in symbols.values() if isinstance(s, sp.Symbol) and s in e.free_symbols]
    if e.free_symbols - set(scalars) - set(entries.values()) or e.has(sp.zoo, sp.nan):
        return None, ()
    args = scalars + list(entries)
    params = scalars + list(entries.values())
    try:
        return sp.lambdify(params, e, modules="mpmath"), args
    except (KeyError, NameError, TypeError, ValueError):  # nothing mpmath can evaluate
        return None, ()


def _lookup(point, symbols, arg):
    if isinstance(arg, tuple):
        base, at = arg
        return np.asarray(point[str(base.label)])[at]
    return point[arg.name]
