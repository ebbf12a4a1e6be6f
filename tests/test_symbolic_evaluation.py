"""The tests behind a verdict read the lines as the page writes them.

Classes of cases: derivatives SymPy takes, cross-checked by a 50-digit numerical
derivative; undefined functions, tested with concrete smooth functions standing in; sides
that are not real numbers on part of an unstated domain; saturation shortcuts whose
difference is tiny in absolute terms; sizes from the smallest an entry written allows.
Each case asserts the verdict and the counterexample or condition the reader is shown,
against an independent value (mpmath, NumPy).
"""

import re

import mpmath
import numpy as np
import pytest
import sympy as sp

from tests.verdicts import proved, refuted
from xentlib import symbolic as xs
from xentlib.symbolic.evaluation import compare, derivative_gap, needs, undefined_part
from xentlib.symbolic.sampling import size_configs, stand_in

x, y, z, u, a = sp.symbols("x y z u a", real=True)
r, i, j, k = sp.symbols("r i j k", integer=True, positive=True)
C = sp.Symbol("C", integer=True, positive=True)
zb = sp.IndexedBase("z")
sig = xs.sigmoid


# ---------------------------------------------------------------------------------------
# Derivatives cross-checked by a numerical derivative
# ---------------------------------------------------------------------------------------


class sin_twice_too_steep(sp.Function):
    """``sin``, with a derivative SymPy is told is ``2 cos``: a rule written wrongly."""

    def fdiff(self, argindex=1):
        return 2 * sp.cos(self.args[0])

    _imp_ = staticmethod(mpmath.sin)


def test_a_wrong_derivative_rule_is_refuted_and_named():
    proof = refuted(sp.Derivative(sin_twice_too_steep(x), x), 2 * sp.cos(x))
    assert re.search(r"d/dx of sin_twice_too_steep\(x\) is .* by SymPy, .* numerically",
                     proof.method), proof.method
    ce = proof.counterexample
    at = ce.values["x"]
    assert ce.lhs == pytest.approx(2 * np.cos(at), rel=1e-12, abs=1e-12)
    assert ce.rhs == pytest.approx(np.cos(at), rel=1e-12, abs=1e-12)


def test_derivative_gap_values():
    assert derivative_gap(sp.Derivative(sp.log(1 + sp.exp(-x)), x), {x: 1.3}) is None
    assert derivative_gap(sp.Derivative(sp.exp(x) * y ** 2, x, y), {x: 0.5, y: -2.0}) is None
    lhs, rhs = derivative_gap(sp.Derivative(sin_twice_too_steep(x), x), {x: 0.25})
    assert (lhs, rhs) == (pytest.approx(2 * np.cos(0.25)), pytest.approx(np.cos(0.25)))
    # A kink has no derivative: the point decides nothing.
    assert derivative_gap(sp.Derivative(sp.Abs(x), x), {x: 0.0}) is None
    # Cancellation (a softmax at z_1 = 540000) loses the 50 digits: no verdict from it.
    soft = sp.exp(y) / (sp.exp(x) + sp.exp(y) + sp.exp(z))
    assert derivative_gap(sp.Derivative(-sp.log(soft), y), {x: 0.32, y: 540000.0,
                                                            z: -2.36}) is None


def test_true_derivative_steps_are_still_proved():
    proved(sp.Derivative(sig(z), z), sig(z) * (1 - sig(z)))
    a_i = sp.exp(zb[i]) / sp.Sum(sp.exp(zb[k]), (k, 1, C))
    a_j = sp.exp(zb[j]) / sp.Sum(sp.exp(zb[k]), (k, 1, C))
    proved(sp.Derivative(a_i, zb[j]), a_i * (sp.KroneckerDelta(i, j) - a_j))


# ---------------------------------------------------------------------------------------
# Undefined functions: concrete smooth functions stand in
# ---------------------------------------------------------------------------------------

f, g = sp.Function("f"), sp.Function("g")


