"""A proved step is a proof of what the reader sees, every step gets a verdict in time,
and misuse is a clear error.

Classes of cases: assumptions the page does not show; sides undefined on part of the
stated domain; rewritings SymPy gets wrong (a captured summation index, saturated
branches); identities that hold only at small sizes or away from a threshold; time
budgets; misuse.
"""

import time

import pytest
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from tests.verdicts import proved, refuted
from xentlib import symbolic as xs
from xentlib.symbolic.audit import CheckError
from xentlib.symbolic.budgets import within

x, y, z, w, a = sp.symbols("x y z w a", real=True)
i, j, k, r = sp.symbols("i j k r", integer=True, positive=True)
C, n = sp.symbols("C n", integer=True, positive=True)
zb, yb = sp.IndexedBase("z"), sp.IndexedBase("y")
sig = xs.sigmoid


# ---------------------------------------------------------------------------------------
# The proof uses exactly the shown assumptions
# ---------------------------------------------------------------------------------------


def test_non_commutative_symbols_are_refused():
    W, X = sp.symbols("W X", commutative=False)
    with pytest.raises(CheckError, match="commutative=False"):
        xs.check_equal(W * X, X * W)
    A, B = sp.symbols("A B", commutative=False)
    with pytest.raises(CheckError, match="commutative=False"):
        xs.check_equal(sp.expand((A + B) ** 2), A**2 + 2 * A * B + B**2)


def test_declared_assumption_contradicting_the_domain_is_an_error():
    p = sp.Symbol("p", positive=True)
    with pytest.raises(CheckError, match="declared positive"):
        xs.check_equal(sp.log(p**2), 2 * sp.log(p), domain=xs.negative(p))


@pytest.mark.parametrize("flag", ["even", "odd", "prime", "composite"])
def test_assumptions_the_page_cannot_show_are_refused(flag):
    c = sp.Symbol("C", integer=True, positive=True, **{flag: True})
    with pytest.raises(CheckError, match=flag):
        xs.check_equal(sp.Sum((-1) ** r, (r, 1, c)), 0)


def test_declared_domains_are_shown_beside_the_step():
    d = sp.Dummy("d", positive=True)
    proof = proved(sp.log(d**2), 2 * sp.log(d))
    assert any("> 0" in t for t in proof.assumptions), proof.assumptions
    f = sp.Function("f", positive=True)
    with pytest.raises(CheckError, match="function f"):
        xs.check_equal(sp.log(f(x) ** 2), 2 * sp.log(f(x)))


def test_a_size_positivity_is_shown():
    proof = proved(sp.Sum(1, (r, 1, C)), C)
    assert "$C \\geq 1$" in proof.assumptions


def test_a_condition_on_a_differently_declared_symbol_is_an_error():
    # a plain a and a real a print alike: a condition on one says nothing about the other
    plain = sp.Symbol("a")
    with pytest.raises(CheckError, match=r"two different symbols are both called a: "
                       r"sp\.Symbol\('a', real=True\) .* and sp\.Symbol\('a'\)"):
        xs.check_equal(sp.log(a**2), 2 * sp.log(a), given=xs.positive(plain))


def test_two_meanings_for_one_symbol_are_an_error():
    d = xs.Derivation("f", a, strict=True)
    d.step(sig(z), "name", given=xs.Given({a: sig(z)}))
    with pytest.raises(CheckError, match="two meanings"):
        d.step(sp.tanh(z), "other", given=xs.Given({a: sp.tanh(z)}))


def test_conditions_on_one_symbol_intersect():
    proof = proved(sp.log(a) + sp.log(1 - a), sp.log(a * (1 - a)),
                   given=xs.in_open_unit_interval(a), domain=xs.positive(a))
    assert proof.proved
    with pytest.raises(CheckError, match="contradict"):
        xs.check_equal(sp.log(a), sp.log(a), given=xs.positive(a), domain=xs.negative(a))


# ---------------------------------------------------------------------------------------
# Defined where claimed
# ---------------------------------------------------------------------------------------


