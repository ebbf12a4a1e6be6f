"""Single-pass loops, compiled with Numba when it is installed.

NumPy runs one loop over memory for each operation, so ``a * (g - <g, a>)`` costs three
passes: a dot per row, a subtraction and a product. PyTorch's softmax backward runs the
whole formula in one compiled loop per row, and at a thousand classes per row the two
extra passes are most of the time (``make bench``). With Numba installed
(``pip install "xentlib[fast]"``), :func:`kernel` compiles the plain-Python loops below
into machine code the first time a large array needs them; without it, it returns None
and the caller keeps its NumPy code. The two compute the same formula and differ only in
the order in which a sum adds its terms.

Set the environment variable ``XENTLIB_NUMPY_ONLY=1`` to always take the NumPy code.
"""

import functools
import os

import numpy as np

# Below this many elements (256 KiB of float32) NumPy's passes take some tens of
# microseconds: the book's small examples keep them rather than wait up to a second for
# a compilation that would save microseconds.
MIN_SIZE = 1 << 16


def softmax_vjp_rows(a, g, out):
    """``out[i] = a[i] * (g[i] - <g[i], a[i]>)`` for every row ``i`` of the 2-D arrays."""
    for i in range(a.shape[0]):
        dot = a.dtype.type(0)  # in the arrays' own precision, as NumPy's dot does
        for j in range(a.shape[1]):
            dot += g[i, j] * a[i, j]
        for j in range(a.shape[1]):
            out[i, j] = a[i, j] * (g[i, j] - dot)


@functools.cache
def _compile(name):
    try:
        import numba
    except ImportError:
        return None
    # "reassoc" lets the dot add its terms in several running sums at once (vector
    # registers), as BLAS does; no flag that changes what inf or nan give.
    return numba.njit(fastmath={"reassoc", "contract"}, cache=True)(globals()[name])


def kernel(name, *arrays):
    """The compiled form of the loop ``name`` for these arrays, or None when the NumPy
    code should run instead: Numba missing or switched off, fewer than ``MIN_SIZE``
    elements, or arrays that are not C-contiguous float32 or float64 of one dtype."""
    if os.environ.get("XENTLIB_NUMPY_ONLY", "") not in ("", "0"):
        return None
    first = arrays[0]
    if first.size < MIN_SIZE or first.dtype not in (np.float32, np.float64):
        return None
    if any(x.dtype != first.dtype or not x.flags.c_contiguous for x in arrays):
        return None
    return _compile(name)