def _stand_in_of(method, name):
    """The stand-in the verdict names for ``name``, as a SymPy Lambda."""
    m = re.search(rf"{name}\((t1(?:, t\d)*)\) = (.+?)(?:; \w+\(t1| standing in)", method)
    assert m, method
    args = sp.symbols(m.group(1), real=True)
    args = args if isinstance(args, tuple) else (args,)
    body = sp.sympify(m.group(2), locals={str(t): t for t in args})
    return sp.Lambda(args, body)


def test_a_false_step_with_an_undefined_function_is_refuted_with_its_stand_in():
    proof = refuted(sp.Derivative(f(x) ** 2, x), f(x) * sp.Derivative(f(x), x))
    assert "standing in" in proof.method
    # The counterexample, recomputed with the function the verdict names.
    lam = _stand_in_of(proof.method, "f")
    at = proof.counterexample.values["x"]
    fx, dfx = lam(x), sp.diff(lam(x), x)
    assert proof.counterexample.lhs == pytest.approx(float((2 * fx * dfx).subs(x, at)))
    assert proof.counterexample.rhs == pytest.approx(float((fx * dfx).subs(x, at)))


def test_a_false_product_rule_in_two_functions_is_refuted():
    proof = refuted(sp.Derivative(f(x, y) * g(x), x), sp.Derivative(f(x, y), x) * g(x))
    assert "f(t1, t2) = " in proof.method and "g(t1) = " in proof.method, proof.method


def test_several_stand_ins_refute_what_one_polynomial_would_not():
    # True for every polynomial of degree 2; the stand-ins carry a sine and a bump too.
    refuted(sp.Derivative(f(x), x, 3), 0)


def test_true_steps_with_undefined_functions_are_proved():
    proved(sp.Derivative(f(x) ** 2, x), 2 * f(x) * sp.Derivative(f(x), x))
    proved(sp.Derivative(f(x, y) * g(x), x),
           sp.Derivative(f(x, y), x) * g(x) + f(x, y) * sp.Derivative(g(x), x))
    proved(sp.Derivative(f(x ** 2), x), 2 * x * sp.Subs(sp.Derivative(f(u), u), u, x ** 2))


def test_a_tested_step_says_what_stood_in():
    with pytest.warns(UserWarning, match="float constant"):
        proof = xs.check_equal(f(x) * sp.Float(0.5), f(x) / 2)
    assert proof.ok and not proof.proved, proof
    assert "3 smooth functions in place of f" in proof.method, proof.method


def test_stand_ins_are_smooth_and_seeded():
    rng1, rng2 = np.random.default_rng(5), np.random.default_rng(5)
    one, two = stand_in(2, rng1), stand_in(2, rng2)
    assert one == two and len(one.variables) == 2
    assert one.expr.has(sp.sin) and one.expr.has(sp.exp)
    assert all(isinstance(c, sp.Rational) for c in one.expr.atoms(sp.Number))


# ---------------------------------------------------------------------------------------
# Sides that are not real numbers on part of an unstated domain
# ---------------------------------------------------------------------------------------


def test_a_log_of_a_negative_number_is_a_counterexample():
    proof = refuted(sp.log(u) + sp.log(1 / u), 0)
    assert "log(u) needs u > 0" in proof.method, proof.method
    ce = proof.counterexample
    assert ce.values["u"] < 0
    # log(u) + log(1/u) at u < 0 is 2*pi*i on the principal branch.
    assert ce.lhs == pytest.approx(2j * np.pi) and ce.rhs == 0
    proved(sp.log(u) + sp.log(1 / u), 0, given=xs.positive(u))


