"""Tests of xentlib.binary against hand computation, finite differences and PyTorch."""

import math
import warnings

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from xentlib.activations import sigmoid
from xentlib.binary import (
    binary_cross_entropy,
    binary_cross_entropy_grad,
    binary_cross_entropy_value_and_grad,
    binary_cross_entropy_with_logits,
    binary_cross_entropy_with_logits_grad,
    binary_cross_entropy_with_logits_value_and_grad,
)
from xentlib.finite_differences import gradcheck, numerical_grad

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["none", "mean", "sum"]


def total(loss):
    """The scalar whose gradient ``*_grad`` returns (the sum for reduction='none')."""
    return float(np.sum(loss))


# ---------------------------------------------------------------- hand-computed cases


def test_bce_hand_values():
    p = np.array([0.5, 0.9, 0.9, 0.25])
    y = np.array([1.0, 1.0, 0.0, 0.5])
    expected = [
        math.log(2.0),
        -math.log(0.9),
        -math.log(0.1),
        -(0.5 * math.log(0.25) + 0.5 * math.log(0.75)),
    ]
    np.testing.assert_allclose(binary_cross_entropy(p, y, reduction="none"), expected, rtol=1e-14)
    np.testing.assert_allclose(binary_cross_entropy(p, y), np.mean(expected), rtol=1e-14)
    np.testing.assert_allclose(binary_cross_entropy(p, y, reduction="sum"), np.sum(expected), rtol=1e-14)


def test_bce_clamps_each_log_at_minus_100():
    p = np.array([0.0, 1.0, 0.0, 1.0, 1e-50])
    y = np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    # log 0 is clamped to -100; log(1e-50) = -115.1 is clamped too
    np.testing.assert_array_equal(
        binary_cross_entropy(p, y, reduction="none"), [100.0, 100.0, 0.0, 0.0, 100.0]
    )
    # a soft target at a saturated probability: (1 - y) * 100
    assert binary_cross_entropy(np.array([1.0]), np.array([0.25]), reduction="sum") == 75.0


def test_bce_gradient_hand_values_and_floor():
    p = np.array([0.5, 0.9, 0.0, 1.0, 0.0, 1.0])
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0])
    # (p - y) / (p (1 - p)); the denominator is floored at PyTorch's 1e-12, a C++ float
    floor = float(np.float32(1e-12))
    assert floor != 1e-12
    expected = [-0.5 / 0.25, 0.9 / 0.09, -1 / floor, 1 / floor, 0.0, 0.0]
    np.testing.assert_allclose(
        binary_cross_entropy_grad(p, y, reduction="sum"), expected, rtol=1e-14
    )
    np.testing.assert_allclose(
        binary_cross_entropy_grad(p, y), np.array(expected) / 6, rtol=1e-14
    )


def test_bce_weight_scales_each_element():
    p = np.array([[0.2, 0.7], [0.4, 0.9]])
    y = np.array([[0.0, 1.0], [1.0, 1.0]])
    w = np.array([2.0, 0.5])  # one weight per column, broadcast over rows
    plain = binary_cross_entropy(p, y, reduction="none")
    np.testing.assert_allclose(binary_cross_entropy(p, y, weight=w, reduction="none"), plain * w)
    # the mean divides by the number of elements, not by the sum of the weights
    np.testing.assert_allclose(binary_cross_entropy(p, y, weight=w), np.sum(plain * w) / 4)
    np.testing.assert_allclose(
        binary_cross_entropy_grad(p, y, weight=w, reduction="sum"),
        binary_cross_entropy_grad(p, y, reduction="sum") * w,
    )


def test_with_logits_hand_values():
    x = np.array([0.0, math.log(3.0), -math.log(3.0), 1000.0, -1000.0])
    y = np.array([1.0, 1.0, 1.0, 0.0, 0.0])
    # -log sigma(log 3) = log(4/3); -log sigma(-log 3) = log 4; sigma(1000) -> loss 1000
    expected = [math.log(2.0), math.log(4 / 3), math.log(4.0), 1000.0, 0.0]
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(x, y, reduction="none"), expected, rtol=1e-14, atol=1e-300
    )
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits_grad(x, y, reduction="sum"),
        [-0.5, -0.25, -0.75, 1.0, 0.0],
        rtol=1e-14,
    )


