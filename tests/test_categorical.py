"""Tests of xentlib.categorical against hand computation, finite differences and PyTorch."""

import importlib
import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from xentlib.categorical import (
    cross_entropy,
    cross_entropy_grad,
    cross_entropy_value_and_grad,
)
from xentlib.finite_differences import gradcheck

# The module whose block size the blocked passes read.
checks_module = importlib.import_module("xentlib._checks")

DTYPES = [np.float32, np.float64]
REDUCTIONS = ["mean", "sum", "none"]
TOL = {np.float32: dict(rtol=2e-5, atol=2e-6), np.float64: dict(rtol=1e-12, atol=1e-14)}


def total(loss):
    """The scalar whose gradient ``cross_entropy_grad`` returns (the sum for 'none')."""
    return float(np.sum(loss))


# ---------------------------------------------------------------- hand-computed cases


def test_two_classes_by_hand():
    # softmax([0, ln 3]) = [1/4, 3/4]
    z = np.array([0.0, math.log(3.0)])
    loss, grad = cross_entropy_value_and_grad(z, 1)
    assert loss == pytest.approx(math.log(4 / 3), rel=1e-15)
    np.testing.assert_allclose(grad, [0.25, -0.25], rtol=1e-15)
    loss, grad = cross_entropy_value_and_grad(z, 0)
    assert loss == pytest.approx(math.log(4), rel=1e-15)
    np.testing.assert_allclose(grad, [-0.75, 0.75], rtol=1e-15)


def test_equal_logits_give_log_c_and_uniform_minus_onehot():
    C, m = 5, 3
    z = np.full((m, C), 7.25)
    k = np.array([0, 4, 2])
    loss, grad = cross_entropy_value_and_grad(z, k, reduction="none")
    np.testing.assert_allclose(loss, [math.log(C)] * m, rtol=1e-15)
    expected = np.full((m, C), 1 / C)
    expected[np.arange(m), k] -= 1
    np.testing.assert_allclose(grad, expected, rtol=1e-15, atol=1e-16)
    # the mean divides the gradient by m
    np.testing.assert_allclose(cross_entropy_grad(z, k), expected / m, rtol=1e-15, atol=1e-16)


def test_label_smoothing_by_hand():
    # a = [1/4, 3/4]; eps = 1/2 smooths the one-hot [0, 1] into [1/4, 3/4] = a
    z = np.array([0.0, math.log(3.0)])
    loss, grad = cross_entropy_value_and_grad(z, 1, label_smoothing=0.5)
    assert loss == pytest.approx(-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)), rel=1e-14)
    np.testing.assert_allclose(grad, [0.0, 0.0], atol=1e-16)


def test_weighted_mean_and_ignore_index_by_hand():
    z = np.array([[0.0, math.log(3.0)], [math.log(3.0), 0.0], [1.0, 2.0]])
    k = np.array([1, 1, -100])
    w = np.array([1.0, 2.0])
    # losses ln(4/3) and ln 4, both of class 1 (weight 2); the third is ignored
    losses = np.array([2 * math.log(4 / 3), 2 * math.log(4), 0.0])
    np.testing.assert_allclose(cross_entropy(z, k, weight=w, reduction="none"), losses, rtol=1e-15)
    assert cross_entropy(z, k, weight=w, reduction="sum") == pytest.approx(losses.sum(), rel=1e-15)
    assert cross_entropy(z, k, weight=w) == pytest.approx(losses.sum() / 4, rel=1e-15)
    grad = cross_entropy_grad(z, k, weight=w)
    np.testing.assert_allclose(grad, [[0.5 / 4, -0.5 / 4], [1.5 / 4, -1.5 / 4], [0, 0]], rtol=1e-15)


def test_probability_targets_by_hand():
    z = np.array([[0.0, math.log(3.0)], [0.0, 0.0]])
    y = np.array([[0.5, 0.5], [0.2, 0.8]])
    losses = [-(0.5 * math.log(0.25) + 0.5 * math.log(0.75)), math.log(2)]
    np.testing.assert_allclose(cross_entropy(z, y, reduction="none"), losses, rtol=1e-15)
    # mean over the m = 2 rows, whatever the weights
    w = np.array([3.0, 1.0])
    weighted = [-(1.5 * math.log(0.25) + 0.5 * math.log(0.75)), (0.6 + 0.8) * math.log(2)]
    assert cross_entropy(z, y, weight=w) == pytest.approx(np.mean(weighted), rel=1e-15)
    # gradient a - y, over m
    expected = [[-0.125, 0.125], [0.15, -0.15]]
    np.testing.assert_allclose(cross_entropy_grad(z, y), expected, rtol=1e-14)


