r"""The book's "your turn" exercises, one or more per chapter, on its central result.

Each is built by a function. The start expressions use :mod:`xentlib.symbolic`'s
definitions where it has them (the sigmoid, the binary cross-entropy, its stable form);
the other starts and the results are written as the chapters write them, and
``tests/test_yourturn.py`` checks that every result equals its start (differentiated by
SymPy) at every comparison point. :func:`exercise` returns one by key; :data:`KEYS` lists
them in chapter order.
"""

import mpmath
import numpy as np
import sympy as sp

from xentlib import symbolic as xs
from xentlib.yourturn.exercise import Mistake, YourTurn
from xentlib.yourturn.sampling import (derived, index, real, sigmoid_of, simplex, size,
                                       softmax_of, unit, vector)

__all__ = ["KEYS", "exercise"]


def _why_cross_entropy():
    z, y, a = sp.symbols("z y a", real=True)
    softplus = sp.log(1 + sp.exp(z))
    s = xs.sigmoid
    return YourTurn(
        "01-softplus-gradient", "the gradient of $A(z) - z y$",
        "Binary cross-entropy is $L = A(z) - z y$ with $A(z) = \\log(1 + e^{z})$. "
        "Derive $\\partial L / \\partial z$. Write $e^{z}$ as exp(z); you may use "
        "sigma(z) for $\\sigma(z)$ and a for $a = \\sigma(z)$.",
        r"\frac{\partial L}{\partial z}", sp.Derivative(softplus - z * y, z), s(z) - y,
        [z, y, a], {"z": real(-8, 8), "y": unit(), "a": sigmoid_of("z")},
        conditions=xs.Given({a: s(z)}, r"$a = \sigma(z)$"),
        start_display=r"\frac{\partial}{\partial z}\bigl(\log(1 + e^{z}) - z y\bigr)",
        example="exp(z)/(1 + exp(z)) - y",
        mistakes=[
            Mistake(y - s(z), "check the sign: $-z y$ contributes $-y$, and $A'(z)$ comes with a plus"),
            Mistake(s(z), "the term $-z y$ has a derivative too: $\\partial(z y)/\\partial z = y$"),
            Mistake(s(z) * (1 - s(z)) - y, "$\\sigma(z)(1 - \\sigma(z))$ is $\\sigma'(z)$, the second "
                    "derivative of $A$; $A'(z)$ itself is one step back"),
            Mistake(softplus - y, "the logarithm must be differentiated too: $(\\log u)' = u'/u$"),
            Mistake(sp.exp(z) - y, "$(\\log u)' = u'/u$: divide by $u = 1 + e^{z}$"),
            Mistake(s(-z) - y, "$e^{z}/(1 + e^{z}) = 1/(1 + e^{-z})$: mind the sign in the exponent"),
        ],
    )


def _logistic_regression():
    z, y, a = sp.symbols("z y a", real=True)
    L = xs.binary_cross_entropy(xs.sigmoid(z), y)
    return YourTurn(
        "02-bce-gradient", "$\\partial L / \\partial z$ for the sigmoid and binary cross-entropy",
        "With $a = \\sigma(z)$ and $L = -y \\log a - (1 - y) \\log(1 - a)$, derive "
        "$\\partial L / \\partial z$ by the chain rule, "
        "$\\frac{\\partial L}{\\partial a} \\frac{\\partial a}{\\partial z}$. "
        "Write it with a, y and z (sigma(z) is $\\sigma(z)$).",
        r"\frac{\partial L}{\partial z}", sp.Derivative(L, z), a - y,
        [z, y, a], {"z": real(-8, 8), "y": unit(), "a": sigmoid_of("z")},
        conditions=xs.Given({a: xs.sigmoid(z)}, r"$a = \sigma(z)$"),
        start_display=r"\frac{d}{dz}\Bigl(-y \log \sigma(z) - (1 - y) \log\bigl(1 - \sigma(z)\bigr)\Bigr)",
        example="a - y",
        mistakes=[
            Mistake(y - a, "check the sign: $-\\log a$ falls as $a$ grows, so "
                    "$\\partial L / \\partial a = -y/a + (1 - y)/(1 - a)$"),
            Mistake((a - y) / (a * (1 - a)), "that is $\\partial L / \\partial a$; multiply by "
                    "$\\partial a / \\partial z = \\sigma'(z)$"),
            Mistake((a - y) * a * (1 - a), "$\\sigma'(z) = a(1 - a)$ cancels the denominator "
                    "$a(1 - a)$ of $\\partial L / \\partial a$; it is not a factor twice"),
            Mistake(a * y - y, "the term $-(1 - y) \\log(1 - a)$ was dropped"),
            Mistake((a - y) * (1 + a) / (1 - a), "$\\sigma'(z) = a(1 - a)$, not $a(1 + a)$"),
        ],
    )


