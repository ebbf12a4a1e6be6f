"""Binary cross-entropy, from probabilities and from logits, with gradients.

Two losses, each in three forms: the loss ``f``, its gradient ``f_grad`` with respect
to the first argument, and ``f_value_and_grad`` returning both from one pass.

* :func:`binary_cross_entropy` takes probabilities ``p`` in ``[0, 1]`` (chapter
  ``02_logistic_regression``).
* :func:`binary_cross_entropy_with_logits` takes logits ``x`` and never forms the
  probability, which keeps it finite for logits of any size (chapter ``03_stable_bce``).

Arguments, defaults, reductions and errors follow ``torch.nn.functional``'s functions of
the same names. The loss and the gradient have the float dtype of the first argument;
the targets and weights are converted to it. float16 inputs are computed in float32 and
the results rounded to float16, as PyTorch does on the CPU; integers become float64.
An empty input (any axis of length 0) gives an empty loss and gradient, a ``"sum"`` of 0
and a ``"mean"`` of ``nan`` (0 / 0), as in PyTorch, without a warning.
"""

import numpy as np

from xentlib._checks import (
    as_float_array,
    check_reduction,
    check_same_shape,
    half_in_float32,
    reduce,
    row_blocks,
    scale_grad,
    total_dot,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_grad",
    "binary_cross_entropy_value_and_grad",
    "binary_cross_entropy_with_logits",
    "binary_cross_entropy_with_logits_grad",
    "binary_cross_entropy_with_logits_value_and_grad",
]

# PyTorch clamps each log at -100, so a probability of exactly 0 or 1 costs at most 100
# instead of inf, and divides the gradient by max(p (1 - p), 1e-12) instead of 0. Its
# 1e-12 is a C++ float, 9.99999996e-13 even for float64 inputs; the same value here makes
# the gradient at p = 0 or 1 agree with PyTorch's to the last bit.
_LOG_FLOOR = -100.0
_GRAD_EPS = float(np.float32(1e-12))


def _check_unit_interval(arr, name, what):
    """Raise ``ValueError`` unless every element of ``arr`` lies in [0, 1] (nan fails)."""
    # Written as "not inside" so that nan, which fails every comparison, is caught too.
    bad = ~((arr >= 0) & (arr <= 1))
    if np.any(bad):
        value = arr[bad].flat[0]
        raise ValueError(
            f"invalid {what} in {name}: every element must lie in [0, 1], found {value}"
        )


def _weight_array(weight, shape, dtype, name):
    """Convert ``weight`` to ``dtype`` and check it broadcasts to ``shape`` exactly.

    PyTorch broadcasts a weight against the input but fails when the broadcast would
    enlarge the result; the same rule here keeps a weight from silently turning an
    elementwise loss into a bigger array.
    """
    w = as_float_array(weight, name).astype(dtype, copy=False)
    try:
        broadcast = np.broadcast_shapes(w.shape, shape)
    except ValueError:
        broadcast = None
    if broadcast != shape:
        raise ValueError(
            f"{name} of shape {w.shape} cannot be broadcast to the input shape {shape}"
        )
    return w


def _bce_inputs(p, y, weight, reduction):
    check_reduction(reduction)
    p = as_float_array(p, "p")
    y = as_float_array(y, "y").astype(p.dtype, copy=False)
    check_same_shape(p, y, "p", "y")
    _check_unit_interval(p, "p", "probability")
    _check_unit_interval(y, "y", "target")
    if weight is not None:
        weight = _weight_array(weight, p.shape, p.dtype, "weight")
    return p, y, weight


def _bce_loss(p, y, weight):
    # log1p(-p) is log(1 - p) without the rounding of 1 - p for tiny p; each log is
    # clamped at -100 as PyTorch does, so p = 0 or p = 1 gives a finite loss.
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(p), _LOG_FLOOR)
        log_1mp = np.maximum(np.log1p(-p), _LOG_FLOOR)
    loss = -(y * log_p + (1 - y) * log_1mp)
    if weight is not None:
        loss = loss * weight
    return loss


