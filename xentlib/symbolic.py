r"""Machine-checked derivations with SymPy.

The book derives every gradient as a chain of equalities, and this module checks each
link of the chain when it is written. It has three parts:

* SymPy counterparts of the numerics in :mod:`xentlib` (``sigmoid``, ``softmax``,
  ``logsumexp``, the binary and categorical cross-entropies) and a :func:`lambdify`
  bridge that turns a symbolic gradient into a NumPy function, so that it can be compared
  with xentlib's analytic gradient on arrays.
* Conditions a step may rely on (:class:`Given`, :func:`sums_to_one`, :func:`one_hot`,
  :func:`positive`, ...). They are substituted into both sides before the comparison, they
  choose where random test points are drawn, and the reader sees them beside the step.
* :class:`Derivation`, the chain itself, and :func:`check_equal`, the test behind each
  step: SymPy simplification first and, where that is inconclusive, evaluation at seeded
  random points of the stated domain. A false step raises :class:`DerivationError` with
  a concrete counterexample.

Writing a derivation that reads well: start from ``sp.Derivative(...)`` (shown as
d/dz, evaluated for the check after the conditions are substituted, so ``Derivative(L, w)``
given ``L = ...`` is the derivative of what ``L`` stands for); name a sub-expression with a
symbol and state what it stands for, ``given=Given({a: sigmoid(z)}, r"$a = \sigma(z)$")``,
so lines stay short;
state the domain (``positive``, ``in_open_unit_interval``, ``sums_to_one``) wherever a
log or a label needs one. For a general size, write sums with ``IndexedBase`` and
``Sum(..., (k, 1, n))``; steps SymPy cannot prove in general are checked at n = 2, 3, 4
and every value 1..n of the free indices, and the method says so.

Examples:
  >>> import sympy as sp
  >>> from xentlib import symbolic as xs
  >>> z = sp.Symbol("z", real=True)
  >>> d = xs.Derivation(r"\sigma'(z)", sp.diff(xs.sigmoid(z), z))
  >>> d = d.step(xs.sigmoid(z) * (1 - xs.sigmoid(z)), r"$\sigma = 1/(1+e^{-z})$")
  >>> d.steps[0].ok, d.steps[0].method
  (True, 'symbolic')
"""

import dataclasses
import functools
import itertools
import re

import numpy as np
import sympy as sp
from sympy.core.facts import InconsistentAssumptions
from sympy.matrices import MatrixBase

__all__ = [
    "Condition",
    "Counterexample",
    "Derivation",
    "DerivationError",
    "Given",
    "Proof",
    "Step",
    "binary_cross_entropy",
    "bce_with_logits",
    "bce_with_logits_stable",
    "check_equal",
    "cross_entropy",
    "grad",
    "in_open_unit_interval",
    "lambdify",
    "logsumexp",
    "negative",
    "nonnegative",
    "one_hot",
    "positive",
    "sigmoid",
    "softmax",
    "sums_to_one",
    "symbols_vector",
]

# Sizes tried when an identity over a general size n is out of SymPy's reach.
CONCRETE_SIZES = (2, 3, 4)
# Random points per numeric check (per size and index choice in the general-n case).
NUM_POINTS = 100
NUM_POINTS_CONCRETE = 20
RTOL = 1e-7
ATOL = 1e-9
# Expressions larger than this are not handed to sp.simplify, which can take minutes.
MAX_SIMPLIFY_OPS = 300


# ---------------------------------------------------------------------------------------
# SymPy counterparts of the numerics
# ---------------------------------------------------------------------------------------


def _as_vector(xs, name):
    if isinstance(xs, MatrixBase):
        if 1 not in xs.shape:
            raise ValueError(f"{name} must be a vector, got a matrix of shape {xs.shape}")
        return list(xs)
    if isinstance(xs, (list, tuple)):
        if len(xs) == 0:
            raise ValueError(f"{name} must not be empty")
        return [sp.sympify(x) for x in xs]
    raise TypeError(f"{name} must be a list, tuple or sympy Matrix, got {type(xs).__name__}")


def sigmoid(z):
    r"""The logistic sigmoid as a SymPy expression.

    The symbolic twin of :func:`xentlib.sigmoid`, written as the definition so that
    SymPy differentiates it from first principles (chapter on the sigmoid).

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    Args:
      z: a SymPy expression or number.

    Returns:
      The expression ``1/(1 + exp(-z))``.

    Examples:
      >>> import sympy as sp
      >>> z = sp.Symbol("z", real=True)
      >>> sigmoid(z)
      1/(1 + exp(-z))
      >>> sp.simplify(sp.diff(sigmoid(z), z) - sigmoid(z) * (1 - sigmoid(z)))
      0

    See also:
      :func:`softmax`, :func:`bce_with_logits`.
    """
    return 1 / (1 + sp.exp(-sp.sympify(z)))


