"""The "your turn" exercises (xentlib.yourturn): live checks in Python.

For every exercise of the catalog: two different right forms of the answer are accepted,
each typical wrong answer is refuted with its intended hint, and an equal form that is not
finite in floating point (overflow or underflow) is refused where the exercise asks for a
stable one. The learner's text is read safely (bad input gets a plain message, nothing
runs), steps are checked one by one with counterexamples in the learner's symbols and in
the exercise's domains, every result equals its start, the static payload carries the
book's values, computed independently here with NumPy, and the teacher's page says what
the code does.

CASES is shared with tests/browser/test_yourturn.py, which types the same answers into
the static form in Chromium.
"""

import dataclasses
import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from xentlib import activations
from xentlib.yourturn import KEYS, ReadError, exercise, read_expression
from xentlib.yourturn.static import form_html, payload

# For each exercise: right answers (at least two forms), wrong answers with a phrase of the
# hint they must get, and answers that equal the result but overflow.
CASES = {
    "01-softplus-gradient": {
        "right": ["sigma(z) - y", "exp(z)/(1 + exp(z)) - y", "a - y"],
        "wrong": [("y - sigma(z)", "check the sign"),
                  ("sigma(z)", "has a derivative too"),
                  ("sigma(z)*(1 - sigma(z)) - y", "second derivative"),
                  ("log(1 + exp(z)) - y", "must be differentiated too"),
                  ("exp(z) - y", "divide by"),
                  ("1/(1 + exp(z)) - y", "mind the sign in the exponent")],
    },
    "02-bce-gradient": {
        "right": ["a - y", "(-y/a + (1 - y)/(1 - a))*a*(1 - a)", "1/(1 + exp(-z)) - y"],
        "wrong": [("y - a", "check the sign"),
                  ("(a - y)/(a*(1 - a))", "multiply by"),
                  ("(a - y)*a*(1 - a)", "not a factor twice"),
                  ("a*y - y", "was dropped"),
                  ("(a - y)*(1 + a)/(1 - a)", "not $a(1 + a)$")],
    },
    "03-stable-bce": {
        "right": ["max(z, 0) - z*y + log(1 + exp(-abs(z)))",
                  "max(z,0) - y*z + log(exp(-abs(z)) + 1)"],
        "wrong": [("max(z, 0) + z*y + log(1 + exp(-abs(z)))", "check the sign"),
                  ("max(z, 0) - z*y + log(1 + exp(abs(z)))", "the exponent is $-|z|$"),
                  ("max(z, 0) - z*y + log(1 + exp(-z))", "needs the absolute value"),
                  ("min(z, 0) - z*y + log(1 + exp(-abs(z)))", "the larger of"),
                  ("max(z, 0) - z*y", "was dropped"),
                  ("max(z, 0) + log(1 + exp(-abs(z)))", "the target enters")],
        "overflow": ["log(1 + exp(z)) - z*y",
                     "-y*log(sigma(z)) - (1 - y)*log(1 - sigma(z))",
                     # Halving the exponent survives z = 800, not z = 1500.
                     "z/2 + log(exp(-z/2) + exp(z/2)) - z*y"],
    },
    "04-softmax-jacobian": {
        "right": ["a[i]*(delta(i, j) - a[j])", "a[i]*delta(i,j) - a[i]*a[j]",
                  "exp(z[i])/Sum(exp(z[k]), k, 1, C)*(delta(i, j) - "
                  "exp(z[j])/Sum(exp(z[k]), k, 1, C))"],
        "wrong": [("-a[i]*(delta(i, j) - a[j])", "check the sign"),
                  ("-a[i]*a[j]", "was dropped"),
                  ("a[i]*(1 - a[j])", "the 1 holds only"),
                  ("a[i]*(delta(i, j) - a[i])", "brings $a_j$"),
                  ("a[i]*delta(i, j)", "second term"),
                  ("delta(i, j) - a[i]*a[j]", "keeps its factor")],
    },
    "05-softmax-ce-gradient": {
        "right": ["a[i] - y[i]", "a[i]*Sum(y[k], k, 1, C) - y[i]"],
        "wrong": [("y[i] - a[i]", "check the sign"),
                  ("-y[i]/a[i]", "softmax Jacobian"),
                  ("a[i]*y[i] - y[i]", "only the term $k = i$"),
                  ("a[i] - 1", "one-hot"),
                  ("a[i]*(1 - a[i]) - y[i]", "one Jacobian entry"),
                  ("(a[i] - y[i])/C", "no factor $1/C$")],
    },
    "06-shifted-logsumexp": {
        "right": ["c + log(Sum(exp(z[k] - c), k, 1, C))",
                  "log(Sum(exp(z[k] - c), k, 1, C)) + c"],
        "wrong": [("c + log(Sum(exp(z[k] + c), k, 1, C))", "subtracted inside"),
                  ("-c + log(Sum(exp(z[k] - c), k, 1, C))", "with a plus"),
                  ("log(Sum(exp(z[k] - c), k, 1, C))", "outside the log"),
                  ("c*log(Sum(exp(z[k] - c), k, 1, C))", "not a product"),
                  ("c + Sum(z[k] - c, k, 1, C)", "not the sum of the logs")],
        "overflow": ["log(Sum(exp(z[k]), k, 1, C))",
                     "log(exp(c)*Sum(exp(z[k] - c), k, 1, C))",
                     # Half the shift survives max z = 1000, not max z = 10^4.
                     "c/2 + log(Sum(exp(z[k] - c/2), k, 1, C))"],
    },
    "07-backprop-layer": {
        "right": ["Sum(W[i, j]*g[i], i, 1, n)", "Sum(g[p]*W[p, j], p, 1, n)"],
        "wrong": [("Sum(W[j, i]*g[i], i, 1, n)", "swapped"),
                  ("W[j, j]*g[j]", "sum over $i$"),
                  ("-Sum(W[i, j]*g[i], i, 1, n)", "check the sign"),
                  ("Sum(W[i, j], i, 1, n)", "upstream gradient"),
                  ("Sum(W[i, j]*g[i], i, 1, n)/n", "no $1/n$"),
                  ("Sum(W[i, j]*x[j]*g[i], i, 1, n)", "the $x_j$ goes")],
    },
    "08-hessian-entry": {
        "right": ["a*(1 - a)*x[j]*x[k]", "(a - a^2)*x[k]*x[j]",
                  "sigma(Sum(theta[i]*x[i], i, 1, d))*(1 - sigma(Sum(theta[i]*x[i], i, 1, d)))"
                  "*x[j]*x[k]"],
        "wrong": [("-a*(1 - a)*x[j]*x[k]", "check the sign"),
                  ("(a - y)*x[j]*x[k]", "differentiate once more"),
                  ("a*(1 - a)*x[j]", "second factor"),
                  ("a*(1 - a)*x[j]^2", "its factor is $x_k$"),
                  ("a*x[j]*x[k]", "$\\sigma'(z) = a(1 - a)$"),
                  ("a*(1 - a)*x[j]*x[k]*delta(j, k)", "not diagonal")],
    },
}