def test_a_side_undefined_outside_the_domain_is_not_proved():
    refuted(sp.log(a) - sp.log(1 - a), sp.log(a / (1 - a)))
    proved(sp.log(a) - sp.log(1 - a), sp.log(a / (1 - a)), given=xs.in_open_unit_interval(a))
    bce = a * (1 - a) * ((1 - y) / (1 - a) - y / a)
    proof = xs.check_equal(bce, a - y)
    assert not proof.proved, proof
    proved(bce, a - y, given=xs.in_open_unit_interval(a))


def test_a_part_undefined_where_floating_point_passes_through_infinity_is_seen():
    # sigma(log(a/(1-a))) is built as 1/(1 + (1-a)/a): at a = 0 floating point gives
    # 1/(1 + inf) = 0 = a, but (1-a)/a is undefined there
    lhs = sig(sp.log(a / (1 - a)))
    proof = refuted(lhs, a)
    assert proof.counterexample.values["a"] == 0.0 and "1/a needs a ≠ 0" in proof.method
    proved(lhs, a, given=xs.in_open_unit_interval(a))


def test_both_sides_undefined_somewhere_is_not_a_proof():
    proof = xs.check_equal(sp.log(x) + sp.log(x), 2 * sp.log(x))
    assert not proof.proved and "undefined" in proof.method, proof


# ---------------------------------------------------------------------------------------
# Tests evaluate the lines as written
# ---------------------------------------------------------------------------------------


def softmax_j(t):
    return sp.exp(zb[t]) / sp.Sum(sp.exp(zb[j]), (j, 1, C))


def test_a_summation_index_is_not_captured_by_the_derivative_variable():
    a_i = softmax_j(i)
    a_j = sp.exp(zb[j]) / sp.Sum(sp.exp(zb[k]), (k, 1, C))
    refuted(sp.Derivative(a_i, zb[j]), a_i * (sp.KroneckerDelta(i, j) - 1))
    proof = xs.check_equal(sp.Derivative(a_i, zb[j]), a_i * (sp.KroneckerDelta(i, j) - a_j))
    assert proof.ok, proof


def test_saturation_shortcuts_are_refuted():
    refuted(sp.Piecewise((1, x > 40), (sig(x), True)), sig(x))
    refuted(sp.Piecewise((0, z < -100), (sig(z), True)), sig(z))
    refuted(sp.Piecewise((x, x > 20), (sp.log(1 + sp.exp(x)), True)), sp.log(1 + sp.exp(x)))


@pytest.mark.parametrize("threshold", [sp.exp(-20), sp.exp(16), 10 ** sp.Integer(-9)],
                         ids=["exp(-20)", "exp(16)", "10**-9"])
def test_thresholds_outside_the_usual_range_are_sampled(threshold):
    refuted(sp.Piecewise((0, sp.Abs(x) < threshold), (x, True)), x)


def test_max_shifted_logsumexp_that_assumes_the_first_is_largest_is_refuted():
    z1, z2 = sp.symbols("z1 z2", real=True)
    M = sp.Max(z1, z2)
    proof = refuted(sp.log(sp.exp(z1) + sp.exp(z2)), M + sp.log(1 + sp.exp(z2 - M)))
    assert proof.counterexample is not None
    proved(sp.log(sp.exp(z1) + sp.exp(z2)),
           M + sp.log(sp.exp(z1 - M) + sp.exp(z2 - M)))


# ---------------------------------------------------------------------------------------
# Sizes: the smallest one and ones above 8
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("claim", [
    sp.Mul(*[(C - m) for m in range(2, 9)]),
    sp.binomial(C, 9),
    sp.Sum(r, (r, 1, C)) - sp.Sum(r, (r, 1, sp.Min(C, 8))),
], ids=["(C-2)...(C-8)", "binomial(C, 9)", "sum truncated at 8"])
def test_terms_vanishing_at_small_sizes_are_refuted(claim):
    refuted(claim + sp.Sum(zb[r], (r, 1, C)), sp.Sum(zb[r], (r, 1, C)))


def test_size_one_is_tried():
    refuted(sp.Sum(sp.KroneckerDelta(r, 2), (r, 1, C)), 1)


