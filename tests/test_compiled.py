"""Tests of xentlib._compiled: the compiled loops agree with the NumPy code they replace
and with PyTorch, and run only where they should."""

import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from xentlib import _compiled
from xentlib.activations import softmax, softmax_vjp

numba = pytest.importorskip("numba", reason="needs numba: pip install 'xentlib[fast]'")


def numpy_only(fn, *args):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XENTLIB_NUMPY_ONLY", "1")
        return fn(*args)


def compiled_path_taken(*arrays):
    return _compiled.kernel("softmax_vjp_rows", *arrays) is not None


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(300, 257), (8, 40, 300)])
def test_softmax_vjp_compiled_matches_numpy(dtype, shape):
    rng = np.random.default_rng(5)
    a = softmax(rng.normal(scale=3.0, size=shape).astype(dtype), axis=-1)
    g = rng.normal(size=shape).astype(dtype)
    assert compiled_path_taken(a.reshape(-1, shape[-1]), g.reshape(-1, shape[-1]))
    fast = softmax_vjp(a, g)
    reference = numpy_only(softmax_vjp, a, g)
    assert fast.dtype == reference.dtype == dtype and fast.shape == shape
    eps = np.finfo(dtype).eps
    # The two differ only in the order the dot adds its terms: C eps of max |g| per term.
    np.testing.assert_allclose(fast, reference, rtol=0, atol=4 * shape[-1] * eps * np.abs(g).max())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_vjp_compiled_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    a = softmax(rng.normal(scale=2.0, size=(512, 1000)).astype(dtype), axis=1)
    g = rng.normal(size=a.shape).astype(dtype)
    expected = torch._softmax_backward_data(
        torch.from_numpy(g), torch.from_numpy(a), 1, torch.from_numpy(a).dtype
    ).numpy()
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(
        softmax_vjp(a, g), expected, rtol=rtol, atol=rtol * np.abs(expected).max()
    )


def test_softmax_vjp_compiled_keeps_inf_and_nan_where_numpy_does():
    rng = np.random.default_rng(7)
    a = softmax(rng.normal(size=(200, 400)), axis=1)
    g = rng.normal(size=a.shape)
    g[3, 5] = np.inf  # <g, a> = inf: -inf in row 3, and inf - inf = nan at column 5
    g[4, :] = np.nan  # nan everywhere in row 4
    a[5, 7] = np.inf  # <g, a> = +-inf: infinities of both signs in row 5
    fast = softmax_vjp(a, g)
    reference = numpy_only(softmax_vjp, a, g)
    np.testing.assert_array_equal(np.isnan(fast), np.isnan(reference))
    np.testing.assert_array_equal(np.isposinf(fast), np.isposinf(reference))
    np.testing.assert_array_equal(np.isneginf(fast), np.isneginf(reference))
    finite = np.isfinite(reference)
    assert not finite[3:6].any() and finite[:3].all() and finite[6:].all()
    np.testing.assert_allclose(fast[finite], reference[finite], atol=1e-14)


@settings(max_examples=60, deadline=None)
@given(
    data=hnp.arrays(
        st.sampled_from([np.float32, np.float64]),
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=7),
        elements=st.floats(-30, 30, width=32),
    ),
    seed=st.integers(0, 2**32 - 1),
)
def test_softmax_vjp_compiled_matches_numpy_on_any_shape(data, seed):
    a = softmax(data, axis=-1)
    g = np.random.default_rng(seed).normal(size=data.shape).astype(data.dtype)
    with pytest.MonkeyPatch.context() as patch:
        # Every size takes the compiled loop here, down to empty rows and a single class.
        patch.setattr(_compiled, "MIN_SIZE", 0)
        fast = softmax_vjp(a, g)
    reference = numpy_only(softmax_vjp, a, g)
    assert fast.shape == reference.shape and fast.dtype == reference.dtype
    # The dot's rounding: C terms of at most max |g| each, and one more for g - dot.
    scale = (data.shape[-1] + 1) * np.finfo(data.dtype).eps * (np.abs(g).max(initial=0) + 1)
    np.testing.assert_allclose(fast, reference, rtol=0, atol=8 * scale)


def test_kernel_is_taken_only_for_large_contiguous_arrays_of_one_float_dtype(monkeypatch):
    big = np.ones((300, 300))
    assert compiled_path_taken(big, big, big)
    small = np.ones((10, 10))
    assert not compiled_path_taken(small, small, small)
    assert not compiled_path_taken(big, big.astype(np.float32), big)
    assert not compiled_path_taken(big.T, big, big)  # Fortran order
    assert not compiled_path_taken(big[:, ::2], big[:, ::2], big[:, ::2])
    as_int = np.ones((300, 300), dtype=np.int64)
    assert not compiled_path_taken(as_int, as_int, as_int)
    monkeypatch.setenv("XENTLIB_NUMPY_ONLY", "1")
    assert not compiled_path_taken(big, big, big)
    monkeypatch.setenv("XENTLIB_NUMPY_ONLY", "0")
    assert compiled_path_taken(big, big, big)


def test_without_numba_the_numpy_code_runs(monkeypatch):
    _compiled._compile.cache_clear()
    monkeypatch.setitem(sys.modules, "numba", None)  # import numba now raises ImportError
    try:
        big = np.full((300, 300), 1 / 300)
        assert not compiled_path_taken(big, big, big)
        g = np.tile(np.arange(300.0), (300, 1))
        # <g, a> = mean(0..299) = 149.5, so row i is (j - 149.5) / 300.
        np.testing.assert_allclose(softmax_vjp(big, g)[0], (np.arange(300) - 149.5) / 300)
    finally:
        monkeypatch.undo()
        _compiled._compile.cache_clear()
    assert compiled_path_taken(big, big, big)
