"""Sigmoid, softmax, log-sum-exp and the softmax Jacobian, computed stably.

These are the activations whose gradients the book derives. Each function accepts an
array of any shape (softmax-like functions act along one axis), keeps float32 and
float64 inputs in their dtype, computes float16 inputs in float32 and rounds the result
to float16 (as PyTorch does on the CPU), turns integers and Python lists into float64,
and never overflows for finite input: the exponentials are always of non-positive
numbers.

Where an input contains ``-inf`` or ``+inf`` the results follow PyTorch's functions of
the same name (``torch.sigmoid``, ``torch.nn.functional.logsigmoid``, ``torch.softmax``,
``torch.log_softmax``, ``torch.logsumexp``); chapter ``06_stable_softmax`` explains the
choices.
"""

import math

import numpy as np

from xentlib._checks import as_float_array, dot_along, half_in_float32, row_blocks
from xentlib._compiled import kernel

__all__ = [
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "sigmoid",
    "softmax",
    "softmax_jacobian",
    "softmax_vjp",
]


@half_in_float32("x")
def sigmoid(x):
    r"""Logistic sigmoid, elementwise, without overflow.

    Use it to turn a logit into the probability of the positive class (logistic
    regression, chapter ``02_logistic_regression``). For the logarithm of a sigmoid use
    :func:`log_sigmoid`, which stays accurate where ``sigmoid`` rounds to 0.

    .. math::

        \sigma(z) = \frac{1}{1 + e^{-z}} = \frac{e^{z}}{1 + e^{z}},
        \qquad \sigma'(z) = \sigma(z)\,(1 - \sigma(z)).

    Args:
        x: logits ``z``, array of any shape.

    Returns:
        Array of the same shape and float dtype as ``x``, with values in ``[0, 1]``.

    Examples:
        >>> import numpy as np
        >>> from xentlib import sigmoid
        >>> print(sigmoid(np.array([-1.0, 0.0, 1.0])))
        [0.2689 0.5 0.7311]
        >>> print(sigmoid(np.array([-1000.0, 1000.0])))
        [0. 1.]

    References:
        PyTorch, ``torch.sigmoid``.

    See also:
        :func:`log_sigmoid`, :func:`softmax` (the sigmoid is the two-class softmax,
        chapter ``04_softmax_jacobian``).
    """
    x = as_float_array(x, "x")
    # Both branches use e = exp(-|x|) <= 1, so nothing overflows: for x >= 0 use
    # 1 / (1 + e); for x < 0 use the equal form e / (1 + e), which keeps full relative
    # precision for very negative x instead of computing 1 - (something near 1).
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


@half_in_float32("x")
def log_sigmoid(x):
    r"""Logarithm of the sigmoid, elementwise, accurate for logits of any size.

    Use it when a loss needs :math:`\log \sigma(z)` or :math:`\log(1 - \sigma(z)) =
    \log \sigma(-z)`: computing ``np.log(sigmoid(x))`` gives ``-inf`` once the sigmoid
    rounds to 0 (near ``x = -746`` in float64, ``x = -104`` in float32), while this
    function returns ``x`` there. Chapter ``03_stable_bce`` derives the form used.

    .. math::

        \log \sigma(z) = -\log(1 + e^{-z}) = \min(z, 0) - \log(1 + e^{-|z|}).

    Args:
        x: logits ``z``, array of any shape.

    Returns:
        Array of the same shape and float dtype as ``x``, with values ``<= 0``.

    Examples:
        >>> import numpy as np
        >>> from xentlib import log_sigmoid
        >>> print(log_sigmoid(np.array([-1.0, 0.0, 1.0])))
        [-1.3133 -0.6931 -0.3133]
        >>> print(log_sigmoid(np.array([-1000.0])))
        [-1000.]

    References:
        PyTorch, ``torch.nn.functional.logsigmoid``.

    See also:
        :func:`sigmoid`, :func:`xentlib.binary_cross_entropy_with_logits`.
    """
    x = as_float_array(x, "x")
    # -log(1 + e^{-x}) = min(x, 0) - log(1 + e^{-|x|}): the exponent is never positive,
    # and log1p keeps the small correction exact when e^{-|x|} is tiny.
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


