"""What a step's conditions and displays may say: one symbol per name, substitutions
that mention each other, strided indices, functions SymPy evaluates away when a line is
built, and proofs through log1p / expm1 / atanh and sums to a multiple of a size.
"""

import numpy as np
import pytest
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from xentlib import symbolic as xs
from xentlib.symbolic.audit import CheckError, index_range
from xentlib.symbolic.conditions import resolved
from xentlib.symbolic.derivation import vanished_functions

a, s, t, z, w = sp.symbols("a s t z w", real=True)
j, k = sp.symbols("j k", integer=True, positive=True)
C = sp.Symbol("C", integer=True, positive=True)
xb, zb = sp.IndexedBase("x", real=True), sp.IndexedBase("z", real=True)


def _verdict(lhs, rhs, **kw):
    p = xs.check_equal(lhs, rhs, **kw)
    return p.ok, p.proved


# ---------------------------------------------------------------------------------------
# One symbol per name
# ---------------------------------------------------------------------------------------


def test_a_condition_on_a_same_named_symbol_declared_otherwise_is_refused():
    plain = sp.Symbol("t")  # not the real t of the step, though both print as t
    with pytest.raises(CheckError) as error:
        xs.check_equal(sp.log(t**2), 2 * sp.log(t), given=xs.positive(plain))
    message = str(error.value)
    assert "both called t" in message
    assert "sp.Symbol('t', real=True) (in the lines)" in message
    assert "sp.Symbol('t') (in the condition $t > 0$)" in message
    assert "same symbol everywhere" in message
    # The same condition on the step's own t proves it.
    assert _verdict(sp.log(t**2), 2 * sp.log(t), given=xs.positive(t)) == (True, True)


def test_a_same_named_symbol_in_a_domain_or_a_substitution_is_refused():
    with pytest.raises(CheckError, match=r"sp.Symbol\('t', positive=True\)"):
        xs.check_equal(sp.sqrt(t**2), t, domain=xs.positive(sp.Symbol("t", positive=True)))
    with pytest.raises(CheckError, match="both called a"):
        xs.check_equal(a * (1 - a), s, given=xs.Given({sp.Symbol("a"): xs.sigmoid(z)}))
    other_x = sp.IndexedBase("x")
    with pytest.raises(CheckError, match=r"sp.Symbol\('x'\).*sp.Symbol\('x', real=True\)"
                                         r"|sp.Symbol\('x', real=True\).*sp.Symbol\('x'\)"):
        xs.check_equal(xb[1] + other_x[2], other_x[2] + xb[1])


def test_a_symbol_declared_two_ways_in_two_steps_is_refused_naming_both_steps():
    t_positive = sp.Symbol("t", positive=True)
    d = xs.Derivation("f", t_positive**2 + w).step(t_positive * t_positive + w, "square")
    with pytest.raises(CheckError, match=r"sp.Symbol\('t', positive=True\) \(in the start\)"
                                         r" and sp.Symbol\('t', real=True\) \(in step 2\)"):
        d.step(w + t**2, "reorder")  # the line before has no t: only the chain knows
    # The refused step left the chain as it was: written with its own t, it is proved.
    d.step(w + t_positive**2, "reorder")
    assert d.steps[-1].proved


def test_a_symbol_given_two_meanings_in_two_steps_is_refused():
    d = xs.Derivation("f", a * (1 - a))
    d.step(a - a**2, "expand", given=xs.Given({a: xs.sigmoid(z)}))
    with pytest.raises(CheckError, match="two meanings"):
        d.step(a - a**2, "again", given=xs.Given({a: sp.tanh(z)}))


# ---------------------------------------------------------------------------------------
# Substitutions that mention each other
# ---------------------------------------------------------------------------------------


def test_substitutions_are_applied_until_nothing_changes():
    sigma = xs.sigmoid(z)
    chain = xs.Given({a: sigma, s: a * (1 - a)}, r"$a = \sigma(z)$, $s = a(1 - a)$")
    assert _verdict(s, sp.diff(sigma, z), given=chain) == (True, True)
    assert _verdict(s, sigma * (1 + sigma), given=chain)[0] is False
    # The order of the keys does not matter.
    backwards = xs.Given({s: a * (1 - a), a: sigma})
    assert _verdict(s, sp.diff(sigma, z), given=backwards) == (True, True)
    # Three links: t -> s -> a -> sigma(z).
    longer = xs.Given({t: 4 * s, s: a * (1 - a), a: sigma})
    assert _verdict(t, 4 * sp.diff(sigma, z), given=longer) == (True, True)
    values = resolved({t: 4 * s, s: a * (1 - a), a: sp.exp(z)})
    assert values[t].free_symbols == {z}
    assert sp.expand(values[t] - 4 * (1 - sp.exp(z)) * sp.exp(z)) == 0


