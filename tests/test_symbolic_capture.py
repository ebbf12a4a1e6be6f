"""The checker's verdicts on a second round of kinds: an index bound by a sum and used as
the derivative's variable; assumptions declared on an IndexedBase; summation indices
declared positive that start at 0; arguments that 50 digits lose (log of 1 + tiny);
factors negligible at most sampled scales; an unsettled disagreement.
"""

import pytest
import sympy as sp
from sympy.codegen.cfunctions import log1p

from xentlib import symbolic as xs
from xentlib.symbolic.audit import CheckError
from xentlib.symbolic.evaluation import compare

x, u = sp.symbols("x u", real=True)
i, j, k, q = sp.symbols("i j k q", integer=True, positive=True)
C, n, d = sp.symbols("C n d", integer=True, positive=True)
zb, vb, wb, xb = (sp.IndexedBase(name) for name in ("z", "v", "w", "x"))


def _verdict(lhs, rhs, **kw):
    p = xs.check_equal(lhs, rhs, **kw)
    return p.ok, p.proved


# ---------------------------------------------------------------------------------------
# A bound index used as the derivative's variable
# ---------------------------------------------------------------------------------------


def test_a_bound_index_as_the_derivative_variable_is_renamed_not_captured():
    # d/dw_q of sum_q w_q^3: the q of the variable is not the q of the sum.
    cubes = sp.Sum(wb[q] ** 3, (q, 1, n))
    assert _verdict(sp.Derivative(cubes, wb[q]), 3 * sp.Sum(wb[q] ** 2, (q, 1, n))) == (
        False, False)
    assert _verdict(sp.Derivative(cubes, wb[q]), 3 * wb[q] ** 2) == (True, True)


def test_a_capture_brought_in_by_a_substitution_is_renamed():
    total = sp.Symbol("T", real=True)
    given = xs.Given({total: sp.Sum(sp.exp(2 * zb[q]), (q, 1, C))}, r"$T = \sum_q e^{2 z_q}$")
    wrong = xs.check_equal(sp.Derivative(sp.log(total), zb[q]), 2, given=given)
    assert not wrong.ok and wrong.counterexample is not None
    right = xs.check_equal(sp.Derivative(sp.log(total), zb[q]),
                           2 * sp.exp(2 * zb[q]) / total, given=given)
    assert right.ok and right.proved


# ---------------------------------------------------------------------------------------
# Assumptions on an IndexedBase
# ---------------------------------------------------------------------------------------


def test_an_integer_indexedbase_is_refused():
    counts = sp.IndexedBase("N", integer=True)
    with pytest.raises(CheckError, match="IndexedBase N .*integer"):
        # cos(2 pi N_2) is 1 already when written: the N_2 beside it still names the base
        xs.check_equal(sp.cos(2 * sp.pi * counts[2]) + counts[2], counts[2] + 1)


def test_an_indexedbase_domain_contradicting_a_condition_is_an_error():
    neg = sp.IndexedBase("m", negative=True)
    with pytest.raises(CheckError, match="IndexedBase m is declared negative"):
        xs.check_equal(sp.sqrt(neg[2] ** 2), -neg[2], given=xs.positive(neg[2]))


# ---------------------------------------------------------------------------------------
# A summation index declared positive whose sum starts at 0
# ---------------------------------------------------------------------------------------


def test_a_positive_summation_index_starting_at_zero_is_refuted_not_a_crash():
    wrong = xs.check_equal(sp.Sum(q ** 2, (q, 0, n - 1)), n * (n + 1) * (2 * n + 1) / 6)
    assert not wrong.ok and wrong.counterexample is not None
    right = xs.check_equal(sp.Sum(q ** 2, (q, 0, n - 1)), (n - 1) * n * (2 * n - 1) / 6)
    assert right.ok


# ---------------------------------------------------------------------------------------
# Arguments that 50 digits lose
# ---------------------------------------------------------------------------------------


def test_log_of_one_plus_a_tiny_number_is_not_called_false():
    # log(1 + e^{-300}) is 0 to 50 digits; log1p keeps it.
    verdict, lv, rv = compare(log1p(sp.exp(x)), sp.log(1 + sp.exp(x)), {x: -300.5})
    assert verdict == "agree", (lv, rv)
    verdict, _, _ = compare(log1p(sp.exp(x)), 2 * sp.log(1 + sp.exp(x)), {x: -300.5})
    assert verdict == "differ"


def test_stable_log_sigmoid_forms_are_accepted():
    assert xs.check_equal(-log1p(sp.exp(-u)), sp.log(1 / (1 + sp.exp(-u)))).ok
    assert xs.check_equal(log1p(sp.exp(-sp.Abs(u))) + sp.Max(-u, 0),
                          sp.log(1 + sp.exp(-u))).ok


def test_a_point_undefined_exactly_still_refutes():
    verdict, lv, _ = compare((x**2 - x) / (x - 1), x, {x: 1.0})
    assert verdict == "differ"


# ---------------------------------------------------------------------------------------
# Factors negligible at most sampled scales
# ---------------------------------------------------------------------------------------


def test_a_false_step_behind_a_vanishing_factor_is_refuted():
    # a (1 - a) with a = sigma(sum_i w_i x_i) is 0 in floating point at large scales.
    a = sp.Symbol("a", real=True)
    s = sp.Sum(wb[i] * xb[i], (i, 1, d))
    given = xs.Given({a: 1 / (1 + sp.exp(-s))}, r"$a = \sigma(w^\top x)$")
    wrong = xs.check_equal(a * (1 - a) * xb[j] ** 2, a * (1 - a) * xb[j] * xb[k], given=given)
    assert not wrong.ok and wrong.counterexample is not None
    right = xs.check_equal(a * (1 - a) * xb[j] * xb[k], a * (1 - a) * xb[k] * xb[j],
                           given=given)
    assert right.ok


# ---------------------------------------------------------------------------------------
# Integers written in the step are sizes too
# ---------------------------------------------------------------------------------------


def test_a_term_vanishing_below_a_written_integer_is_refuted():
    m = sp.Symbol("m", integer=True, positive=True)
    wrong = xs.check_equal(sp.Sum(q, (q, 1, m)), m * (m + 1) / 2 + sp.binomial(m, 25))
    assert not wrong.ok and wrong.counterexample is not None
    assert wrong.counterexample.values["m"] >= 25
