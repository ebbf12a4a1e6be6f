"""Tests of xentlib.symbolic: the derivations the book needs, and the checker itself.

Correct derivations must pass; mutated ones (a flipped sign, a dropped factor, a wrong
index, a missing 1/m) must fail with a counterexample that really is one, which each
test confirms by evaluating both lines at that point with SymPy on its own. The lambdify
bridge is compared with xentlib's numeric gradients and with finite differences.
"""

import re

import numpy as np
import pytest
import sympy as sp

import xentlib
from xentlib import symbolic as xs

# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------


def value_at(expr, values, substitutions=()):
    """Evaluate ``expr`` at a counterexample's point, independently of the checker."""
    point = {}
    for s in expr.free_symbols | set().union(*[v.free_symbols for _, v in substitutions]):
        if str(s) in values:
            point[s] = sp.Float(values[str(s)], 30)
    e = expr
    for old, new in substitutions:
        e = e.subs(old, new)
    e = e.doit().subs(point)
    return complex(sp.N(e, 30))


def assert_real_counterexample(err, before, after, substitutions=()):
    """The counterexample of ``err`` separates ``before`` and ``after``."""
    ce = err.step.counterexample
    assert ce is not None
    if isinstance(before, sp.MatrixBase):
        before, after = before[ce.entry], after[ce.entry]
    lv = value_at(before, ce.values, substitutions)
    rv = value_at(after, ce.values, substitutions)
    assert abs(lv - rv) > 1e-6 * max(1.0, abs(lv))
    assert lv.real == pytest.approx(ce.lhs, rel=1e-9, abs=1e-12)
    assert rv.real == pytest.approx(ce.rhs, rel=1e-9, abs=1e-12)


z, x, y, a = sp.symbols("z x y a", real=True)


# ---------------------------------------------------------------------------------------
# SymPy counterparts agree with the numerics
# ---------------------------------------------------------------------------------------


def test_counterparts_match_xentlib_numerics():
    rng = np.random.default_rng(0)
    zs = xs.symbols_vector("z", 4)
    Z = rng.normal(size=(4, 6))
    np.testing.assert_allclose(xs.lambdify(xs.softmax(zs), zs)(Z), xentlib.softmax(Z.T).T,
                               rtol=1e-12)
    np.testing.assert_allclose(xs.lambdify(xs.logsumexp(zs), zs)(Z), xentlib.logsumexp(Z.T),
                               rtol=1e-12)
    np.testing.assert_allclose(xs.lambdify(xs.sigmoid(z), z)(Z), xentlib.sigmoid(Z), rtol=1e-12)
    X, Y = rng.normal(size=7), rng.uniform(size=7)
    want = xentlib.binary_cross_entropy_with_logits(X, Y, reduction="none")
    for form in (xs.bce_with_logits, xs.bce_with_logits_stable):
        np.testing.assert_allclose(xs.lambdify(form(x, y), [x, y])(X, Y), want, rtol=1e-10)
    P = xentlib.sigmoid(X)
    np.testing.assert_allclose(xs.lambdify(xs.binary_cross_entropy(a, y), [a, y])(P, Y),
                               xentlib.binary_cross_entropy(P, Y, reduction="none"),
                               rtol=1e-10)
    T = np.eye(4)[[0, 3, 1, 2, 2, 0]].T
    ys = xs.symbols_vector("y", 4)
    ce = xs.lambdify(xs.cross_entropy(xs.softmax(zs), ys), [zs, ys])(Z, T)
    np.testing.assert_allclose(ce, xentlib.cross_entropy(Z.T, T.argmax(0), reduction="none"),
                               rtol=1e-10)


def test_stable_bce_does_not_overflow_where_the_definition_does():
    f = xs.lambdify(xs.bce_with_logits_stable(x, y), [x, y])
    g = xs.lambdify(xs.bce_with_logits(x, y), [x, y])
    big = np.array([-800.0, 800.0])
    assert np.allclose(f(big, [1.0, 0.0]), [800.0, 800.0])
    assert not np.all(np.isfinite(g(big, [1.0, 0.0])))


def test_lambdify_shapes_and_errors():
    X = sp.Matrix(2, 3, lambda i, j: sp.Symbol(f"x_{i}{j}", real=True))
    f = xs.lambdify(X.T * X, [X])
    batch = np.random.default_rng(1).normal(size=(2, 3, 5))
    out = f(batch)
    assert out.shape == (3, 3, 5)
    np.testing.assert_allclose(out[..., 2], batch[..., 2].T @ batch[..., 2])
    zs = xs.symbols_vector("z", 3)
    zero = xs.lambdify(sp.Matrix([0, zs[0], 1]), [zs])(np.ones((3, 4)))
    np.testing.assert_array_equal(zero, np.array([[0.0] * 4, [1.0] * 4, [1.0] * 4]))
    zb = sp.IndexedBase("z")
    g = xs.lambdify(sp.exp(zb[1]) / (sp.exp(zb[1]) + sp.exp(zb[2])), [zb[1], zb[2]])
    np.testing.assert_allclose(g(np.zeros(2), np.log([3.0, 1.0])), [0.25, 0.5])
    with pytest.raises(ValueError, match="shape"):
        xs.lambdify(xs.softmax(zs), [zs])(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="not among args: z_3"):
        xs.lambdify(xs.softmax(zs), [zs[0], zs[1]])
    with pytest.raises(TypeError, match="expected 1 arguments"):
        xs.lambdify(xs.softmax(zs), [zs])(1, 2)