def _stable_bce():
    z, y = sp.symbols("z y", real=True)
    return YourTurn(
        "03-stable-bce", "binary cross-entropy from a logit, without overflow",
        "Rewrite $L = -y \\log \\sigma(z) - (1 - y) \\log(1 - \\sigma(z))$ in a form whose "
        "exponentials never overflow, for any logit $z$. You may use max(z, 0), abs(z), "
        "exp and log. The answer is also evaluated in floating point at $z = \\pm 800$, "
        "$\\pm 10^{4}$ and $\\pm 10^{300}$.",
        "L", xs.bce_with_logits(z, y), xs.bce_with_logits_stable(z, y),
        [z, y], {"z": real(-15, 15), "y": unit()},
        start_display=r"-y \log \sigma(z) - (1 - y) \log\bigl(1 - \sigma(z)\bigr)",
        stable_at=[{"z": z0, "y": 0.3} for z0 in (800.0, -800.0, 1e4, -1e4, 1e300, -1e300)],
        example="max(z, 0) - z*y + log(1 + exp(-abs(z)))",
        mistakes=[
            Mistake(sp.Max(z, 0) + z * y + sp.log(1 + sp.exp(-sp.Abs(z))),
                    "check the sign of the $z y$ term: $\\log \\sigma(z) = z - \\log(1 + e^{z})$"),
            Mistake(sp.Max(z, 0) - z * y + sp.log(1 + sp.exp(sp.Abs(z))),
                    "the exponent is $-|z|$: $e^{-|z|} \\le 1$ is what never overflows"),
            Mistake(sp.Max(z, 0) - z * y + sp.log(1 + sp.exp(-z)),
                    "for $z < 0$ the two cases differ: $\\log(1 + e^{z}) = \\max(z, 0) + "
                    "\\log(1 + e^{-|z|})$ needs the absolute value"),
            Mistake(sp.Min(z, 0) - z * y + sp.log(1 + sp.exp(-sp.Abs(z))),
                    "for $z > 0$, $\\log(1 + e^{z}) = z + \\log(1 + e^{-z})$: the larger of "
                    "$z$ and $0$ comes out of the log"),
            Mistake(sp.Max(z, 0) - z * y, "the term $\\log(1 + e^{-|z|})$ was dropped: it is "
                    "small for large $|z|$, never zero"),
            Mistake(sp.Max(z, 0) + sp.log(1 + sp.exp(-sp.Abs(z))),
                    "the target enters through $-z y$; it was dropped"),
        ],
    )


def _softmax_jacobian():
    C = sp.Symbol("C", integer=True, positive=True)
    i, j, k = sp.symbols("i j k", integer=True, positive=True)
    z, a = sp.IndexedBase("z", real=True), sp.IndexedBase("a", real=True)
    S = sp.Sum(sp.exp(z[k]), (k, 1, C))
    d = sp.KroneckerDelta(i, j)
    return YourTurn(
        "04-softmax-jacobian", "one entry of the softmax Jacobian",
        "With $a_i = e^{z_i} / \\sum_{k=1}^{C} e^{z_k}$, derive $\\partial a_i / \\partial z_j$ "
        "for any $i, j$ in $1..C$. Write $a_i$ as a[i], $z_j$ as z[j], the Kronecker delta "
        "$\\delta_{ij}$ as delta(i, j) and a sum as Sum(exp(z[k]), k, 1, C).",
        r"\frac{\partial a_i}{\partial z_j}", sp.Derivative(sp.exp(z[i]) / S, z[j]),
        a[i] * (d - a[j]),
        [a, z, i, j, k, C],
        {"C": size(2, 5), "z": vector("C"), "a": softmax_of("z"), "i": index("C"),
         "j": index("C")},
        conditions=xs.Given({a[i]: sp.exp(z[i]) / S, a[j]: sp.exp(z[j]) / S},
                            r"$a_i = e^{z_i}/S$ for every index"),
        start_display=r"\frac{\partial}{\partial z_j} \frac{e^{z_i}}{\sum_{k=1}^{C} e^{z_k}}",
        example="a[i]*(delta(i, j) - a[j])",
        mistakes=[
            Mistake(-a[i] * (d - a[j]), "check the sign: raising $z_i$ raises $a_i$, so the "
                    "diagonal entry is positive"),
            Mistake(-a[i] * a[j], "$\\delta_{ij}$ was dropped: for $i = j$ the numerator "
                    "$e^{z_i}$ depends on $z_j$ too"),
            Mistake(a[i] * (1 - a[j]), "the 1 holds only for $i = j$: the numerator $e^{z_i}$ "
                    "depends on $z_j$ only then, which is $\\delta_{ij}$"),
            Mistake(a[i] * (d - a[i]), "the denominator's derivative is $e^{z_j}$, which brings "
                    "$a_j$, not $a_i$"),
            Mistake(a[i] * d, "the denominator depends on $z_j$ too: the quotient rule gives "
                    "a second term $-a_i a_j$"),
            Mistake(d - a[i] * a[j], "the $\\delta_{ij}$ term keeps its factor: "
                    "$\\partial e^{z_i}/\\partial z_j = \\delta_{ij} e^{z_i}$"),
        ],
    )