def test_a_sum_with_its_upper_bound_below_the_lower_is_empty():
    # SymPy's doit() reads sum_{k=1}^{-1} 1 as -1 (Karr's convention); the page means 0
    proof = refuted(sp.Sum(1, (r, 1, C - 2)), C - 2)
    assert proof.counterexample.values["C"] == 1
    assert (proof.counterexample.lhs, proof.counterexample.rhs) == (0.0, -1.0)
    proved(sp.Sum(1, (r, 1, C)), C)
    # empty at C = 1 in both conventions: true
    assert xs.check_equal(sp.Sum(zb[r], (r, 1, C)) - zb[1], sp.Sum(zb[r], (r, 2, C))).ok


def test_a_condition_holding_at_one_exact_point_is_tested_there():
    third = sp.Rational(1, 3)
    proof = refuted(sp.Piecewise((1, sp.Eq(x, third)), (x, True)), x)
    assert proof.counterexample.values["x"] == pytest.approx(1 / 3)
    proved(sp.Piecewise((third, sp.Eq(x, third)), (x, True)), x)


def test_a_domain_on_an_entry_follows_the_index():
    lhs = sp.Sum(zb[k], (k, 1, C)) + sp.log(zb[i] ** 2)
    rhs = sp.Sum(zb[k], (k, 1, C)) + 2 * sp.log(zb[i])
    proof = xs.check_equal(lhs, rhs, given=xs.positive(zb[i]))
    assert proof.ok, proof


def test_nested_sums_do_not_crash():
    xb = sp.IndexedBase("x")
    nested = sp.Sum(sp.Sum(xb[i] * yb[j], (i, 1, n)), (j, 1, C))
    proof = xs.check_equal(nested, sp.Sum(xb[i], (i, 1, n)) * sp.Sum(yb[j], (j, 1, C)))
    assert proof.ok, proof
    refuted(nested, sp.Sum(xb[i], (i, 1, n)) * sp.Sum(yb[j], (j, 1, C)) + 1)


def test_swapped_double_sums_are_proved():
    # SymPy merges a Sum of a Sum into one Sum over two indices
    wb = sp.IndexedBase("W", real=True)
    rows_first = sp.Sum(sp.Sum(wb[j, k], (k, 1, n)), (j, 1, C))
    columns_first = sp.Sum(sp.Sum(wb[j, k], (j, 1, C)), (k, 1, n))
    proved(rows_first, columns_first)
    proof = refuted(rows_first, sp.Sum(sp.Sum(wb[k, j], (j, 1, C)), (k, 1, n)))
    v = proof.counterexample.values
    assert v["C"] != v["n"]  # the transposed sum differs only where the sizes differ


@pytest.mark.parametrize("claim", [
    sp.KroneckerDelta(i, 12) * x,
    sp.Mul(*[(i - m) for m in range(1, 9)]),
], ids=["delta_{i,12}", "(i-1)...(i-8)"])
def test_an_index_without_a_size_is_tried_above_8(claim):
    proof = refuted(claim, 0)
    assert proof.counterexample.values["i"] > 8


@pytest.mark.parametrize("lhs,rhs,given", [
    (log1p(x), sp.log(1 + x), xs.positive(x)),
    (expm1(x), sp.exp(x) - 1, None),
    (sp.atanh(a), sp.log((1 + a) / (1 - a)) / 2, xs.in_open_unit_interval(a)),
], ids=["log1p", "expm1", "atanh"])
def test_identities_of_accurate_functions_are_accepted(lhs, rhs, given):
    proof = xs.check_equal(lhs, rhs, given=given)
    assert proof.ok, proof


def test_a_float_constant_is_not_refuted_for_its_rounding():
    with pytest.warns(UserWarning, match="float constant"):
        proof = xs.check_equal(x * sp.Float(0.1), x / 10)
    assert proof.ok and not proof.proved, proof


# ---------------------------------------------------------------------------------------
# A verdict in bounded time
# ---------------------------------------------------------------------------------------


def test_budget_stops_a_long_computation():
    start = time.process_time()
    finished, value = within(0.5, lambda: sp.factor(sp.expand((x + y + z + w + 1) ** 40)))
    assert not finished and value is None
    assert time.process_time() - start < 3
    assert within(5, sum, [1, 2]) == (True, 3)