def test_bad_inputs_name_the_problem():
    with pytest.raises(ValueError, match="n must be a positive integer"):
        xs.symbols_vector("z", 0)
    with pytest.raises(ValueError, match="same length"):
        xs.cross_entropy([a, y], [y])
    with pytest.raises(TypeError, match="list, tuple or sympy Matrix"):
        xs.softmax(z)
    with pytest.raises(ValueError, match="needs a reason"):
        xs.Derivation("L", z).step(z, " ")
    with pytest.raises(ValueError, match=r"unbalanced \$"):
        xs.Derivation("L", z).step(z, "a $b")
    with pytest.raises(TypeError, match="Condition"):
        xs.check_equal(z, z, given="z > 0")
    with pytest.raises(ValueError, match="k must be in 1..3"):
        xs.one_hot(xs.symbols_vector("y", 3), 4)
    with pytest.raises(ValueError, match="size symbol"):
        xs.sums_to_one(sp.IndexedBase("y"))


# ---------------------------------------------------------------------------------------
# binary case
# ---------------------------------------------------------------------------------------


def test_sigmoid_derivative():
    s = xs.sigmoid(z)
    d = xs.Derivation(r"\frac{d\sigma}{dz}", sp.Derivative(s, z))
    d.step(sp.exp(-z) / (1 + sp.exp(-z)) ** 2, "quotient rule")
    d.step(s * (1 - s), r"$1 - \sigma(z) = e^{-z}\sigma(z)$")
    d.step(a * (1 - a), "name it", given=xs.Given({a: s}, r"$a = \sigma(z)$"))
    assert d.ok and [st.proved for st in d.steps] == [True] * 3
    assert d.result == a * (1 - a)
    on_sigmoid = [(a, s)]
    for wrong, reason in [(a, "dropped factor"), (a * (a - 1), "flipped sign")]:
        with pytest.raises(xs.DerivationError, match=f'step 4, "{reason}"') as err:
            d.step(wrong, reason)
        assert_real_counterexample(err.value, a * (1 - a), wrong, on_sigmoid)
        assert err.value.step.counterexample.values["a"] == pytest.approx(
            1 / (1 + np.exp(-err.value.step.counterexample.values["z"])))


def test_bce_gradient_through_the_sigmoid():
    bce = xs.binary_cross_entropy(a, y)
    d = xs.Derivation(r"\frac{\partial L}{\partial a}", sp.Derivative(bce, a),
                      domain=xs.in_open_unit_interval(a))
    d.step(-y / a + (1 - y) / (1 - a), r"$(\log u)' = 1/u$")
    d.step((a - y) / (a * (1 - a)), "common denominator")
    assert d.ok
    on_sigmoid = xs.Given({a: xs.sigmoid(z)}, r"$a = \sigma(z)$")
    e = xs.Derivation(r"\frac{\partial L}{\partial z}",
                      sp.Derivative(xs.bce_with_logits(z, y), z))
    e.step(d.result * a * (1 - a), r"chain rule, $\sigma' = \sigma(1 - \sigma)$",
           given=on_sigmoid)
    e.step(a - y, "cancel", given=on_sigmoid)
    e.step(xs.sigmoid(z) - y, "substitute $a$")
    assert e.ok


def test_batch_mean_brings_one_over_m():
    m = 3
    zs, ys = xs.symbols_vector("z", m), xs.symbols_vector("y", m)
    J = sp.Add(*[xs.bce_with_logits(zs[i], ys[i]) for i in range(m)]) / m
    A = zs.applyfunc(xs.sigmoid)
    d = xs.Derivation(r"\frac{\partial J}{\partial z}", xs.grad(J, zs))
    d.step((A - ys) / m, r"$\partial L_i / \partial z_i = a_i - y_i$, mean over $m = 3$")
    assert d.ok
    with pytest.raises(xs.DerivationError, match="missing 1/m") as err:
        d.step(A - ys, "missing 1/m")
    assert_real_counterexample(err.value, d.result, A - ys)