def _softmax_cross_entropy():
    C = sp.Symbol("C", integer=True, positive=True)
    i, k = sp.symbols("i k", integer=True, positive=True)
    z, y, a = (sp.IndexedBase(n, real=True) for n in ("z", "y", "a"))
    S = sp.Sum(sp.exp(z[k]), (k, 1, C))
    L = -sp.Sum(y[k] * sp.log(sp.exp(z[k]) / S), (k, 1, C))
    return YourTurn(
        "05-softmax-ce-gradient", "$\\partial L / \\partial z_i$ for softmax and cross-entropy",
        "With $a = \\operatorname{softmax}(z)$ and $L = -\\sum_{k=1}^{C} y_k \\log a_k$, "
        "for targets that sum to one (not necessarily one-hot), derive "
        "$\\partial L / \\partial z_i$ at general $C$. Write a[i], y[i], z[i], "
        "Sum(y[k], k, 1, C) for a sum.",
        r"\frac{\partial L}{\partial z_i}", sp.Derivative(L, z[i]), a[i] - y[i],
        [a, y, z, i, k, C],
        {"C": size(2, 5), "z": vector("C"), "a": softmax_of("z"), "y": simplex("C"),
         "i": index("C")},
        conditions=[xs.Given({a[i]: sp.exp(z[i]) / S}, r"$a_i = e^{z_i}/S$"),
                    xs.sums_to_one(y, C)],
        start_display=r"\frac{\partial}{\partial z_i}\Bigl(-\sum_{k=1}^{C} y_k \log a_k\Bigr)",
        example="a[i] - y[i]",
        mistakes=[
            Mistake(y[i] - a[i], "check the sign: with $a_i > y_i$, raising $z_i$ "
                    "raises the loss"),
            Mistake(-y[i] / a[i], "that is $\\partial L / \\partial a_i$; $z_i$ moves every "
                    "$a_k$, so go through the softmax Jacobian "
                    "$\\partial a_k / \\partial z_i = a_k(\\delta_{ki} - a_i)$"),
            Mistake(a[i] * y[i] - y[i], "only the term $k = i$ was kept: every $k$ contributes "
                    "$-y_k(\\delta_{ki} - a_i)$, and the sum of the $y_k$ is 1"),
            Mistake(a[i] - 1, "that is the one-hot case at the true class; these targets are "
                    "any probabilities that sum to one"),
            Mistake(a[i] * (1 - a[i]) - y[i], "$a_i(1 - a_i)$ is one Jacobian entry; every "
                    "class contributes $-y_k(\\delta_{ki} - a_i)$, and these terms add up to "
                    "$a_i \\sum_k y_k - y_i$"),
            Mistake((a[i] - y[i]) / C, "the loss sums over the classes, it is not a mean: "
                    "no factor $1/C$"),
        ],
    )