def test_with_logits_pos_weight_hand_values():
    x = np.array([math.log(3.0), math.log(3.0), 0.0])
    y = np.array([1.0, 0.0, 0.5])
    pw = 3.0
    # positive label: pw * (-log sigma(x)); negative label: -log(1 - sigma(x))
    # soft label y: pw * y * (-log sigma) + (1 - y) * (-log(1 - sigma))
    expected = [
        pw * math.log(4 / 3),
        math.log(4.0),
        pw * 0.5 * math.log(2.0) + 0.5 * math.log(2.0),
    ]
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(x, y, pos_weight=pw, reduction="none"), expected, rtol=1e-14
    )
    # gradient (1 + (pw - 1) y) sigma(x) - pw y
    s = np.array([0.75, 0.75, 0.5])
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits_grad(x, y, pos_weight=pw, reduction="sum"),
        (1 + (pw - 1) * y) * s - pw * y,
        rtol=1e-14,
    )


HARD_LABEL_X = [-100.0, -30.0, -15.0, -10.0, 10.0, 15.0, 30.0, 100.0]


def _mp_softplus(x):
    """log(1 + e^x) at 50 digits: the loss -log(1 - sigma(x)) of the label 0."""
    with mpmath.workdps(50):
        return mpmath.log1p(mpmath.exp(mpmath.mpf(float(x))))


def _ulps(value, reference, dtype):
    """Distance of ``value`` from the exact ``reference`` in ulps of the rounded reference."""
    with mpmath.workdps(50):
        error = abs(mpmath.mpf(float(value)) - reference)
        return float(error / mpmath.mpf(float(np.spacing(dtype(float(reference))))))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("pos_weight", [None, 2.5])
def test_with_logits_hard_labels_match_50_digit_reference(dtype, pos_weight):
    # Both hard labels at large |x|: the loss lies between e^{-100} and 100, so a relative
    # bound of a few ulps catches the loss of the tiny ones (y = 0, x << 0 and y = 1,
    # x >> 0) that an arrangement subtracting two numbers of size |x| rounds away.
    x = np.array(HARD_LABEL_X * 2, dtype=dtype)
    y = np.repeat(np.array([0.0, 1.0], dtype=dtype), len(HARD_LABEL_X))
    pw = None if pos_weight is None else np.asarray(pos_weight, dtype)
    loss, grad = binary_cross_entropy_with_logits_value_and_grad(
        x, y, pos_weight=pw, reduction="none"
    )
    for xi, yi, li, gi in zip(x, y, loss, grad):
        # -log(1 - sigma(x)) = softplus(x) for y = 0; -p_w log sigma(x) = p_w softplus(-x) for y = 1
        reference = _mp_softplus(xi) if yi == 0 else (pos_weight or 1) * _mp_softplus(-xi)
        assert _ulps(li, reference, dtype) <= 4, (dtype, xi, yi, li, reference)
        if yi == 0:
            # The gradient sigma(x) = e^{x - lg}, tiny for x << 0, stays relatively
            # accurate (down to the subnormals); exp multiplies the rounding of its
            # argument by |x|.
            with mpmath.workdps(50):
                sigma = 1 / (1 + mpmath.exp(-mpmath.mpf(float(xi))))
                error = float(abs(mpmath.mpf(float(gi)) - sigma))
            bound = (abs(float(xi)) + 4) * np.finfo(dtype).eps * float(sigma)
            assert error <= bound + np.finfo(dtype).smallest_subnormal, (dtype, xi, gi)


def test_with_logits_equals_bce_of_sigmoid_where_both_are_exact():
    rng = np.random.default_rng(0)
    x = rng.uniform(-8, 8, size=(5, 3))
    y = rng.uniform(0, 1, size=(5, 3))
    w = rng.uniform(0, 2, size=(3,))
    for reduction in REDUCTIONS:
        np.testing.assert_allclose(
            binary_cross_entropy_with_logits(x, y, weight=w, reduction=reduction),
            binary_cross_entropy(sigmoid(x), y, weight=w, reduction=reduction),
            rtol=1e-10,
        )


