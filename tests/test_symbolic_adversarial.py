"""Adversarial tests of the derivation checker: false steps a sceptic would try, and true
steps of the book's kind.

Every false step must be rejected (never proved, never accepted as tested), with a
counterexample that is one: both sides are evaluated again at the reported point with
mpmath, independently of the checker. Every true step must be accepted, and the book's
central results must be *proved*, for every size where they are stated for every size.
"""

import mpmath
import numpy as np
import pytest
import sympy as sp

from xentlib import symbolic as xs

x, y, z, c, w = sp.symbols("x y z c w", real=True)
p, q = sp.symbols("p q", real=True)
a_ = sp.Symbol("a", real=True)
zb, yb, ab = sp.IndexedBase("z"), sp.IndexedBase("y"), sp.IndexedBase("a")
i, j, k, r = sp.symbols("i j k r", integer=True, positive=True)
n, m, C = sp.symbols("n m C", integer=True, positive=True)
S = sp.Sum(sp.exp(zb[r]), (r, 1, C))


def soft(t, size=C):
    return sp.exp(zb[t]) / sp.Sum(sp.exp(zb[r]), (r, 1, size))


sig = xs.sigmoid
unit = xs.in_open_unit_interval
L_soft = -sp.Sum(yb[r] * sp.log(soft(r)), (r, 1, C))
L_soft_k = -sp.Sum(yb[k] * sp.log(soft(k)), (k, 1, C))  # summed over k: capture bait
zs3, ys3 = xs.symbols_vector("z", 3), xs.symbols_vector("y", 3)
a3 = xs.softmax(zs3)
W = sp.Matrix(2, 2, lambda r_, c_: sp.Symbol(f"W_{r_ + 1}{c_ + 1}", real=True))
h = xs.symbols_vector("h", 2)
d2 = xs.symbols_vector("delta", 2)
relu_slope = sp.diag(*[sp.Heaviside(v) for v in h])


def mlp_delta():
    """One hidden layer, ReLU: dL/dh for L = g^T relu(h) W^T-style, dL/d(out) = delta."""
    out = W * h.applyfunc(lambda v: sp.Max(v, 0))
    loss = (d2.T * out)[0]
    return xs.grad(loss, h)


# ---------------------------------------------------------------------------------------
# False steps: (name, lhs, rhs, conditions)
# ---------------------------------------------------------------------------------------