def _stable_softmax():
    C = sp.Symbol("C", integer=True, positive=True)
    k = sp.Symbol("k", integer=True, positive=True)
    c = sp.Symbol("c", real=True)
    z = sp.IndexedBase("z", real=True)
    shifted = sp.Sum(sp.exp(z[k] - c), (k, 1, C))
    return YourTurn(
        "06-shifted-logsumexp", "log-sum-exp with a shift",
        "Write $\\operatorname{LSE}(z) = \\log \\sum_{k=1}^{C} e^{z_k}$ with the shifted "
        "exponentials $e^{z_k - c}$, for any real shift $c$ (the stable choice is "
        "$c = \\max_k z_k$). Write Sum(exp(z[k] - c), k, 1, C). The answer is also evaluated "
        "in floating point at $z = (1000, 998, 990)$, $(-1000, -1001)$, $(10^{4}, 10^{4} - 2)$ "
        "and $(-10^{4}, -10^{4} - 1)$, with $c = \\max_k z_k$.",
        r"\operatorname{LSE}(z)", sp.log(sp.Sum(sp.exp(z[k]), (k, 1, C))), c + sp.log(shifted),
        [z, c, k, C],
        {"C": size(2, 5), "z": vector("C"), "c": real(-5, 5)},
        start_display=r"\log \sum_{k=1}^{C} e^{z_k}",
        stable_at=[{"C": 3, "z": np.array([1000.0, 998.0, 990.0]), "c": 1000.0},
                   {"C": 2, "z": np.array([-1000.0, -1001.0]), "c": -1000.0},
                   {"C": 2, "z": np.array([1e4, 1e4 - 2]), "c": 1e4},
                   {"C": 2, "z": np.array([-1e4, -1e4 - 1]), "c": -1e4}],
        example="c + log(Sum(exp(z[k] - c), k, 1, C))",
        mistakes=[
            Mistake(c + sp.log(sp.Sum(sp.exp(z[k] + c), (k, 1, C))),
                    "the shift is subtracted inside: $e^{z_k} = e^{c}\\, e^{z_k - c}$"),
            Mistake(-c + sp.log(shifted), "$\\log(e^{c} s) = c + \\log s$: the shift comes "
                    "back with a plus"),
            Mistake(sp.log(shifted), "the factor $e^{c}$ taken out of the sum comes back as "
                    "$+c$ outside the log"),
            Mistake(c * sp.log(shifted), "$\\log(e^{c} s) = c + \\log s$, a sum, not a product"),
            Mistake(c + sp.Sum(z[k] - c, (k, 1, C)), "the log of a sum is not the sum of the "
                    "logs"),
        ],
    )


def _backprop_layer():
    n = sp.Symbol("n", integer=True, positive=True)
    i, j, p = sp.symbols("i j p", integer=True, positive=True)
    W, x, b, g = (sp.IndexedBase(s, real=True) for s in ("W", "x", "b", "g"))
    z_i = sp.Sum(W[i, p] * x[p], (p, 1, n)) + b[i]
    return YourTurn(
        "07-backprop-layer", "one layer of backpropagation",
        "A linear layer $z = W x + b$ ($n$ inputs, $n$ outputs) feeds a loss $L$, and the "
        "upstream gradient $g_i = \\partial L / \\partial z_i$ is known. Starting from the "
        "chain rule $\\partial L / \\partial x_j = \\sum_i g_i\\, \\partial z_i / \\partial x_j$, "
        "derive $\\partial L / \\partial x_j$. Write W[i, j], g[i], x[j] and "
        "Sum(..., i, 1, n).",
        r"\frac{\partial L}{\partial x_j}", sp.Sum(g[i] * sp.Derivative(z_i, x[j]), (i, 1, n)),
        sp.Sum(W[i, j] * g[i], (i, 1, n)),
        [W, x, b, g, i, j, p, n],
        {"n": size(2, 5), "W": vector("n", "n"), "g": vector("n"), "x": vector("n"),
         "b": vector("n"), "j": index("n")},
        start_display=r"\sum_{i=1}^{n} g_i \frac{\partial}{\partial x_j}"
                      r"\Bigl(\sum_{p=1}^{n} W_{ip} x_p + b_i\Bigr)",
        example="Sum(W[i, j]*g[i], i, 1, n)",
        mistakes=[
            Mistake(sp.Sum(W[j, i] * g[i], (i, 1, n)), "$i$ and $j$ are swapped: $x_j$ meets "
                    "column $j$ of $W$, so the sum runs down that column, $W_{ij}$ "
                    "(that is $W^\\top g$)"),
            Mistake(W[j, j] * g[j], "every $z_i$ depends on $x_j$: sum over $i$"),
            Mistake(-sp.Sum(W[i, j] * g[i], (i, 1, n)), "check the sign: "
                    "$\\partial z_i / \\partial x_j = +W_{ij}$"),
            Mistake(sp.Sum(W[i, j], (i, 1, n)), "each term keeps its upstream gradient $g_i$"),
            Mistake(sp.Sum(W[i, j] * g[i], (i, 1, n)) / n, "the chain rule adds the paths, it "
                    "does not average them: no $1/n$"),
            Mistake(sp.Sum(W[i, j] * x[j] * g[i], (i, 1, n)),
                    "$\\partial (W_{ij} x_j) / \\partial x_j = W_{ij}$: the $x_j$ goes"),
        ],
    )