def test_pos_weight_one_is_no_pos_weight():
    x = np.array([-3.0, 0.2, 5.0])
    y = np.array([0.0, 1.0, 0.3])
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits(x, y, pos_weight=np.ones(3), reduction="none"),
        binary_cross_entropy_with_logits(x, y, reduction="none"),
        rtol=1e-15,
    )


def test_empty_input_follows_torch_conventions():
    empty = np.zeros(0)
    assert np.isnan(binary_cross_entropy(empty, empty))
    assert binary_cross_entropy(empty, empty, reduction="sum") == 0.0
    assert np.isnan(binary_cross_entropy_with_logits(empty, empty))
    assert binary_cross_entropy_grad(empty, empty).shape == (0,)
    assert binary_cross_entropy_with_logits_grad(empty, empty).shape == (0,)


@pytest.mark.parametrize("shape", [(3, 0), (0, 4), (2, 0, 5)])
@pytest.mark.parametrize("weighted", [False, True])
def test_with_logits_of_an_empty_axis_follows_torch(shape, weighted):
    """An empty class axis (N, 0) gives what PyTorch gives: nan for the mean, 0 for the
    sum, empty losses and an empty gradient, without a warning."""
    x = np.zeros(shape)
    weight = np.ones(shape[1:]) if weighted else None
    extra = {"weight": weight, "pos_weight": weight}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn, args in ((binary_cross_entropy_with_logits_value_and_grad, extra),
                         (binary_cross_entropy_value_and_grad, {"weight": weight})):
            mean, grad = fn(x, x, reduction="mean", **args)
            assert np.isnan(mean) and grad.shape == shape
            total_loss, grad = fn(x, x, reduction="sum", **args)
            assert total_loss == 0 and grad.shape == shape
            losses, grad = fn(x, x, reduction="none", **args)
            assert losses.shape == shape and grad.shape == shape
        assert np.isnan(binary_cross_entropy_with_logits(x, x, **extra))
        assert binary_cross_entropy_with_logits_grad(x, x, **extra).shape == shape
    torch = pytest.importorskip("torch")
    t = torch.zeros(shape, dtype=torch.float64)
    assert torch.isnan(torch.nn.functional.binary_cross_entropy_with_logits(t, t))
    assert torch.nn.functional.binary_cross_entropy_with_logits(t, t, reduction="sum") == 0


def test_float16_inputs_are_computed_in_float32_and_match_torch():
    rng = np.random.default_rng(3)
    x = rng.normal(0, 3, (4, 5)).astype(np.float16)
    y = rng.uniform(0, 1, (4, 5)).astype(np.float16)
    p = rng.uniform(0.02, 0.98, (4, 5)).astype(np.float16)
    for reduction in REDUCTIONS:
        for fn, first in ((binary_cross_entropy_with_logits_value_and_grad, x),
                          (binary_cross_entropy_value_and_grad, p)):
            loss, grad = fn(first, y, reduction=reduction)
            assert np.asarray(loss).dtype == np.float16 and grad.dtype == np.float16
            # One rounding of the float32 result: within half a float16 ulp of it.
            loss32, grad32 = fn(first.astype(np.float32), y.astype(np.float32),
                                reduction=reduction)
            np.testing.assert_array_equal(loss, np.asarray(loss32).astype(np.float16))
            np.testing.assert_array_equal(grad, grad32.astype(np.float16))
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for reduction in REDUCTIONS:
        for fn, torch_fn, first in (
                (binary_cross_entropy_with_logits_value_and_grad,
                 F.binary_cross_entropy_with_logits, x),
                (binary_cross_entropy_value_and_grad, F.binary_cross_entropy, p)):
            loss, grad = fn(first, y, reduction=reduction)
            t_loss, t_grad = _torch_bce(torch, torch_fn, first, y, reduction)
            assert t_loss.dtype == np.float16  # PyTorch keeps float16 too
            np.testing.assert_allclose(np.float64(loss), np.float64(t_loss), rtol=4e-3, atol=1e-3)
            np.testing.assert_allclose(np.float64(grad), np.float64(t_grad), rtol=4e-3, atol=1e-3)