# Bad input, and a phrase of the message it must get.
BAD_INPUT = [
    ("", "empty"),
    ("   ", "empty"),
    ("(a - y", "never closed"),
    ("a - y)", "never opened"),
    ("(a - y]", "it needs ')'"),
    ("foo + a", "unknown name 'foo'"),
    ("import os", "keyword"),
    ("__import__('os').system('true')", "not a name"),
    ("a.__class__", "attributes"),
    ("a.real", "attributes"),
    ("2a", "write *"),
    ("2(a - y)", "write *"),
    ("a = 3", "'=' is not an operation"),
    ("a; y", "';' is not an operation"),
    ("'a'", "not part of a formula"),
    ("lambda: 1", "keyword"),
    ("a +", "could not read"),
    ("sigma(a, y)", "wrong arguments"),
]


@pytest.fixture(scope="module")
def exercises():
    return {key: exercise(key) for key in KEYS}


def test_every_chapter_from_01_to_08_has_an_exercise():
    chapters = {key[:2] for key in KEYS}
    assert chapters >= {f"{n:02d}" for n in range(1, 9)}
    assert set(CASES) == set(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_right_answers_in_different_forms_are_accepted(exercises, key):
    ex = exercises[key]
    assert len(CASES[key]["right"]) >= 2
    for text in CASES[key]["right"] + [ex.example]:
        attempt = ex.check((text, "my answer"))
        assert attempt.correct, (text, attempt.summary())
        assert attempt.summary().startswith("right")
        assert attempt.mistake is None


@pytest.mark.parametrize("key", KEYS)
def test_typical_wrong_answers_are_refuted_with_their_hint(exercises, key):
    ex = exercises[key]
    wrong = CASES[key]["wrong"]
    assert len(wrong) >= 5
    hints = set()
    for text, phrase in wrong:
        attempt = ex.check(text)
        assert not attempt.correct, text
        assert not attempt.final.ok and attempt.final.counterexample is not None, text
        assert attempt.mistake is not None, (text, attempt.summary())
        assert phrase in attempt.mistake.hint, (text, attempt.mistake.hint)
        assert "hint: " in attempt.summary()
        hints.add(attempt.mistake.hint)
    # Each wrong answer gets its own hint, not one catch-all.
    assert len(hints) == len(wrong)


@pytest.mark.parametrize("key", [k for k in KEYS if "overflow" in CASES[k]])
def test_equal_but_overflowing_forms_are_refused(exercises, key):
    ex = exercises[key]
    for text in CASES[key]["overflow"]:
        attempt = ex.check(text)
        assert attempt.final.ok, text  # equal to the result ...
        assert attempt.overflow is not None and not attempt.correct, text  # ... not stable
        assert "not finite in floating point (overflow or underflow)" in attempt.summary()
        cause = attempt.overflow_cause
        assert cause in ("overflow", "underflow"), text
        assert {"overflow": "overflows", "underflow": "underflows"}[cause] in attempt.summary()
    # exp(1000) is beyond the largest double: an overflow, named so.
    assert ex.check(CASES[key]["overflow"][0]).overflow_cause == "overflow"


@pytest.mark.parametrize("key", KEYS)
def test_each_mistake_differs_from_the_result_somewhere(exercises, key):
    # A mistake equal to the result would refute right answers' hints; the points see it.
    ex = exercises[key]
    reference = ex.values(ex.result)
    assert np.isfinite(reference).all()
    for m in ex.mistakes:
        values = ex.values(m.answer)
        both = np.isfinite(values)
        assert not np.allclose(values[both], reference[both], rtol=1e-6), m.hint


def test_not_attempted_yet_never_fails(exercises):
    for ex in exercises.values():
        attempt = ex.check()
        assert not attempt.attempted and not attempt.correct
        assert attempt.summary().startswith("not attempted yet")
        assert "not attempted yet" in attempt._repr_html_()
        assert "not attempted yet" in repr(attempt)


@pytest.mark.parametrize("text, phrase", BAD_INPUT)
def test_bad_input_gets_a_plain_message(exercises, text, phrase):
    ex = exercises["02-bce-gradient"]
    with pytest.raises(ReadError) as info:
        ex.read(text)
    message = str(info.value)
    assert phrase in message
    assert "Traceback" not in message and "sympy" not in message.lower()
    attempt = ex.check(text)
    assert attempt.derivation is None and not attempt.correct
    assert phrase in attempt.summary()


def test_nothing_the_learner_types_runs(tmp_path, exercises):
    marker = tmp_path / "ran"
    ex = exercises["02-bce-gradient"]
    for text in [f"__import__('pathlib').Path('{marker}').touch()",
                 f"open('{marker}', 'w')", "exec('1')", "eval('1')", "globals()"]:
        with pytest.raises(ReadError):
            ex.read(text)
    assert not marker.exists()


def test_reading_is_exact_and_accepts_both_powers():
    a = sp.Symbol("a", real=True)
    assert read_expression("a^2 - 0.5*a", {"a": a}) == a**2 - a / 2
    assert read_expression("a**2", {"a": a}) == a**2
    assert read_expression("2*pi", {"a": a}) == 2 * sp.pi
    w = sp.IndexedBase("W")
    i, j = sp.symbols("i j", integer=True)
    assert read_expression("W[i, j]", {"W": w, "i": i, "j": j}) == w[i, j]
    assert read_expression("delta(i, j)", {"i": i, "j": j}) == sp.KroneckerDelta(i, j)


def test_each_line_is_checked_and_a_false_step_names_a_counterexample(exercises):
    ex = exercises["02-bce-gradient"]
    right = ex.check(("(-y/a + (1 - y)/(1 - a))*a*(1 - a)", "chain rule"),
                     ("a - y", "multiply out"))
    assert right.correct
    assert [s.ok for s in right.derivation.steps] == [True, True]
    assert right.derivation.steps[0].proved
    # The slip in the middle line is caught there, with a point in the learner's symbols,
    # and the last line (right in itself) no longer follows from it.
    slip = ex.check(("(-y/a + (1 - y)/(1 - a))*a*(1 + a)", "chain rule"),
                    ("a - y", "multiply out"))
    assert [s.ok for s in slip.derivation.steps] == [False, False]
    assert slip.final.ok and not slip.correct
    ce = slip.derivation.steps[0].counterexample
    assert {"z", "y"} <= set(ce.values)
    assert "line 1" in slip.summary()
    shown = slip._repr_html_()
    assert "read as" in shown and "xent-yourturn-wrong" in shown


def test_an_unread_line_is_named_and_nothing_is_checked(exercises):
    ex = exercises["04-softmax-jacobian"]
    attempt = ex.check(("a[i]*(delta(i, j) - a[j]", "quotient rule"), "a[i]")
    assert attempt.derivation is None
    assert "line 1 could not be read" in attempt.summary()
    assert "never closed" in attempt.summary()


def test_a_counterexample_point_is_in_the_learners_symbols(exercises):
    ex = exercises["04-softmax-jacobian"]
    attempt = ex.check("-a[i]*a[j]")
    ce = attempt.final.counterexample
    assert ce is not None
    assert ce.values
    assert {name.split("[")[0] for name in ce.values} <= set(ex.symbols)
    assert "at " in attempt.summary() and "hint: " in attempt.summary()


def test_the_payload_carries_the_books_values(exercises):
    # Independent reference: NumPy formulas for the results, at the payload's points.
    def check(key, formula):
        data = payload(exercises[key])
        expected = [formula(p) for p in data["points"]]
        np.testing.assert_allclose(data["reference"], expected, rtol=1e-9, atol=1e-12)
        assert len(data["points"]) == 200
        return data

    sig = lambda z: 1 / (1 + np.exp(-z))
    check("01-softplus-gradient", lambda p: sig(p["z"]) - p["y"])
    data = check("02-bce-gradient", lambda p: p["a"] - p["y"])
    assert all(abs(p["a"] - sig(p["z"])) < 1e-15 for p in data["points"])
    check("03-stable-bce", lambda p: -p["y"] * np.log(sig(p["z"]))
          - (1 - p["y"]) * np.log(1 - sig(p["z"])))
    data = check("04-softmax-jacobian", lambda p: p["a"][p["i"] - 1]
                 * ((p["i"] == p["j"]) - p["a"][p["j"] - 1]))
    # Both values of the delta are tested.
    assert {p["i"] == p["j"] for p in data["points"]} == {True, False}
    data = check("05-softmax-ce-gradient", lambda p: p["a"][p["i"] - 1] - p["y"][p["i"] - 1])
    for p in data["points"]:
        np.testing.assert_allclose(p["a"], activations.softmax(np.array(p["z"])), rtol=1e-12)
        assert abs(sum(p["y"]) - 1) < 1e-12 and min(p["y"]) >= 0
    check("06-shifted-logsumexp", lambda p: np.log(np.sum(np.exp(p["z"]))))
    check("07-backprop-layer", lambda p: (np.array(p["W"]).T @ np.array(p["g"]))[p["j"] - 1])
    check("08-hessian-entry", lambda p: p["a"] * (1 - p["a"]) * p["x"][p["j"] - 1]
          * p["x"][p["k"] - 1])


def test_the_static_form_is_self_contained_html(exercises):
    ex = exercises["05-softmax-ce-gradient"]
    page = form_html(ex)
    assert page.startswith('<div class="xent-yourturn"') and page.endswith("</div>")
    data = re.search(r'<script type="application/json" class="xent-yourturn-data">(.*?)</script>',
                     page, re.S).group(1)
    assert json.loads(data.replace("<\\/", "</"))["key"] == ex.key
    assert "<input" in page and "Check</button>" in page
    assert "launch buttons" in page and "not a proof" in page
    assert ex._repr_html_() == page


def test_a_result_symbol_without_a_domain_is_refused():
    from xentlib.yourturn import YourTurn, real

    z, y = sp.symbols("z y", real=True)
    with pytest.raises(ValueError, match="no domain"):
        YourTurn("x", "t", "p", "L", z, z - y, [z, y], {"z": real(-1, 1)})


def test_unknown_exercise_names_the_known_ones():
    with pytest.raises(KeyError, match="02-bce-gradient"):
        exercise("no-such-exercise")



# ---- edge cases: infinite lines, stray dollars, steps, stability, the teacher's page -----

TEACHER_PAGE = Path(__file__).parents[1] / "chapters" / "teaching_your_turn.md"


@pytest.mark.parametrize("text", ["1/0", "log(0)", "a/(a-a)", "1/(y - y) + a"])
def test_a_line_that_reads_as_infinite_gets_a_plain_message(exercises, text):
    ex = exercises["02-bce-gradient"]
    with pytest.raises(ReadError, match="infinite"):
        ex.read(text)
    attempt = ex.check((text, "x"))
    assert attempt.derivation is None and not attempt.correct
    assert "line 1 could not be read" in attempt.summary() and "infinite" in attempt.summary()


@pytest.mark.parametrize("reason", ["since a = $\\sigma(z)", "cost $5", "$a$ and $"])
def test_a_reason_with_an_unpaired_dollar_is_a_dollar_sign(exercises, reason):
    ex = exercises["02-bce-gradient"]
    attempt = ex.check(("(-y/a + (1 - y)/(1 - a))*a*(1 - a)", reason), ("a - y", "multiply out"))
    assert attempt.correct, attempt.summary()
    assert "$" in attempt.derivation.steps[0].reason
    attempt._repr_html_(), repr(attempt)  # both render


def test_a_step_only_tested_but_false_at_the_exercises_points_names_one(exercises, monkeypatch):
    # The checker may only test a false step (it did, for a delta under a Given); the
    # exercise's own points then refute it, and the message gives the point and values.
    module = sys.modules["xentlib.yourturn.exercise"]  # the package's exercise() hides it

    class TestedOnly(module.Derivation):
        def step(self, expr, reason, given=None, display=None):
            super().step(expr, reason, given, display)
            last = self.steps[-1]
            last.ok, last.proved, last.counterexample = True, False, None
            last.method = "tested at 192 points"
            return self

    monkeypatch.setattr(module, "Derivation", TestedOnly)
    ex = exercises["08-hessian-entry"]
    attempt = ex.check(("a*(1 - a)*x[j]*x[k]", "chain rule twice"),
                       ("a*(1 - a)*x[j]*x[k]*delta(j, k)", "only the diagonal"))
    step = attempt.derivation.steps[1]
    assert not step.ok and step.counterexample is not None
    values = step.counterexample.values
    assert values["j"] != values["k"], values
    # Both values, recomputed here: the line before is a(1-a) x_j x_k, this one 0.
    x = [values[f"x[{n}]"] for n in range(1, values["d"] + 1)]
    a = values["a"]
    assert step.counterexample.lhs == pytest.approx(a * (1 - a) * x[values["j"] - 1]
                                                    * x[values["k"] - 1], rel=1e-12)
    assert step.counterexample.rhs == 0
    message = attempt.summary()
    assert "line 2" in message and f"d = {values['d']}" in message
    assert "the line before is" in message and "this step is 0" in message


def test_every_symbol_but_a_bound_index_has_a_domain(exercises):
    for ex in exercises.values():
        for name, s in ex.symbols.items():
            assert name in ex.domains or (isinstance(s, sp.Symbol) and s.is_integer), (ex.key, name)
    # So the exercise's points tell apart two lines that differ by the bias b.
    ex = exercises["07-backprop-layer"]
    right = ex.read("Sum(W[i, j]*g[i], i, 1, n)")
    assert ex.tell_apart(right, ex.read("Sum(W[i, j]*g[i], i, 1, n) + b[j]"))
    assert not ex.tell_apart(right, ex.read("Sum(g[p]*W[p, j], p, 1, n)"))
    from xentlib.yourturn import YourTurn, real

    z, b = sp.symbols("z b", real=True)
    with pytest.raises(ValueError, match=r"\['b'\] have no domain"):
        YourTurn("x", "t", "p", "L", z, z, [z, b], {"z": real(-1, 1)})


def test_an_underflow_is_named_an_underflow(exercises):
    ex = exercises["06-shifted-logsumexp"]
    # e^{-2000} rounds to 0 at z = (-1000, -1001), and log 0 is -inf.
    attempt = ex.check("log(Sum(exp(z[k] - 1000), k, 1, C)) + 1000")
    assert attempt.final.ok and not attempt.correct
    assert attempt.overflow_cause == "underflow"
    message = attempt.summary()
    assert "not finite in floating point (overflow or underflow)" in message
    assert "underflows" in message and "overflows" not in message
    assert "z = (-1000, -1001)" in message


def test_every_result_equals_its_start_at_the_points(exercises):
    # The results are typed as the chapters write them; SymPy differentiates each start
    # independently, and the two agree at every comparison point.
    for ex in exercises.values():
        start, result = ex.values(ex.start), ex.values(ex.result)
        assert np.isfinite(start).all() and np.isfinite(result).all(), ex.key
        np.testing.assert_allclose(start, result, rtol=1e-12, atol=1e-14, err_msg=ex.key)


def test_two_indices_of_one_size_coincide_at_the_stated_rate(exercises):
    from xentlib.yourturn.sampling import draw_points, index, size

    points = draw_points({"C": size(2, 5), "i": index("C"), "j": index("C")}, 20000, seed=1)
    rate = np.mean([p["i"] == p["j"] for p in points])
    expected = 1 / 3 + 2 / 3 * np.mean([1 / c for c in range(2, 6)])
    assert abs(rate - expected) < 0.01 and round(expected * 100) == 55
    page = TEACHER_PAGE.read_text(encoding="utf-8")
    assert "55%" in page and "a third of the points, so" not in page


def test_the_teacher_page_and_the_form_say_what_is_true(exercises):
    page = TEACHER_PAGE.read_text(encoding="utf-8")
    catalog_doc = sys.modules["xentlib.yourturn.catalog"].__doc__
    for claim in ["so it is written once", "nothing the reader types is run"]:
        assert claim not in page
    assert "written once" not in catalog_doc and "tests/test_yourturn.py" in catalog_doc
    assert "typed by hand" in page and "screened" in page
    form = form_html(exercises["02-bce-gradient"])
    assert "each line and its reason proved or refuted" not in form
    assert "each line proved, tested or refuted" in form


def test_the_teacher_pages_example_runs_and_derives_with_mpmath(exercises):
    page = TEACHER_PAGE.read_text(encoding="utf-8")
    code = re.search(r"```python\n(import sympy.*?)```", page, re.S).group(1)
    assert "np.exp" not in code
    namespace = {}
    exec(code, namespace)  # noqa: S102 - the page's own example
    example = namespace["bce_gradient"]
    book = exercises["02-bce-gradient"]
    # Same domains and seed as the book's exercise: the very same points, digit for digit.
    assert example.points == book.points or all(
        p.keys() == q.keys() and all(np.array_equal(p[k], q[k]) for k in p)
        for p, q in zip(example.points, book.points, strict=True))
    assert example.check("a - y").correct


def test_exercise_08_says_how_to_write_z(exercises):
    ex = exercises["08-hessian-entry"]
    assert "Sum(theta[i]*x[i], i, 1, d)" in ex.prompt
    # The first derivative, written with z spelt out, is read.
    line = "(sigma(Sum(theta[i]*x[i], i, 1, d)) - y)*x[j]"
    assert isinstance(ex.read(line), sp.Expr)
    attempt = ex.check(("sigma(Sum(theta[i]*x[i], i, 1, d))"
                        "*(1 - sigma(Sum(theta[i]*x[i], i, 1, d)))*x[j]*x[k]", "chain rule twice"))
    assert attempt.correct, attempt.summary()


def test_an_inconclusive_check_is_settled_at_the_exercises_points(exercises, monkeypatch):
    # Under load the checker may run out of time and say "inconclusive"; an answer equal
    # to the result at every point of the exercise is then tested, never marked wrong,
    # and a wrong one stays wrong.
    module = sys.modules["xentlib.yourturn.exercise"]
    real_check = module.check_equal

    def out_of_time(lhs, rhs, **kw):
        proof = real_check(lhs, rhs, **kw)
        return dataclasses.replace(proof, ok=False, proved=False, counterexample=None,
                                   method="inconclusive: could not settle it in time")

    monkeypatch.setattr(module, "check_equal", out_of_time)
    ex = exercises["08-hessian-entry"]
    right = ex.check("(a - a^2)*x[k]*x[j]")
    assert right.correct and right.final.method.startswith("tested at the exercise's 200")
    wrong = ex.check("a*(1 - a)*x[j]")
    assert not wrong.correct and wrong.mistake is not None


def _inside(ex, values):
    """Each value against the exercise's stated domain, written out here."""
    for name, v in values.items():
        base = name.split("[")[0]
        d = ex.domains.get(base)
        if d is None or d.kind == "derived":
            continue
        if d.kind == "unit":
            assert 0 < v < 1, (name, v)
        elif d.kind in ("real", "vector", "size"):
            assert d.low <= v <= d.high, (name, v)
        elif d.kind == "index":
            assert 1 <= v <= values[d.of], (name, v)


def test_step_counterexamples_respect_the_exercises_domains(exercises):
    slips = {
        "02-bce-gradient": [("(-y/a + (1 - y)/(1 - a))*a*(1 + a)", "chain rule"), ("a - y", "m")],
        "04-softmax-jacobian": [("a[i]*(1 - a[j])", "quotient rule"), ("a[i]*(1 - a[j])", "same")],
        "07-backprop-layer": [("Sum(W[i, j]*g[i], i, 1, n)/n", "chain rule"),
                              ("Sum(W[i, j]*g[i], i, 1, n)", "m")],
        "08-hessian-entry": [("a*(1 - a)*x[j]*x[k]", "twice"),
                             ("a*(1 - a)*x[j]*x[k]*delta(j, k)", "diagonal")],
    }
    for key, lines in slips.items():
        ex = exercises[key]
        attempt = ex.check(*lines)
        refuted = [st for st in attempt.derivation.steps if not st.ok]
        assert refuted, key
        for st in refuted:
            assert st.counterexample is not None, key
            _inside(ex, st.counterexample.values)
            assert ex.within_domains(st.counterexample.values)


def test_the_softmax_hint_adds_the_terms_right(exercises):
    ex = exercises["05-softmax-ce-gradient"]
    attempt = ex.check("a[i]*(1 - a[i]) - y[i]")
    hint = attempt.mistake.hint
    assert "a_i \\sum_k y_k - y_i" in hint and "-y_k(\\delta_{ki} - a_i)" in hint
    # Checked: the terms -y_k (delta_ki - a_i) of a point add up to a_i sum y - y_i.
    rng = np.random.default_rng(0)
    a, y, i = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4)), 2
    terms = [-y[k] * ((k == i) - a[i]) for k in range(4)]
    assert np.isclose(sum(terms), a[i] * y.sum() - y[i])


def test_plain_text_reads_without_latex(exercises):
    for ex in exercises.values():
        assert "\\" not in repr(ex) and "$" not in repr(ex), repr(ex)
        for text, _ in CASES[ex.key]["wrong"]:
            summary = ex.check(text).summary()
            assert "hint: " in summary and "\\" not in summary, summary
    assert "∂L / ∂z" in repr(exercises["02-bce-gradient"])
    assert "δ_ij" in exercises["04-softmax-jacobian"].check("-a[i]*a[j]").summary()