FALSE = [
    # sign slips and dropped factors in the book's results
    ("sigma' = sigma(1 + sigma)", sp.diff(sig(z), z), sig(z) * (1 + sig(z)), None),
    ("sigma' = sigma^2", sp.diff(sig(z), z), sig(z) ** 2, None),
    ("sigma' = 1 - sigma", sp.diff(sig(z), z), 1 - sig(z), None),
    ("binary dL/dz = y - a", sp.diff(xs.bce_with_logits(z, y), z), y - sig(z), None),
    ("binary dL/dw missing x", sp.diff(xs.bce_with_logits(w * x, y), w), sig(w * x) - y, None),
    ("stable BCE without |x|", xs.bce_with_logits(x, y),
     sp.Max(x, 0) - x * y + sp.log(1 + sp.exp(-x)), None),
    ("stable BCE with min", xs.bce_with_logits(x, y),
     sp.Min(x, 0) - x * y + sp.log(1 + sp.exp(-sp.Abs(x))), None),
    ("stable BCE gradient flipped", sp.diff(xs.bce_with_logits_stable(x, y), x),
     y - sig(x), None),
    ("softplus = max", sp.log(1 + sp.exp(x)), sp.Max(x, 0), None),
    ("pos_weight dropped", xs.bce_with_logits(x, y, 3), xs.bce_with_logits_stable(x, y), None),
    # softmax, general C
    ("Jacobian wrong index", sp.diff(soft(i), zb[j]),
     soft(i) * (sp.KroneckerDelta(i, j) - soft(i)), None),
    ("Jacobian sign", sp.diff(soft(i), zb[j]),
     soft(i) * (soft(j) - sp.KroneckerDelta(i, j)), None),
    ("Jacobian without delta", sp.diff(soft(i), zb[j]), -soft(i) * soft(j), None),
    ("soft labels without sum = 1", sp.diff(L_soft, zb[j]), soft(j) - yb[j], None),
    ("a - y flipped, soft labels", sp.diff(L_soft, zb[j]), yb[j] - soft(j),
     xs.sums_to_one(yb, C)),
    ("one-hot: wrong class", sp.diff(L_soft, zb[j]), soft(j) - sp.KroneckerDelta(j, i),
     xs.one_hot(yb, k)),
    ("one-hot captured by the sum index", sp.diff(L_soft_k, zb[j]), C * soft(j) - 1,
     xs.one_hot(yb, k)),
    ("sum of softmax = C", sp.Sum(soft(k), (k, 1, C)), C, None),
    ("softmax shift adds c", sp.exp(zb[i] + c) / sp.Sum(sp.exp(zb[r] + c), (r, 1, C)),
     soft(i) + c, None),
    ("LSE shift dropped", sp.log(sp.Sum(sp.exp(zb[r] + c), (r, 1, C))), sp.log(S), None),
    ("LSE shift times C", sp.log(sp.Sum(sp.exp(zb[r] + c), (r, 1, C))), C * c + sp.log(S),
     None),
    ("LSE gradient missing 1/S", sp.diff(sp.log(S), zb[j]), sp.exp(zb[j]), None),
    ("log-softmax without log", sp.log(soft(i)), zb[i] - S, None),
    # sizes: only small or equal sizes would accept these
    ("vanishes at n = 2, 3, 4 only", sp.Sum(yb[r], (r, 1, n)),
     sp.Sum(yb[r], (r, 1, n)) + (n - 2) * (n - 3) * (n - 4) * zb[1], None),
    ("1/n written for 1/m", sp.Sum(yb[r], (r, 1, m)) / m + sp.Sum(zb[r], (r, 1, n)),
     sp.Sum(yb[r], (r, 1, m)) / n + sp.Sum(zb[r], (r, 1, n)), None),
    ("batch mean missing 1/m", sp.diff(sp.Sum(xs.bce_with_logits(zb[r], yb[r]), (r, 1, m)) / m,
                                       zb[k]), sig(zb[k]) - yb[k], None),
    ("literal class 5 beyond n = 4", sp.Sum(sp.KroneckerDelta(r, 5) * zb[r], (r, 1, n)), 0,
     None),
    ("Product of k is n^2", sp.Product(r, (r, 1, n)), n ** 2, None),
    ("Product of exponentials", sp.Product(sp.exp(zb[r]), (r, 1, n)), sp.exp(n * zb[1]), None),
    ("Sum of k, off by one", sp.Sum(r, (r, 1, n)), n * (n - 1) / 2, None),
    # narrow boxes, domain edges, thresholds
    ("clip at 15 is the identity", sp.Max(sp.Min(z, 15), -15), z, None),
    ("floor at 1e-7 is the identity", sp.Max(a_, sp.Rational(1, 10**7)), a_, unit(a_)),
    ("clip to [eps, 1 - eps]",
     sp.Min(sp.Max(a_, sp.Rational(1, 10**12)), 1 - sp.Rational(1, 10**12)), a_, unit(a_)),
    ("|y| = y for targets summing to one", sp.Abs(ys3[2]), ys3[2], xs.sums_to_one(ys3)),
    # non-real and undefined sides
    ("log(x^2) = 2 log(x)", sp.log(x ** 2), 2 * sp.log(x), None),
    ("sqrt(x^2) = x", sp.sqrt(x ** 2), x, None),
    ("log(pq) = log p + log q", sp.log(p * q), sp.log(p) + sp.log(q), None),
    ("sqrt(pq) = sqrt p sqrt q", sp.sqrt(p * q), sp.sqrt(p) * sp.sqrt(q), None),
    ("log(1/x) = -log(x)", sp.log(1 / x), -sp.log(x), None),
    ("asin(sin x) = x", sp.asin(sp.sin(x)), x, None),
    # perturbations below a loose tolerance
    ("sigma' + 1e-9 z", sp.diff(sig(z), z), sig(z) * (1 - sig(z)) + z / 10**9, None),
    ("sigma + 1e-20", sig(z), sig(z) + sp.Rational(1, 10**20), None),
    # sums over a general size, written wrong
    ("sum from 0 for a sum from 1", sp.Sum(zb[r], (r, 0, C)), sp.Sum(zb[r], (r, 1, C)), None),
    ("n terms counted as n + 1", sp.Sum(1, (r, 1, n)), n + 1, None),
    ("delta_i1 z_i = z_1 for every i", sp.KroneckerDelta(i, 1) * zb[i], zb[1], None),
    ("log of a sum of products splits", sp.log(sp.Sum(yb[r] * zb[r], (r, 1, n))),
     sp.log(sp.Sum(yb[r], (r, 1, n))) + sp.log(sp.Sum(zb[r], (r, 1, n))), None),
    ("square of a sum = sum of squares", sp.Sum(zb[r], (r, 1, n)) ** 2,
     sp.Sum(zb[r] ** 2, (r, 1, n)), None),
    ("double sum off by one", sp.Sum(sp.Sum(zb[r] * yb[j], (j, 1, n)), (r, 1, n)),
     sp.Sum(zb[r], (r, 1, n)) * sp.Sum(yb[r], (r, 1, n)) + 1, None),
    ("exp of a sum = sum of exps", sp.exp(sp.Sum(zb[r], (r, 1, n))),
     sp.Sum(sp.exp(zb[r]), (r, 1, n)), None),
    ("max of three drops one", sp.Max(x, w, 0), sp.Max(x, 0), None),
    ("Heaviside(0) taken as 1", sp.Heaviside(x), (sp.sign(x) + 1) / 2 + sp.Piecewise((1, sp.Eq(x, 0)), (0, True)), None),
    # concrete C = 3
    ("C = 3: a - y without sum = 1", xs.grad(xs.cross_entropy(a3, ys3), zs3), a3 - ys3, None),
    ("C = 3: Jacobian transposed product", a3.jacobian(zs3),
     sp.diag(*a3) - a3 * a3.T + sp.Matrix(3, 3, lambda r_, c_: int(r_ == 0 and c_ == 1)) *
     (a3[0] - a3[1]), None),
    ("label smoothing eps/(C-1)",
     xs.grad(xs.cross_entropy(a3, (1 - c) * ys3 + c / 3 * sp.ones(3, 1)), zs3),
     a3 - ((1 - c) * ys3 + c / 2 * sp.ones(3, 1)), xs.sums_to_one(ys3)),
    # backprop through one ReLU layer
    ("MLP delta without the transpose", mlp_delta(), relu_slope * (W * d2), None),
    ("MLP delta without ReLU'", mlp_delta(), W.T * d2, None),
]