def test_parts_that_are_not_real_make_a_side_undefined():
    # asin(2) + acos(2) is pi/2 in the complex numbers, but neither term is real.
    proof = refuted(sp.asin(x) + sp.acos(x), sp.pi / 2)
    assert "needs -1 ≤ x ≤ 1" in proof.method, proof.method
    ce = proof.counterexample
    assert abs(ce.values["x"]) > 1 and np.isnan(ce.lhs)
    assert ce.rhs == pytest.approx(np.pi / 2)
    assert xs.check_equal(sp.asin(a) + sp.acos(a), sp.pi / 2,
                          given=xs.in_open_unit_interval(a)).ok


def test_a_division_by_zero_names_the_denominator():
    proof = refuted(a * (1 - a) * ((1 - y) / (1 - a) - y / a), a - y)
    assert re.search(r"needs (1 - a|a) ≠ 0", proof.method), proof.method
    assert proof.counterexample.values["a"] in (0, 1)


def test_both_sides_undefined_say_which_condition_is_missing():
    proof = xs.check_equal(sp.log(x) + sp.log(x), 2 * sp.log(x))
    assert proof.ok and not proof.proved, proof
    assert "log(x) needs x > 0" in proof.method, proof.method


def test_undefined_part_and_what_it_needs():
    assert undefined_part(sp.asin(x) + sp.acos(x), {x: 2.0}) is not None
    assert undefined_part(sp.asin(x) + sp.acos(x), {x: 0.5}) is None
    # e^{10^6} is beyond a float, but a real number.
    assert undefined_part(sp.exp(-x) / (1 + sp.exp(-x)) ** 2, {x: -1e6}) is None
    assert needs(sp.log(1 - a)) == "needs 1 - a > 0"
    assert needs(1 / (1 - a)) == "needs 1 - a ≠ 0"
    assert needs(sp.sqrt(x)) == "needs x ≥ 0"
    assert needs(sp.atanh(x)) == "needs -1 < x < 1"


def test_an_exact_zero_side_agrees_with_zero():
    # Strict evaluation cannot certify an exact 0; its terms' precision decides.
    verdict, lv, rv = compare(sp.log(u) + sp.log(1 / u), sp.Integer(0), {u: 0.98})
    assert verdict == "agree" and abs(lv) < 1e-100 and rv == 0


# ---------------------------------------------------------------------------------------
# Saturation shortcuts written with "="
# ---------------------------------------------------------------------------------------

softplus = sp.log(1 + sp.exp(x))


@pytest.mark.parametrize("shortcut,exact,side", [
    (sp.Piecewise((1, z > 100), (sig(z), True)), sig(z), 100),
    (sp.Piecewise((sp.exp(x), x < -60), (softplus, True)), softplus, -60),
    (sp.Piecewise((sp.exp(-x), x > 60), (sp.log(1 + sp.exp(-x)), True)),
     sp.log(1 + sp.exp(-x)), 60),
    (sp.Piecewise((0, x > 40), (sp.log(1 / (1 + sp.exp(-x))), True)),
     sp.log(1 / (1 + sp.exp(-x))), 40),
    (sp.Piecewise((1, x > sp.exp(16)), (sig(x), True)), sig(x), 0),
], ids=["sigma = 1 for z > 100", "softplus = e^x for x < -60", "log(1 + e^-x) = e^-x",
        "log sigma = 0 for x > 40", "sigma = 1 beyond e^16 (beyond any precision)"])
def test_saturation_shortcuts_are_refuted_beyond_their_threshold(shortcut, exact, side):
    if side == 0:
        # 1 - sigma(e^16) is e^{-8886111}: no finite precision tells it from 0; a test
        # that claimed to would be wrong.
        assert xs.check_equal(shortcut, exact).ok
        return
    proof = refuted(shortcut, exact)
    (name, at), = proof.counterexample.values.items()
    assert at > side if side > 0 else at < side
    # The two values, at 60 digits: they differ, the exact side as mpmath gives it.
    symbol = sp.Symbol(name, real=True)
    with mpmath.workdps(60):
        expected = sp.lambdify(symbol, exact, modules="mpmath")(mpmath.mpf(repr(at)))
        assert float(expected) == pytest.approx(proof.counterexample.rhs, rel=1e-12)
        shortcut_value = sp.lambdify(symbol, shortcut, modules="mpmath")(mpmath.mpf(repr(at)))
        assert abs(shortcut_value - expected) > mpmath.mpf(10) ** -45 * abs(expected)