def test_batch_weight_gradient_matrix_shapes():
    n, m = 2, 3
    X = sp.Matrix(n, m, lambda i, j: sp.Symbol(f"x_{i + 1}{j + 1}", real=True))
    w = sp.Matrix(1, n, lambda i, j: sp.Symbol(f"w_{j + 1}", real=True))
    Y = sp.Matrix(1, m, lambda i, j: sp.Symbol(f"y_{j + 1}", real=True))
    b = sp.Symbol("b", real=True)
    Z = w * X + b * sp.ones(1, m)
    A = Z.applyfunc(xs.sigmoid)
    J = sp.Add(*[xs.bce_with_logits(Z[j], Y[j]) for j in range(m)]) / m
    d = xs.Derivation(r"\frac{\partial J}{\partial w}", xs.grad(J, w),
                      domain=xs.in_open_unit_interval(*Y))
    d.step((A - Y) * X.T / m, r"$\frac{1}{m}(A - Y)X^\top$")
    assert d.ok and d.result.shape == (1, 2)
    with pytest.raises(xs.DerivationError) as err:
        d.step((A - Y) * X.T, "missing 1/m")
    ce = err.value.step.counterexample
    assert ce.entry in {(0, 0), (0, 1)}
    # printed like the book's subscripts, counted from 1
    label = f"({ce.entry[0] + 1}, {ce.entry[1] + 1})"
    assert ce.entry_label() == label
    assert f"entry {label}" in str(ce) and f"entry {label}" in str(err.value)
    assert_real_counterexample(err.value, d.result, (A - Y) * X.T)
    with pytest.raises(xs.DerivationError):
        d.step((A - Y) * X[::-1, :].T / m, "rows of X swapped")
    # the symbolic gradient, lambdified, against central finite differences
    rng = np.random.default_rng(2)
    Xv, Yv, wv, bv = rng.normal(size=(n, m)), rng.uniform(size=(1, m)), rng.normal(size=(1, n)), 0.3
    grad_f = xs.lambdify(d.result, [w, b, X, Y])
    J_f = xs.lambdify(J, [w, b, X, Y])
    fd = xentlib.numerical_grad(lambda w_: J_f(w_, bv, Xv, Yv), wv, eps=1e-6)
    np.testing.assert_allclose(grad_f(wv, bv, Xv, Yv), fd, rtol=1e-6, atol=1e-9)


def test_stable_bce_rewrite_and_branches():
    d = xs.Derivation("L", xs.bce_with_logits(x, y))
    d.step(xs.bce_with_logits_stable(x, y), r"$\log(1+e^{x}) = \max(x,0) + \log(1+e^{-|x|})$")
    assert d.ok
    defn = xs.bce_with_logits(x, y)
    pos = xs.check_equal(defn, x - x * y + sp.log(1 + sp.exp(-x)), given=xs.nonnegative(x))
    neg = xs.check_equal(defn, -x * y + sp.log(1 + sp.exp(x)), given=xs.negative(x))
    assert pos.ok and neg.ok
    # forgetting the absolute value is right for x >= 0 only
    no_abs = sp.Max(x, 0) - x * y + sp.log(1 + sp.exp(-x))
    assert xs.check_equal(defn, no_abs, given=xs.nonnegative(x)).ok
    assert not xs.check_equal(defn, no_abs, given=xs.negative(x)).ok
    wrong = xs.check_equal(defn, no_abs)
    assert not wrong.ok and wrong.counterexample.values["x"] < 0


def test_stable_bce_gradient_and_pos_weight():
    grad_stable = sp.diff(xs.bce_with_logits_stable(x, y), x)
    assert xs.check_equal(grad_stable, xs.sigmoid(x) - y).ok
    p = sp.Symbol("p", positive=True)
    assert xs.check_equal(xs.bce_with_logits_stable(x, y, p), xs.bce_with_logits(x, y, p)).ok
    d = xs.Derivation(r"\frac{\partial L}{\partial x}",
                      sp.Derivative(xs.bce_with_logits(x, y, p), x))
    d.step((p * y + 1 - y) * xs.sigmoid(x) - p * y, "collect $\\sigma(x)$")
    assert d.ok
    with pytest.raises(xs.DerivationError) as err:
        d.step(xs.sigmoid(x) - p * y, "dropped factor")
    assert_real_counterexample(err.value, d.result, xs.sigmoid(x) - p * y)