# ---------------------------------------------------------------- finite differences


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_gradient_matches_finite_differences(reduction):
    rng = np.random.default_rng(1)
    p = rng.uniform(0.05, 0.95, size=(4, 3))
    y = rng.uniform(0, 1, size=(4, 3))
    w = rng.uniform(0.5, 2, size=(4, 1))
    report = gradcheck(
        lambda v: total(binary_cross_entropy(v, y, weight=w, reduction=reduction)),
        lambda v: binary_cross_entropy_grad(v, y, weight=w, reduction=reduction),
        p,
    )
    assert report.passed, report
    assert report.max_rel_error < 1e-7


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_with_logits_gradient_matches_finite_differences(reduction):
    rng = np.random.default_rng(2)
    x = rng.normal(scale=5, size=(4, 3))
    y = rng.uniform(0, 1, size=(4, 3))
    w = rng.uniform(0.5, 2, size=(4, 3))
    pw = rng.uniform(0.5, 4, size=(3,))
    report = gradcheck(
        lambda v: total(
            binary_cross_entropy_with_logits(v, y, weight=w, pos_weight=pw, reduction=reduction)
        ),
        lambda v: binary_cross_entropy_with_logits_grad(
            v, y, weight=w, pos_weight=pw, reduction=reduction
        ),
        x,
    )
    assert report.passed, report
    assert report.max_rel_error < 1e-7


# ---------------------------------------------------------------- PyTorch


def _tol(dtype):
    return dict(rtol=2e-6, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)


def _torch_bce(torch, fn, first, y, reduction, **kwargs):
    t = torch.from_numpy(first.copy()).requires_grad_(True)
    kwargs = {k: (None if v is None else torch.as_tensor(v)) for k, v in kwargs.items()}
    loss = fn(t, torch.from_numpy(y), reduction=reduction, **kwargs)
    loss.sum().backward()
    return loss.detach().numpy(), t.grad.numpy()