def _bce_grad(p, y, weight, reduction):
    # dL/dp = (p - y) / (p (1 - p)); the denominator is floored at 1e-12 like PyTorch's
    # backward, so p = 0 or p = 1 gives a large finite gradient, or 0 when p == y.
    grad = (p - y) / np.maximum((1 - p) * p, p.dtype.type(_GRAD_EPS))
    if weight is not None:
        grad = grad * weight
    return scale_grad(grad, reduction)


@half_in_float32("p")
def binary_cross_entropy(p, y, weight=None, reduction="mean"):
    r"""Binary cross-entropy between probabilities ``p`` and targets ``y``.

    Use it when the model already outputs probabilities (a sigmoid layer). If you have
    the logits, use :func:`binary_cross_entropy_with_logits`: it is exact where this
    function has to clamp. Chapter ``02_logistic_regression`` derives the loss and its
    gradient for logistic regression.

    .. math::

        L = -w\,\bigl(y \log a + (1 - y) \log(1 - a)\bigr),
        \qquad \frac{\partial L}{\partial a} = w\,\frac{a - y}{a (1 - a)},

    with ``a = p``, each logarithm clamped below at ``-100`` and ``a (1 - a)`` in the
    gradient floored at ``1e-12`` (PyTorch's constant, a single-precision float, so
    ``9.99999996e-13``), as in PyTorch. The mean reduction averages over all
    ``N`` elements (the weights do not enter the denominator).

    Args:
        p: probabilities ``a``, any shape, every element in ``[0, 1]``.
        y: targets in ``[0, 1]`` (labels or soft labels), the same shape as ``p``.
        weight: optional rescaling weight ``w``, broadcastable to the shape of ``p``.
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss: a scalar for ``"mean"`` and ``"sum"``, an array of the shape of ``p``
        for ``"none"``; float dtype of ``p``.

    Raises:
        ValueError: ``p`` or ``y`` outside ``[0, 1]``, ``y`` of another shape than
            ``p``, a ``weight`` that does not broadcast to it, or an unknown reduction.
        TypeError: an argument that is not a real number array.

    Examples:
        >>> import numpy as np
        >>> from xentlib import binary_cross_entropy
        >>> p = np.array([0.9, 0.2, 0.6])
        >>> y = np.array([1.0, 0.0, 0.0])
        >>> print(binary_cross_entropy(p, y, reduction="none"))
        [0.1054 0.2231 0.9163]
        >>> print(round(float(binary_cross_entropy(p, y)), 4))
        0.4149
        >>> print(binary_cross_entropy(np.array([0.0]), np.array([1.0]), reduction="sum"))
        100.0

    References:
        PyTorch, ``torch.nn.functional.binary_cross_entropy``.

    See also:
        :func:`binary_cross_entropy_grad`, :func:`binary_cross_entropy_value_and_grad`,
        :func:`binary_cross_entropy_with_logits`.
    """
    p, y, weight = _bce_inputs(p, y, weight, reduction)
    return reduce(_bce_loss(p, y, weight), reduction)


@half_in_float32("p")
def binary_cross_entropy_grad(p, y, weight=None, reduction="mean"):
    r"""Gradient of :func:`binary_cross_entropy` with respect to the probabilities ``p``.

    Use it for a backward pass through a loss on probabilities. Chapter
    ``02_logistic_regression`` derives it; in logistic regression the chain rule with
    ``da/dz = a (1 - a)`` turns it into ``a - y``.

    .. math::

        \frac{\partial J}{\partial a} = \frac{1}{N}\, w\, \frac{a - y}{\max(a (1 - a), 10^{-12})}
        \quad (\text{mean; drop } 1/N \text{ for sum or none}).

    Args:
        p, y, weight, reduction: as in :func:`binary_cross_entropy`.

    Returns:
        ``dJ/dp``, the shape and float dtype of ``p``. For ``"none"`` it is the gradient
        of the sum of the elementwise losses.

    Examples:
        >>> import numpy as np
        >>> from xentlib import binary_cross_entropy_grad
        >>> p = np.array([0.9, 0.2, 0.6])
        >>> y = np.array([1.0, 0.0, 0.0])
        >>> print(binary_cross_entropy_grad(p, y, reduction="sum"))
        [-1.1111  1.25    2.5   ]

    References:
        PyTorch, the backward of ``torch.nn.functional.binary_cross_entropy``.

    See also:
        :func:`binary_cross_entropy`, :func:`binary_cross_entropy_with_logits_grad`.
    """
    p, y, weight = _bce_inputs(p, y, weight, reduction)
    return _bce_grad(p, y, weight, reduction)


