"""Input checks and the block loop shared by xentlib's losses.

Every public function validates its arguments here, so that a bad call fails with a
message naming the problem instead of silently broadcasting into a wrong number.
"""

import functools

import numpy as np

REDUCTIONS = ("none", "mean", "sum")


def check_reduction(reduction):
    """Raise ``ValueError`` unless ``reduction`` is one of ``"none"``, ``"mean"``, ``"sum"``."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(
            f"reduction must be one of {REDUCTIONS}, got {reduction!r}"
        )


def as_float_array(x, name):
    """Return ``x`` as a float32 or float64 array, the two dtypes xentlib computes in.

    float32 and float64 arrays keep their dtype; float16 becomes float32 (PyTorch's CPU
    kernels compute half precision in float32 too, and :func:`half_in_float32` rounds
    the result back); Python scalars, lists, booleans and integer arrays become float64
    (as PyTorch would need an explicit cast, we make the common case convenient but
    never lower the precision). Other dtypes (complex, ``np.longdouble``, strings,
    objects) raise ``TypeError`` naming the argument.
    """
    arr = np.asarray(x)
    if arr.dtype in (np.float32, np.float64):
        return arr
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)
    raise TypeError(
        f"{name} must be a real float16, float32 or float64 array (or integers), got "
        f"dtype {arr.dtype}"
    )


def half_in_float32(*names):
    """Decorate a function so that float16 inputs give float16 results, computed in float32.

    The arguments ``names`` (by position or keyword) are the ones whose dtype sets the
    result's: when they are all float16 arrays, every float result is rounded to float16
    once at the end (with one float32 or float64 among them, NumPy's promotion and so
    the result are float32 or float64). The function itself sees float32, as
    :func:`as_float_array` converts float16; rounding once, instead of after each
    step, is what PyTorch's CPU kernels for half precision do, so the results agree to
    float16's resolution (a relative 2^-11 ~ 4.9e-4). A result beyond float16's range
    (above 65504) becomes ``inf``, as in PyTorch.
    """

    def decorate(function):
        positions = {name: function.__code__.co_varnames.index(name) for name in names}

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            dtypes = []
            for name, position in positions.items():
                value = args[position] if position < len(args) else kwargs.get(name)
                dtypes.append(getattr(value, "dtype", None))
            result = function(*args, **kwargs)
            if all(d == np.float16 for d in dtypes):
                return _to_half(result)
            return result

        return wrapper

    return decorate


def _to_half(result):
    if isinstance(result, tuple):
        return tuple(_to_half(r) for r in result)
    if isinstance(result, np.ndarray):
        return result.astype(np.float16)
    if isinstance(result, np.floating):
        return np.float16(result)
    return result


def check_same_shape(a, b, name_a, name_b):
    """Raise ``ValueError`` if two arrays differ in shape (no silent broadcasting)."""
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"{name_b} must have the same shape as {name_a}: "
            f"got {name_a} {np.shape(a)} and {name_b} {np.shape(b)}"
        )


def reduce(loss, reduction):
    """Reduce an elementwise loss like PyTorch: the mean of an empty loss is nan."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction == "sum":
        return total
    with np.errstate(invalid="ignore"):
        return total / loss.size


def scale_grad(grad, reduction):
    """Give an elementwise gradient the mean's 1/N factor; "sum" and "none" keep it."""
    if reduction == "mean" and grad.size:
        grad /= grad.size
    return grad


# Large arrays are processed in blocks of rows of about this many bytes (1 MiB), small
# enough to stay in the processor's cache: the several passes over a block (max,
# subtract, exp, sum, scale) then go to main memory once instead of once each. On
# logits of shape (4096, 1000) that measured 15-20% faster than whole-array passes, and
# no temporary is ever larger than a block.
BLOCK_BYTES = 1 << 20


def row_blocks(n, row_bytes, arrays=1):
    """Slices covering rows ``0 .. n - 1``, at least one row each, so that ``arrays``
    blocks of scratch space take about ``BLOCK_BYTES`` together."""
    block = max(1, BLOCK_BYTES // (arrays * max(1, row_bytes)))
    return [slice(start, min(start + block, n)) for start in range(0, n, block)]


def dot_along(a, b, axis):
    """``sum(a * b, axis)`` without the product array: one BLAS dot per row along the
    last axis (NumPy 2's ``vecdot``), a fused ``einsum`` along any other."""
    axis %= a.ndim
    if axis == a.ndim - 1 and hasattr(np, "vecdot"):
        return np.vecdot(a, b)
    letters = "abcdefgh"[: a.ndim]
    return np.einsum(f"{letters},{letters}->{letters.replace(letters[axis], '')}", a, b)


def dot_classes(g, w):
    """``sum_c g[:, c, ...] w[c]`` for a block ``g`` of shape (n, C) or (n, C, D)."""
    return g @ w if g.ndim == 2 else w @ g


def sum_classes(g):
    """``sum_c g[:, c, ...]`` for a block ``g`` of shape (n, C) or (n, C, D), as a product
    with a vector of ones: BLAS's matrix-vector product takes a quarter to a half of the
    time of NumPy's reduction over axis 1, with rounding errors of the same size."""
    return dot_classes(g, np.ones(g.shape[1], g.dtype))


def total_dot(a, b):
    """``sum(a * b)`` over every element of two arrays of one shape, as a Python float:
    one BLAS dot product of the flattened arrays, which makes no product array and takes
    a quarter of the time of ``(a * b).sum()``."""
    return float(np.dot(a.reshape(-1), b.reshape(-1)))