def test_one_class_has_zero_loss_and_gradient():
    z = np.array([[3.0], [-1e4], [0.0]])
    for eps in (0.0, 0.3):
        loss, grad = cross_entropy_value_and_grad(z, np.zeros(3, dtype=int), label_smoothing=eps)
        assert loss == 0.0
        # a = 1 and the target is 1: the three terms of a r - u cancel up to rounding
        np.testing.assert_allclose(grad, np.zeros((3, 1)), atol=1e-16)


def test_all_ignored_is_nan_mean_zero_sum_and_zero_gradient():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1.0]])
    k = np.array([-100, -100])
    for eps, w in itertools.product((0.0, 0.2), (None, np.array([1.0, 2.0, 3.0]))):
        loss, grad = cross_entropy_value_and_grad(z, k, weight=w, label_smoothing=eps)
        assert np.isnan(loss)
        np.testing.assert_array_equal(grad, np.zeros_like(z))
        assert cross_entropy(z, k, weight=w, label_smoothing=eps, reduction="sum") == 0.0
        np.testing.assert_array_equal(
            cross_entropy(z, k, weight=w, label_smoothing=eps, reduction="none"), [0.0, 0.0]
        )


def test_dtypes_are_kept_and_integers_become_float64():
    k = np.array([0, 2])
    for dtype in DTYPES:
        z = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=dtype)
        for reduction in REDUCTIONS:
            loss, grad = cross_entropy_value_and_grad(z, k, reduction=reduction)
            assert np.asarray(loss).dtype == dtype and grad.dtype == dtype
            p = np.full(z.shape, 1 / 3)
            loss, grad = cross_entropy_value_and_grad(z, p, reduction=reduction)
            assert np.asarray(loss).dtype == dtype and grad.dtype == dtype
        # float32 weights and probabilities do not lift float32 logits to float64
        w, eps = np.ones(3), np.float64(0.1)
        _, grad = cross_entropy_value_and_grad(z, k, weight=w, label_smoothing=eps)
        assert grad.dtype == dtype
    loss, grad = cross_entropy_value_and_grad([[1, 2, 3], [3, 2, 1]], [0, 2])
    assert np.asarray(loss).dtype == np.float64 and grad.dtype == np.float64
    assert loss == pytest.approx(cross_entropy(np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), k))


def test_loss_only_and_grad_only_agree_with_the_fused_pass():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((7, 4, 3))
    k = rng.integers(0, 4, (7, 3))
    k[0, 0] = -100
    for reduction, eps in itertools.product(REDUCTIONS, (0.0, 0.1)):
        kw = dict(weight=np.array([1.0, 2.0, 0.5, 1.0]), reduction=reduction, label_smoothing=eps)
        loss, grad = cross_entropy_value_and_grad(z, k, **kw)
        np.testing.assert_array_equal(cross_entropy(z, k, **kw), loss)
        np.testing.assert_array_equal(cross_entropy_grad(z, k, **kw), grad)


def test_blocks_of_rows_give_the_same_result(monkeypatch):
    rng = np.random.default_rng(1)
    z = rng.standard_normal((37, 5)) * 4
    k = rng.integers(0, 5, 37)
    k[[3, 20]] = -100
    kw = dict(weight=rng.random(5) + 0.5, label_smoothing=0.2)
    loss, grad = cross_entropy_value_and_grad(z, k, **kw)
    # blocks of 1, 2 and 8 rows, the last one partial
    for rows in (1, 2, 8):
        monkeypatch.setattr(checks_module, "BLOCK_BYTES", rows * 5 * 8)
        loss_b, grad_b = cross_entropy_value_and_grad(z, k, **kw)
        np.testing.assert_allclose(loss_b, loss, rtol=1e-15)
        np.testing.assert_allclose(grad_b, grad, rtol=1e-15, atol=1e-17)