@half_in_float32("p")
def binary_cross_entropy_value_and_grad(p, y, weight=None, reduction="mean"):
    r"""Loss and gradient of :func:`binary_cross_entropy` from one validation pass.

    Use it in a training loop, where both are needed. The formulas are those of
    :func:`binary_cross_entropy` and :func:`binary_cross_entropy_grad` (chapter
    ``02_logistic_regression``).

    Args:
        p, y, weight, reduction: as in :func:`binary_cross_entropy`.

    Returns:
        ``(loss, grad)``: the loss as :func:`binary_cross_entropy` returns it and
        ``dJ/dp`` of the shape and float dtype of ``p``.

    Examples:
        >>> import numpy as np
        >>> from xentlib import binary_cross_entropy_value_and_grad
        >>> loss, grad = binary_cross_entropy_value_and_grad(
        ...     np.array([0.9, 0.2]), np.array([1.0, 0.0]))
        >>> print(round(float(loss), 4), grad)
        0.1643 [-0.5556  0.625 ]

    References:
        PyTorch, ``torch.nn.functional.binary_cross_entropy`` and its backward.

    See also:
        :func:`binary_cross_entropy`, :func:`binary_cross_entropy_grad`.
    """
    p, y, weight = _bce_inputs(p, y, weight, reduction)
    loss = reduce(_bce_loss(p, y, weight), reduction)
    return loss, _bce_grad(p, y, weight, reduction)


def _logits_inputs(x, y, weight, pos_weight, reduction):
    check_reduction(reduction)
    x = as_float_array(x, "x")
    y = as_float_array(y, "y").astype(x.dtype, copy=False)
    check_same_shape(x, y, "x", "y")
    if weight is not None:
        weight = _weight_array(weight, x.shape, x.dtype, "weight")
    if pos_weight is not None:
        pos_weight = _weight_array(pos_weight, x.shape, x.dtype, "pos_weight")
    return x, y, weight, pos_weight