def test_stable_bce_gradient_matches_xentlib_and_finite_differences():
    rng = np.random.default_rng(3)
    X, Y = rng.normal(scale=3, size=9), rng.uniform(size=9)
    pw = 2.5
    p = sp.Symbol("p", positive=True)
    grad_f = xs.lambdify(sp.diff(xs.bce_with_logits(x, y, p), x), [x, y, p])
    want = xentlib.binary_cross_entropy_with_logits_grad(
        X, Y, pos_weight=pw, reduction="sum")
    np.testing.assert_allclose(grad_f(X, Y, pw), want, rtol=1e-10, atol=1e-12)
    loss_f = xs.lambdify(xs.bce_with_logits_stable(x, y, p), [x, y, p])
    fd = (loss_f(X + 1e-6, Y, pw) - loss_f(X - 1e-6, Y, pw)) / 2e-6
    np.testing.assert_allclose(grad_f(X, Y, pw), fd, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------------------
# softmax and categorical cross-entropy
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [2, 3, 4])
def test_softmax_jacobian_concrete(n):
    zs = xs.symbols_vector("z", n)
    av = xs.softmax(zs)
    d = xs.Derivation(r"\frac{\partial a}{\partial z}", av.jacobian(zs))
    d.step(sp.diag(*av) - av * av.T, r"$a_i(\delta_{ij} - a_j)$")
    assert d.ok
    wrong_index = sp.Matrix(n, n, lambda i, j: av[i] * (int(i == j) - av[i]))
    with pytest.raises(xs.DerivationError, match="step 2") as err:
        d.step(wrong_index, "wrong index")
    assert_real_counterexample(err.value, d.result, wrong_index)


@pytest.mark.parametrize("n", [2, 3, 4])
def test_cross_entropy_gradient_concrete(n):
    zs, ys = xs.symbols_vector("z", n), xs.symbols_vector("y", n)
    av = xs.softmax(zs)
    L = xs.cross_entropy(av, ys)
    d = xs.Derivation(r"\frac{\partial L}{\partial z}", xs.grad(L, zs))
    d.step(av * sp.Add(*ys) - ys, "soft labels: $a \\sum_k y_k - y$")
    d.step(av - ys, "labels sum to one", given=xs.sums_to_one(ys))
    assert d.ok
    assert xs.check_equal(d.result, av - sp.Matrix([int(i == 0) for i in range(n)]),
                          given=xs.one_hot(ys, 1)).ok
    with pytest.raises(xs.DerivationError) as err:
        d.step(ys - av, "flipped sign")
    assert_real_counterexample(err.value, d.result, ys - av)
    # without the condition the soft-label form is not a - y
    bare = xs.check_equal(av * sp.Add(*ys) - ys, av - ys)
    assert not bare.ok
    ce = bare.counterexample.values
    assert sum(ce[f"y_{k}"] for k in range(1, n + 1)) != pytest.approx(1)


def test_cross_entropy_gradient_matches_xentlib():
    n, m = 3, 5
    zs, ys = xs.symbols_vector("z", n), xs.symbols_vector("y", n)
    grad_f = xs.lambdify(xs.grad(xs.cross_entropy(xs.softmax(zs), ys), zs), [zs, ys])
    rng = np.random.default_rng(4)
    Z = rng.normal(size=(n, m))
    labels = rng.integers(0, n, size=m)
    want = xentlib.cross_entropy_grad(Z.T, labels, reduction="sum").T
    np.testing.assert_allclose(grad_f(Z, np.eye(n)[labels].T), want, rtol=1e-10, atol=1e-12)
    num = xentlib.numerical_grad(lambda t: xentlib.cross_entropy(t, labels, reduction="sum"), Z.T)
    np.testing.assert_allclose(grad_f(Z, np.eye(n)[labels].T), num.T, rtol=1e-5, atol=1e-7)


def test_logsumexp_shift_invariance_and_gradient():
    zs = xs.symbols_vector("z", 3)
    c = sp.Symbol("c", real=True)
    d = xs.Derivation(r"\operatorname{LSE}(z + c)", xs.logsumexp(zs + c * sp.ones(3, 1)))
    d.step(sp.log(sp.exp(c) * sp.Add(*[sp.exp(v) for v in zs])), "$e^{z_k + c} = e^c e^{z_k}$")
    d.step(c + xs.logsumexp(zs), "$\\log(e^c u) = c + \\log u$")
    assert d.ok
    with pytest.raises(xs.DerivationError):
        d.step(xs.logsumexp(zs), "shift dropped")
    g = xs.Derivation(r"\nabla \operatorname{LSE}", xs.grad(xs.logsumexp(zs), zs))
    g.step(xs.softmax(zs), "chain rule")
    assert g.ok


# ---------------------------------------------------------------------------------------
# general n
# ---------------------------------------------------------------------------------------

zb, yb = sp.IndexedBase("z"), sp.IndexedBase("y")
i, j, k = sp.symbols("i j k", integer=True, positive=True)
n_ = sp.Symbol("n", integer=True, positive=True)
S = sp.Sum(sp.exp(zb[k]), (k, 1, n_))


def soft(t):
    return sp.exp(zb[t]) / S


def test_softmax_jacobian_general_n():
    d = xs.Derivation(r"\frac{\partial a_i}{\partial z_j}", sp.diff(soft(i), zb[j]))
    d.step(soft(i) * (sp.KroneckerDelta(i, j) - soft(j)), r"$a_i(\delta_{ij} - a_j)$")
    assert d.ok
    assert d.steps[0].proved or "tested at" in d.steps[0].method
    with pytest.raises(xs.DerivationError) as err:
        d.step(soft(i) * (sp.KroneckerDelta(i, j) - soft(i)), "wrong index")
    ce = err.value.step.counterexample
    assert ce.values["i"] != ce.values["j"]


