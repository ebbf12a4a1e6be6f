"""SymPy counterparts of xentlib's numerics, and the bridge back to NumPy.

``sigmoid``, ``softmax``, ``logsumexp`` and the binary and categorical cross-entropies
written as their definitions, so that SymPy differentiates them from first principles;
``symbols_vector`` and ``grad`` to set up a derivation; ``lambdify`` to evaluate a derived
gradient on the same arrays as xentlib's analytic one.
"""

import functools
import keyword

import numpy as np
import sympy as sp
from sympy.matrices import MatrixBase

__all__ = [
    "bce_with_logits",
    "bce_with_logits_stable",
    "binary_cross_entropy",
    "cross_entropy",
    "grad",
    "lambdify",
    "logsumexp",
    "sigmoid",
    "softmax",
    "symbols_vector",
]



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
      >>> from xentlib.symbolic import check_equal
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


# The nodes a line asks to be evaluated; everything else stays as it is written.
EVALUATED = (sp.Derivative, sp.Sum, sp.Product, sp.Integral, sp.Subs)


@functools.lru_cache(maxsize=512)
def _evaluated(expr):
    expr = written_out(expr)
    return expr.replace(lambda x: isinstance(x, EVALUATED), lambda x: x.doit())


def evaluate(expr):
    """``expr`` with its derivatives, sums, products and integrals evaluated, and
    nothing else: unlike ``doit()``, a part written unevaluated
    (``sp.exp(sp.log(a), evaluate=False)``, which needs a > 0) keeps its form. Sums and
    products with numeric bounds are written out first, with their ordinary meaning."""
    expr = sp.sympify(expr)
    if not expr.has(*EVALUATED):
        return expr
    # Remembered: the new line of one step is the old line of the next.
    return _evaluated(expr)


# Sums with numeric bounds up to this many terms are written out term by term.
MAX_WRITTEN_TERMS = 400


def written_out(expr):
    """Sums and products whose bounds are numbers written out term by term, outermost
    first, with their ordinary meaning: a sum whose upper bound is below its lower bound
    is empty, 0 (and such a product 1), where SymPy's ``doit()`` follows Karr's convention
    (``sum_{k=1}^{-1} 1 = -1``)."""
    if not isinstance(expr, sp.Basic) or not expr.has(sp.Sum, sp.Product):
        return expr
    if isinstance(expr, (sp.Sum, sp.Product)):
        k, lo, hi = expr.limits[-1]
        if lo.is_Integer and hi.is_Integer and hi - lo < MAX_WRITTEN_TERMS:
            inner = (type(expr)(expr.function, *expr.limits[:-1]) if len(expr.limits) > 1
                     else expr.function)
            terms = [written_out(inner.xreplace({k: v})) for v in range(int(lo), int(hi) + 1)]
            return sp.Add(*terms) if isinstance(expr, sp.Sum) else sp.Mul(*terms)
    args = [written_out(a) for a in expr.args]
    return expr if all(a is b for a, b in zip(args, expr.args)) else expr.func(*args)


def _assumptions_of(arg):
    """The assumptions of a symbol (or of an indexed entry's base), to copy to a Dummy."""
    source = arg.base.label if isinstance(arg, sp.Indexed) else arg
    return {k: v for k, v in source.assumptions0.items() if v is not None}


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
    # doit() rebuilds every node (each Max(z, 0) slowly): only where something is left
    # to evaluate.
    entries = [evaluate(e) for e in entries]
    # Arguments that are not plain Python names (z[1], a Dummy) get stand-ins that are:
    # given a Dummy, sp.lambdify would replace every argument again, one whole-expression
    # pass each, rebuilding each Max(z, 0) every time (seconds for a small network). The
    # stand-ins keep each argument's assumptions, so that the one pass here stays fast.
    if all(type(a) is sp.Symbol and a.name.isidentifier() and not keyword.iskeyword(a.name)
           and not a.name.startswith("_") for a in flat):
        names = flat
    else:
        names = [sp.Symbol(f"_arg{i}", **_assumptions_of(arg)) for i, arg in enumerate(flat)]
        entries = [e.xreplace(dict(zip(flat, names))) for e in entries]
    missing = set().union(*[e.free_symbols for e in entries]) - set(names)
    if missing:
        names = ", ".join(sorted(map(str, missing)))
        raise ValueError(f"expression depends on symbols not among args: {names}")
    f = sp.lambdify(names, entries, modules="numpy")

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