def _logits_value_and_grad(x, y, weight, pos_weight, reduction, need_loss, need_grad):
    """The shared pass, in cache-sized blocks with no full-size temporary: one
    ``m = min(x, 0)`` and one ``log(1 + e^{-|x|})`` feed the loss and, through one exp,
    the gradient."""
    view = x.shape if x.ndim else (1,)  # blocks of rows (of a 1-element view for a scalar)
    x_v, y_v = x.reshape(view), y.reshape(view)
    w_v, pw_v = (None if v is None else np.broadcast_to(v, x.shape).reshape(view)
                 for v in (weight, pos_weight))
    keep_losses = need_loss and reduction == "none"
    # Without weights, a mean or sum needs only three sums over each block, not the
    # losses themselves (see below).
    sums_only = need_loss and not keep_losses and weight is None and pos_weight is None
    losses = np.empty(x_v.shape, x.dtype) if keep_losses else None
    grad = np.empty(x_v.shape, x.dtype) if need_grad else None
    factor = x.dtype.type(1 / x.size if reduction == "mean" and x.size else 1)
    blocks = row_blocks(len(x_v), x_v[:1].nbytes, arrays=5)  # the 5 scratch blocks
    scratch = np.zeros((5,) + x_v[blocks[0]].shape if blocks else (5, 0), x.dtype)
    if sums_only:
        scratch[4] = 1
    total = 0.0  # Python float: the block sums accumulate in float64
    # Infinite logits give inf - inf or 0 * inf = nan where PyTorch has nan, unwarned.
    with np.errstate(invalid="ignore"):
        for rows in blocks:
            x_b, y_b = x_v[rows], y_v[rows]
            zero, lg, m, u, one = scratch[:, : len(x_b)]  # np.minimum is faster with an array
            # log(1 + e^{-|x|}) and min(x, 0), the two parts of the stable form of chapter
            # ``03_stable_bce``: e^{-|x|} lies in (0, 1], no overflow, and
            # softplus(-x) = -log sigma(x) = lg - m.
            np.exp(np.negative(np.abs(x_b, out=lg), out=lg), out=lg)
            np.log1p(lg, out=lg)
            np.minimum(x_b, zero, out=m)
            # 1 + (p_w - 1) y, the weight of the log sigma(x) term
            log_weight = None if pw_v is None else (pw_v[rows] - 1) * y_b + 1
            if need_grad:  # first: the loss overwrites lg and m
                # sigma(x) = exp(m - lg), accurate even where it is tiny; the gradient
                # is (1 + (p_w - 1) y) sigma(x) - p_w y.
                g = grad[rows]
                np.exp(np.subtract(m, lg, out=g), out=g)
                if log_weight is None:
                    g -= y_b
                else:
                    g *= log_weight
                    g -= np.multiply(pw_v[rows], y_b, out=u)
                if w_v is not None:
                    g *= w_v[rows]
                if factor != 1:
                    g *= factor
            if sums_only:
                # The sum of L = lg - y m + (x - m)(1 - y) over the block as three sums,
                # each of terms >= 0 for y in [0, 1] (see below): dot products, with no
                # array of losses, and nothing that cancels. Infinite logits give the
                # same inf or nan as the losses would.
                y_m = total_dot(y_b, m)
                relu = np.subtract(x_b, m, out=m)
                total += total_dot(lg, one) - y_m + total_dot(relu, np.subtract(1, y_b, out=u))
            elif need_loss:
                # L = (x - m)(1 - y) - p_w y m + (1 + (p_w - 1) y) lg. Where x >= 0 only
                # the first and last terms remain, where x < 0 only the last two: every
                # term is >= 0 for y in [0, 1] and p_w >= 0, so nothing cancels and a hard
                # label keeps its tiny loss (y = 0, x << 0 gives exactly lg ~ e^x). PyTorch's
                # (1 - y) x + lw softplus(-x) subtracts two numbers of size |x| there.
                # The products keep PyTorch's values at infinite logits: x = +inf gives
                # inf (1 - y), so inf for y < 1 and nan for y = 1; x = -inf gives
                # x - m = -inf + inf = nan for every y.
                if log_weight is not None:
                    lg *= log_weight
                lg -= np.multiply(y_b if pw_v is None else pw_v[rows] * y_b, m, out=u)
                relu = np.subtract(x_b, m, out=m)  # max(x, 0), but nan at x = -inf
                relu *= np.subtract(1, y_b, out=u)
                loss = np.add(lg, relu, out=losses[rows] if keep_losses else lg)
                if w_v is not None:
                    loss *= w_v[rows]
                if not keep_losses:
                    total += float(loss.sum())
    loss = None
    if need_loss:
        if keep_losses:
            loss = losses.reshape(x.shape)
        else:
            with np.errstate(invalid="ignore"):  # the mean of nothing is 0 / 0 = nan
                loss = x.dtype.type(total) / x.dtype.type(x.size if reduction == "mean" else 1)
    return loss, None if grad is None else grad.reshape(x.shape)