def softmax(zs):
    r"""Softmax of a vector of symbolic logits, as a column Matrix.

    The symbolic twin of :func:`xentlib.softmax` for one example.

    .. math:: a_i = \frac{e^{z_i}}{\sum_k e^{z_k}}

    Args:
      zs: the logits, a list, tuple or sympy vector of length ``C``.

    Returns:
      A ``(C, 1)`` sympy Matrix.

    Examples:
      >>> zs = symbols_vector("z", 2)
      >>> softmax(zs)
      Matrix([
      [exp(z_1)/(exp(z_1) + exp(z_2))],
      [exp(z_2)/(exp(z_1) + exp(z_2))]])

    See also:
      :func:`logsumexp`, :func:`cross_entropy`.
    """
    zs = _as_vector(zs, "zs")
    total = sp.Add(*[sp.exp(z) for z in zs])
    return sp.Matrix([sp.exp(z) / total for z in zs])


def logsumexp(zs):
    r"""``log(sum_k exp(z_k))`` of a vector of symbolic logits.

    .. math:: \operatorname{LSE}(z) = \log \sum_k e^{z_k}

    Args:
      zs: a list, tuple or sympy vector.

    Returns:
      A scalar SymPy expression.

    Examples:
      >>> zs = symbols_vector("z", 3)
      >>> logsumexp(zs)
      log(exp(z_1) + exp(z_2) + exp(z_3))
      >>> grad(logsumexp(zs), zs) == softmax(zs)
      True

    See also:
      :func:`softmax`.
    """
    zs = _as_vector(zs, "zs")
    return sp.log(sp.Add(*[sp.exp(z) for z in zs]))


def binary_cross_entropy(a, y):
    r"""Binary cross-entropy of a probability ``a`` and a target ``y``.

    The symbolic twin of :func:`xentlib.binary_cross_entropy` for one example.

    .. math:: L = -\bigl(y \log a + (1 - y) \log(1 - a)\bigr)

    Args:
      a: predicted probability (expression).
      y: target in [0, 1] (expression).

    Returns:
      A scalar SymPy expression.

    Examples:
      >>> import sympy as sp
      >>> a, y = sp.symbols("a y", real=True)
      >>> dL_da = sp.diff(binary_cross_entropy(a, y), a)
      >>> dL_da
      (1 - y)/(1 - a) - y/a
      >>> sp.simplify(dL_da - (a - y) / (a * (1 - a)))
      0

    See also:
      :func:`bce_with_logits`, :func:`cross_entropy`.
    """
    a, y = sp.sympify(a), sp.sympify(y)
    return -(y * sp.log(a) + (1 - y) * sp.log(1 - a))


def bce_with_logits(x, y, pos_weight=None):
    r"""Binary cross-entropy of a logit, by definition (through the sigmoid).

    This is the form a derivation starts from; :func:`bce_with_logits_stable` is the form
    the numerics compute.

    .. math:: L = -\bigl(p\, y \log \sigma(x) + (1 - y) \log(1 - \sigma(x))\bigr)

    with ``p`` the ``pos_weight`` (1 when not given), as in PyTorch.

    Args:
      x: the logit (expression).
      y: the target (expression).
      pos_weight: optional weight of the positive term.

    Returns:
      A scalar SymPy expression.

    Examples:
      >>> import sympy as sp
      >>> x, y = sp.symbols("x y", real=True)
      >>> sp.simplify(sp.diff(bce_with_logits(x, y), x) - (sigmoid(x) - y))
      0

    See also:
      :func:`bce_with_logits_stable`, :func:`binary_cross_entropy`.
    """
    x, y = sp.sympify(x), sp.sympify(y)
    p = 1 if pos_weight is None else sp.sympify(pos_weight)
    return -(p * y * sp.log(sigmoid(x)) + (1 - y) * sp.log(1 - sigmoid(x)))


def bce_with_logits_stable(x, y, pos_weight=None):
    r"""Binary cross-entropy of a logit in the overflow-free form the numerics use.

    ``exp`` only ever sees ``-|x|``, so it cannot overflow. With a ``pos_weight`` ``p``
    this is PyTorch's form, with ``l = 1 + (p - 1) y``.

    .. math::
      L = \max(x, 0) - x y + \log(1 + e^{-|x|}) \qquad
      L_p = (1 - y) x + l \bigl(\log(1 + e^{-|x|}) + \max(-x, 0)\bigr)

    Args:
      x: the logit (expression).
      y: the target (expression).
      pos_weight: optional weight of the positive term.

    Returns:
      A scalar SymPy expression with ``Max`` and ``Abs``.

    Examples:
      >>> import sympy as sp
      >>> x, y = sp.symbols("x y", real=True)
      >>> bce_with_logits_stable(x, y)
      -x*y + log(1 + exp(-Abs(x))) + Max(0, x)
      >>> check_equal(bce_with_logits_stable(x, y), bce_with_logits(x, y)).ok
      True

    See also:
      :func:`bce_with_logits`.
    """
    x, y = sp.sympify(x), sp.sympify(y)
    softplus_neg_abs = sp.log(1 + sp.exp(-sp.Abs(x)))
    if pos_weight is None:
        return sp.Max(x, 0) - x * y + softplus_neg_abs
    log_weight = 1 + (sp.sympify(pos_weight) - 1) * y
    return (1 - y) * x + log_weight * (softplus_neg_abs + sp.Max(-x, 0))