def test_cross_entropy_gradient_general_n():
    L = -sp.Sum(yb[k] * sp.log(soft(k)), (k, 1, n_))
    d = xs.Derivation(r"\frac{\partial L}{\partial z_j}", sp.diff(L, zb[j]))
    d.step(soft(j) * sp.Sum(yb[k], (k, 1, n_)) - yb[j], "soft labels")
    d.step(soft(j) - yb[j], r"$\sum_k y_k = 1$", given=xs.sums_to_one(yb, n_))
    assert d.ok
    with pytest.raises(xs.DerivationError):
        d.step(yb[j] - soft(j), "flipped sign")
    one_hot = xs.check_equal(sp.diff(L, zb[j]), soft(j) - sp.KroneckerDelta(j, i),
                             given=xs.one_hot(yb, i))
    assert one_hot.ok


def value_at_size(expr, values):
    """Evaluate a general-size expression at a counterexample: sizes and indices first."""
    ints = {s: int(values[str(s)]) for s in expr.free_symbols
            if isinstance(s, sp.Symbol) and s.is_integer and str(s) in values}
    e = expr.subs(ints).doit()
    point = {s: sp.Float(values[str(s)], 30)
             for s in e.atoms(sp.Symbol, sp.Indexed) if str(s) in values}
    return complex(sp.N(e.xreplace(point), 30))