@half_in_float32("x")
def binary_cross_entropy_with_logits(x, y, weight=None, pos_weight=None, reduction="mean"):
    r"""Binary cross-entropy computed from logits, stable for logits of any size.

    Use it whenever the model outputs logits: it equals
    ``binary_cross_entropy(sigmoid(x), y)`` mathematically, but it never computes
    ``log(sigmoid(x))``, which is ``-inf`` once the sigmoid rounds to 0 or 1. Chapter
    ``03_stable_bce`` derives the stable form, its gradient and the ``pos_weight``
    generalisation.

    .. math::

        L = w\,\bigl[(x - m)(1 - y) - p_w\, y\, m + (1 + (p_w - 1)\, y) \log(1 + e^{-|x|})\bigr],
        \qquad m = \min(x, 0),

    which for ``pos_weight = None`` (:math:`p_w = 1`) is
    :math:`w\,[\max(x, 0) - x y + \log(1 + e^{-|x|})]`; the gradient is

    .. math::

        \frac{\partial L}{\partial x} = w\,\bigl[(1 + (p_w - 1)\, y)\, \sigma(x) - p_w\, y\bigr]
        \quad (= w\,(\sigma(x) - y) \text{ for } p_w = 1).

    ``pos_weight`` multiplies the loss of the positive label only: ``p_w > 1`` raises
    recall. The mean reduction averages over all ``N`` elements.

    No term of the loss is negative (for ``y`` in ``[0, 1]`` and ``p_w >= 0``), so
    nothing cancels: a hard label keeps a tiny loss to a few ulps (``y = 0`` at
    ``x = -30`` costs ``log(1 + e^{-30})``, about ``9.4e-14``). PyTorch's arrangement
    :math:`(1 - y)\, x - (1 + (p_w - 1)\, y) \log \sigma(x)` is the same function but
    subtracts two numbers of size ``|x|`` there and returns 0 from ``x = -14.56`` in
    float32 (``-33.28`` in float64).

    Infinite logits give PyTorch's values: at ``x = +inf`` the loss is ``inf`` for
    ``y < 1`` and ``nan`` for ``y = 1`` (the ``inf * 0`` of :math:`(x - m)(1 - y)`); at
    ``x = -inf`` it is ``nan`` for every ``y`` (:math:`x - m = -\infty + \infty`). The
    gradient stays finite there: :math:`\sigma(\pm\infty)` is 1 or 0.

    Args:
        x: logits (the ``z`` of chapter ``02_logistic_regression``), any shape.
        y: targets (labels or soft labels, usually in ``[0, 1]``), the same shape as ``x``.
        weight: optional rescaling weight ``w``, broadcastable to the shape of ``x``.
        pos_weight: optional weight of positive examples ``p_w``, broadcastable to the
            shape of ``x`` (for ``x`` of shape ``(N, C)``, one value per class ``(C,)``).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.

    Returns:
        The loss: a scalar for ``"mean"`` and ``"sum"``, an array of the shape of ``x``
        for ``"none"``; float dtype of ``x``.

    Raises:
        ValueError: ``y`` of another shape than ``x``, a ``weight`` or ``pos_weight``
            that does not broadcast to it, or an unknown reduction.
        TypeError: an argument that is not a real number array.

    Examples:
        >>> import numpy as np
        >>> from xentlib import binary_cross_entropy_with_logits
        >>> x = np.array([2.0, -1.0, 1000.0])
        >>> y = np.array([1.0, 0.0, 0.0])
        >>> print(binary_cross_entropy_with_logits(x, y, reduction="none"))
        [1.2693e-01 3.1326e-01 1.0000e+03]
        >>> print(binary_cross_entropy_with_logits(x[:2], y[:2], pos_weight=3.0, reduction="none"))
        [0.3808 0.3133]
        >>> print(binary_cross_entropy_with_logits(  # tiny losses of hard labels survive
        ...     np.array([-30.0, 30.0]), np.array([0.0, 1.0]), reduction="none"))
        [9.3576e-14 9.3576e-14]
        >>> inf = np.inf  # PyTorch's values at infinite logits
        >>> print(binary_cross_entropy_with_logits(
        ...     np.array([inf, inf, -inf]), np.array([0.0, 1.0, 1.0]), reduction="none"))
        [inf nan nan]

    References:
        PyTorch, ``torch.nn.functional.binary_cross_entropy_with_logits``.

    See also:
        :func:`binary_cross_entropy_with_logits_grad`,
        :func:`binary_cross_entropy_with_logits_value_and_grad`,
        :func:`binary_cross_entropy`, :func:`xentlib.log_sigmoid`.
    """
    x, y, weight, pos_weight = _logits_inputs(x, y, weight, pos_weight, reduction)
    return _logits_value_and_grad(x, y, weight, pos_weight, reduction, True, False)[0]