def cross_entropy(a, y):
    r"""Categorical cross-entropy of probabilities ``a`` and targets ``y``.

    The symbolic twin of :func:`xentlib.cross_entropy` for one example, given
    probabilities rather than logits (compose with :func:`softmax` for logits).

    .. math:: L = -\sum_k y_k \log a_k

    Args:
      a: probabilities, a list, tuple or sympy vector of length ``C``.
      y: targets of the same length.

    Returns:
      A scalar SymPy expression.

    Examples:
      >>> a, y = symbols_vector("a", 2), symbols_vector("y", 2)
      >>> cross_entropy(a, y)
      -y_1*log(a_1) - y_2*log(a_2)

    See also:
      :func:`softmax`, :func:`binary_cross_entropy`.
    """
    a, y = _as_vector(a, "a"), _as_vector(y, "y")
    if len(a) != len(y):
        raise ValueError(f"a and y must have the same length, got {len(a)} and {len(y)}")
    return -sp.Add(*[yk * sp.log(ak) for ak, yk in zip(a, y)])


def symbols_vector(name, n, **assumptions):
    """A column Matrix of real symbols ``name_1, ..., name_n``.

    Args:
      name: base name, e.g. ``"z"``.
      n: length, at least 1.
      **assumptions: extra SymPy assumptions, e.g. ``positive=True``.

    Returns:
      An ``(n, 1)`` sympy Matrix of Symbols (real unless told otherwise).

    Examples:
      >>> symbols_vector("y", 3).T
      Matrix([[y_1, y_2, y_3]])
      >>> symbols_vector("a", 2, positive=True)[0].is_positive
      True
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    assumptions.setdefault("real", True)
    return sp.Matrix([sp.Symbol(f"{name}_{i}", **assumptions) for i in range(1, n + 1)])


def grad(expr, wrt):
    """Gradient of a scalar expression, shaped like the variables.

    Args:
      expr: a scalar SymPy expression.
      wrt: a sympy Matrix of symbols (any shape) or a list of symbols.

    Returns:
      A sympy Matrix of partial derivatives with the shape of ``wrt`` (a column for a list).

    Examples:
      >>> a, y = symbols_vector("a", 2), symbols_vector("y", 2)
      >>> grad(cross_entropy(a, y), a)
      Matrix([
      [-y_1/a_1],
      [-y_2/a_2]])
    """
    if isinstance(expr, MatrixBase):
        raise TypeError("grad needs a scalar expression; use sympy's jacobian for vectors")
    wrt = wrt if isinstance(wrt, MatrixBase) else sp.Matrix(_as_vector(wrt, "wrt"))
    return wrt.applyfunc(lambda v: sp.diff(expr, v))


def lambdify(expr, args):
    """Turn a SymPy expression or Matrix into a NumPy function.

    A bridge between a derivation and the numerics: the gradient a chapter derives can be
    evaluated on the same arrays as xentlib's analytic gradient. Arguments are symbols
    (taking arrays that broadcast elementwise) or sympy Matrices of symbols. A column
    Matrix of length ``k`` takes an array of shape ``(k, ...)`` and any other ``(r, c)``
    Matrix an array of shape ``(r, c, ...)``; the trailing axes are a batch, evaluated
    elementwise. A column-vector result has shape ``(k, ...)``, an ``(r, c)`` result
    ``(r, c, ...)``, a scalar the broadcast batch shape.

    Args:
      expr: a scalar expression or a sympy Matrix.
      args: a sequence of symbols and/or symbol Matrices (or one of them).

    Returns:
      A function of ``len(args)`` array arguments returning a float ``numpy.ndarray``.

    Examples:
      >>> import numpy as np
      >>> zs, ys = symbols_vector("z", 3), symbols_vector("y", 3)
      >>> f = lambdify(softmax(zs) - ys, [zs, ys])
      >>> f([0.0, 0.0, np.log(2.0)], [0, 0, 1]).round(3)
      array([ 0.25,  0.25, -0.5 ])
      >>> Z = np.zeros((3, 4))                     # a batch of 4 examples as columns
      >>> f(Z, np.eye(3, 4)).shape
      (3, 4)
    """
    if not isinstance(args, (list, tuple)):
        args = [args]
    specs, flat = [], []
    for arg in args:
        if isinstance(arg, MatrixBase):
            for s in arg:
                if not isinstance(s, (sp.Symbol, sp.Indexed)):
                    raise TypeError(f"Matrix arguments must hold symbols, got {s}")
            specs.append(arg.shape)
            flat.extend(arg)
        elif isinstance(arg, (sp.Symbol, sp.Indexed)):
            specs.append(None)
            flat.append(arg)
        else:
            raise TypeError(f"arguments must be symbols or symbol Matrices, got {arg!r}")
    out_shape = expr.shape if isinstance(expr, MatrixBase) else None
    entries = list(expr) if out_shape else [sp.sympify(expr)]
    # Plain dummies stand for the arguments, so that Indexed ones (z[1]) work too.
    dummies = [sp.Dummy() for _ in flat]
    entries = [e.doit().xreplace(dict(zip(flat, dummies))) for e in entries]
    missing = set().union(*[e.free_symbols for e in entries]) - set(dummies)
    if missing:
        names = ", ".join(sorted(map(str, missing)))
        raise ValueError(f"expression depends on symbols not among args: {names}")
    f = sp.lambdify(dummies, entries, modules="numpy")

    def call(*values):
        if len(values) != len(specs):
            raise TypeError(f"expected {len(specs)} arguments, got {len(values)}")
        numbers = []
        for spec, value, arg in zip(specs, values, args):
            value = np.asarray(value, dtype=float)
            if spec is None:
                numbers.append(value)
                continue
            rows, cols = spec
            lead = (rows,) if cols == 1 else (rows, cols)
            if value.shape[: len(lead)] != lead:
                raise ValueError(
                    f"argument {arg.T if cols == 1 else arg} needs an array of shape "
                    f"{lead + ('...',)}, got {value.shape}"
                )
            numbers.extend(value.reshape((rows * cols,) + value.shape[len(lead):]))
        with np.errstate(all="ignore"):
            results = [np.asarray(r, dtype=float) for r in f(*numbers)]
        batch = np.broadcast_shapes(*[np.shape(v) for v in numbers], *[r.shape for r in results])
        stacked = np.stack([np.broadcast_to(r, batch) for r in results])
        if out_shape is None:
            return stacked[0]
        rows, cols = out_shape
        lead = (rows,) if cols == 1 else (rows, cols)
        return stacked.reshape(lead + batch)

    return call


# ---------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------


class Condition:
    """What a step relies on: substitutions, a sampling domain and a text for the reader.

    Built by :class:`Given`, :func:`sums_to_one`, :func:`one_hot`, :func:`positive`,
    :func:`nonnegative`, :func:`negative` and :func:`in_open_unit_interval`; a list of
    conditions may be passed wherever one is expected.

    Attributes:
      text: what the reader sees beside the step; may contain ``$...$`` math.
      substitutions: dict applied to both sides before they are compared.
      kinds: dict symbol -> ``"positive"``, ``"nonnegative"``, ``"negative"`` or
        ``"unit"``, the domain random points are drawn from.
      simplex: tuples of symbols drawn jointly as leading coordinates of a point of the
        probability simplex.
    """

    def __init__(self, text, substitutions=None, kinds=None, simplex=(), rewrite=None,
                 concrete=None):
        self.text = text
        self.substitutions = dict(substitutions or {})
        self.kinds = dict(kinds or {})
        self.simplex = tuple(tuple(g) for g in simplex)
        # General-n conditions rewrite patterns (a Sum, an Indexed) rather than symbols,
        # and become a concrete condition once the size is a number.
        self._rewrite = rewrite
        self._concrete = concrete

    def substitute(self, expr):
        """Apply the substitutions to an expression or Matrix."""
        if self._rewrite is not None:
            expr = self._rewrite(expr)
        if not self.substitutions:
            return expr
        return expr.subs(self.substitutions, simultaneous=True)

    def concrete(self, size_values):
        """The condition at concrete sizes (a dict size symbol -> int)."""
        return self._concrete(size_values) if self._concrete else self

    def __repr__(self):
        return f"Condition({self.text!r})"


def Given(substitutions=None, text=None, **kinds):
    r"""A condition stated as substitutions, e.g. ``a = sigma(z)``.

    Args:
      substitutions: dict ``{symbol: expression}`` replaced in both sides before they are
        compared (the step holds *given* these equalities).
      text: what the reader sees; may contain ``$...$`` math. Defaults to the equalities.
      **kinds: optional sampling domains, e.g. ``positive=[b]``, ``unit=[p]``.

    Returns:
      A :class:`Condition`.

    Examples:
      >>> import sympy as sp
      >>> a, z = sp.symbols("a z", real=True)
      >>> Given({a: sigmoid(z)}, "$a = \\sigma(z)$").text
      '$a = \\sigma(z)$'
      >>> Given({a: sigmoid(z)}).text
      '$a = \\frac{1}{1 + e^{- z}}$'
    """
    substitutions = dict(substitutions or {})
    if text is None:
        if not substitutions:
            raise ValueError("Given needs substitutions or a text")
        text = ", ".join(f"${sp.latex(k)} = {sp.latex(v)}$" for k, v in substitutions.items())
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    unknown = set(kinds) - {"positive", "nonnegative", "negative", "unit"}
    if unknown:
        raise ValueError(f"unknown domain kinds: {sorted(unknown)}")
    table = {s: kind for kind, syms in kinds.items() for s in syms}
    return Condition(text, substitutions, table)


def _domain(kind, syms, text):
    if not syms:
        raise ValueError(f"{kind} needs at least one symbol")
    flat = []
    for s in syms:
        flat.extend(s if isinstance(s, (MatrixBase, list, tuple)) else [s])
    for s in flat:
        if not isinstance(s, (sp.Symbol, sp.Indexed)):
            raise TypeError(f"{kind} takes symbols, got {s!r}")
    names = ", ".join(sp.latex(s) for s in flat)
    return Condition(f"${names} {text}$", kinds={s: kind for s in flat})


def positive(*syms):
    """Condition: the symbols are positive (sampled in about (0.14, 7.4)).

    Examples:
      >>> import sympy as sp
      >>> positive(*sp.symbols("b c")).text
      '$b, c > 0$'
    """
    return _domain("positive", syms, "> 0")


def nonnegative(*syms):
    """Condition: the symbols are at least 0 (sampled in [0, 3))."""
    return _domain("nonnegative", syms, r"\geq 0")


def negative(*syms):
    """Condition: the symbols are negative (sampled in (-3, -0.05))."""
    return _domain("negative", syms, "< 0")


def in_open_unit_interval(*syms):
    r"""Condition: the symbols lie in (0, 1), like probabilities (sampled in (0.05, 0.95)).

    Examples:
      >>> import sympy as sp
      >>> in_open_unit_interval(sp.Symbol("a")).text
      '$a \\in (0, 1)$'
    """
    return _domain("unit", syms, r"\in (0, 1)")


def _sum_over(base, n):
    """Match ``Sum(base[k'], (k', 1, n))`` whatever the summation variable is called."""

    def matches(e):
        if not isinstance(e, sp.Sum) or len(e.limits) != 1:
            return False
        var, lo, hi = e.limits[0]
        return lo == 1 and hi == n and e.function == base[var]

    return matches


def sums_to_one(ys, n=None):
    """Condition: probability targets that sum to one.

    For a vector ``y_1..y_n`` the last one is replaced by ``1 - (y_1 + ... + y_{n-1})``
    and the others are drawn on the simplex. For an ``IndexedBase`` ``y`` and a size
    symbol ``n``, ``Sum(y[k], (k, 1, n))`` is replaced by 1; when a proof falls back to
    concrete sizes, the vector rule is used.

    Args:
      ys: a vector of symbols, or an ``IndexedBase``.
      n: the size symbol, only with an ``IndexedBase``.

    Returns:
      A :class:`Condition`.

    Examples:
      >>> ys = symbols_vector("y", 3)
      >>> c = sums_to_one(ys)
      >>> c.text, c.substitute(ys[2])
      ('$y_{1} + y_{2} + y_{3} = 1$', -y_1 - y_2 + 1)
    """
    if isinstance(ys, sp.IndexedBase):
        if n is None:
            raise ValueError("sums_to_one(IndexedBase, n) needs the size symbol n")
        return Condition(
            f"$\\sum_{{k=1}}^{{{sp.latex(n)}}} {sp.latex(ys)}_k = 1$",
            rewrite=lambda e: e.replace(_sum_over(ys, n), lambda _: sp.S.One),
            concrete=lambda sizes: sums_to_one([ys[i] for i in range(1, sizes[n] + 1)]),
        )
    ys = _as_vector(ys, "ys")
    if len(ys) < 2:
        raise ValueError("sums_to_one needs at least two targets")
    terms = " + ".join(sp.latex(y) for y in ys) if len(ys) <= 4 else r"\sum_k y_k"
    return Condition(
        f"${terms} = 1$",
        substitutions={ys[-1]: 1 - sp.Add(*ys[:-1])},
        simplex=[ys[:-1]],
    )


def one_hot(ys, k):
    """Condition: a one-hot target, ``y_k = 1`` and every other entry 0.

    Args:
      ys: a vector of symbols ``y_1..y_n``, or an ``IndexedBase``.
      k: the true class: for a vector, its 1-based position (as in the name ``y_k``) or
        the symbol itself; for an ``IndexedBase``, an integer symbol or number, and
        ``y[i]`` becomes ``KroneckerDelta(i, k)``.

    Returns:
      A :class:`Condition`.

    Examples:
      >>> ys = symbols_vector("y", 3)
      >>> one_hot(ys, 2).substitute(ys)
      Matrix([
      [0],
      [1],
      [0]])
    """
    if isinstance(ys, sp.IndexedBase):
        def is_target(x):
            return isinstance(x, sp.Indexed) and x.base == ys

        def rewrite(e):
            # A derivative with respect to a target is taken before the target becomes
            # a KroneckerDelta, which is not a variable one can differentiate by.
            e = e.replace(
                lambda x: isinstance(x, sp.Derivative) and any(map(is_target, x.variables)),
                lambda x: x.doit(),
            )
            return e.replace(is_target, lambda x: sp.KroneckerDelta(x.indices[0], k))

        return Condition(f"${sp.latex(ys[k])} = 1$, other entries $0$", rewrite=rewrite)
    ys = _as_vector(ys, "ys")
    if isinstance(k, sp.Basic) and k in ys:
        pos = ys.index(k)
    elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
        if not 1 <= k <= len(ys):
            raise ValueError(f"k must be in 1..{len(ys)}, got {k}")
        pos = int(k) - 1
    else:
        raise TypeError(f"k must be a 1-based position or one of the symbols, got {k!r}")
    subs = {y: sp.S.One if i == pos else sp.S.Zero for i, y in enumerate(ys)}
    return Condition(f"${sp.latex(ys[pos])} = 1$, other entries $0$", substitutions=subs)


def _conditions(given):
    if given is None:
        return []
    if isinstance(given, Condition):
        return [given]
    if isinstance(given, (list, tuple)):
        out = []
        for g in given:
            out.extend(_conditions(g))
        return out
    raise TypeError(f"expected a Condition or a list of them, got {type(given).__name__}")


# ---------------------------------------------------------------------------------------
# Checking one equality
# ---------------------------------------------------------------------------------------


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
      ok: whether the two sides are equal (under the conditions).
      method: ``"symbolic"``, ``"numeric, N points"``, ``"numeric at n = 2, 3, 4, ..."``, or
        for a failure how it was found.
      counterexample: a :class:`Counterexample` when ``ok`` is false and one was found.
    """

    ok: bool
    method: str
    counterexample: Counterexample = None


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
      >>> z = sp.Symbol("z", real=True)
      >>> check_equal(sp.diff(sigmoid(z), z), sigmoid(z) * (1 - sigmoid(z)))
      Proof(ok=True, method='symbolic', counterexample=None)
      >>> p = check_equal(sp.diff(sigmoid(z), z), sigmoid(z) * (1 + sigmoid(z)))
      >>> p.ok, p.method
      (False, 'numeric, 100 points')
      >>> print(p.counterexample)
      at z = 0.82: 0.2123 != 1.176
    """
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
    method = f"numeric, {n_valid} points"
    if ce is not None:
        return Proof(False, method, ce)
    if _symbolic(lhs_entries, rhs_entries, kinds):
        return Proof(True, "symbolic")
    if n_valid is None:
        return Proof(False, "inconclusive: SymPy does not simplify the difference to 0 "
                            "and NumPy cannot evaluate it")
    if n_valid < NUM_POINTS // 2:
        return Proof(
            False,
            f"inconclusive: only {n_valid} of {NUM_POINTS} random points are in the domain "
            "of both sides (state it with positive / in_open_unit_interval / Given)",
        )
    return Proof(True, method)


def _check_general(lhs_entries, rhs_entries, shape, conds, sizes, kinds, seed):
    # simplify() on symbolic Sums is slow and rarely succeeds: only cheap rewrites here,
    # then concrete sizes.
    if _symbolic(lhs_entries, rhs_entries, kinds, thorough=False):
        return Proof(True, "symbolic")
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
    return Proof(True, f"numeric at n = {sizes_text}{idx}, {total} points")


# ---------------------------------------------------------------------------------------
# Derivations
# ---------------------------------------------------------------------------------------


class DerivationError(AssertionError):
    """A step of a :class:`Derivation` is not equal to the one before it.

    The message names the step's index and reason and gives the counterexample.

    Attributes:
      step: the failed :class:`Step`.
    """

    def __init__(self, message, step=None):
        super().__init__(message)
        self.step = step


@dataclasses.dataclass
class Step:
    """One link of a derivation.

    Attributes:
      index: 1 for the first step after the start expression.
      expr: the expression (or Matrix) of this step.
      reason: why it equals the previous one (plain text, ``$...$`` math allowed).
      given: the conditions it relies on (list of :class:`Condition`).
      ok: whether it was proved equal to the previous expression.
      method: how (see :class:`Proof`).
      counterexample: a :class:`Counterexample` for a false step.
    """

    index: int
    expr: object
    reason: str
    given: list
    ok: bool
    method: str
    counterexample: Counterexample = None

    def failure_message(self):
        """A sentence naming the step, its reason and its counterexample."""
        msg = f'step {self.index}, "{self.reason}", does not follow from the line before'
        ce = self.counterexample
        if ce is None:
            return f"{msg}: {self.method}"
        at = f" at {ce.point()}" if ce.values else ""
        where = f", entry {ce.entry_label()}" if ce.entry is not None else ""
        return (f"{msg}:{at}{where} the line before is {_fmt(ce.lhs)} "
                f"and this step is {_fmt(ce.rhs)}")


def _latex_text(s):
    """Reason text with ``$...$`` math as LaTeX to put inside a math environment."""
    parts = re.split(r"(?<!\\)\$", s)
    if len(parts) % 2 == 0:
        raise ValueError(f"unbalanced $ in {s!r}")
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(part)
            continue
        # \text{} takes its argument verbatim in MathJax: braces, backslashes and
        # escaped dollars go outside it, as math.
        for chunk in re.split(r"(\\\$|[{}\\])", part):
            if chunk in ("{", "}", "\\$"):
                out.append("\\" + chunk[-1])
            elif chunk == "\\":
                out.append(r"\backslash ")
            elif chunk:
                out.append(r"\text{" + chunk + "}")
    return "".join(out)


class Derivation:
    r"""A chain of equalities, each step checked by SymPy when it is added.

    Build it like a derivation on paper: the left-hand side and a start expression, then
    ``.step(expr, reason)`` for each line. Every step is compared with the previous line
    by :func:`check_equal` under the derivation's ``domain`` and the ``given`` conditions
    of this step and of the steps before it (what a step assumes stays assumed below it,
    as on paper; it is shown once, beside the step that introduces it). A false step
    raises :class:`DerivationError` at once (so a notebook with a wrong derivation fails
    its run), unless ``strict=False``, which records it and shows it with a red cross
    (for errata).

    In Jupyter and on the book's site it displays as an aligned LaTeX chain with each
    reason, its conditions and a green check mark (or red cross) beside its line; its
    text repr lists the steps, the method that proved each, and any counterexample.

    Args:
      lhs: the left-hand side, a LaTeX string (e.g. ``r"\frac{\partial L}{\partial z}"``)
        or a SymPy expression.
      start: the first expression (or Matrix) of the chain.
      domain: conditions that hold for every step (a :class:`Condition` or list).
      name: optional title shown in the text repr.
      strict: raise on a false step (default) or record it.

    Attributes:
      steps: the list of :class:`Step` (without the start); the properties ``result``
        (the last expression) and ``ok`` (every step proved) summarise it.

    Examples:
      >>> import sympy as sp
      >>> z, a = sp.symbols("z a", real=True)
      >>> d = Derivation(r"\frac{d\sigma}{dz}", sp.Derivative(sigmoid(z), z),
      ...                name="derivative of the sigmoid")
      >>> d = d.step(sp.exp(-z) / (1 + sp.exp(-z))**2, "quotient rule")
      >>> d = d.step(a * (1 - a), r"$1 - \sigma(z) = e^{-z} \sigma(z)$",
      ...            given=Given({a: sigmoid(z)}, r"$a = \sigma(z)$"))
      >>> print(repr(d))
      Derivation: derivative of the sigmoid
        \frac{d\sigma}{dz}
          = Derivative(1/(1 + exp(-z)), z)
          = exp(-z)/(1 + exp(-z))**2   [ok: symbolic] quotient rule
          = a*(1 - a)   [ok: symbolic] $1 - \sigma(z) = e^{-z} \sigma(z)$; given $a = \sigma(z)$
      >>> d.step(a * (1 + a), "flipped sign", given=Given({a: sigmoid(z)}))
      Traceback (most recent call last):
        ...
      xentlib.symbolic.DerivationError: step 3, "flipped sign", does not follow from the line
      before: at z = 0.82, a = 0.6942 the line before is 0.2123 and this step is 1.176
    """

    def __init__(self, lhs, start, *, domain=None, name=None, strict=True):
        if isinstance(lhs, str):
            self.lhs = lhs
        elif isinstance(lhs, (sp.Basic, MatrixBase)):
            self.lhs = sp.latex(lhs)
        else:
            raise TypeError(f"lhs must be a LaTeX string or a SymPy expression, got {lhs!r}")
        if not isinstance(start, (sp.Basic, MatrixBase, int, float)):
            raise TypeError(f"start must be a SymPy expression or Matrix, got {start!r}")
        self.start = start if isinstance(start, MatrixBase) else sp.sympify(start)
        self.domain = _conditions(domain)
        self.name = name
        self.strict = strict
        self.steps = []

    @property
    def result(self):
        """The last expression of the chain."""
        return self.steps[-1].expr if self.steps else self.start

    @property
    def ok(self):
        """True when every step has been proved."""
        return all(s.ok for s in self.steps)

    def step(self, expr, reason, given=None):
        """Add a line, check it against the previous one, and return the derivation.

        Args:
          expr: the new expression (or Matrix).
          reason: a short reason; ``$...$`` is math.
          given: conditions the step relies on (:class:`Condition` or list).

        Returns:
          ``self``, so steps can be chained and the last one displays the chain.

        Raises:
          DerivationError: the step is false and the derivation is strict.
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("every step needs a reason (a non-empty string)")
        _latex_text(reason)
        if not isinstance(expr, (sp.Basic, MatrixBase, int, float)):
            raise TypeError(f"expr must be a SymPy expression or Matrix, got {expr!r}")
        expr = expr if isinstance(expr, MatrixBase) else sp.sympify(expr)
        given = _conditions(given)
        # What a step assumes stays assumed below it, as on paper.
        earlier = [c for st in self.steps for c in st.given]
        proof = check_equal(self.result, expr, given=earlier + given, domain=self.domain)
        step = Step(len(self.steps) + 1, expr, reason, given, proof.ok, proof.method,
                    proof.counterexample)
        if not step.ok and self.strict:
            raise DerivationError(step.failure_message(), step)
        self.steps.append(step)
        return self

    def to_latex(self):
        r"""The chain as ``$$\begin{aligned} ... \end{aligned}$$``."""
        lines = [f"{self.lhs} &= {sp.latex(self.start)}"]
        for s in self.steps:
            mark = r"{\color{green}\checkmark}" if s.ok else r"{\color{red}\boldsymbol{\times}}"
            note = _latex_text(s.reason)
            texts = [c.text for c in s.given]
            if texts:
                note += r"\quad\text{given }" + r"\text{, }".join(_latex_text(t) for t in texts)
            lines.append(f"&= {sp.latex(s.expr)} && {mark}\\ {note}")
            if not s.ok:
                lines.extend(r"& && \qquad " + row for row in _latex_failure(s))
        if self.domain:
            lines.append(r"&&& \text{for }" + r"\text{, }".join(
                _latex_text(c.text) for c in self.domain))
        return "$$\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}$$"

    def _repr_latex_(self):
        return self.to_latex()

    def __repr__(self):
        head = f"Derivation: {self.name}" if self.name else "Derivation"
        lines = [head, f"  {self.lhs}", f"    = {_oneline(self.start)}"]
        if self.domain:
            lines.insert(1, "  for " + ", ".join(c.text for c in self.domain))
        for s in self.steps:
            status = f"ok: {s.method}" if s.ok else "FAILED"
            given = ""
            if s.given:
                given = "; given " + ", ".join(c.text for c in s.given)
            lines.append(f"    = {_oneline(s.expr)}   [{status}] {s.reason}{given}")
            if not s.ok:
                lines.append(f"      {s.failure_message()}")
        return "\n".join(lines)