def _shift(z, axis):
    """The per-slice maximum of ``z`` used as the shift of the exponentials.

    A slice whose maximum is ``-inf`` (all entries masked) gets the shift 0 instead, so
    that ``z - shift`` stays ``-inf`` rather than becoming ``-inf - (-inf) = nan``. An
    empty axis also gets 0 (``initial`` makes the maximum of nothing ``-inf``).
    """
    m = np.max(z, axis=axis, keepdims=True, initial=-np.inf)
    return np.where(m == -np.inf, 0, m).astype(z.dtype, copy=False)


@half_in_float32("z")
def logsumexp(z, axis=-1, keepdims=False):
    r"""Log-sum-exp along an axis, shifted by the maximum so it cannot overflow.

    Use it for the normaliser of a softmax in log space: the cross-entropy of one
    example is ``logsumexp(z) - z_k``, and its gradient with respect to ``z`` is the
    softmax. Chapter ``06_stable_softmax`` derives the shift invariance that makes the
    form stable.

    .. math::

        \operatorname{LSE}(z) = \log \sum_{k=1}^{C} e^{z_k}
        = c + \log \sum_{k=1}^{C} e^{z_k - c}, \qquad c = \max_k z_k,
        \qquad \frac{\partial\, \operatorname{LSE}}{\partial z} = \operatorname{softmax}(z).

    Infinite entries follow ``torch.logsumexp``: a slice of all ``-inf`` gives
    ``-inf`` (the log of an empty sum), and a slice containing ``+inf`` gives ``+inf``.

    Args:
        z: logits, array of any shape; the sum runs over ``axis``.
        axis: the axis of the ``C`` classes (an int), default the last.
        keepdims: keep the reduced axis with length 1, as ``np.sum`` does.

    Returns:
        Array of the shape of ``z`` without ``axis`` (or with length 1 there if
        ``keepdims``), float dtype of ``z``.

    Examples:
        >>> import numpy as np
        >>> from xentlib import logsumexp
        >>> print(logsumexp(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -np.inf]])))
        [   3.4076 1000.6931]

    References:
        PyTorch, ``torch.logsumexp``.

    See also:
        :func:`softmax`, :func:`log_softmax`.
    """
    z = as_float_array(z, "z")
    if z.ndim == 0:
        return z.copy()  # a single logit is its own log-sum-exp (0-d, as in PyTorch)
    m = np.max(z, axis=axis, keepdims=True, initial=-np.inf)
    # torch.logsumexp shifts by 0 wherever the maximum is infinite: an all -inf slice
    # then sums exact zeros (log 0 = -inf), and a slice holding +inf sums to +inf.
    m = np.where(np.isinf(m), 0, m).astype(z.dtype, copy=False)
    with np.errstate(divide="ignore"):
        out = np.log(np.sum(np.exp(z - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


@half_in_float32("z")
def softmax(z, axis=-1):
    r"""Softmax along an axis: probabilities that are positive and sum to 1.

    Use it to turn the logits of ``C`` classes into a probability vector ``a``
    (chapter ``04_softmax_jacobian``); for losses prefer :func:`log_softmax`, which
    keeps precision for tiny probabilities. Subtracting the maximum first changes
    nothing mathematically and removes every overflow (chapter ``06_stable_softmax``).

    .. math::

        a_i = \operatorname{softmax}(z)_i = \frac{e^{z_i - c}}{\sum_{k=1}^{C} e^{z_k - c}},
        \qquad c = \max_k z_k,
        \qquad \frac{\partial a_i}{\partial z_j} = a_i(\delta_{ij} - a_j).

    A ``-inf`` logit (a masked class) gets probability exactly 0. As in
    ``torch.softmax``, a slice whose logits are all ``-inf``, or that contains
    ``+inf``, has no defined distribution and gives ``nan``.

    Args:
        z: logits, array of any shape; normalised over ``axis``.
        axis: the axis of the ``C`` classes (an int), default the last.

    Returns:
        Array of the shape and float dtype of ``z``; each slice along ``axis`` sums to 1.

    Examples:
        >>> import numpy as np
        >>> from xentlib import softmax
        >>> print(softmax(np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -np.inf]])))
        [[0.09   0.2447 0.6652]
         [0.5    0.5    0.    ]]

    References:
        PyTorch, ``torch.softmax``.

    See also:
        :func:`log_softmax`, :func:`softmax_jacobian`, :func:`softmax_vjp`.
    """
    z = as_float_array(z, "z")
    if z.ndim == 0:
        return np.ones_like(z) if np.isfinite(z) else np.full_like(z, np.nan)
    # A slice holding +inf gives inf - inf = nan, and an all -inf slice sums to 0 and
    # gives 0/0 = nan: the values torch.softmax returns, so no warning either.
    with np.errstate(invalid="ignore"):
        e = z - _shift(z, axis)
        np.exp(e, out=e)
        e /= np.sum(e, axis=axis, keepdims=True)
    return e


@half_in_float32("z")
def log_softmax(z, axis=-1):
    r"""Logarithm of the softmax along an axis, computed without forming the softmax.

    Use it for cross-entropy: ``-log_softmax(z)[k]`` is the loss of class ``k``.
    ``np.log(softmax(z))`` returns ``-inf`` as soon as a probability underflows to 0,
    while ``log_softmax`` returns the exact finite value (chapter ``06_stable_softmax``).

    .. math::

        \log a_i = z_i - \operatorname{LSE}(z) = (z_i - c) - \log \sum_{k=1}^{C} e^{z_k - c},
        \qquad c = \max_k z_k.

    Infinite entries follow ``torch.log_softmax``: a ``-inf`` logit gives ``-inf``, a
    slice of all ``-inf`` or containing ``+inf`` gives ``nan``.

    Args:
        z: logits, array of any shape; normalised over ``axis``.
        axis: the axis of the ``C`` classes (an int), default the last.

    Returns:
        Array of the shape and float dtype of ``z``, values ``<= 0``.

    Examples:
        >>> import numpy as np
        >>> from xentlib import log_softmax
        >>> print(log_softmax(np.array([1.0, 2.0, 3.0])))
        [-2.4076 -1.4076 -0.4076]
        >>> print(log_softmax(np.array([0.0, 800.0])))
        [-800.    0.]

    References:
        PyTorch, ``torch.log_softmax``.

    See also:
        :func:`softmax`, :func:`logsumexp`, :func:`xentlib.cross_entropy`.
    """
    z = as_float_array(z, "z")
    if z.ndim == 0:
        return np.zeros_like(z) if np.isfinite(z) else np.full_like(z, np.nan)
    # Every exponent is <= 0 and the largest is exactly 0, so the sum lies in [1, C]
    # and its log neither overflows nor loses the small log-probabilities. Infinite
    # slices give nan as in torch.log_softmax, without a warning.
    with np.errstate(divide="ignore", invalid="ignore"):
        shifted = z - _shift(z, axis)
        shifted -= np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return shifted


@half_in_float32("a")
def softmax_jacobian(a):
    r"""The Jacobian of the softmax, built from its output ``a``.

    Use it to study the softmax (it is symmetric, its rows and columns sum to zero, it is
    positive semi-definite, of rank ``C - 1`` when every probability is positive;
    chapter ``04_softmax_jacobian``) or as the
    Hessian of cross-entropy in the logits (chapter ``08_curvature``). Backpropagation
    does not need it: the product with an upstream gradient is :func:`softmax_vjp`,
    which costs O(C) instead of O(C^2).

    .. math::

        J_{ij} = \frac{\partial a_i}{\partial z_j} = a_i(\delta_{ij} - a_j),
        \qquad J = \operatorname{diag}(a) - a a^{\top}.

    Args:
        a: softmax probabilities, shape ``(..., C)`` (the classes on the last axis).

    Returns:
        Array of shape ``(..., C, C)``, float dtype of ``a``; ``J[..., i, j]`` is
        ``da_i / dz_j``.

    Examples:
        >>> import numpy as np
        >>> from xentlib import softmax_jacobian
        >>> print(softmax_jacobian(np.array([0.5, 0.25, 0.25])))
        [[ 0.25   -0.125  -0.125 ]
         [-0.125   0.1875 -0.0625]
         [-0.125  -0.0625  0.1875]]

    References:
        PyTorch computes the same matrix with
        ``torch.autograd.functional.jacobian(lambda v: torch.softmax(v, dim=-1), z)``.

    See also:
        :func:`softmax`, :func:`softmax_vjp`.
    """
    a = as_float_array(a, "a")
    if a.ndim == 0:
        raise ValueError("a must have at least one dimension (the C classes on the last axis)")
    jac = -a[..., :, None] * a[..., None, :]
    # Add a to the diagonal through a strided view instead of building diag(a).
    diagonal = np.einsum("...ii->...i", jac)
    diagonal += a
    return jac


@half_in_float32("a", "g")
def softmax_vjp(a, g):
    r"""Vector-Jacobian product of the softmax, ``g J``, without forming ``J``.

    Use it in a backward pass: given the softmax output ``a`` and the gradient ``g`` of
    a loss with respect to ``a``, it returns the gradient with respect to the logits
    ``z``. Because ``J`` is symmetric, it equals ``J g`` too. Chapter
    ``04_softmax_jacobian`` derives it; it costs O(C) per row instead of the O(C^2) of
    ``g @ softmax_jacobian(a)``.

    .. math::

        \frac{\partial L}{\partial z_j} = \sum_i g_i\, a_i(\delta_{ij} - a_j)
        = a_j \Bigl(g_j - \sum_i g_i a_i\Bigr),
        \qquad \frac{\partial L}{\partial z} = a \odot (g - \langle g, a \rangle).

    Args:
        a: softmax probabilities, shape ``(..., C)``.
        g: upstream gradient ``dL/da``, the same shape as ``a``.

    Returns:
        ``dL/dz``, shape ``(..., C)``; dtype is NumPy's promotion of the two inputs
        (float32 if both are float32, float16 if both are float16).

    With Numba installed (``pip install "xentlib[fast]"``), arrays of at least
    ``xentlib._compiled.MIN_SIZE`` elements, C-contiguous and of one float dtype, take
    one compiled loop per row (:func:`xentlib._compiled.softmax_vjp_rows`) instead of
    NumPy's three passes; the results agree to the rounding of the dot.

    Examples:
        >>> import numpy as np
        >>> from xentlib import softmax_vjp
        >>> a = np.array([0.5, 0.25, 0.25])
        >>> y = np.array([0.0, 1.0, 0.0])
        >>> print(softmax_vjp(a, -y / a))  # the gradient of -log a_2: a - y
        [ 0.5  -0.75  0.25]

    References:
        PyTorch's backward of ``torch.softmax`` computes the same product.

    See also:
        :func:`softmax_jacobian`, :func:`xentlib.cross_entropy_grad`.
    """
    a = as_float_array(a, "a")
    g = as_float_array(g, "g")
    if a.ndim == 0:
        raise ValueError("a must have at least one dimension (the C classes on the last axis)")
    if a.shape != g.shape:
        raise ValueError(
            f"g must have the same shape as a: got a {a.shape} and g {g.shape}"
        )
    rows_shape = (math.prod(a.shape[:-1]), a.shape[-1])  # (-1, C) fails for C = 0
    a_rows, g_rows = a.reshape(rows_shape), g.reshape(rows_shape)
    out = np.empty(rows_shape, np.result_type(a, g))
    one_pass = kernel("softmax_vjp_rows", a_rows, g_rows, out)
    if one_pass is not None:  # softmax_vjp_rows: the formula below, one compiled pass per row
        one_pass(a_rows, g_rows, out)
        return out.reshape(a.shape)
    # Block by block, into the result itself: a dot per row, a subtraction and a
    # product, with no temporary larger than a block. Infinite inputs give inf or nan
    # without a warning, as in PyTorch and the compiled loop.
    with np.errstate(invalid="ignore", over="ignore"):
        for rows in row_blocks(len(out), out[:1].nbytes):
            o = out[rows]
            np.subtract(g_rows[rows], dot_along(g_rows[rows], a_rows[rows], -1)[:, None], out=o)
            o *= a_rows[rows]
    return out.reshape(a.shape)