def test_substitutions_in_two_steps_meet_whichever_came_first():
    sigma = xs.sigmoid(z)
    d = xs.Derivation(r"\sigma'(z)", sp.Derivative(sigma, z))
    d.step(a * (1 - a), "quotient rule", given=xs.Given({a: sigma}, r"$a = \sigma(z)$"))
    d.step(s, "name it", given=xs.Given({s: a * (1 - a)}, "$s = a(1 - a)$"))
    assert [st.proved for st in d.steps] == [True, True]
    with pytest.raises(xs.DerivationError):
        d.step(2 * s, "doubled")


def test_a_cycle_of_substitutions_is_an_error_naming_it():
    with pytest.raises(ValueError, match=r"through itself \(a = t \+ 1, t = a\)"):
        xs.Given({a: t + 1, t: a})
    with pytest.raises(ValueError, match=r"through itself \(a = a \+ 1\)"):
        xs.Given({a: a + 1})
    # Across two conditions the cycle is found when the step is checked.
    with pytest.raises(CheckError, match="through itself"):
        xs.check_equal(a, t, given=[xs.Given({a: t + 1}), xs.Given({t: a})])


# ---------------------------------------------------------------------------------------
# Strided indices
# ---------------------------------------------------------------------------------------


def test_sums_over_strided_entries_are_proved_and_false_ones_refuted():
    pairs = sp.Sum(xb[2 * k - 1] + xb[2 * k], (k, 1, C))
    assert _verdict(pairs, sp.Sum(xb[k], (k, 1, 2 * C))) == (True, True)
    assert _verdict(pairs, sp.Sum(xb[k], (k, 1, 2 * C - 1)))[0] is False
    thirds = sp.Sum(zb[3 * k - 2] + zb[3 * k - 1] + zb[3 * k], (k, 1, C))
    assert _verdict(thirds, sp.Sum(zb[k], (k, 1, 3 * C))) == (True, True)
    assert _verdict(sp.Sum(zb[3 * k - 2] + zb[3 * k], (k, 1, C)),
                    sp.Sum(zb[k], (k, 1, 3 * C)))[0] is False


def test_derivatives_by_strided_entries():
    products = sp.Sum(xb[2 * j - 1] * xb[2 * j], (j, 1, C))
    assert _verdict(sp.Derivative(products, xb[2 * k]), xb[2 * k - 1]) == (True, True)
    assert _verdict(sp.Derivative(products, xb[2 * k]), xb[2 * k + 1])[0] is False
    squares = sp.Sum(zb[j] ** 2, (j, 1, 2 * C))
    assert _verdict(sp.Derivative(squares, zb[2 * k - 1]), 2 * zb[2 * k - 1]) == (True, True)
    assert _verdict(sp.Derivative(squares, zb[2 * k - 1]), 2 * zb[2 * k])[0] is False


def test_index_range_solves_for_the_integer_index_with_any_coefficient():
    # At C = 3 the sum runs over z_1..z_3 (or x_1..x_6 for the pairs).
    squares = sp.Sum(zb[j] ** 2, (j, 1, 3))
    assert index_range([squares, zb[2 * k]], k, 1, 3) == (1, 1)
    assert index_range([squares, zb[3 * k + 1]], k, 0, 3) == (0, 0)
    assert index_range([sp.Sum(zb[j], (j, 1, 1)), zb[2 * k]], k, 1, 1) == (1, 0)  # none
    pairs = sp.Sum(xb[2 * j - 1] * xb[2 * j], (j, 1, 3))
    assert index_range([pairs, xb[2 * k]], k, 1, 3) == (1, 3)
    assert index_range([pairs, xb[2 * k + 1]], k, 1, 3) == (1, 2)
    assert index_range([pairs, xb[7 - 2 * k]], k, 1, 6) == (1, 3)
    assert index_range([zb[k]], k, 1, 6) == (1, 6)  # no sum says more


def test_a_strided_index_is_tested_only_where_its_entry_exists():
    squares = sp.Sum(zb[j] ** 2, (j, 1, C))
    assert xs.check_equal(sp.Derivative(squares, zb[2 * k]), 2 * zb[2 * k]).ok
    wrong = xs.check_equal(sp.Derivative(squares, zb[2 * k]), 3 * zb[2 * k])
    assert not wrong.ok and wrong.counterexample is not None
    # the entry the counterexample picks is one the sum runs over
    values = wrong.counterexample.values
    assert 2 * values["k"] <= values["C"]


# ---------------------------------------------------------------------------------------
# Functions SymPy evaluates away when the line is built
# ---------------------------------------------------------------------------------------