def _oneline(expr):
    if isinstance(expr, MatrixBase):
        return "Matrix(" + sp.sstr(expr.tolist()) + ")"
    return sp.sstr(expr)


def _latex_failure(step):
    """Rows of the aligned chain that show why a step is false."""
    ce = step.counterexample
    if ce is None:
        return [r"\text{false: " + re.sub(r"[{}\\$]", "", step.method) + "}"]
    # Braces keep a minus sign unary after the colon.
    pairs = [f"{_latex_name(k)} = {{{_fmt(v)}}}" for k, v in ce.values.items()]
    # A few assignments per row keep the chain narrow enough for a page.
    rows = [",\\ ".join(pairs[i:i + 4]) for i in range(0, len(pairs), 4)] or [""]
    rows[0] = (r"\text{false at }" if pairs else r"\text{false}") + rows[0]
    where = "" if ce.entry is None else r"\text{, entry }" + ce.entry_label()
    rows[-1] += f"{where}:\\ {{{_fmt(ce.lhs)}}} \\neq {{{_fmt(ce.rhs)}}}"
    return [r + "," if i < len(rows) - 1 else r for i, r in enumerate(rows)]


def _latex_name(name):
    """LaTeX of a symbol's name; ``z[1]`` (an Indexed) becomes ``z_{1}``."""
    m = re.fullmatch(r"(\w+)\[(.+)\]", name)
    if m:
        return f"{sp.latex(sp.Symbol(m.group(1)))}_{{{m.group(2)}}}"
    return sp.latex(sp.Symbol(name))