def test_batch_mean_general_m_keeps_indices_in_range():
    m = sp.Symbol("m", integer=True, positive=True)
    J = sp.Sum(xs.bce_with_logits(zb[i], yb[i]), (i, 1, m)) / m
    claim = (xs.sigmoid(zb[k]) - yb[k]) / m
    # sp.diff collapses the KroneckerDelta sum into a Piecewise that is 0 for k > m; an
    # index drawn beyond the batch must not count as a counterexample.
    for start in (sp.diff(J, zb[k]), sp.Derivative(J, zb[k])):
        proof = xs.check_equal(start, claim)
        assert proof.ok, proof
    d = xs.Derivation(r"\frac{\partial J}{\partial z_k}", sp.Derivative(J, zb[k]))
    d.step(claim, r"$\partial L_i / \partial z_k = \delta_{ik}(\sigma(z_i) - y_i)$")
    assert d.ok
    wrongs = [(xs.sigmoid(zb[k]) - yb[k], "missing 1/m"),
              ((yb[k] - xs.sigmoid(zb[k])) / m, "flipped sign")]
    for wrong, reason in wrongs:
        with pytest.raises(xs.DerivationError, match=reason):
            xs.Derivation("J", sp.Derivative(J, zb[k])).step(wrong, reason)
        for start in (sp.diff(J, zb[k]), sp.Derivative(J, zb[k])):
            proof = xs.check_equal(start, wrong)
            ce = proof.counterexample
            assert not proof.ok and 1 <= ce.values["k"] <= ce.values["m"], proof
            lv, rv = value_at_size(start, ce.values), value_at_size(wrong, ce.values)
            assert abs(lv - rv) > 1e-6
            assert (lv.real, rv.real) == pytest.approx((ce.lhs, ce.rhs), rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------------------
# the seed's 2-class worked example
# ---------------------------------------------------------------------------------------


def seed_example(strict):
    """The seed's chain for dL/dw21 with z_1 = h_2 w_21 + b, written as it is there."""
    h2, w21, b, z2 = sp.symbols("h_2 w_21 b z_2", real=True)
    y1, y2, yh1, yh2 = sp.symbols("y_1 y_2 yhat_1 yhat_2", real=True)
    a_ = xs.softmax([h2 * w21 + b, z2])
    L = xs.cross_entropy(a_, [y1, y2])
    yhat = xs.Given({yh1: a_[0], yh2: a_[1]}, r"$\hat y = \mathrm{softmax}(z)$")
    d = xs.Derivation(r"\frac{\partial L}{\partial w_{21}}", sp.Derivative(L, w21),
                      domain=xs.in_open_unit_interval(y1, y2), strict=strict)
    d.step((y1 / yh1 * (yh1 - yh1**2) + y2 / yh2 * (-yh1 * yh2)) * h2,
           r"chain rule with $\partial L / \partial \hat y_k = y_k / \hat y_k$", given=yhat)
    d.step((y1 - y1 * yh1 - y2 * yh1) * h2, "cancel $\\hat y_1$, $\\hat y_2$")
    d.step((y1 - yh1) * h2, "$y_1 + y_2 = 1$", given=xs.sums_to_one([y1, y2]))
    return d, (L, w21, yhat, [y1, y2], yh1, h2)


def test_seed_two_class_example_is_caught():
    with pytest.raises(xs.DerivationError, match="step 1") as err:
        seed_example(strict=True)
    print(err.value)
    assert "chain rule with" in str(err.value) and "yhat_1 = " in str(err.value)
    d, (L, w21, yhat, ys, yh1, h2) = seed_example(strict=False)
    assert [s.ok for s in d.steps] == [False, True, True]
    # the final result has the wrong sign, the right one passes
    conds = [yhat, xs.sums_to_one(ys)]
    wrong = xs.check_equal(sp.diff(L, w21), (ys[0] - yh1) * h2, given=conds)
    right = xs.check_equal(sp.diff(L, w21), (yh1 - ys[0]) * h2, given=conds)
    assert not wrong.ok and right.ok
    ce = wrong.counterexample
    assert ce.lhs == pytest.approx(-ce.rhs)
    assert ce.values["y_1"] + ce.values["y_2"] == pytest.approx(1)
    assert 0 < ce.values["yhat_1"] < 1
    print("seed's dL/dw21 = (y1 - yhat1) h2 is false", ce)


# ---------------------------------------------------------------------------------------
# checker behaviour, errata mode and rendering
# ---------------------------------------------------------------------------------------


def test_domain_decides_and_a_non_real_side_is_a_counterexample():
    p, q = sp.symbols("p q", real=True)
    bare = xs.check_equal(sp.log(p * q), sp.log(p) + sp.log(q))
    assert not bare.ok and not bare.proved
    ce = bare.counterexample
    # p q > 0 with both negative: the left side is real, the right side is not
    assert ce.values["p"] < 0 and ce.values["q"] < 0
    assert ce.lhs == pytest.approx(np.log(ce.values["p"] * ce.values["q"]))
    # log p + log q = log(pq) + 2 pi i there
    assert ce.rhs == pytest.approx(ce.lhs + 2j * np.pi)
    assert str(ce).endswith(f"+ {2 * np.pi:.4g}i")
    assert xs.check_equal(sp.log(p * q), sp.log(p) + sp.log(q), given=xs.positive(p, q)).proved


def test_numeric_fallback_is_named_and_shapes_are_checked():
    proof = xs.check_equal(xs.bce_with_logits_stable(x, y), xs.bce_with_logits(x, y))
    assert proof.ok and (proof.proved or proof.method.startswith("tested at"))
    mismatch = xs.check_equal(sp.Matrix([x, y]), sp.Matrix([[x, y]]))
    assert not mismatch.ok and "shapes differ" in mismatch.method


def test_unevaluated_derivative_is_evaluated_under_the_givens():
    w, b, L, g = sp.symbols("w b L g", real=True)
    loss = xs.Given({L: xs.bce_with_logits(w * x + b, y)}, r"$L = \ell(wx + b, y)$")
    d = xs.Derivation(r"\frac{\partial L}{\partial w}", sp.Derivative(L, w), domain=loss)
    d.step((xs.sigmoid(w * x + b) - y) * x, "chain rule")
    assert d.ok
    # the reader sees the derivative as written, not its value
    assert r"\frac{\partial L}{\partial w} &= \frac{d}{d w} L" in d.to_latex()
    assert "= Derivative(L, w)" in repr(d)
    wrong = (xs.sigmoid(w * x + b) - y) * (-x)
    with pytest.raises(xs.DerivationError, match="sign slip") as err:
        d.step(wrong, "sign slip")
    assert_real_counterexample(err.value, sp.Derivative(L, w), wrong,
                               list(loss.substitutions.items()))
    # a derivative carried in by a substitution is evaluated too
    slope = xs.Given({g: sp.Derivative(xs.bce_with_logits_stable(z, y), z)})
    right = xs.check_equal(g, xs.sigmoid(z) - y, given=slope)
    assert right.ok, right
    flipped = xs.check_equal(g, y - xs.sigmoid(z), given=slope)
    assert not flipped.ok and flipped.counterexample is not None
    v = flipped.counterexample.values
    assert flipped.counterexample.lhs == pytest.approx(1 / (1 + np.exp(-v["z"])) - v["y"])
    # an undefined function's derivative: the right chain rule holds, a wrong one is
    # refuted with a smooth stand-in for the function
    f = sp.Function("f")
    assert xs.check_equal(sp.Derivative(f(z) ** 2, z), 2 * f(z) * f(z).diff(z)).ok
    wrong = xs.check_equal(sp.Derivative(f(z) ** 2, z), 3 * f(z) * f(z).diff(z))
    assert not wrong.ok and not wrong.proved and wrong.counterexample is not None
    assert "standing in" in wrong.method
    # d/dy_j under a one-hot y: differentiate before y becomes a KroneckerDelta
    linear = sp.Derivative(sp.Sum(yb[i] * zb[i], (i, 1, n_)), yb[j])
    assert xs.check_equal(linear, zb[j], given=xs.one_hot(yb, k)).ok
    assert not xs.check_equal(linear, -zb[j], given=xs.one_hot(yb, k)).ok


def test_targets_that_sum_to_one_are_tested_off_the_simplex_unless_stated():
    ys = xs.symbols_vector("y", 3)
    proof = xs.check_equal(ys[2], 2 * ys[2], given=xs.sums_to_one(ys))
    v = proof.counterexample.values
    assert not proof.ok
    assert v["y_1"] + v["y_2"] + v["y_3"] == pytest.approx(1)
    # |y_3| = y_3 holds on the simplex only: sums_to_one alone does not say y >= 0
    assert not xs.check_equal(sp.Abs(ys[2]), ys[2], given=xs.sums_to_one(ys)).ok
    on_simplex = [xs.sums_to_one(ys), xs.in_open_unit_interval(ys[0], ys[1])]
    proof = xs.check_equal(ys[2], 2 * ys[2], given=on_simplex)
    v = proof.counterexample.values
    assert all(0 < v[f"y_{t}"] < 1 for t in (1, 2, 3))


def test_errata_mode_records_and_renders():
    s = xs.sigmoid(z)
    d = xs.Derivation(r"\sigma'(z)", sp.Derivative(s, z), strict=False, name="erratum")
    d.step(s * (1 + s), "a sign slip")
    d.step(s + s**2, "expand")
    assert [st.ok for st in d.steps] == [False, True] and not d.ok
    assert d.steps[0].counterexample is not None
    latex = d._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("\\end{aligned}$$")
    assert "\n\n" not in latex  # a blank line would split Sphinx's math block
    assert r"{\color{red}\boldsymbol{\times}}\ \text{a sign slip}" in latex
    assert r"{\color{green}\checkmark}\ \text{expand}" in latex
    assert r"\text{false at }z = " in latex
    text = repr(d)
    assert "✗ a sign slip" in text and "✓ expand" in text
    assert repr(d) == text  # deterministic


def test_rendering_shows_reasons_conditions_and_math():
    ys = xs.symbols_vector("y", 2)
    zs = xs.symbols_vector("z", 2)
    av = xs.softmax(zs)
    d = xs.Derivation("g", av * sp.Add(*ys) - ys, domain=xs.positive(*zs))
    d.step(av - ys, r"labels {sum} to $1$: $\sum_k y_k = 1$", given=xs.sums_to_one(ys))
    latex = d.to_latex()
    assert r"\text{labels }\{\text{sum}\}\text{ to }1\text{: }\sum_k y_k = 1" in latex
    assert r"\text{given }y_{1} + y_{2} = 1" in latex
    assert r"\text{for }z_{1}, z_{2} > 0" in latex
    assert "given $y_{1} + y_{2} = 1$" in repr(d)


def test_same_derivation_same_output():
    def build():
        ys = xs.symbols_vector("y", 3)
        d = xs.Derivation("L", ys[0] * ys[1], strict=False)
        d.step(ys[0] * ys[2], "wrong", given=xs.sums_to_one(ys))
        return repr(d), d.to_latex()

    assert build() == build()


def test_reason_text_becomes_latex_that_mathjax_reads_verbatim():
    d = xs.Derivation("c", z)
    d.step(z, r"costs \$5 {a} b\c $x^2$ end")
    latex = d.to_latex()
    assert r"\text{costs }\$\text{5 }\{\text{a}\}\text{ b}\backslash \text{c }x^2\text{ end}" in latex
    with pytest.raises(ValueError, match="unknown domain kinds"):
        xs.Given({a: z}, "a = z", bounded=[a])
    unit = xs.Given({}, "probabilities", unit=[a])
    assert xs.check_equal(sp.log(a * (1 - a)), sp.log(a) + sp.log(1 - a), given=unit).ok


# ---------------------------------------------------------------------------------------
# verdicts, display forms, the tally and the HTML chain
# ---------------------------------------------------------------------------------------


def derivation_with_a_tested_step():
    """A true step SymPy is not allowed to prove: it has a float constant."""
    d = xs.Derivation("f", x / 2, strict=False, name="halves")
    with pytest.warns(UserWarning, match="float constant 0.5 rounds"):
        d.step(sp.Float(0.5) * x, "a float")
        d.step(x / 2 + 1, "off by one")
    return d


def test_three_verdicts_carry_three_marks_in_every_form():
    d = derivation_with_a_tested_step()
    d.step(x / 2 + 1, "same", display=r"\tfrac{x}{2} + 1")
    assert [s.verdict for s in d.steps] == ["tested", "failed", "proved"]
    assert [s.proved for s in d.steps] == [False, False, True]
    assert d.steps[0].ok and d.steps[0].method.startswith("tested at ")
    text = repr(d).splitlines()
    assert text[3].startswith("    = 0.5*x   ≈ a float  (tested at ")
    assert "✗ off by one" in text[4] and "step 2" in text[5]
    assert text[6] == "    = x/2 + 1   ✓ same"
    latex = d.to_latex()
    assert r"{\color{orange}\approx}\ \text{a float}\quad\text{(tested at " in latex
    assert r"{\color{red}\boldsymbol{\times}}" in latex and r"{\color{green}\checkmark}" in latex
    assert r"&= \tfrac{x}{2} + 1 &&" in latex  # the display form, not SymPy's printing
    html = d._repr_html_()
    assert html.startswith('<div class="xent-derivation">') and html.endswith("</div>")
    steps = re.findall(r'<div class="xent-step (xent-\w+)">', html)
    assert steps == ["xent-start", "xent-tested", "xent-failed", "xent-proved"]
    assert html.count('<span class="xent-mark"') == 3
    assert '<span class="xent-method">tested at ' in html
    assert '<div class="xent-counterexample"><span class="math notranslate nohighlight">' in html
    assert r"\(\displaystyle = \tfrac{x}{2} + 1\)" in html
    assert '<div class="xent-title">halves</div>' in html


def test_html_escapes_text_and_puts_math_in_mathjax_spans():
    d = xs.Derivation("L", z).step(z, r"a < b & c, costs \$5, $x^2 < 1$")
    html = d._repr_html_()
    assert "a &lt; b &amp; c, costs $5, " in html
    assert r'<span class="math notranslate nohighlight">\(x^2 &lt; 1\)</span>' in html


def test_display_is_shown_and_the_expression_is_checked():
    z1, z2 = sp.symbols("z_1 z_2", real=True)
    d = xs.Derivation(r"\operatorname{softmax}(z)_1", xs.softmax([z1, z2])[0],
                      display=r"\frac{e^{z_1}}{e^{z_1} + e^{z_2}}")
    d.step(xs.sigmoid(z1 - z2), r"divide by $e^{z_1}$", display=r"\sigma(z_1 - z_2)")
    assert d.steps[0].proved and d.steps[0].display == r"\sigma(z_1 - z_2)"
    assert r"\operatorname{softmax}(z)_1 &= \frac{e^{z_1}}{e^{z_1} + e^{z_2}}" in d.to_latex()
    assert r"&= \sigma(z_1 - z_2) &&" in d.to_latex()
    # the display form does not rescue a false expression
    with pytest.raises(xs.DerivationError):
        d.step(xs.sigmoid(z2 - z1), "wrong", display=r"\sigma(z_1 - z_2)")
    with pytest.raises(ValueError, match="without \\$"):
        d.step(xs.sigmoid(z1 - z2), "dollars", display=r"$\sigma$")


def test_require_proof_rejects_a_tested_step():
    d = xs.Derivation("f", x / 2, require_proof=True)
    d.step(x * sp.Rational(1, 2), "exact")
    with pytest.warns(UserWarning), pytest.raises(xs.DerivationError, match="only tested"):
        d.step(sp.Float(0.5) * x, "a float")
    assert len(d.steps) == 1


def test_tally_counts_each_derivation_once_by_content(monkeypatch):
    from xentlib.symbolic import derivation

    monkeypatch.setattr(derivation, "_LEDGER", [])
    assert repr(xs.tally()) == "This page: 0 steps proved, 0 tested."
    xs.Derivation("f", x / 2).step(x * sp.Rational(1, 2), "exact")
    assert repr(xs.tally()) == "This page: 1 step proved, 0 tested."
    for _ in range(2):  # a cell run twice
        d = derivation_with_a_tested_step()
        d.step(x / 2 + 1, "same")
    t = xs.tally()
    assert (t.proved, t.tested, t.refuted) == (2, 1, 1)
    assert repr(t) == "This page: 2 steps proved, 1 tested, 1 refuted."
    m = re.fullmatch(r"This page: (\d+) steps? proved, (\d+) tested(?:, (\d+) refuted)?\.", repr(t))
    assert m and m.groups() == ("2", "1", "1")


def test_one_hot_does_not_capture_a_sum_index_named_like_the_class():
    L = -sp.Sum(yb[k] * sp.log(soft(k)), (k, 1, n_))
    right = xs.check_equal(sp.diff(L, zb[j]), soft(j) - sp.KroneckerDelta(j, k),
                           given=xs.one_hot(yb, k))
    assert right.proved, right
    captured = xs.check_equal(sp.diff(L, zb[j]), n_ * soft(j) - 1, given=xs.one_hot(yb, k))
    assert not captured.ok


def test_content_seed_makes_the_same_step_print_the_same_counterexample():
    first = xs.check_equal(sp.diff(xs.sigmoid(z), z), xs.sigmoid(z) ** 2)
    again = xs.check_equal(sp.diff(xs.sigmoid(z), z), xs.sigmoid(z) ** 2)
    other = xs.check_equal(sp.diff(xs.sigmoid(x), x), xs.sigmoid(x) ** 2)
    assert str(first.counterexample) == str(again.counterexample)
    assert not other.ok