def _mp(expr, values):
    """Evaluate ``expr`` at a counterexample's point with mpmath, 40 digits."""
    point = {s: sp.Rational(float(values[str(s)]))
             for s in expr.free_symbols if str(s) in values}
    if set(map(str, expr.free_symbols)) - set(values):
        return None
    with mpmath.workdps(40):
        v = sp.N(expr.xreplace(point), 40)
    return complex(v) if v.is_number and not v.has(sp.nan, sp.zoo) else float("nan")


@pytest.mark.parametrize("name,lhs,rhs,given", FALSE, ids=[f[0] for f in FALSE])
def test_false_step_is_rejected(name, lhs, rhs, given):
    proof = xs.check_equal(lhs, rhs, given=given)
    assert not proof.ok and not proof.proved, proof
    ce = proof.counterexample
    assert ce is not None, proof
    # where the point fixes every symbol, the sides really differ there
    conds = [] if given is None else [given]
    if isinstance(lhs, sp.MatrixBase):
        lhs, rhs = lhs[ce.entry], rhs[ce.entry]
    lhs, rhs = sp.sympify(lhs), sp.sympify(rhs)
    if lhs.has(sp.Sum, sp.Product) or rhs.has(sp.Sum, sp.Product) or ce.values.keys() & {"n", "m", "C"}:
        return
    for cond in conds:
        lhs, rhs = cond.substitute(lhs), cond.substitute(rhs)
    lv, rv = _mp(lhs.doit(), ce.values), _mp(rhs.doit(), ce.values)
    if lv is None or rv is None:
        return
    if np.isnan(lv.real) or np.isnan(rv.real):
        assert not (np.isnan(lv.real) and np.isnan(rv.real))
    else:
        assert abs(lv - rv) > 1e-25 * max(abs(lv), abs(rv)), (lv, rv)


def test_false_steps_are_many_and_none_is_proved():
    assert len(FALSE) >= 40


def test_a_derivation_with_a_false_step_raises():
    d = xs.Derivation(r"\frac{\partial L}{\partial z_j}", sp.Derivative(L_soft_k, zb[j]),
                      domain=xs.one_hot(yb, k))
    with pytest.raises(xs.DerivationError):
        d.step(C * soft(j) - 1, "capture")
    d.step(soft(j) - sp.KroneckerDelta(j, k), "the true class is $k$")
    assert d.steps[0].proved