WEIGHT_SHAPES = [None, (), (3,), (4, 1), (4, 3)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", WEIGHT_SHAPES)
def test_bce_matches_torch(dtype, reduction, weight_shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    p = rng.uniform(0, 1, size=(4, 3)).astype(dtype)
    p[0] = [0.0, 1.0, 1e-30]  # saturated probabilities: clamped log, floored gradient
    p[1, :2] = [1.0, 0.0]
    y = rng.integers(0, 2, size=(4, 3)).astype(dtype)
    y[2] = [0.3, 0.5, 1.0]  # soft labels
    w = None if weight_shape is None else rng.uniform(0.1, 2, size=weight_shape).astype(dtype)
    loss, grad = binary_cross_entropy_value_and_grad(p, y, weight=w, reduction=reduction)
    t_loss, t_grad = _torch_bce(
        torch, torch.nn.functional.binary_cross_entropy, p, y, reduction, weight=w
    )
    np.testing.assert_allclose(loss, t_loss, **_tol(dtype))
    np.testing.assert_allclose(grad, t_grad, **_tol(dtype))
    assert np.asarray(loss).dtype == dtype and grad.dtype == dtype and grad.shape == p.shape


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", WEIGHT_SHAPES)
@pytest.mark.parametrize("pos_weight_shape", [None, (3,), (4, 3)])
def test_with_logits_matches_torch(dtype, reduction, weight_shape, pos_weight_shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.normal(scale=10, size=(4, 3)).astype(dtype)
    x[0] = [1e4, -1e4, 0.0]  # extreme logits
    x[1] = [-100.0, 100.0, 1e-30]
    y = rng.integers(0, 2, size=(4, 3)).astype(dtype)
    y[0] = [0.0, 1.0, 0.5]  # the wrong extreme: loss 1e4 and 1e4 (times pos_weight)
    y[1] = [1.0, 0.0, 0.2]
    w = None if weight_shape is None else rng.uniform(0.1, 2, size=weight_shape).astype(dtype)
    pw = None if pos_weight_shape is None else rng.uniform(0.2, 5, size=pos_weight_shape).astype(dtype)
    loss, grad = binary_cross_entropy_with_logits_value_and_grad(
        x, y, weight=w, pos_weight=pw, reduction=reduction
    )
    t_loss, t_grad = _torch_bce(
        torch,
        torch.nn.functional.binary_cross_entropy_with_logits,
        x,
        y,
        reduction,
        weight=w,
        pos_weight=pw,
    )
    np.testing.assert_allclose(loss, t_loss, **_tol(dtype))
    np.testing.assert_allclose(grad, t_grad, **_tol(dtype))
    assert np.asarray(loss).dtype == dtype and grad.dtype == dtype and grad.shape == x.shape


@pytest.mark.parametrize("dtype", DTYPES)
def test_with_logits_hard_labels_against_torch(dtype):
    torch = pytest.importorskip("torch")
    x = np.array(HARD_LABEL_X * 2, dtype=dtype)
    y = np.repeat(np.array([0.0, 1.0], dtype=dtype), len(HARD_LABEL_X))
    loss = binary_cross_entropy_with_logits(x, y, reduction="none")
    t_loss, _ = _torch_bce(
        torch, torch.nn.functional.binary_cross_entropy_with_logits, x, y, "none"
    )
    errors, t_errors = [], []
    for xi, yi, li, ti in zip(x, y, loss, t_loss):
        reference = _mp_softplus(xi if yi == 0 else -xi)
        errors.append(_ulps(li, reference, dtype))
        t_errors.append(_ulps(ti, reference, dtype))
    errors, t_errors = np.array(errors), np.array(t_errors)
    # Where PyTorch's (1 - y) x - log sigma(x) has no cancellation (every loss except
    # y = 0 at x < 0) both are within a few ulps of the 50-digit value ...
    cancels = (y == 0) & (x < 0)
    assert np.all(t_errors[~cancels] <= 4) and np.all(errors <= 4)
    # ... and at y = 0, x << 0 PyTorch subtracts two numbers of size |x|: its error is
    # over 10^4 ulps from x = -10 on, and its loss is 0 from x = -15 in float32 and at
    # x = -100 in float64 (true loss about e^x), where xentlib's is within 4 ulps.
    assert np.all(t_errors[cancels & (x > -100)] > 1e4)
    zero_from = -15.0 if dtype == np.float32 else -100.0
    np.testing.assert_array_equal(t_loss[cancels] == 0, x[cancels] <= zero_from)
    assert np.all(loss > 0)


# ---------------------------------------------------------------- fused = separate


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_value_and_grad_equal_the_separate_functions(reduction):
    rng = np.random.default_rng(5)
    p = rng.uniform(0, 1, size=(3, 2))
    x = rng.normal(size=(3, 2)) * 20
    y = rng.uniform(0, 1, size=(3, 2))
    w, pw = rng.uniform(size=(2,)), rng.uniform(size=(3, 1)) * 3
    loss, grad = binary_cross_entropy_value_and_grad(p, y, w, reduction)
    np.testing.assert_array_equal(loss, binary_cross_entropy(p, y, w, reduction))
    np.testing.assert_array_equal(grad, binary_cross_entropy_grad(p, y, w, reduction))
    loss, grad = binary_cross_entropy_with_logits_value_and_grad(x, y, w, pw, reduction)
    np.testing.assert_array_equal(loss, binary_cross_entropy_with_logits(x, y, w, pw, reduction))
    np.testing.assert_array_equal(grad, binary_cross_entropy_with_logits_grad(x, y, w, pw, reduction))


# ---------------------------------------------------------------- properties

EXTREME = st.one_of(
    st.floats(-50, 50),
    st.floats(-1e4, 1e4),
    st.floats(-1e-30, 1e-30),
    st.sampled_from([0.0, 1e4, -1e4, 88.0, -104.0, 745.0, -745.0]),
)


@st.composite
def logit_problems(draw, elements=EXTREME):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, max_side=4))
    x = draw(hnp.arrays(np.float64, shape, elements=elements)).astype(dtype)
    y = draw(hnp.arrays(np.float64, shape, elements=st.sampled_from([0.0, 1.0, 0.5, 0.1]))).astype(dtype)
    pw = draw(st.one_of(st.none(), st.floats(0.1, 10)))
    reduction = draw(st.sampled_from(REDUCTIONS))
    return x, y, pw, reduction


@given(logit_problems())
def test_with_logits_is_finite_nonnegative_and_keeps_dtype(problem):
    x, y, pw, reduction = problem
    loss, grad = binary_cross_entropy_with_logits_value_and_grad(x, y, pos_weight=pw, reduction=reduction)
    loss = np.asarray(loss)
    assert loss.dtype == x.dtype and grad.dtype == x.dtype and grad.shape == x.shape
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    assert np.all(loss >= 0)
    # |dL/dx| <= max(1, pos_weight) per element, before the 1/N of the mean
    bound = max(1.0, pw or 1.0) * (1 + 1e-6)
    scale = x.size if reduction == "mean" else 1
    assert np.all(np.abs(grad) * scale <= bound)


@given(logit_problems(elements=st.floats(-40, 40)).filter(lambda pr: pr[0].dtype == np.float64))
def test_with_logits_gradient_equals_finite_differences(problem):
    x, y, pw, reduction = problem
    numeric = numerical_grad(
        lambda v: total(binary_cross_entropy_with_logits(v, y, pos_weight=pw, reduction=reduction)), x
    )
    np.testing.assert_allclose(
        binary_cross_entropy_with_logits_grad(x, y, pos_weight=pw, reduction=reduction),
        numeric,
        atol=1e-7 * max(1.0, pw or 1.0),
    )


@given(
    hnp.arrays(np.float64, hnp.array_shapes(max_dims=2, max_side=4), elements=st.floats(0, 1)),
    st.sampled_from(DTYPES),
    st.sampled_from(REDUCTIONS),
    st.data(),
)
def test_bce_is_finite_nonnegative_and_keeps_dtype(p, dtype, reduction, data):
    p = p.astype(dtype)
    y = data.draw(hnp.arrays(np.float64, p.shape, elements=st.floats(0, 1))).astype(dtype)
    loss, grad = binary_cross_entropy_value_and_grad(p, y, reduction=reduction)
    loss = np.asarray(loss)
    assert loss.dtype == dtype and grad.dtype == dtype and grad.shape == p.shape
    assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
    # each element costs at most 100, the clamp of the log
    bound = 100 * (p.size if reduction == "sum" else 1) * (1 + 1e-6)
    assert np.all(loss >= 0) and np.all(loss <= bound)


@given(hnp.arrays(np.float64, st.integers(1, 5), elements=st.floats(0.02, 0.98)), st.data())
def test_bce_gradient_equals_finite_differences(p, data):
    y = data.draw(hnp.arrays(np.float64, p.shape, elements=st.floats(0, 1)))
    numeric = numerical_grad(lambda v: total(binary_cross_entropy(v, y, reduction="sum")), p)
    np.testing.assert_allclose(
        binary_cross_entropy_grad(p, y, reduction="sum"), numeric, rtol=1e-6, atol=1e-7
    )


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan])
def test_probability_outside_unit_interval_raises(bad):
    p = np.array([0.5, bad])
    for f in (binary_cross_entropy, binary_cross_entropy_grad, binary_cross_entropy_value_and_grad):
        with pytest.raises(ValueError, match=r"invalid probability in p: every element must lie in \[0, 1\]"):
            f(p, np.array([1.0, 0.0]))