def test_a_saturation_that_holds_exactly_is_proved():
    proved(sp.Piecewise((x + sp.log(1 + sp.exp(-x)), x > 0), (softplus, True)), softplus)
    # 1 against sigma(100.1) = 1 - 3.7e-44: a relative gap the 50 digits see.
    assert compare(sp.Integer(1), sig(z), {z: 100.1})[0] == "differ"
    assert compare(sp.Integer(1), sig(z), {z: 100.1})[1:] == (1.0, pytest.approx(1.0))
    assert compare(sig(z), 1 / (1 + sp.exp(-z)), {z: 100.1})[0] == "agree"


# ---------------------------------------------------------------------------------------
# Sizes from the smallest
# ---------------------------------------------------------------------------------------


def test_size_one_refutes_a_delta_at_two():
    proof = refuted(sp.Sum(sp.KroneckerDelta(r, 2), (r, 1, C)), 1)
    assert proof.counterexample.values["C"] == 1
    assert (proof.counterexample.lhs, proof.counterexample.rhs) == (0, 1)


def test_an_entry_written_bounds_the_size_and_the_verdict_says_so():
    S = sp.Sum(zb[r], (r, 1, C))
    proof = proved(S - zb[2], S - zb[2])
    assert "for every C ≥ 2 (z_2 is written)" in proof.method, proof.method
    assert "$C \\geq 2$ ($z_{2}$ is written)" in proof.assumptions, proof.assumptions
    assert "$C \\geq 1$" not in proof.assumptions
    tested = xs.check_equal(sp.Derivative(sp.log(sp.Sum(sp.exp(zb[r]), (r, 1, C))), zb[2]),
                            sp.exp(zb[2]) / sp.Sum(sp.exp(zb[r]), (r, 1, C)))
    assert tested.ok, tested
    assert re.search(r"C = 2, .*at least 2 since z_2 is written", tested.method), tested.method


def test_size_configs_start_at_the_smallest_allowed():
    rng = np.random.default_rng(0)
    configs = size_configs([C], {}, rng)
    assert configs[0] == {C: 1} and any(c[C] > 16 for c in configs)
    configs = size_configs([C], {C: 3}, np.random.default_rng(0))
    assert configs[0] == {C: 3} and min(c[C] for c in configs) == 3


# ---------------------------------------------------------------------------------------
# Where a denominator vanishes: the line as written, not SymPy's value
# ---------------------------------------------------------------------------------------


def test_a_denominator_simplified_away_by_sympy_is_tried_at_its_root():
    # sigma(log(a/(1-a))) is built as 1/(1 + (1-a)/a): SymPy's value at a = 0 is 0, the
    # line as written divides by 0 there.
    lhs = sig(sp.log(a / (1 - a)))
    assert ((1 - a) / a).subs(a, 0) is sp.zoo and lhs.subs(a, 0) == 0
    proof = refuted(lhs, a)
    assert proof.counterexample.values == {"a": 0.0}, proof.counterexample
    assert np.isnan(proof.counterexample.lhs) and proof.counterexample.rhs == 0.0
    assert "1/a needs a ≠ 0" in proof.method, proof.method
    # Stated where the log is real, the same step is proved.
    proved(lhs, a, domain=xs.in_open_unit_interval(a))


def test_a_root_that_no_sampled_value_hits_is_tried():
    proof = refuted((x ** 2 - 4) / (x - 2), x + 2)
    ce = proof.counterexample
    assert ce.values == {"x": 2.0} and np.isnan(ce.lhs) and ce.rhs == 4.0, ce
    assert "x - 2 ≠ 0" in proof.method, proof.method
    # Both sides undefined at the root is no counterexample.
    assert xs.check_equal(1 / (x - 2) + 1, (x - 1) / (x - 2)).ok