# ---------------------------------------------------------------------------------------
# True steps: (name, lhs, rhs, conditions, must be proved)
# ---------------------------------------------------------------------------------------

TRUE = [
    ("sigma' = sigma(1 - sigma)", sp.diff(sig(z), z), sig(z) * (1 - sig(z)), None, True),
    ("binary dL/dz = a - y", sp.diff(xs.bce_with_logits(z, y), z), a_ - y,
     xs.Given({a_: sig(z)}, r"$a = \sigma(z)$"), True),
    ("stable BCE form", xs.bce_with_logits(x, y), xs.bce_with_logits_stable(x, y), None, True),
    ("stable BCE gradient", sp.diff(xs.bce_with_logits_stable(x, y), x), sig(x) - y, None,
     True),
    ("pos_weight stable form", xs.bce_with_logits(x, y, c ** 2 + 1),
     xs.bce_with_logits_stable(x, y, c ** 2 + 1), None, True),
    ("softplus, both signs", sp.log(1 + sp.exp(x)),
     sp.Max(x, 0) + sp.log(1 + sp.exp(-sp.Abs(x))), None, True),
    ("Jacobian, general C", sp.diff(soft(i), zb[j]),
     soft(i) * (sp.KroneckerDelta(i, j) - soft(j)), None, True),
    ("Jacobian quotient rule, general C", sp.diff(soft(i), zb[j]),
     (sp.KroneckerDelta(i, j) * sp.exp(zb[i]) * S - sp.exp(zb[i]) * sp.exp(zb[j])) / S ** 2,
     None, True),
    ("a - y, soft labels, general C", sp.diff(L_soft, zb[j]), soft(j) - yb[j],
     xs.sums_to_one(yb, C), True),
    ("a sum y - y, general C", sp.diff(L_soft, zb[j]),
     soft(j) * sp.Sum(yb[r], (r, 1, C)) - yb[j], None, True),
    ("a - y, one-hot class i", sp.diff(L_soft, zb[j]), soft(j) - sp.KroneckerDelta(j, i),
     xs.one_hot(yb, i), True),
    ("a - y, one-hot class k, sum over k", sp.diff(L_soft_k, zb[j]),
     soft(j) - sp.KroneckerDelta(j, k), xs.one_hot(yb, k), True),
    ("sum of softmax = 1", sp.Sum(soft(k), (k, 1, C)), 1, None, True),
    ("softmax shift invariance", sp.exp(zb[i] - c) / sp.Sum(sp.exp(zb[r] - c), (r, 1, C)),
     soft(i), None, True),
    ("LSE shift", sp.log(S), c + sp.log(sp.Sum(sp.exp(zb[r] - c), (r, 1, C))), None, True),
    ("LSE gradient", sp.diff(sp.log(S), zb[j]), soft(j), None, True),
    ("log-softmax", sp.log(soft(i)), zb[i] - sp.log(S), None, True),
    ("batch mean gradient, general m",
     sp.diff(sp.Sum(xs.bce_with_logits(zb[r], yb[r]), (r, 1, m)) / m, zb[k]),
     (sig(zb[k]) - yb[k]) / m, None, True),
    ("sum of k", sp.Sum(r, (r, 1, n)), n * (n + 1) / 2, None, True),
    ("Product of exponentials", sp.Product(sp.exp(zb[r]), (r, 1, n)),
     sp.exp(sp.Sum(zb[r], (r, 1, n))), None, True),
    ("C = 3: a - y", xs.grad(xs.cross_entropy(a3, ys3), zs3), a3 - ys3, xs.sums_to_one(ys3),
     True),
    ("C = 3: Jacobian", a3.jacobian(zs3), sp.diag(*a3) - a3 * a3.T, None, True),
    ("C = 3: label smoothing", xs.grad(xs.cross_entropy(a3, (1 - c) * ys3 + c / 3 * sp.ones(3, 1)), zs3),
     a3 - ((1 - c) * ys3 + c / 3 * sp.ones(3, 1)), xs.sums_to_one(ys3), True),
    ("two classes = sigmoid", xs.softmax([x, z])[0], sig(x - z), None, True),
    ("MLP delta, one ReLU layer", mlp_delta(), relu_slope * (W.T * d2), None, True),
    ("log(pq) for p, q > 0", sp.log(p * q), sp.log(p) + sp.log(q), xs.positive(p, q), True),
    ("sqrt(x^2) = |x|", sp.sqrt(x ** 2), sp.Abs(x), None, True),
    ("tanh = 2 sigma(2x) - 1", sp.tanh(x), 2 * sig(2 * x) - 1, None, True),
    ("delta picks the term j", sp.Sum(sp.KroneckerDelta(r, j) * zb[r], (r, 1, n)), zb[j], None,
     True),
    ("delta_ij z_i = delta_ij z_j", sp.KroneckerDelta(i, j) * zb[i],
     sp.KroneckerDelta(i, j) * zb[j], None, True),
    ("LSE of two, max form", sp.log(sp.exp(x) + sp.exp(z)),
     sp.Max(x, z) + sp.log(1 + sp.exp(-sp.Abs(x - z))), None, True),
]