def test_an_alarm_that_lands_in_a_finalizer_is_not_reported():
    """A budget's alarm raised inside a finalizer cannot stop the stage there; Python
    would report it ("Exception ignored in ..." on stderr: a notebook's output would
    change). It is dropped, the alarm fires again, and the stage stops."""
    import gc
    import sys

    from xentlib.symbolic.budgets import BudgetExceeded

    class Alarmed:
        def __del__(self):
            raise BudgetExceeded()

    def work():
        Alarmed()
        gc.collect()
        sp.factor(sp.expand((x + y + z + w + 1) ** 40))

    reported = []
    outer = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: reported.append(unraisable.exc_type)
    try:
        hook = sys.unraisablehook
        finished, _ = within(0.5, work)
        assert not finished
        assert reported == [] and sys.unraisablehook is hook
        # Outside a budget, an unraisable exception is reported as usual.
        Alarmed()
        gc.collect()
        assert reported == [BudgetExceeded]
    finally:
        sys.unraisablehook = outer


def test_a_wrong_newton_step_is_refuted_in_seconds():
    L = xs.bce_with_logits(w * x, y)
    newton = w - sp.Derivative(L, w) / sp.Derivative(L, w, 2)
    wrong = w + (sig(w * x) - y) / (sig(w * x) * (1 - sig(w * x)) * x)
    start = time.process_time()
    refuted(newton, wrong)
    assert time.process_time() - start < 30


# ---------------------------------------------------------------------------------------
# Misuse is a clear error
# ---------------------------------------------------------------------------------------


def test_misuse_is_a_clear_error():
    M = sp.MatrixSymbol("M", 2, 2)
    with pytest.raises(TypeError, match="matrix expression"):
        xs.check_equal(M, M.T)
    with pytest.raises(TypeError, match="equation"):
        xs.check_equal(sp.Eq(x, 1), x)
    with pytest.raises(TypeError, match="string"):
        xs.check_equal(x + 1, "x + 1")
    with pytest.raises(TypeError, match="string"):
        xs.Given({"a": sig(z)})
    with pytest.raises(TypeError, match="symbols"):
        xs.Given(positive=[x + 1])
    with pytest.raises(TypeError, match="integer"):
        xs.one_hot(yb, x)
    with pytest.raises(CheckError, match="stated for the size n"):
        xs.check_equal(sp.Sum(yb[r], (r, 1, C)), 1, given=xs.sums_to_one(yb, n))
    real_index = sp.Symbol("t", real=True)
    with pytest.raises(CheckError, match="not declared integer"):
        xs.check_equal(zb[real_index], zb[real_index])
    with pytest.raises(CheckError, match="Idx"):
        xs.check_equal(zb[sp.Idx("q", C)], zb[sp.Idx("q", C)])


def test_an_unknown_assumption_keyword_is_an_error():
    with pytest.raises(CheckError, match=r"function f is declared with bogus=True, which is "
                                         "not a SymPy assumption"):
        xs.check_equal(sp.Function("f", bogus=True)(x) + x, x + sp.Function("f")(x))
    with pytest.raises(CheckError, match=r"q is declared with bogus=True"):
        q = sp.Symbol("q", bogus=True)
        xs.check_equal(q + 1, 1 + q)


def test_indexed_entries_are_real_numbers():
    proved(sp.Derivative(zb[1] ** 2, zb[1]), 2 * zb[1])
    proved(sp.Derivative(sp.Abs(zb[1]) ** 2, zb[1]), 2 * zb[1])


def test_a_positive_index_without_a_size_is_shown():
    proof = xs.check_equal(sp.KroneckerDelta(i, 1) ** 2, sp.KroneckerDelta(i, 1))
    assert proof.ok, proof
    assert "$i \\geq 1$" in proof.assumptions


def test_check_error_is_public_and_raised_where_the_step_is_written():
    W = sp.Symbol("W", commutative=False)
    with pytest.raises(xs.CheckError, match="commutative"):
        xs.Derivation("f", W * x).step(x * W, "swap")