def test_vanishing_points_are_the_real_roots_of_denominators_and_log_arguments():
    from xentlib.symbolic.sampling import vanishing_points
    found = vanishing_points([1 / (x ** 2 - 2) + sp.log(3 - y) + 1 / (x ** 2 + 1)], [x, y])
    assert set(found) == {(x, sp.sqrt(2)), (x, -sp.sqrt(2)), (y, sp.Integer(3))}


# ---------------------------------------------------------------------------------------
# A condition on a sum matches the sum whatever its index is called
# ---------------------------------------------------------------------------------------


S_ = sp.Symbol("S", real=True)


def test_a_given_sum_matches_a_sum_written_with_another_index():
    given = xs.Given({sp.Sum(zb[k], (k, 1, C)): S_})
    proved(sp.Sum(zb[j], (j, 1, C)) ** 2 + 1, S_ ** 2 + 1, given=given)
    wrong = refuted(sp.Sum(zb[j], (j, 1, C)) ** 2 + 1, S_ ** 2 + 2, given=given)
    assert wrong.counterexample.lhs + 1 == pytest.approx(wrong.counterexample.rhs)


def test_a_given_sum_does_not_match_another_sum():
    from xentlib.symbolic.conditions import bound_renamed
    assert bound_renamed(sp.Sum(zb[k], (k, 1, C))) == bound_renamed(sp.Sum(zb[j], (j, 1, C)))
    # Renaming k to j would capture the free j: not the same sum.
    assert (bound_renamed(sp.Sum(zb[k] * zb[j], (k, 1, C)))
            != bound_renamed(sp.Sum(zb[j] ** 2, (j, 1, C))))
    given = xs.Given({sp.Sum(zb[k], (k, 1, C)): S_})
    refuted(sp.Sum(zb[j] ** 2, (j, 1, C)), S_, given=given)


# ---------------------------------------------------------------------------------------
# Sums whose limits depend on an outer index
# ---------------------------------------------------------------------------------------


def _nested(C_value, body):
    return sum(body(jj, kk) for jj in range(1, C_value + 1) for kk in range(1, jj + 1))


def test_a_triangular_sum_is_written_out_from_the_outside_in():
    inner_to_outer = sp.Sum(sp.Sum(k, (k, 1, j)), (j, 1, C))
    proof = xs.check_equal(inner_to_outer, C * (C + 1) * (C + 2) / 6)
    assert proof.ok, proof
    wrong = refuted(inner_to_outer, C ** 2)  # right at C = 1 and 2 only
    n = wrong.counterexample.values["C"]
    assert n >= 3 and wrong.counterexample.lhs == _nested(n, lambda jj, kk: kk)
    assert wrong.counterexample.rhs == n ** 2


def test_a_triangular_sum_of_entries_and_its_derivative():
    lhs = sp.Sum(sp.Sum(zb[k], (k, 1, j)), (j, 1, C))
    assert xs.check_equal(lhs, sp.Sum((C - k + 1) * zb[k], (k, 1, C))).ok
    wrong = refuted(lhs, sp.Sum((C - k) * zb[k], (k, 1, C)))
    assert "C" in wrong.counterexample.values, wrong.counterexample
    squares = sp.Sum(sp.Sum(zb[k] ** 2, (k, 1, j)), (j, 1, C))
    assert xs.check_equal(sp.Derivative(squares, zb[i]), 2 * (C - i + 1) * zb[i]).ok
    off = refuted(sp.Derivative(squares, zb[i]), 2 * (C - i) * zb[i])
    values = off.counterexample.values
    assert off.counterexample.lhs == pytest.approx(
        2 * (values["C"] - values["i"] + 1) * values[f"z[{values['i']}]"]), values
