"""Tests of xentlib.finite_differences on functions whose gradients are known in closed form."""

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from xentlib.activations import logsumexp, softmax
from xentlib.finite_differences import GradcheckReport, gradcheck, numerical_grad, relative_error


def quadratic(matrix):
    """f(x) = x^T A x, with gradient (A + A^T) x."""
    return (lambda x: float(x @ matrix @ x)), (lambda x: (matrix + matrix.T) @ x)


# ---------------------------------------------------------------- numerical_grad


def test_numerical_grad_of_a_quadratic_form():
    a = np.array([[2.0, 1.0, 0.0], [-1.0, 3.0, 0.5], [0.0, 4.0, 1.0]])
    f, grad = quadratic(a)
    x = np.array([0.3, -1.0, 2.0])
    # central differences are exact for quadratics up to rounding
    np.testing.assert_allclose(numerical_grad(f, x), grad(x), atol=1e-8)


def test_numerical_grad_works_for_any_shape_and_leaves_x_unchanged():
    x = np.arange(6.0).reshape(2, 3) / 4
    before = x.copy()
    numeric = numerical_grad(lambda v: np.sum(np.exp(v) * np.arange(6.0).reshape(2, 3)), x)
    assert numeric.shape == (2, 3) and numeric.dtype == np.float64
    np.testing.assert_allclose(numeric, np.exp(x) * np.arange(6.0).reshape(2, 3), rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(x, before)
    # a zero-dimensional point
    np.testing.assert_allclose(numerical_grad(lambda v: v**3, np.float64(2.0)), 12.0, rtol=1e-9)


def test_numerical_grad_calls_f_with_the_dtype_of_x():
    seen = set()

    def f(v):
        seen.add(v.dtype)
        return np.sum(v.astype(np.float64) ** 2)

    x = np.array([0.5, -2.0], dtype=np.float32)
    numeric = numerical_grad(f, x)
    assert seen == {np.dtype(np.float32)}
    # the step is the one actually taken after rounding to float32, so the slope of the
    # float64 square is still 2x to about float32 resolution of the step
    np.testing.assert_allclose(numeric, 2 * x.astype(np.float64), rtol=1e-3)


def test_numerical_grad_integer_point_becomes_float64():
    seen = []
    numerical_grad(lambda v: seen.append(v.dtype) or float(np.sum(v)), [1, 2])
    assert set(seen) == {np.dtype(np.float64)}


def test_numerical_grad_default_step_is_accurate_in_float32():
    # loss of a float32 implementation: the default step 1e-3 keeps the rounding noise
    # (about 6e-8 / 2e-3) small against a unit gradient
    x = np.array([0.3, -0.7, 1.1], dtype=np.float32)
    numeric = numerical_grad(lambda v: logsumexp(v), x)
    np.testing.assert_allclose(numeric, softmax(x.astype(np.float64)), atol=1e-4)


def test_numerical_grad_rejects_bad_arguments():
    with pytest.raises(ValueError, match="f must return a scalar, got an array of shape \\(2,\\)"):
        numerical_grad(lambda v: v * 2, np.ones(2))
    with pytest.raises(ValueError, match="eps must be positive, got 0"):
        numerical_grad(np.sum, np.ones(2), eps=0)
    with pytest.raises(TypeError, match="x must be a real float16, float32 or float64 array"):
        numerical_grad(np.sum, np.array(["a"]))


# ---------------------------------------------------------------- relative_error


def test_relative_error_definition():
    # max |a - b| = 0.5, max (|a| + |b|) = 4 + 3.5 = 7.5
    assert relative_error([1.0, -4.0], [1.0, -3.5]) == pytest.approx(0.5 / 7.5, rel=1e-15)
    assert relative_error([0.0, 0.0], [0.0, 0.0]) == 0.0
    assert relative_error([1.0, 2.0], [-1.0, -2.0]) == 1.0
    assert relative_error(np.zeros(0), np.zeros(0)) == 0.0
    assert isinstance(relative_error([1.0], [2.0]), float)


@given(
    hnp.arrays(np.float64, (3,), elements=st.floats(-1e6, 1e6)),
    hnp.arrays(np.float64, (3,), elements=st.floats(-1e6, 1e6)),
)
def test_relative_error_is_symmetric_and_in_unit_interval(a, b):
    r = relative_error(a, b)
    assert r == relative_error(b, a)
    assert 0.0 <= r <= 1.0


def test_relative_error_rejects_shape_mismatch():
    with pytest.raises(ValueError, match=r"a and b must have the same shape: got a \(2,\) and b \(3,\)"):
        relative_error(np.ones(2), np.ones(3))


# ---------------------------------------------------------------- gradcheck


def test_gradcheck_passes_for_a_correct_gradient():
    a = np.array([[1.0, 2.0], [0.5, -3.0]])
    f, grad = quadratic(a)
    report = gradcheck(f, grad, np.array([0.7, -0.2]))
    assert isinstance(report, GradcheckReport)
    assert report.passed
    assert report.max_abs_error < 1e-8 and report.max_rel_error < 1e-8
    assert report.atol == 1e-6 and report.rtol == 1e-4


def test_gradcheck_finds_the_wrong_element():
    x = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])

    def wrong_grad(v):
        g = 2 * v
        g[1, 2] += 0.01  # one wrong entry
        return g

    report = gradcheck(lambda v: np.sum(v**2), wrong_grad, x)
    assert not report.passed
    assert report.worst_index == (1, 2)
    assert report.max_abs_error == pytest.approx(0.01, rel=1e-6)
    # relative to the largest |analytic| + |numeric| = 1.21 + 1.2
    assert report.max_rel_error == pytest.approx(0.01 / 2.41, rel=1e-5)