def _curvature():
    d = sp.Symbol("d", integer=True, positive=True)
    i, j, k = sp.symbols("i j k", integer=True, positive=True)
    a, y = sp.symbols("a y", real=True)
    theta, x = sp.IndexedBase("theta", real=True), sp.IndexedBase("x", real=True)
    z = sp.Sum(theta[i] * x[i], (i, 1, d))

    def sigmoid_of_logit(p):
        logit = mpmath.fsum(mpmath.mpf(float(t)) * mpmath.mpf(float(v))
                            for t, v in zip(p["theta"], p["x"]))
        return float(1 / (1 + mpmath.exp(-logit)))

    return YourTurn(
        "08-hessian-entry", "one entry of the Hessian of logistic regression",
        "For one example, $z = \\sum_{i=1}^{d} \\theta_i x_i$, $a = \\sigma(z)$ and "
        "$L = \\log(1 + e^{z}) - y z$. Derive the Hessian entry "
        "$\\partial^2 L / \\partial \\theta_j \\partial \\theta_k$. Write a, y, x[j], "
        "x[k], theta[j]. There is no name z: write $a$ for $\\sigma(z)$, or $z$ itself as "
        "Sum(theta[i]*x[i], i, 1, d).",
        r"\frac{\partial^2 L}{\partial \theta_j\, \partial \theta_k}",
        sp.Derivative(xs.bce_with_logits(z, y), theta[j], theta[k]),
        a * (1 - a) * x[j] * x[k],
        [a, y, theta, x, i, j, k, d],
        {"d": size(2, 5), "theta": vector("d", low=-1, high=1), "x": vector("d", low=-2, high=2),
         "a": derived(sigmoid_of_logit, r"= \sigma(\theta^\top x)"), "y": unit(), "j": index("d"),
         "k": index("d")},
        conditions=xs.Given({a: sp.exp(z) / (1 + sp.exp(z))}, r"$a = \sigma(z)$"),
        start_display=r"\frac{\partial^2}{\partial \theta_j\, \partial \theta_k}"
                      r"\bigl(\log(1 + e^{z}) - y z\bigr)",
        example="a*(1 - a)*x[j]*x[k]",
        mistakes=[
            Mistake(-a * (1 - a) * x[j] * x[k], "check the sign: the loss is convex, its "
                    "diagonal entries $\\partial^2 L / \\partial \\theta_j^2$ are never negative"),
            Mistake((a - y) * x[j] * x[k], "$a - y$ is the first derivative in $z$; "
                    "differentiate once more: $y$ is a constant and $\\sigma' = a(1 - a)$"),
            Mistake(a * (1 - a) * x[j], "the second derivative brings a second factor, "
                    "$\\partial z / \\partial \\theta_k = x_k$"),
            Mistake(a * (1 - a) * x[j] ** 2, "the second derivative is in $\\theta_k$: its "
                    "factor is $x_k$"),
            Mistake(a * x[j] * x[k], "$\\sigma'(z) = a(1 - a)$"),
            Mistake(a * (1 - a) * x[j] * x[k] * sp.KroneckerDelta(j, k),
                    "$z$ mixes all the $\\theta_i$: the Hessian is not diagonal"),
        ],
    )


_BUILDERS = {
    "01-softplus-gradient": _why_cross_entropy,
    "02-bce-gradient": _logistic_regression,
    "03-stable-bce": _stable_bce,
    "04-softmax-jacobian": _softmax_jacobian,
    "05-softmax-ce-gradient": _softmax_cross_entropy,
    "06-shifted-logsumexp": _stable_softmax,
    "07-backprop-layer": _backprop_layer,
    "08-hessian-entry": _curvature,
}
KEYS = tuple(_BUILDERS)


def exercise(key):
    """The exercise called ``key`` (one of :data:`KEYS`), freshly built.

    Examples:
      >>> exercise("02-bce-gradient").check("a - y").correct
      True
    """
    try:
        return _BUILDERS[key]()
    except KeyError:
        raise KeyError(f"no exercise {key!r}; the exercises are {', '.join(KEYS)}") from None
