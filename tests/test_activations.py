"""Tests of xentlib.activations against hand computation, finite differences and PyTorch."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from xentlib.activations import (
    log_sigmoid,
    log_softmax,
    logsumexp,
    sigmoid,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)
from xentlib.finite_differences import numerical_grad

DTYPES = [np.float32, np.float64]
INF = np.inf


# ---------------------------------------------------------------- strategies

# Logits mixing ordinary values, magnitudes up to 1e4 and tiny values, so that a row
# can hold 1e4 next to 1e-30 (the "huge and tiny" case of the issue).
ELEMENTS = st.one_of(
    st.floats(-10, 10),
    st.floats(-1e4, 1e4),
    st.floats(-1e-30, 1e-30),
    st.sampled_from([0.0, 1e4, -1e4, 88.0, -88.0, 710.0, -746.0]),
)


@st.composite
def logits(draw, max_rows=4, max_classes=6):
    """(m, C) logits in float32 or float64; C may be 1; rows may be all equal."""
    dtype = draw(st.sampled_from(DTYPES))
    m = draw(st.integers(1, max_rows))
    c = draw(st.integers(1, max_classes))
    z = draw(hnp.arrays(np.float64, (m, c), elements=ELEMENTS))
    if draw(st.booleans()) and draw(st.booleans()):
        z[:] = z[:, :1]  # every row constant
    return z.astype(dtype)


def eps_of(x):
    return float(np.finfo(np.asarray(x).dtype).eps)


# ---------------------------------------------------------------- hand-computed cases


def test_sigmoid_hand_values():
    # sigma(0) = 1/2, sigma(log 3) = 3/4, sigma(-log 3) = 1/4
    x = np.array([0.0, math.log(3.0), -math.log(3.0)])
    np.testing.assert_allclose(sigmoid(x), [0.5, 0.75, 0.25], rtol=1e-15)


def test_sigmoid_matches_math_definition_on_moderate_inputs():
    x = np.linspace(-30, 30, 61)
    expected = [1 / (1 + math.exp(-v)) for v in x]
    np.testing.assert_allclose(sigmoid(x), expected, rtol=1e-14)


def test_sigmoid_never_overflows_and_keeps_tiny_values():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = sigmoid(np.array([-1e4, -745.0, -700.0, 700.0, 1e4]))
    assert s[0] == 0.0 and s[-1] == 1.0
    # sigma(-700) = e^{-700} / (1 + e^{-700}) is representable; keep it to full precision
    np.testing.assert_allclose(s[2], math.exp(-700.0), rtol=1e-14)


def test_log_sigmoid_hand_values():
    x = np.array([0.0, math.log(3.0), -1000.0, 1000.0])
    np.testing.assert_allclose(
        log_sigmoid(x), [-math.log(2.0), math.log(0.75), -1000.0, 0.0], rtol=1e-15
    )


def test_log_sigmoid_keeps_precision_where_log_of_sigmoid_fails():
    # log(sigma(-800)) = -800 - log(1 + e^-800) = -800 exactly in float64
    with np.errstate(divide="ignore"):
        assert np.log(sigmoid(np.array(-800.0))) == -np.inf
    assert log_sigmoid(np.array(-800.0)) == -800.0
    # for large x, log sigma(x) = -log(1 + e^-x) ~ -e^-x, a tiny negative number
    np.testing.assert_allclose(log_sigmoid(np.array(40.0)), -math.exp(-40.0), rtol=1e-14)


def test_softmax_hand_values():
    # exp(log k) = k, so the softmax of log([1, 2, 3]) is [1, 2, 3] / 6
    z = np.log(np.array([[1.0, 2.0, 3.0], [4.0, 4.0, 8.0]]))
    np.testing.assert_allclose(softmax(z), [[1 / 6, 2 / 6, 3 / 6], [0.25, 0.25, 0.5]], rtol=1e-15)
    np.testing.assert_allclose(logsumexp(z), [math.log(6.0), math.log(16.0)], rtol=1e-15)
    np.testing.assert_allclose(
        log_softmax(z),
        np.log([[1 / 6, 2 / 6, 3 / 6], [0.25, 0.25, 0.5]]),
        rtol=1e-14,
    )


def test_softmax_of_huge_logits_is_exact():
    z = np.array([1e4, 1e4 + math.log(3.0)])
    np.testing.assert_allclose(softmax(z), [0.25, 0.75], rtol=1e-12)
    # log_softmax of a gap of 800 is exact where log(softmax) would be log(0)
    np.testing.assert_array_equal(log_softmax(np.array([0.0, 800.0])), [-800.0, 0.0])
    np.testing.assert_allclose(logsumexp(np.array([1e4, 1e4])), 1e4 + math.log(2.0), rtol=1e-15)


def test_softmax_axis_argument():
    z = np.arange(12.0).reshape(3, 4) / 5
    for f in (softmax, log_softmax):
        np.testing.assert_allclose(f(z, axis=0), f(z.T).T, rtol=1e-15)
        np.testing.assert_allclose(f(z, axis=1), f(z), rtol=1e-15)
    np.testing.assert_allclose(logsumexp(z, axis=0), logsumexp(z.T), rtol=1e-15)
    assert logsumexp(z, axis=0, keepdims=True).shape == (1, 4)
    assert logsumexp(z, keepdims=True).shape == (3, 1)
    np.testing.assert_allclose(logsumexp(z, axis=(0, 1)), math.log(np.exp(z).sum()), rtol=1e-14)


def test_scalars_and_zero_dimensional_inputs():
    assert softmax(np.float64(3.0)) == 1.0
    assert log_softmax(np.float64(3.0)) == 0.0
    assert logsumexp(np.float64(3.0)) == 3.0
    assert sigmoid(0) == 0.5


def test_zero_dimensional_inputs_follow_torch():
    torch = pytest.importorskip("torch")
    for value in [3.0, -INF, INF]:
        z, t = np.float64(value), torch.tensor(value, dtype=torch.float64)
        pairs = [
            (softmax(z), torch.softmax(t, -1)),
            (log_softmax(z), torch.log_softmax(t, -1)),
            (logsumexp(z, keepdims=True), torch.logsumexp(t, -1, keepdim=True)),
        ]
        for ours, theirs in pairs:
            assert np.shape(ours) == tuple(theirs.shape)
            np.testing.assert_array_equal(ours, theirs.numpy())


def test_softmax_jacobian_hand_values():
    a = np.array([0.5, 0.25, 0.25])
    # J_ij = a_i (delta_ij - a_j)
    expected = np.array(
        [
            [0.5 * 0.5, -0.5 * 0.25, -0.5 * 0.25],
            [-0.25 * 0.5, 0.25 * 0.75, -0.25 * 0.25],
            [-0.25 * 0.5, -0.25 * 0.25, 0.25 * 0.75],
        ]
    )
    np.testing.assert_array_equal(softmax_jacobian(a), expected)
    # batch of rows: each row gets its own matrix
    batch = np.stack([a, a[::-1]])
    jac = softmax_jacobian(batch)
    assert jac.shape == (2, 3, 3)
    np.testing.assert_array_equal(jac[1], softmax_jacobian(a[::-1]))


def test_softmax_vjp_of_cross_entropy_is_a_minus_y():
    a = np.array([[0.5, 0.25, 0.25], [0.1, 0.6, 0.3]])
    y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    # dL/da = -y / a for L = -sum y log a; through the softmax it becomes a - y
    np.testing.assert_allclose(softmax_vjp(a, -y / a), a - y, atol=1e-15)


# ---------------------------------------------------------------- finite differences


def test_derivatives_of_sigmoid_and_log_sigmoid_match_finite_differences():
    x = np.array([-5.0, -0.3, 0.0, 0.7, 4.0])
    s = sigmoid(x)
    num = numerical_grad(lambda v: np.sum(sigmoid(v)), x)
    np.testing.assert_allclose(num, s * (1 - s), rtol=1e-7, atol=1e-10)
    num = numerical_grad(lambda v: np.sum(log_sigmoid(v)), x)
    np.testing.assert_allclose(num, 1 - s, rtol=1e-7, atol=1e-10)


def test_softmax_jacobian_matches_finite_differences():
    z = np.array([0.3, -1.2, 2.0, 0.0])
    numeric = np.stack(
        [numerical_grad(lambda v, i=i: softmax(v)[i], z) for i in range(z.size)]
    )
    np.testing.assert_allclose(softmax_jacobian(softmax(z)), numeric, atol=1e-9)


def test_gradient_of_logsumexp_is_softmax():
    z = np.array([[0.3, -1.2, 2.0], [50.0, 49.0, -3.0]])
    numeric = numerical_grad(lambda v: np.sum(logsumexp(v)), z)
    np.testing.assert_allclose(numeric, softmax(z), atol=1e-8)


def test_softmax_vjp_matches_finite_differences():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 5))
    g = rng.normal(size=(3, 5))
    numeric = numerical_grad(lambda v: np.sum(g * softmax(v)), z)
    np.testing.assert_allclose(softmax_vjp(softmax(z), g), numeric, atol=1e-9)


# ---------------------------------------------------------------- PyTorch


def _torch_compare(ours, theirs, dtype):
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    atol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", DTYPES)
def test_elementwise_functions_match_torch(dtype):
    torch = pytest.importorskip("torch")
    x = np.concatenate(
        [np.linspace(-120, 120, 241), [-1e4, 1e4, -1e-30, 1e-30, 0.0, -800.0, 800.0]]
    ).astype(dtype)
    t = torch.from_numpy(x)
    _torch_compare(sigmoid(x), torch.sigmoid(t).numpy(), dtype)
    _torch_compare(log_sigmoid(x), torch.nn.functional.logsigmoid(t).numpy(), dtype)
    assert sigmoid(x).dtype == dtype and log_sigmoid(x).dtype == dtype


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_softmax_family_matches_torch(dtype, axis):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    z = (rng.normal(size=(4, 5, 3)) * np.array([1.0, 30.0, 1e4])).astype(dtype)
    z[0, 0] = [1e4, -1e4, 1e-30]
    t = torch.from_numpy(z)
    _torch_compare(softmax(z, axis=axis), torch.softmax(t, dim=axis).numpy(), dtype)
    _torch_compare(log_softmax(z, axis=axis), torch.log_softmax(t, dim=axis).numpy(), dtype)
    _torch_compare(logsumexp(z, axis=axis), torch.logsumexp(t, dim=axis).numpy(), dtype)
    _torch_compare(
        logsumexp(z, axis=axis, keepdims=True),
        torch.logsumexp(t, dim=axis, keepdim=True).numpy(),
        dtype,
    )


def test_infinite_logits_follow_torch():
    torch = pytest.importorskip("torch")
    z = np.array(
        [
            [-INF, -INF, -INF],  # every class masked
            [0.0, -INF, 1.0],  # one class masked
            [INF, 0.0, 1.0],  # +inf logit
            [-INF, INF, 0.0],
            [INF, INF, -INF],
        ]
    )
    t = torch.from_numpy(z)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # and no warnings
        ours = [softmax(z), log_softmax(z), logsumexp(z)]
    theirs = [torch.softmax(t, -1), torch.log_softmax(t, -1), torch.logsumexp(t, -1)]
    for o, th in zip(ours, theirs):
        np.testing.assert_array_equal(np.isnan(o), np.isnan(th.numpy()))
        np.testing.assert_allclose(o, th.numpy(), rtol=1e-15)
    # the documented cases, independent of torch
    assert logsumexp(z)[0] == -INF and logsumexp(z)[2] == INF
    assert np.all(np.isnan(softmax(z)[0]))
    assert softmax(z)[1, 1] == 0.0 and log_softmax(z)[1, 1] == -INF
    x = np.array([-INF, INF])
    np.testing.assert_array_equal(sigmoid(x), torch.sigmoid(torch.from_numpy(x)).numpy())
    np.testing.assert_array_equal(
        log_sigmoid(x), torch.nn.functional.logsigmoid(torch.from_numpy(x)).numpy()
    )


def test_empty_class_axis_follows_torch():
    torch = pytest.importorskip("torch")
    z = np.zeros((3, 0))
    np.testing.assert_array_equal(logsumexp(z), torch.logsumexp(torch.from_numpy(z), -1).numpy())
    assert softmax(z).shape == (3, 0) and log_softmax(z).shape == (3, 0)


@pytest.mark.parametrize("dtype", DTYPES)
def test_jacobian_and_vjp_match_torch_autograd(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    z = (rng.normal(size=(3, 4)) * 3).astype(dtype)
    g = rng.normal(size=(3, 4)).astype(dtype)
    tz = torch.from_numpy(z).requires_grad_(True)
    out = torch.softmax(tz, -1)
    out.backward(torch.from_numpy(g))
    _torch_compare(softmax_vjp(softmax(z), g), tz.grad.numpy(), dtype)
    for row in range(3):
        jac = torch.autograd.functional.jacobian(
            lambda v: torch.softmax(v, -1), torch.from_numpy(z[row])
        )
        _torch_compare(softmax_jacobian(softmax(z[row])), jac.numpy(), dtype)


# ---------------------------------------------------------------- properties


@given(logits())
def test_softmax_family_is_finite_normalised_and_keeps_dtype(z):
    a, log_a, lse = softmax(z), log_softmax(z), logsumexp(z)
    for out in (a, log_a, lse):
        assert out.dtype == z.dtype
        assert np.all(np.isfinite(out))
    assert a.shape == z.shape and log_a.shape == z.shape and lse.shape == z.shape[:-1]
    assert np.all((a >= 0) & (a <= 1)) and np.all(log_a <= 0)
    c = z.shape[-1]
    np.testing.assert_allclose(a.sum(-1), 1.0, atol=4 * c * eps_of(z))
    # log_softmax = z - logsumexp(z), to the rounding of the largest term
    scale = np.max(np.abs(z)) + np.max(np.abs(lse)) + 1
    np.testing.assert_allclose(log_a, z - lse[:, None], atol=4 * eps_of(z) * scale)
    # exp(log_softmax) is the softmax; d(exp)/exp = d(log), so an absolute log error
    # of delta is a relative error of delta in a
    np.testing.assert_allclose(np.exp(log_a), a, rtol=8 * eps_of(z) * scale, atol=8 * eps_of(z))
    # equal rows give the uniform distribution
    equal = np.all(z == z[:, :1], axis=-1)
    np.testing.assert_allclose(a[equal], 1.0 / c, rtol=4 * eps_of(z))


@given(logits(), st.sampled_from([-1e4, -50.0, -1.0, 0.5, 3.0, 1e3]))
def test_softmax_and_log_softmax_are_shift_invariant(z, shift):
    shifted = (z.astype(np.float64) + shift).astype(z.dtype)
    # Adding the shift rounds each logit by up to half an ulp of the larger magnitude;
    # a logit error delta moves the softmax by at most delta and log_softmax by 2 delta.
    delta = eps_of(z) * (np.max(np.abs(z)) + abs(shift))
    np.testing.assert_allclose(softmax(shifted), softmax(z), atol=4 * delta + 8 * eps_of(z))
    lsm_scale = np.max(np.abs(log_softmax(z))) + 1
    np.testing.assert_allclose(
        log_softmax(shifted), log_softmax(z), atol=4 * delta + 8 * eps_of(z) * lsm_scale
    )
    lse_scale = np.max(np.abs(logsumexp(z))) + abs(shift) + 1
    np.testing.assert_allclose(
        logsumexp(shifted), logsumexp(z) + shift, atol=4 * delta + 8 * eps_of(z) * lse_scale
    )


@given(logits(), st.integers(0, 2**32 - 1))
def test_jacobian_is_symmetric_with_zero_row_sums_and_vjp_is_g_times_j(z, seed):
    a = softmax(z)
    jac = softmax_jacobian(a)
    c = z.shape[-1]
    assert jac.shape == z.shape + (c,) and jac.dtype == z.dtype
    assert np.all(np.isfinite(jac))
    np.testing.assert_array_equal(jac, np.swapaxes(jac, -1, -2))
    np.testing.assert_allclose(jac.sum(-1), 0.0, atol=4 * c * eps_of(z))
    # diagonal a_i (1 - a_i) in [0, 1/4]
    diag = np.einsum("...ii->...i", jac)
    assert np.all(diag >= 0) and np.all(diag <= 0.25 + eps_of(z))
    g = np.random.default_rng(seed).normal(size=z.shape).astype(z.dtype)
    vjp = softmax_vjp(a, g)
    assert vjp.dtype == z.dtype and vjp.shape == z.shape
    expected = np.einsum("...i,...ij->...j", g.astype(np.float64), jac.astype(np.float64))
    np.testing.assert_allclose(vjp, expected, atol=16 * c * eps_of(z) * (np.max(np.abs(g)) + 1))
    if c == 1:
        np.testing.assert_array_equal(jac, 0.0)


@given(hnp.arrays(np.float64, hnp.array_shapes(max_dims=3, max_side=4), elements=ELEMENTS),
       st.sampled_from(DTYPES))
def test_sigmoid_properties(x, dtype):
    x = x.astype(dtype)
    s, ls = sigmoid(x), log_sigmoid(x)
    assert s.dtype == dtype and ls.dtype == dtype and s.shape == x.shape
    assert np.all(np.isfinite(s)) and np.all(np.isfinite(ls))
    assert np.all((s >= 0) & (s <= 1)) and np.all(ls <= 0)
    # sigma(-x) = 1 - sigma(x)
    np.testing.assert_allclose(sigmoid(-x), 1 - s, atol=2 * eps_of(x))
    # log sigma(x) - log sigma(-x) = x, to the rounding of the larger magnitude
    np.testing.assert_allclose(ls - log_sigmoid(-x), x, rtol=4 * eps_of(x), atol=4 * eps_of(x))


@given(hnp.arrays(np.float64, st.integers(1, 6), elements=st.floats(-30, 30)))
def test_gradients_of_logsumexp_and_log_sigmoid_match_finite_differences(z):
    np.testing.assert_allclose(
        numerical_grad(lambda v: logsumexp(v), z), softmax(z), atol=1e-7
    )
    np.testing.assert_allclose(
        numerical_grad(lambda v: np.sum(log_sigmoid(v)), z), sigmoid(-z), atol=1e-7
    )


@given(logits(), st.sampled_from([0, -1]))
def test_softmax_family_matches_torch_on_extreme_logits(z, axis):
    torch = pytest.importorskip("torch")
    t = torch.from_numpy(z)
    eps = eps_of(z)
    # outputs of size up to 2e4 (log-probabilities of logits 1e4 apart) carry an absolute
    # rounding of eps times that size in either implementation
    scale = 2 * np.max(np.abs(z)) + 1
    np.testing.assert_allclose(softmax(z, axis), torch.softmax(t, axis).numpy(), atol=4 * eps)
    np.testing.assert_allclose(
        log_softmax(z, axis), torch.log_softmax(t, axis).numpy(), rtol=4 * eps, atol=4 * eps * scale
    )
    np.testing.assert_allclose(
        logsumexp(z, axis), torch.logsumexp(t, axis).numpy(), rtol=4 * eps, atol=4 * eps * scale
    )


# ---------------------------------------------------------------- inputs and errors


def test_integer_and_list_inputs_become_float64():
    assert softmax([1, 2, 3]).dtype == np.float64
    assert logsumexp(np.array([1, 2], dtype=np.int32)).dtype == np.float64
    assert sigmoid([True, False]).dtype == np.float64
    np.testing.assert_allclose(softmax([1, 2, 3]), softmax(np.array([1.0, 2.0, 3.0])))


def test_float32_stays_float32_with_extreme_values():
    z = np.array([[1e4, -1e4, 0.0], [1e-30, 1e-30, 1e-30]], dtype=np.float32)
    for f in (softmax, log_softmax, logsumexp, sigmoid, log_sigmoid):
        out = f(z)
        assert out.dtype == np.float32
        assert np.all(np.isfinite(out))


@pytest.mark.parametrize("f", [sigmoid, log_sigmoid, softmax, log_softmax, logsumexp])
def test_non_numeric_input_raises_type_error(f):
    with pytest.raises(TypeError, match="must be a real float16, float32 or float64 array"):
        f(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="got dtype complex128"):
        f(np.array([1 + 2j]))


def test_jacobian_and_vjp_reject_bad_shapes():
    with pytest.raises(ValueError, match="at least one dimension"):
        softmax_jacobian(np.float64(0.5))
    with pytest.raises(ValueError, match="at least one dimension"):
        softmax_vjp(np.float64(0.5), np.float64(1.0))
    with pytest.raises(ValueError, match=r"g must have the same shape as a: got a \(2, 3\) and g \(3,\)"):
        softmax_vjp(np.full((2, 3), 1 / 3), np.ones(3))
    with pytest.raises(TypeError, match="g must be a real"):
        softmax_vjp(np.full(3, 1 / 3), np.array(["x", "y", "z"]))


def test_vjp_of_empty_rows_and_of_no_classes_is_empty():
    for shape in [(3, 0), (0, 4), (2, 0, 5)]:
        out = softmax_vjp(np.ones(shape), np.ones(shape))
        assert out.shape == shape and out.dtype == np.float64