def test_non_contiguous_logits():
    rng = np.random.default_rng(2)
    z = rng.standard_normal((6, 4))
    k = rng.integers(0, 4, 4)
    loss, grad = cross_entropy_value_and_grad(z.T, k)  # a transposed view
    loss_c, grad_c = cross_entropy_value_and_grad(np.ascontiguousarray(z.T), k)
    assert loss == loss_c
    np.testing.assert_array_equal(grad, grad_c)


# ---------------------------------------------------------------- against PyTorch


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Run PyTorch on one thread here: on tensors this small, waking its thread pool for
    every operation costs far more than the work (about ten times, on a busy machine)."""
    try:
        import torch
    except ImportError:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def torch_value_and_grad(z, target, weight=None, **kw):
    torch = pytest.importorskip("torch")
    z_t = torch.tensor(z, requires_grad=True)
    weight_t = None if weight is None else torch.tensor(weight)
    loss = torch.nn.functional.cross_entropy(z_t, torch.tensor(target), weight=weight_t, **kw)
    loss.sum().backward()
    return loss.detach().numpy(), z_t.grad.numpy()


def largest_finite(x):
    x = np.abs(np.asarray(x))
    return float(np.max(x[np.isfinite(x)], initial=0))


def assert_matches_torch(z, target, **kw):
    loss, grad = cross_entropy_value_and_grad(z, target, **kw)
    t_loss, t_grad = torch_value_and_grad(z, target, **kw)
    tol = TOL[z.dtype.type]
    assert np.shape(loss) == t_loss.shape and np.asarray(loss).dtype == t_loss.dtype
    assert grad.shape == t_grad.shape and grad.dtype == t_grad.dtype
    # relative to the largest finite entry (at least 1): float32 sums round at that scale
    scale_l = max(1.0, largest_finite(t_loss))
    scale_g = max(1.0, largest_finite(t_grad))
    rtol, atol = tol["rtol"], tol["atol"]
    np.testing.assert_allclose(loss, t_loss, rtol=rtol, atol=atol * scale_l, equal_nan=True)
    np.testing.assert_allclose(grad, t_grad, rtol=rtol, atol=atol * scale_g, equal_nan=True)


SHAPES = [(5,), (6, 4), (3, 4, 2, 5), (4, 1)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", ["indices", "indices with ignored", "probabilities"])
def test_matches_torch(dtype, shape, kind):
    pytest.importorskip("torch")
    rng = np.random.default_rng(len(shape) + 10 * len(kind))
    C = shape[1] if len(shape) > 1 else shape[0]
    positions = shape[:1] + shape[2:] if len(shape) > 1 else ()
    z = (3 * rng.standard_normal(shape)).astype(dtype)
    if kind == "probabilities":
        target = rng.dirichlet(np.ones(C), size=positions).astype(dtype)
        target = np.moveaxis(target, -1, 1) if len(shape) > 1 else target
    else:
        target = rng.integers(0, C, positions)
        if kind == "indices with ignored" and target.ndim:
            target.flat[::3] = -100
    weight = (rng.random(C) + 0.5).astype(dtype)
    for reduction, eps, w in itertools.product(REDUCTIONS, (0.0, 0.25, 1.0), (None, weight)):
        assert_matches_torch(z, target, weight=w, reduction=reduction, label_smoothing=eps)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_at_benchmark_like_size(dtype):
    # many rows and classes: several blocks, long sums
    rng = np.random.default_rng(3)
    z = rng.standard_normal((300, 1000)).astype(dtype)
    k = rng.integers(0, 1000, 300)
    k[::7] = -100
    for reduction, eps in itertools.product(REDUCTIONS, (0.0, 0.1)):
        assert_matches_torch(z, k, reduction=reduction, label_smoothing=eps)


@pytest.mark.parametrize("dtype", DTYPES)
def test_matches_torch_at_extreme_magnitudes(dtype):
    z = np.array(
        [
            [1e4, -1e4, 0.0, 1e-30, 3e3],
            [-1e4, -1e4, -1e4, -1e4, -1e4],
            [1e4, 1e4, 1e4, -1e4, 1e-4],
            [5e3, -5e3, 1e-8, -1e-8, 2.5],
        ],
        dtype=dtype,
    )
    k = np.array([1, 2, 3, 0])
    p = np.full(z.shape, 0.2, dtype=dtype)
    for reduction, eps in itertools.product(REDUCTIONS, (0.0, 0.3)):
        for target in (k, p):
            kw = dict(reduction=reduction, label_smoothing=eps)
            assert_matches_torch(z, target, **kw)
            loss, grad = cross_entropy_value_and_grad(z, target, **kw)
            assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps", [0.0, 0.2])
def test_matches_torch_when_no_target_counts(reduction, eps):
    z = np.random.default_rng(4).standard_normal((4, 3))
    w = np.array([0.0, 0.0, 3.0])
    kw = dict(reduction=reduction, label_smoothing=eps)
    # every target ignored: nan mean, zero gradient
    assert_matches_torch(z, np.full(4, -100), **kw)
    assert_matches_torch(z, np.full(4, -100), weight=w, **kw)
    # every counted target has weight 0: nan mean, nan rows where PyTorch has them
    assert_matches_torch(z, np.array([0, 0, 1, -100]), weight=w, **kw)
    # some weight 0, some not
    assert_matches_torch(z, np.array([0, 2, 1, -100]), weight=w, **kw)
    # an empty batch
    assert_matches_torch(np.zeros((0, 3)), np.zeros(0, dtype=int), **kw)
    assert_matches_torch(np.zeros((0, 3)), np.zeros((0, 3)), **kw)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_matches_torch_for_ignore_index_inside_the_classes_and_masked_logits(reduction):
    z = np.random.default_rng(5).standard_normal((4, 3))
    masked = z.copy()
    masked[:, 2] = -np.inf  # a class that can never be predicted
    for eps in (0.0, 0.2):
        kw = dict(reduction=reduction, label_smoothing=eps)
        assert_matches_torch(z, np.array([0, 2, 1, 1]), ignore_index=1, **kw)
        assert_matches_torch(masked, np.array([0, 1, 0, 1]), **kw)
        # the masked class as the target: infinite loss, finite gradient
        assert_matches_torch(masked, np.array([0, 2, 0, 1]), **kw)


# ---------------------------------------------------------------- finite differences


FD_CASES = [
    dict(),
    dict(reduction="sum"),
    dict(reduction="none"),
    dict(weight=np.array([0.5, 2.0, 1.0, 3.0])),
    dict(weight=np.array([0.5, 2.0, 1.0, 3.0]), label_smoothing=0.3),
    dict(label_smoothing=0.3, reduction="none"),
    dict(label_smoothing=1.0),
]


@pytest.mark.parametrize("kw", FD_CASES, ids=lambda kw: ",".join(kw) or "defaults")
@pytest.mark.parametrize("kind", ["indices", "probabilities", "k-dimensional"])
def test_gradient_matches_finite_differences(kw, kind):
    rng = np.random.default_rng(6)
    if kind == "indices":
        z = 2 * rng.standard_normal((5, 4))
        target = np.array([0, 3, -100, 1, 3])
    elif kind == "probabilities":
        z = 2 * rng.standard_normal((5, 4))
        target = rng.dirichlet(np.ones(4), size=5)
    else:
        z = 2 * rng.standard_normal((2, 4, 3))
        target = np.array([[0, 1, 3], [-100, 2, 2]])
    report = gradcheck(
        lambda v: total(cross_entropy(v, target, **kw)),
        lambda v: cross_entropy_grad(v, target, **kw),
        z,
    )
    assert report.passed, str(report)
    assert report.max_rel_error < 1e-8, str(report)


# ---------------------------------------------------------------- properties


@st.composite
def logits_and_indices(draw, magnitude=1e4):
    dtype = draw(st.sampled_from(DTYPES))
    m = draw(st.integers(1, 6))
    C = draw(st.integers(1, 8))
    # huge and tiny values, mixed in one row
    z = draw(hnp.arrays(dtype, (m, C), elements=st.floats(-magnitude, magnitude, width=32)))
    k = draw(hnp.arrays(np.int64, (m,), elements=st.integers(0, C - 1)))
    return z, k


@given(logits_and_indices(), st.sampled_from([0.0, 0.1, 1.0]), st.booleans())
def test_finite_and_non_negative_at_extreme_magnitudes(data, eps, weighted):
    z, k = data
    w = np.linspace(0.5, 2.0, z.shape[1]) if weighted else None
    for reduction in REDUCTIONS:
        kw = dict(weight=w, reduction=reduction, label_smoothing=eps)
        loss, grad = cross_entropy_value_and_grad(z, k, **kw)
        assert np.asarray(loss).dtype == z.dtype and grad.dtype == z.dtype
        assert np.all(np.isfinite(loss)) and np.all(np.isfinite(grad))
        assert np.all(loss >= 0)


@given(logits_and_indices(magnitude=1e3), st.sampled_from([0.0, 0.25]))
def test_rows_of_the_unreduced_gradient_are_softmax_minus_target_and_sum_to_zero(data, eps):
    z, k = data
    m, C = z.shape
    grad = cross_entropy_grad(z, k, reduction="none", label_smoothing=eps)
    # softmax computed independently, in float64
    e = np.exp(z.astype(np.float64) - z.max(axis=1, keepdims=True))
    a = e / e.sum(axis=1, keepdims=True)
    y = np.full((m, C), eps / C)
    y[np.arange(m), k] += 1 - eps
    tiny = 8 * np.finfo(z.dtype).eps  # a few roundings of numbers at most 1
    np.testing.assert_allclose(grad, a - y, rtol=0, atol=tiny)
    np.testing.assert_allclose(grad.sum(axis=1), 0, rtol=0, atol=C * tiny)


@given(
    logits_and_indices(magnitude=1e3),
    st.integers(-(2**12), 2**12),
    st.sampled_from(REDUCTIONS),
    st.sampled_from([0.0, 0.2]),
)
def test_adding_a_constant_to_a_row_changes_nothing(data, shift, reduction, eps):
    z, k = data
    # logits on a grid of 1/8 so that z + shift is exact: the shifted logits z - max(z)
    # are then bitwise the same, and so must be the loss and the gradient
    z = np.round(z * 8) / 8
    shifts = (shift * np.arange(1, len(z) + 1)[:, None]).astype(z.dtype)
    kw = dict(reduction=reduction, label_smoothing=eps)
    loss, grad = cross_entropy_value_and_grad(z, k, **kw)
    loss_s, grad_s = cross_entropy_value_and_grad(z + shifts, k, **kw)
    np.testing.assert_array_equal(loss_s, loss)
    np.testing.assert_array_equal(grad_s, grad)


@given(
    hnp.arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(2, 5)),
               elements=st.floats(-5, 5)),
    st.data(),
)
def test_gradient_equals_finite_differences_property(z, data):
    m, C = z.shape
    k = data.draw(hnp.arrays(np.int64, (m,), elements=st.integers(0, C - 1)))
    eps = data.draw(st.sampled_from([0.0, 0.4]))
    report = gradcheck(
        lambda v: float(cross_entropy(v, k, label_smoothing=eps)),
        lambda v: cross_entropy_grad(v, k, label_smoothing=eps),
        z,
    )
    assert report.passed, str(report)


# ---------------------------------------------------------------- bad input


Z = np.zeros((3, 4))


@pytest.mark.parametrize(
    "target, message",
    [
        (np.array([0, 1]), r"class-index target must have shape \(3,\)"),
        (np.array([[0], [1], [2]]), r"class-index target must have shape \(3,\)"),
        (np.zeros((3, 4), dtype=int), r"probability targets are floats"),
        (np.zeros(3), r"probability target must have the logits' shape \(3, 4\)"),
        (np.zeros((3, 1)), r"probability target must have the logits' shape"),
        (np.zeros((4, 3)), r"probability target must have the logits' shape"),
    ],
)
def test_target_of_the_wrong_shape_raises(target, message):
    with pytest.raises(ValueError, match=message):
        cross_entropy(Z, target)
    with pytest.raises(ValueError, match=message):
        cross_entropy_value_and_grad(Z, target)


@pytest.mark.parametrize("bad", [4, -1, 100, -101])
def test_class_index_out_of_range_raises(bad):
    with pytest.raises(ValueError, match=rf"class index {bad} out of range for C = 4"):
        cross_entropy_grad(Z, np.array([0, bad, 1]))
    # the same value is fine once it is the ignore_index
    assert cross_entropy(Z, np.array([0, bad, 1]), ignore_index=bad) == pytest.approx(math.log(4))


@pytest.mark.parametrize(
    "target",
    [np.array([True, False, True]), np.array(["0", "1", "2"]), np.array([0, 1, 2], dtype=complex)],
)
def test_target_of_a_wrong_dtype_raises(target):
    with pytest.raises(TypeError, match="target must be integer class indices or float"):
        cross_entropy(Z, target)


@pytest.mark.parametrize("weight", [np.ones(3), np.ones(5), np.ones((1, 4)), np.ones(1), 2.0])
def test_weight_of_the_wrong_shape_raises(weight):
    with pytest.raises(ValueError, match=r"weight must have shape \(4,\)"):
        cross_entropy(Z, np.array([0, 1, 2]), weight=weight)


@pytest.mark.parametrize("reduction", ["avg", "Mean", None, ""])
def test_bad_reduction_raises(reduction):
    with pytest.raises(ValueError, match="reduction must be one of"):
        cross_entropy(Z, np.array([0, 1, 2]), reduction=reduction)


@pytest.mark.parametrize("eps", [-0.1, 1.5, float("nan"), float("inf")])
def test_label_smoothing_outside_the_unit_interval_raises(eps):
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        cross_entropy(Z, np.array([0, 1, 2]), label_smoothing=eps)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        cross_entropy(Z, np.full((3, 4), 0.25), label_smoothing=eps)


def test_other_bad_arguments_raise():
    k = np.array([0, 1, 2])
    with pytest.raises(TypeError, match="label_smoothing must be a real number"):
        cross_entropy(Z, k, label_smoothing="0.1")
    with pytest.raises(TypeError, match="ignore_index must be an integer"):
        cross_entropy(Z, k, ignore_index=-100.0)
    with pytest.raises(ValueError, match="logits must have shape"):
        cross_entropy(np.float64(1.0), 0)
    with pytest.raises(ValueError, match="at least one class"):
        cross_entropy(np.zeros((3, 0)), k)
    with pytest.raises(TypeError, match="logits must be a real float16, float32 or float64 "
                       "array .*got dtype complex128"):
        cross_entropy(Z.astype(complex), k)
    if np.dtype(np.longdouble).itemsize > 8:  # extended precision (x86 Linux), not a double
        long = np.dtype(np.longdouble).name
        with pytest.raises(TypeError, match=f"logits must be a real .*got dtype {long}"):
            cross_entropy(Z.astype(np.longdouble), k)
        with pytest.raises(TypeError, match=f"target must be a real .*got dtype {long}"):
            cross_entropy(Z, np.full((3, 4), 0.25, np.longdouble))
    with pytest.raises(ValueError, match="ignore_index must fit in int64"):
        cross_entropy(Z, k, ignore_index=2**63)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64, np.int8])
def test_unsigned_class_indices_are_indices_like_any_integer(dtype):
    rng = np.random.default_rng(5)
    z = rng.normal(size=(5, 4))
    k = np.array([3, 0, 2, 2, 1])
    expected = cross_entropy_value_and_grad(z, k, ignore_index=2, reduction="sum")
    got = cross_entropy_value_and_grad(z, k.astype(dtype), ignore_index=2, reduction="sum")
    assert got[0] == expected[0]
    np.testing.assert_array_equal(got[1], expected[1])
    assert cross_entropy(z, k.astype(dtype)) == cross_entropy(z, k)
    np.testing.assert_array_equal(cross_entropy_grad(z, k.astype(dtype)), cross_entropy_grad(z, k))
    with pytest.raises(ValueError, match="class index 4 out of range for C = 4"):
        cross_entropy_grad(z, np.array([3, 0, 4, 2, 1], dtype))


def test_float16_logits_give_float16_results_like_torch():
    """The example of PyTorch 2.13 on the CPU: float16 zeros (2, 3) with targets [0, 2]
    give log 3 = 1.0986 in float16."""
    z = np.zeros((2, 3), np.float16)
    losses = cross_entropy(z, np.array([0, 2]), reduction="none")
    assert losses.dtype == np.float16
    np.testing.assert_array_equal(losses, np.float16(np.log(3)))
    rng = np.random.default_rng(6)
    z = rng.normal(0, 4, (6, 5)).astype(np.float16)
    k = np.array([0, 4, 1, 1, 3, -100])
    p = rng.dirichlet(np.ones(5), 6).astype(np.float16)
    for target, options in ((k, {"label_smoothing": 0.1}), (k, {"weight": np.arange(1.0, 6.0)}),
                            (p, {})):
        for reduction in ("none", "mean", "sum"):
            loss, grad = cross_entropy_value_and_grad(z, target, reduction=reduction, **options)
            assert np.asarray(loss).dtype == np.float16 and grad.dtype == np.float16
            # computed in float32, rounded once
            loss32, grad32 = cross_entropy_value_and_grad(
                z.astype(np.float32), target if target is k else target.astype(np.float32),
                reduction=reduction,
                **{key: np.float32(v) if key == "weight" else v for key, v in options.items()})
            np.testing.assert_array_equal(loss, np.asarray(loss32).astype(np.float16))
            np.testing.assert_array_equal(grad, grad32.astype(np.float16))
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    assert F.cross_entropy(torch.zeros(2, 3, dtype=torch.float16),
                           torch.tensor([0, 2])).dtype == torch.float16
    for target, options in ((k, {"label_smoothing": 0.1}), (k, {"weight": np.arange(1.0, 6.0)}),
                            (p, {})):
        for reduction in ("none", "mean", "sum"):
            loss, grad = cross_entropy_value_and_grad(z, target, reduction=reduction, **options)
            t = torch.from_numpy(z.astype(np.float16)).requires_grad_(True)
            t_options = {key: torch.from_numpy(v).to(torch.float16) if key == "weight" else v
                         for key, v in options.items()}
            t_loss = F.cross_entropy(t, torch.from_numpy(target), reduction=reduction,
                                     **t_options)
            t_loss.sum().backward()
            assert t_loss.dtype == torch.float16
            np.testing.assert_allclose(np.float64(loss), t_loss.detach().double().numpy(),
                                       rtol=4e-3, atol=2e-3)
            np.testing.assert_allclose(np.float64(grad), t.grad.double().numpy(),
                                       rtol=4e-3, atol=2e-3)


def test_module_and_function_names_are_distinct():
    import types

    import xentlib
    import xentlib.categorical as categorical
    import xentlib.finite_differences as finite_differences

    assert isinstance(categorical, types.ModuleType)
    assert isinstance(finite_differences, types.ModuleType)
    assert xentlib.cross_entropy is categorical.cross_entropy
    assert xentlib.gradcheck is finite_differences.gradcheck


# ---------------------------------------------------------------- edges (issue 12)


def test_an_infinite_weight_without_smoothing_spoils_only_its_class():
    z = np.random.default_rng(6).standard_normal((4, 3))
    k = np.array([0, 1, 2, 1])
    w = np.array([1.0, np.inf, 1.0])
    for reduction in ("none", "sum"):
        loss, grad = cross_entropy_value_and_grad(z, k, weight=w, reduction=reduction)
        # rows of the finite classes keep their finite a - y; the others are inf/nan
        plain = cross_entropy_grad(z, k, reduction="none")
        np.testing.assert_allclose(grad[[0, 2]], plain[[0, 2]], rtol=1e-15)
        assert np.isnan(grad[[1, 3], 1]).all() and np.isposinf(grad[[1, 3]][:, [0, 2]]).all()
    # the mean divides by inf: the finite rows become 0, the infinite ones nan
    loss, grad = cross_entropy_value_and_grad(z, k, weight=w)
    assert np.isnan(loss)
    np.testing.assert_array_equal(grad[[0, 2]], 0)
    assert np.isnan(grad[[1, 3]]).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_an_infinite_weight_matches_torch(reduction, eps):
    z = np.random.default_rng(6).standard_normal((4, 3))
    w = np.array([1.0, np.inf, 1.0])
    assert_matches_torch(z, np.array([0, 1, 2, 1]), weight=w, reduction=reduction,
                         label_smoothing=eps)


def test_mean_over_weights_summing_to_zero_is_infinite():
    z = np.random.default_rng(7).standard_normal((3, 3))
    k = np.array([0, 1, 2])
    w = np.array([1.0, -1.0, 0.0])  # counted weights 1 - 1 + 0 = 0
    numerator = cross_entropy(z, k, weight=w, reduction="sum")
    assert numerator != 0
    loss = cross_entropy(z, k, weight=w)
    assert np.isinf(loss) and np.sign(loss) == np.sign(numerator)


@pytest.mark.parametrize("eps", [0.0, 0.1])
def test_mean_over_weights_summing_to_zero_matches_torch(eps):
    z = np.random.default_rng(7).standard_normal((3, 3))
    assert_matches_torch(z, np.array([0, 1, 2]), weight=np.array([1.0, -1.0, 0.0]),
                         label_smoothing=eps)


@pytest.mark.parametrize("ignore_index", [0, 2, 7])
def test_probability_targets_refuse_an_ignore_index_naming_a_class(ignore_index):
    z = np.zeros((2, 3))
    p = np.full((2, 3), 1 / 3)
    with pytest.raises(ValueError, match="probability targets have no class index"):
        cross_entropy(z, p, ignore_index=ignore_index)
    # a negative ignore_index names no class, so PyTorch and xentlib accept it
    assert cross_entropy(z, p, ignore_index=-1) == pytest.approx(math.log(3))


def test_probability_targets_refuse_ignore_index_like_torch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="ignore_index is not supported"):
        torch.nn.functional.cross_entropy(torch.zeros(2, 3), torch.full((2, 3), 1 / 3),
                                          ignore_index=0)


@pytest.mark.parametrize("kind", ["indices", "probabilities"])
def test_blocks_of_k_dim_examples_give_the_same_result(monkeypatch, kind):
    rng = np.random.default_rng(8)
    z = rng.standard_normal((9, 4, 3, 2)) * 3
    if kind == "indices":
        target = rng.integers(0, 4, (9, 3, 2))
        target[0, 1, 1] = -100
    else:
        target = np.moveaxis(rng.dirichlet(np.ones(4), size=(9, 3, 2)), -1, 1)
    kw = dict(weight=rng.random(4) + 0.5, label_smoothing=0.2)
    # whole-array reference computed independently with classes moved to the last axis
    rows = np.moveaxis(z, 1, -1).reshape(-1, 4)
    t_rows = target.reshape(-1) if kind == "indices" else np.moveaxis(target, 1, -1).reshape(-1, 4)
    loss_rows, grad_rows = cross_entropy_value_and_grad(rows, t_rows, reduction="sum", **kw)
    for block_bytes in (1, 4 * 6 * 8 * 2, 1 << 20):
        monkeypatch.setattr(checks_module, "BLOCK_BYTES", block_bytes)
        loss, grad = cross_entropy_value_and_grad(z, target, reduction="sum", **kw)
        np.testing.assert_allclose(loss, loss_rows, rtol=1e-13)
        np.testing.assert_allclose(np.moveaxis(grad, 1, -1).reshape(-1, 4), grad_rows,
                                   rtol=1e-13, atol=1e-16)


@st.composite
def k_dim_problems(draw):
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(st.sampled_from([(3, 5), (2, 4, 3), (2, 3, 2, 2), (1, 6, 1)]))
    z = draw(hnp.arrays(dtype, shape, elements=st.floats(-50, 50, width=32)))
    C = shape[1]
    positions = shape[:1] + shape[2:]
    if draw(st.booleans()):
        target = draw(hnp.arrays(np.int64, positions, elements=st.integers(-100, C - 1)
                                 .filter(lambda v: v == -100 or v >= 0)))
    else:
        raw = draw(hnp.arrays(np.float64, shape, elements=st.floats(0, 1)))
        target = raw.astype(dtype)
    weight = draw(st.none() | hnp.arrays(dtype, (C,), elements=st.floats(0.125, 3, width=32)))
    return z, target, weight


@given(k_dim_problems(), st.sampled_from(REDUCTIONS), st.sampled_from([0.0, 0.3]))
def test_property_every_path_matches_torch(problem, reduction, eps):
    pytest.importorskip("torch")
    z, target, weight = problem
    assert_matches_torch(z, target, weight=weight, reduction=reduction, label_smoothing=eps)