def test_target_outside_unit_interval_raises_for_bce():
    with pytest.raises(ValueError, match=r"invalid target in y: .*found 2\.0"):
        binary_cross_entropy(np.array([0.5, 0.5]), np.array([1.0, 2.0]))


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"y must have the same shape as p: got p \(3,\) and y \(3, 1\)"):
        binary_cross_entropy(np.full(3, 0.5), np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"y must have the same shape as x: got x \(2, 3\) and y \(3,\)"):
        binary_cross_entropy_with_logits_grad(np.zeros((2, 3)), np.ones(3))


def test_weight_that_does_not_broadcast_raises():
    with pytest.raises(ValueError, match=r"weight of shape \(3, 2\) cannot be broadcast to the input shape \(2,\)"):
        binary_cross_entropy(np.full(2, 0.5), np.ones(2), weight=np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"weight of shape \(4,\) cannot be broadcast to the input shape \(2, 3\)"):
        binary_cross_entropy_with_logits(np.zeros((2, 3)), np.ones((2, 3)), weight=np.ones(4))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(2,\) cannot be broadcast"):
        binary_cross_entropy_with_logits_value_and_grad(
            np.zeros((2, 3)), np.ones((2, 3)), pos_weight=np.ones(2)
        )


@pytest.mark.parametrize("reduction", ["avg", "Mean", None])
def test_bad_reduction_raises(reduction):
    with pytest.raises(ValueError, match="reduction must be one of"):
        binary_cross_entropy(np.full(2, 0.5), np.ones(2), reduction=reduction)
    with pytest.raises(ValueError, match="reduction must be one of"):
        binary_cross_entropy_with_logits_grad(np.zeros(2), np.ones(2), reduction=reduction)