@pytest.mark.parametrize("name,lhs,rhs,given,central", TRUE, ids=[t[0] for t in TRUE])
def test_true_step_is_accepted(name, lhs, rhs, given, central):
    proof = xs.check_equal(lhs, rhs, given=given)
    assert proof.ok, proof
    if central:
        assert proof.proved, proof


def test_true_steps_are_many():
    assert len(TRUE) >= 25


def test_a_true_step_out_of_sympys_reach_is_tested_not_proved():
    # A float constant keeps SymPy from proving anything: the step can only be tested.
    with pytest.warns(UserWarning, match="float constant 0.5"):
        proof = xs.check_equal(sp.Float(0.5) * x, x / 2)
    assert proof.ok and not proof.proved
    assert proof.method.startswith("tested at ") and proof.method.endswith("not proved")
    d = xs.Derivation("f", x / 2, require_proof=True)
    with pytest.warns(UserWarning), pytest.raises(xs.DerivationError, match="only tested"):
        d.step(sp.Float(0.5) * x, "halve")


def test_general_size_methods_say_what_was_proved_and_assumed():
    proof = xs.check_equal(sp.diff(soft(i), zb[j]), soft(i) * (sp.KroneckerDelta(i, j) - soft(j)))
    assert proof.method == ("proved: SymPy simplifies the difference to 0 in each case "
                            "(i = j and i != j) for every C")
    assert r"$i, j \in \{1, \dots, C\}$" in proof.assumptions
    poly = xs.check_equal(sp.Sum(r, (r, 1, n)), n * (n + 1) / 2)
    assert "polynomials in n" in poly.method
    cases = xs.check_equal(xs.bce_with_logits(x, y), xs.bce_with_logits_stable(x, y))
    assert "x > 0, x < 0, x = 0" in cases.method


def test_declared_assumptions_are_shown():
    s = sp.Symbol("s", positive=True)
    proof = xs.check_equal(sp.sqrt(s ** 2), s)
    assert proof.proved and proof.assumptions == ("$s > 0$",)
    d = xs.Derivation("f", sp.sqrt(s ** 2)).step(s, "root of a square")
    assert "given $s > 0$" in repr(d)
    assert "s &gt; 0" in d._repr_html_() or "s > 0" in d._repr_html_()


def test_indexed_base_assumptions_are_used_and_shown():
    ap = sp.IndexedBase("a", positive=True)
    yr = sp.IndexedBase("y", real=True)
    c_ = sp.Symbol("c", integer=True, positive=True)
    lhs = -sp.log(sp.Product(ap[c_] ** yr[c_], (c_, 1, C)))
    proof = xs.check_equal(lhs, -sp.Sum(yr[c_] * sp.log(ap[c_]), (c_, 1, C)))
    assert proof.proved, proof
    assert "$a_{c} > 0$" in proof.assumptions
    # without positive entries the log of a power does not split
    plain = sp.IndexedBase("b")
    bad = xs.check_equal(sp.log(plain[1] ** 2), 2 * sp.log(plain[1]))
    assert not bad.ok


def test_probability_domain_lets_sympy_use_both_a_and_1_minus_a_positive():
    bernoulli = -sp.log(a_ ** y * (1 - a_) ** (1 - y))
    proof = xs.check_equal(bernoulli, xs.binary_cross_entropy(a_, y), given=unit(a_))
    assert proof.proved, proof
    assert not xs.check_equal(bernoulli, xs.binary_cross_entropy(a_, y)).ok