@half_in_float32("x")
def binary_cross_entropy_with_logits_grad(x, y, weight=None, pos_weight=None, reduction="mean"):
    r"""Gradient of :func:`binary_cross_entropy_with_logits` with respect to the logits.

    Use it for a backward pass. Chapter ``03_stable_bce`` derives it from the stable
    form; it is bounded by ``max(1, p_w)`` times the weight for every logit, so it is as
    stable as the loss.

    .. math::

        \frac{\partial J}{\partial x} = \frac{1}{N}\, w\,
        \bigl[(1 + (p_w - 1)\, y)\, \sigma(x) - p_w\, y\bigr]
        \quad (\text{mean; drop } 1/N \text{ for sum or none}).

    Args:
        x, y, weight, pos_weight, reduction: as in :func:`binary_cross_entropy_with_logits`.

    Returns:
        ``dJ/dx``, the shape and float dtype of ``x``. For ``"none"`` it is the gradient
        of the sum of the elementwise losses.

    Examples:
        >>> import numpy as np
        >>> from xentlib import binary_cross_entropy_with_logits_grad
        >>> x = np.array([2.0, -1.0, 1000.0])
        >>> y = np.array([1.0, 0.0, 0.0])
        >>> print(binary_cross_entropy_with_logits_grad(x, y, reduction="sum"))  # sigma(x) - y
        [-0.1192  0.2689  1.    ]

    References:
        PyTorch, the backward of ``torch.nn.functional.binary_cross_entropy_with_logits``.

    See also:
        :func:`binary_cross_entropy_with_logits`, :func:`xentlib.sigmoid`.
    """
    x, y, weight, pos_weight = _logits_inputs(x, y, weight, pos_weight, reduction)
    return _logits_value_and_grad(x, y, weight, pos_weight, reduction, False, True)[1]


@half_in_float32("x")
def binary_cross_entropy_with_logits_value_and_grad(
    x, y, weight=None, pos_weight=None, reduction="mean"
):
    r"""Loss and gradient of :func:`binary_cross_entropy_with_logits` in one pass.

    Use it in a training loop: the single ``exp(-|x|)`` feeds both the
    ``log(1 + e^{-|x|})`` of the loss and the sigmoid of the gradient. Formulas as in
    :func:`binary_cross_entropy_with_logits` (chapter ``03_stable_bce``).

    Args:
        x, y, weight, pos_weight, reduction: as in :func:`binary_cross_entropy_with_logits`.

    Returns:
        ``(loss, grad)``: the loss as :func:`binary_cross_entropy_with_logits` returns it
        and ``dJ/dx`` of the shape and float dtype of ``x``.

    Examples:
        >>> import numpy as np
        >>> from xentlib import binary_cross_entropy_with_logits_value_and_grad
        >>> loss, grad = binary_cross_entropy_with_logits_value_and_grad(
        ...     np.array([2.0, -1.0]), np.array([1.0, 0.0]))
        >>> print(round(float(loss), 4), grad)
        0.2201 [-0.0596  0.1345]

    References:
        PyTorch, ``torch.nn.functional.binary_cross_entropy_with_logits`` and its backward.

    See also:
        :func:`binary_cross_entropy_with_logits`,
        :func:`binary_cross_entropy_with_logits_grad`.
    """
    x, y, weight, pos_weight = _logits_inputs(x, y, weight, pos_weight, reduction)
    return _logits_value_and_grad(x, y, weight, pos_weight, reduction, True, True)