def test_vanished_functions_names_what_the_display_shows_and_the_line_lost():
    assert vanished_functions(r"\exp(\log a)", [sp.exp(sp.log(a))]) == ["exp", "log"]
    assert vanished_functions(r"\exp(\log a)", [sp.exp(sp.log(a), evaluate=False)]) == []
    assert vanished_functions(r"\sqrt{a}^2", [sp.sqrt(a) ** 2]) == ["sqrt"]
    assert vanished_functions(r"\sqrt{a}^2", [sp.Pow(sp.sqrt(a), 2, evaluate=False)]) == []
    assert vanished_functions(r"\left| e^{z} \right|", [sp.Abs(sp.exp(z))]) == ["Abs"]
    assert vanished_functions(r"\ln(e^{z})", [sp.log(sp.exp(z))]) == ["log"]
    # Other commands are not functions of the list (\lVert is a norm, \logit a name).
    assert vanished_functions(r"\lVert w \rVert + \operatorname{logit}(a)", [a]) == []


def test_a_display_naming_a_function_the_line_lost_is_an_error_with_the_fix():
    d = xs.Derivation("f", a)
    with pytest.raises(CheckError) as error:
        d.step(sp.exp(sp.log(a)), "exp undoes log", display=r"\exp(\log a)")
    message = str(error.value)
    assert message.startswith("step 1: the display shows exp, log")
    assert "SymPy simplified it away when the line was built" in message
    assert "evaluate=False" in message and "UnevaluatedExpr" in message
    assert not d.steps
    with pytest.raises(CheckError, match="the start: the display shows sqrt"):
        xs.Derivation("g", sp.sqrt(a) ** 2, display=r"\sqrt{a}^2")
    # The line built unevaluated passes the display check.
    d.step(sp.exp(sp.log(a), evaluate=False), "exp undoes log", display=r"\exp(\log a)",
           given=xs.positive(a))
    assert d.steps[0].ok


def test_a_display_of_a_derivative_or_a_substitution_may_name_what_the_line_lost():
    # d/dz log(1 + e^z) is evaluated when the line is built: the log is gone, rightly.
    start = sp.diff(sp.log(1 + sp.exp(z)), z)
    d = xs.Derivation("f", start, display=r"\frac{d}{dz} \log(1 + e^{z})")
    d.step(a, "name it", given=xs.Given({a: start}), display=r"\sigma(z)")
    # A Given's value carries the log the display shows.
    e = xs.Derivation("L", s)
    e.step(s, "same", given=xs.Given({s: sp.log(1 + sp.exp(z))}), display=r"\log(1 + e^{z})")
    assert d.steps[0].proved and e.steps[0].proved


def test_an_unevaluated_line_keeps_its_domain():
    unstated = xs.check_equal(sp.exp(sp.log(a), evaluate=False), a)
    assert not unstated.ok and not unstated.proved
    assert unstated.counterexample.values["a"] <= 0 and "log(a) needs a > 0" in unstated.method
    assert xs.check_equal(sp.exp(sp.log(a), evaluate=False), a, domain=xs.positive(a)).proved


# ---------------------------------------------------------------------------------------
# Proofs through log1p, expm1, atanh
# ---------------------------------------------------------------------------------------


def test_identities_with_log1p_expm1_and_atanh_are_proved():
    unit = xs.in_open_unit_interval(a)
    assert _verdict(log1p(sp.exp(z)), sp.log(1 + sp.exp(z))) == (True, True)
    assert _verdict(-log1p(sp.exp(-z)), sp.log(xs.sigmoid(z))) == (True, True)
    assert _verdict(expm1(z) + 1, sp.exp(z)) == (True, True)
    assert _verdict(2 * sp.atanh(2 * a - 1), sp.log(a / (1 - a)), given=unit) == (True, True)
    assert _verdict(log1p(sp.exp(z)), sp.log(1 + sp.exp(-z)))[0] is False
    assert _verdict(sp.atanh(2 * a - 1), sp.log(a / (1 - a)), given=unit)[0] is False


# ---------------------------------------------------------------------------------------
# lambdify
# ---------------------------------------------------------------------------------------


def test_lambdify_with_plain_indexed_and_dummy_arguments_agrees_with_numpy():
    rng = np.random.default_rng(0)
    x1, x2 = sp.symbols("x1 x2", real=True)
    hidden = sp.Max(x1 - 2 * x2, 0)
    values = rng.normal(size=(2, 5))
    plain = xs.lambdify(sp.log(1 + sp.exp(hidden)), [x1, x2])(*values)
    reference = np.log1p(np.exp(np.maximum(values[0] - 2 * values[1], 0)))
    np.testing.assert_allclose(plain, reference, rtol=1e-14)
    u = sp.Dummy("u", real=True)
    entries = xs.lambdify(sp.Max(zb[1] - 2 * zb[2], 0) * u, [zb[1], zb[2], u])
    np.testing.assert_allclose(entries(*values, 3.0),
                               3.0 * np.maximum(values[0] - 2 * values[1], 0), rtol=1e-14)
    lower = sp.Symbol("lambda", real=True)  # a Python keyword as a symbol's name
    np.testing.assert_allclose(xs.lambdify(2 * lower, [lower])(values[0]), 2 * values[0])