def test_non_numeric_arguments_raise_type_error():
    with pytest.raises(TypeError, match="p must be a real float16, float32 or float64 array"):
        binary_cross_entropy(np.array(["a"]), np.ones(1))
    with pytest.raises(TypeError, match="y must be a real"):
        binary_cross_entropy_with_logits(np.zeros(1), np.array(["1"]))
    with pytest.raises(TypeError, match="pos_weight must be a real"):
        binary_cross_entropy_with_logits(np.zeros(1), np.ones(1), pos_weight="heavy")


def test_integer_inputs_become_float64():
    loss, grad = binary_cross_entropy_with_logits_value_and_grad([0, 2], [1, 0])
    assert grad.dtype == np.float64 and np.asarray(loss).dtype == np.float64
    loss, grad = binary_cross_entropy_value_and_grad([0, 1], [0, 1])
    assert grad.dtype == np.float64 and loss == 0.0


# ---------------------------------------------------------------- infinite logits, blocks


INF_X = np.array([np.inf, np.inf, np.inf, -np.inf, -np.inf, -np.inf])
INF_Y = np.array([0.0, 0.5, 1.0, 0.0, 0.5, 1.0])


def test_with_logits_at_infinite_logits_follows_pytorch_values():
    loss, grad = binary_cross_entropy_with_logits_value_and_grad(INF_X, INF_Y, reduction="none")
    # (x - m)(1 - y) with m = min(x, 0): inf (1 - y) at x = +inf, so inf for y < 1 and
    # 0 * inf = nan for y = 1; x - m = -inf + inf = nan at x = -inf, for every y
    np.testing.assert_array_equal(loss, [np.inf, np.inf, np.nan, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(grad, sigmoid(INF_X) - INF_Y)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("weight", [None, 2.0])
@pytest.mark.parametrize("pos_weight", [None, 3.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_with_logits_at_infinite_logits_matches_torch(dtype, weight, pos_weight, reduction):
    torch = pytest.importorskip("torch")
    x, y = INF_X.astype(dtype), INF_Y.astype(dtype)
    weight, pos_weight = (None if v is None else np.asarray(v, dtype) for v in (weight, pos_weight))
    loss, grad = binary_cross_entropy_with_logits_value_and_grad(
        x, y, weight=weight, pos_weight=pos_weight, reduction=reduction
    )
    t_loss, t_grad = _torch_bce(torch, torch.nn.functional.binary_cross_entropy_with_logits,
                                x, y, reduction, weight=weight, pos_weight=pos_weight)
    np.testing.assert_array_equal(loss, t_loss)
    np.testing.assert_allclose(grad, t_grad, rtol=1e-15)


def test_with_logits_blocks_give_the_same_result(monkeypatch):
    import xentlib._checks as checks_module

    rng = np.random.default_rng(9)
    x = rng.normal(scale=5, size=(11, 3, 2))
    y = rng.uniform(0, 1, size=(11, 3, 2))
    kw = dict(weight=rng.uniform(0.5, 2, size=(3, 1)), pos_weight=rng.uniform(0.5, 3, size=2))
    reference = [binary_cross_entropy_with_logits_value_and_grad(x, y, reduction=r, **kw)
                 for r in REDUCTIONS]
    for block_bytes in (1, 3 * 2 * 8 * 4):
        monkeypatch.setattr(checks_module, "BLOCK_BYTES", block_bytes)
        for r, (loss, grad) in zip(REDUCTIONS, reference):
            loss_b, grad_b = binary_cross_entropy_with_logits_value_and_grad(x, y, reduction=r, **kw)
            np.testing.assert_allclose(loss_b, loss, rtol=1e-14)
            np.testing.assert_array_equal(grad_b, grad)


def test_with_logits_is_accurate_where_torch_cancels():
    """z = -41, y = 2^-23 in float32: the loss is -z y + log(1 + e^z) = 4.8876e-6; PyTorch's
    (1 - y) z - log sigma(z) loses it to cancellation (3.8147e-6), xentlib keeps it."""
    torch = pytest.importorskip("torch")
    x, y = np.array(-41.0, np.float32), np.array(2.0**-23, np.float32)
    loss, _ = binary_cross_entropy_with_logits_value_and_grad(x, y, reduction="none")
    exact = float(-mpmath.mpf(-41) * mpmath.mpf(2) ** -23 + mpmath.log1p(mpmath.exp(-41)))
    assert abs(float(loss) - exact) <= 2e-6 * exact
    t_loss, _ = _torch_bce(torch, torch.nn.functional.binary_cross_entropy_with_logits,
                           x, y, "none")
    assert abs(float(t_loss) - exact) > 0.1 * exact
    assert abs(float(t_loss) - float(loss)) <= 4 * np.finfo(np.float32).eps * 41


@given(
    hnp.arrays(st.sampled_from([np.float32, np.float64]),
               hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
               elements=st.floats(-1e4, 1e4, width=32)),
    st.data(),
    st.sampled_from(REDUCTIONS),
)
def test_property_with_logits_matches_torch(x, data, reduction):
    torch = pytest.importorskip("torch")
    y = data.draw(hnp.arrays(x.dtype, x.shape, elements=st.floats(0, 1, width=32)))
    pw = data.draw(st.none() | st.floats(0.25, 4))
    pw = None if pw is None else np.asarray(pw, x.dtype)  # a float would be float32 in torch
    loss, grad = binary_cross_entropy_with_logits_value_and_grad(x, y, pos_weight=pw,
                                                                 reduction=reduction)
    t_loss, t_grad = _torch_bce(torch, torch.nn.functional.binary_cross_entropy_with_logits,
                                x, y, reduction, pos_weight=pw)
    scale = max(1.0, float(np.max(np.abs(t_loss), initial=0)))
    tol = _tol(x.dtype)
    # PyTorch forms (1 - y) z - log sigma(z): two terms of size |z| whose difference can be
    # tiny (z = -41, y = 1.2e-7: 4.9e-6, PyTorch 3.8e-6 in float32). Its rounding error is
    # a few spacings of floats at |z|, per element, added up by a sum.
    weight = 1.0 if pw is None else max(1.0, float(pw))
    magnitudes = np.abs(x, dtype=np.float64)
    spread = magnitudes.sum() if reduction == "sum" else np.max(magnitudes, initial=0)
    cancellation = 4 * np.finfo(x.dtype).eps * weight * float(spread)
    np.testing.assert_allclose(loss, t_loss, rtol=tol["rtol"], atol=tol["atol"] * scale + cancellation)
    np.testing.assert_allclose(grad, t_grad, **tol)
    assert np.asarray(loss).dtype == x.dtype and grad.dtype == x.dtype