def test_gradcheck_tolerances_decide_the_verdict():
    x = np.array([1.0, 2.0])
    off = lambda v: 2 * v + 1e-3  # noqa: E731  (a gradient off by 1e-3 everywhere)
    assert not gradcheck(lambda v: np.sum(v**2), off, x).passed
    assert gradcheck(lambda v: np.sum(v**2), off, x, atol=2e-3).passed
    assert gradcheck(lambda v: np.sum(v**2), off, x, atol=0, rtol=1e-3).passed


def test_gradcheck_uses_looser_defaults_for_float32():
    x = np.array([0.3, -0.7, 1.1], dtype=np.float32)
    report = gradcheck(lambda v: logsumexp(v), softmax, x)
    assert report.passed, report
    assert (report.atol, report.rtol) == (1e-3, 1e-2)


def test_gradcheck_reports_nan_gradients_as_failures():
    report = gradcheck(np.sum, lambda v: np.where(v > 0, np.nan, 1.0), np.array([-1.0, 1.0, -2.0]))
    assert not report.passed
    assert report.worst_index == (1,)
    assert np.isnan(report.max_abs_error)


def test_gradcheck_rejects_a_gradient_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"grad_f\(x\) must have the shape of x: got \(3,\) for x of shape \(3, 1\)"):
        gradcheck(np.sum, lambda v: np.ones(3), np.ones((3, 1)))


def test_gradcheck_passes_a_copy_to_grad_f():
    x = np.array([1.0, 2.0])

    def mutating_grad(v):
        v *= 2  # a careless gradient that overwrites its input
        return v

    gradcheck(lambda v: np.sum(v**2), mutating_grad, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_report_formats():
    report = GradcheckReport(3.14e-10, 2.04e-9, (1, 2), True, 1e-6, 1e-4)
    assert str(report) == "gradcheck passed: max abs err 3.1e-10, max rel err 2.0e-09 at index (1, 2)"
    assert repr(report) == str(report)
    assert report.rounded() == "gradcheck passed: max abs err 3e-10, max rel err 2e-09"
    assert report.verdict() == "gradcheck passed (atol=1e-06, rtol=0.0001)"
    failed = GradcheckReport(0.5, 0.25, (0,), False, 1e-6, 1e-4)
    assert str(failed).startswith("gradcheck FAILED: max abs err 5.0e-01")
    assert failed.verdict() == "gradcheck FAILED (atol=1e-06, rtol=0.0001)"


def test_report_is_frozen():
    report = GradcheckReport(0.0, 0.0, (), True, 1e-6, 1e-4)
    with pytest.raises(dataclasses.FrozenInstanceError):
        report.passed = False


# ---------------------------------------------------------------- steps at any magnitude


@pytest.mark.parametrize("dtype, value", [(np.float32, 32768.0), (np.float32, -1e5),
                                          (np.float32, 1e30), (np.float64, 1e30),
                                          (np.float64, -3e200)])
def test_numerical_grad_scales_the_step_with_the_value(dtype, value):
    x = np.array([value], dtype=dtype)
    # f(x) = x^2 / (2 c) has the slope x / c = 1 at x = c; a step of eps would round away
    grad = numerical_grad(lambda v: (float(v[0]) / value) ** 2 * value / 2, x)
    np.testing.assert_allclose(grad, [1.0], rtol=1e-3 if dtype == np.float32 else 1e-6)


def test_numerical_grad_names_the_element_when_no_step_can_be_taken():
    x = np.array([[0.0, 1.0], [2.0, 3.0]])
    with pytest.raises(ValueError, match=r"x\[0, 1\] = 1.0 .*rounds to x; use a larger eps"):
        numerical_grad(lambda v: float(np.sum(v)), x, eps=1e-20)
    with pytest.raises(ValueError, match=r"x\[1\] = inf .*not finite"):
        numerical_grad(lambda v: float(np.sum(v)), np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match=r"x\[0\] = .*overflows"):
        numerical_grad(lambda v: float(np.sum(v)), np.array([1.7e308]), eps=0.5)


@pytest.mark.parametrize("bad, error", [("1e-3", TypeError), (True, TypeError),
                                        (None, None), (0, ValueError), (-1e-3, ValueError),
                                        (float("nan"), ValueError), (float("inf"), ValueError)])
def test_eps_is_checked(bad, error):
    f = lambda v: float(np.sum(v ** 2))  # noqa: E731
    if error is None:  # None picks the default step
        np.testing.assert_allclose(numerical_grad(f, np.array([1.0]), eps=bad), [2.0])
        return
    with pytest.raises(error, match="eps must be"):
        numerical_grad(f, np.array([1.0]), eps=bad)


@pytest.mark.parametrize("name", ["atol", "rtol"])
@pytest.mark.parametrize("bad, error", [("0.1", TypeError), (False, TypeError),
                                        (-1.0, ValueError), (float("nan"), ValueError)])
def test_tolerances_are_checked(name, bad, error):
    with pytest.raises(error, match=f"{name} must be"):
        gradcheck(np.sum, np.ones_like, np.array([1.0, 2.0]), **{name: bad})


@pytest.mark.parametrize("a, b, expected", [(1e308, -1e308, 1.0), (1e308, 1e308, 0.0),
                                            (-1e308, 5e307, 1.0), (1e-320, 0.0, 1.0),
                                            (0.0, 0.0, 0.0)])
def test_relative_error_does_not_overflow(a, b, expected):
    assert relative_error(a, b) == pytest.approx(expected)


@given(hnp.arrays(np.float64, 4, elements=st.floats(-1e308, 1e308)),
       hnp.arrays(np.float64, 4, elements=st.floats(-1e308, 1e308)))
def test_relative_error_lies_in_the_unit_interval(a, b):
    assert 0.0 <= relative_error(a, b) <= 1.0
