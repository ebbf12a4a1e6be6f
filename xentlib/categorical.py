r"""Cross-entropy of the softmax, straight from the logits, with its gradient.

The loss of a classifier with ``C`` classes: the softmax turns the logits ``z`` into
probabilities ``a``, and the loss is the cross-entropy between the target distribution
``y`` and ``a``. Its gradient with respect to the logits is the result derived in
chapter ``05_softmax_cross_entropy`` (cross-entropy with softmax):

.. math::

    \frac{\partial L}{\partial z} = a - y .

The three functions follow ``torch.nn.functional.cross_entropy``: the same arguments
and defaults, class-index or class-probability targets, ``weight``, ``ignore_index``,
``label_smoothing`` and the three reductions, with the same results, including ``nan``
where PyTorch gives ``nan``.
"""

import numbers

import numpy as np

from xentlib._checks import (
    as_float_array,
    check_reduction,
    dot_along,
    dot_classes,
    half_in_float32,
    row_blocks,
    sum_classes,
)

__all__ = ["cross_entropy", "cross_entropy_grad", "cross_entropy_value_and_grad"]

_INT64 = np.iinfo(np.int64)


@half_in_float32("logits")
def cross_entropy(logits, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    r"""Cross-entropy loss between logits and class targets, as in PyTorch.

    Use it as the loss of a classifier with ``C`` classes whose last layer produces
    logits (no softmax applied): the softmax is taken inside, in log space, so the
    loss stays finite and accurate for logits of any size. For one logit per example
    (two classes) use :func:`xentlib.binary_cross_entropy_with_logits`; to train, use
    :func:`cross_entropy_value_and_grad`, which returns the gradient from the same
    pass. Chapter ``05_softmax_cross_entropy`` derives the gradient.

    For one example with logits :math:`z \in \mathbb{R}^C`, probabilities
    :math:`a = \operatorname{softmax}(z)`, a target distribution :math:`y` (the
    one-hot vector of the class :math:`k` for a class-index target), class weights
    :math:`w` (all ones by default) and label smoothing :math:`\varepsilon`:

    .. math::

        L = -\sum_{c=1}^{C} u_c \log a_c, \qquad
        \log a_c = z_c - \log \sum_{j=1}^{C} e^{z_j},

        u_c = w_c \Bigl((1 - \varepsilon)\, y_c + \frac{\varepsilon}{C}\Bigr)
        \ \text{(probabilities)}, \qquad
        u_c = (1 - \varepsilon)\, w_k\, y_c + \frac{\varepsilon}{C}\, w_c
        \ \text{(class index } k\text{)}.

    With :math:`w = 1` both are the cross-entropy with the smoothed target
    :math:`\tilde y = (1 - \varepsilon) y + \varepsilon / C`. Over a batch of
    :math:`m` examples, ``"sum"`` is :math:`J = \sum_i L_i`, and ``"mean"`` is
    :math:`J = \frac{1}{m} \sum_i L_i` for probability targets but the weighted mean
    :math:`J = \sum_i L_i / \sum_i w_{k_i}` for class indices, where an example whose
    target is ``ignore_index`` adds 0 to both sums. For ``(N, C, d1, ...)`` logits
    every position counts as an example, :math:`m = N d_1 \cdots`. If every target is
    ignored, or all counted targets have weight 0, that mean is :math:`0/0` and the
    loss is ``nan``; if counted weights of both signs sum to exactly 0, it is
    :math:`\pm\infty`. An infinite class weight (without label smoothing) makes only
    the losses of that class's examples infinite, and their gradient rows ``inf`` and
    ``nan``. All of this is what PyTorch does.

    Args:
        logits: ``z``, array of shape ``(C,)`` (one example), ``(N, C)``, or
            ``(N, C, d1, d2, ...)`` (classes on axis 1, e.g. one prediction per
            pixel). float32 stays float32; float16 is computed in float32 and the
            results rounded to float16 (PyTorch's CPU kernels do the same); integers
            and lists become float64.
        target: either class indices, an array of any signed or unsigned integer
            dtype and of shape ``()``, ``(N,)`` or ``(N, d1, d2, ...)``, with values in
            ``[0, C)`` or equal to ``ignore_index``; or class probabilities, a float16,
            float32 or float64 array of the shape of ``logits``, converted to its dtype
            (rows are not checked to sum to 1, as in PyTorch).
        weight: optional class weights ``w``, shape ``(C,)``.
        ignore_index: a class index whose examples add neither loss nor gradient, an
            int64 value as in PyTorch (class-index targets; with probability targets
            it must stay negative, and a class index raises ``ValueError`` as PyTorch
            raises an error).
        reduction: ``"mean"`` (default), ``"sum"`` or ``"none"``.
        label_smoothing: :math:`\varepsilon \in [0, 1]`, the share of the target
            spread evenly over the ``C`` classes.

    Returns:
        The loss :math:`J`, a scalar of the float dtype of ``logits``; with
        ``reduction="none"`` the losses :math:`L_i`, an array of shape ``()``,
        ``(N,)`` or ``(N, d1, ...)``, holding 0 for ignored targets.

    Examples:
        >>> import numpy as np
        >>> from xentlib import cross_entropy
        >>> z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
        >>> print(cross_entropy(z, np.array([0, 1]), reduction="none"))
        [0.417  0.2200]
        >>> print(round(float(cross_entropy(z, np.array([0, 1]))), 4))
        0.3185
        >>> print(round(float(cross_entropy(z, np.array([0, -100]))), 4))  # 2nd ignored
        0.417
        >>> print(round(float(cross_entropy(z, np.array([0, 1]), label_smoothing=0.1)), 4))
        0.4369
        >>> p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]])  # probability targets
        >>> print(round(float(cross_entropy(z, p)), 4))
        0.7235
        >>> print(cross_entropy(np.array([1000.0, 0.0, -1000.0], np.float32), 1))
        1000.0

    References:
        PyTorch, ``torch.nn.functional.cross_entropy``. Szegedy et al., "Rethinking
        the Inception architecture for computer vision", CVPR 2016 (label smoothing).

    See also:
        :func:`cross_entropy_grad`, :func:`cross_entropy_value_and_grad`,
        :func:`xentlib.log_softmax`, :func:`xentlib.binary_cross_entropy_with_logits`.
    """
    return _cross_entropy(logits, target, weight, ignore_index, reduction,
                          label_smoothing, need_grad=False)[0]


@half_in_float32("logits")
def cross_entropy_grad(logits, target, weight=None, ignore_index=-100, reduction="mean",
                       label_smoothing=0.0):
    r"""Gradient of :func:`cross_entropy` with respect to the logits.

    Use it when only the gradient is needed, e.g. to check a backward pass;
    :func:`cross_entropy_value_and_grad` returns the loss too at no extra cost.
    Chapter ``05_softmax_cross_entropy`` derives the result: the softmax minus the
    target distribution.

    .. math::

        \frac{\partial L}{\partial z} = a \sum_{c=1}^{C} u_c - u
        \;\overset{w = 1}{=}\; a - \tilde y,
        \qquad \tilde y = (1 - \varepsilon)\, y + \frac{\varepsilon}{C},

    with :math:`u` as in :func:`cross_entropy`, times the reduction's factor:
    :math:`1/m` or :math:`1 / \sum_i w_{k_i}` for ``"mean"``, 1 otherwise. With
    ``reduction="none"`` it is the gradient of :math:`\sum_i L_i`: row :math:`i`
    holds :math:`\partial L_i / \partial z_i`. Ignored examples get a zero gradient.
    If every target is ignored the gradient is 0 (while the ``"mean"`` loss is
    ``nan``); if the counted targets all have weight 0 their rows are ``nan``. Both
    are what PyTorch's backward gives.

    Args:
        logits, target, weight, ignore_index, reduction, label_smoothing: as in
            :func:`cross_entropy`.

    Returns:
        :math:`\partial J / \partial z`, an array of the shape and float dtype of
        ``logits``.

    Examples:
        >>> import numpy as np
        >>> from xentlib import cross_entropy_grad, softmax
        >>> z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
        >>> print(cross_entropy_grad(z, np.array([0, 1]), reduction="sum"))
        [[-0.341   0.2424  0.0986]
         [ 0.1086 -0.1975  0.0889]]
        >>> print(softmax(z) - np.array([[1, 0, 0], [0, 1, 0]]))  # a - y
        [[-0.341   0.2424  0.0986]
         [ 0.1086 -0.1975  0.0889]]

    References:
        PyTorch, the backward of ``torch.nn.functional.cross_entropy``.

    See also:
        :func:`cross_entropy`, :func:`cross_entropy_value_and_grad`,
        :func:`xentlib.softmax_vjp`.
    """
    return _cross_entropy(logits, target, weight, ignore_index, reduction,
                          label_smoothing, need_grad=True)[1]


@half_in_float32("logits")
def cross_entropy_value_and_grad(logits, target, weight=None, ignore_index=-100,
                                 reduction="mean", label_smoothing=0.0):
    r"""Cross-entropy and its gradient with respect to the logits, in one fused pass.

    Use it in a training step. The exponentials computed for the loss are turned into
    the gradient in place, block by cache-sized block of examples, so loss and gradient
    together cost one ``np.exp`` over the logits plus a few cheap passes, whatever the
    targets: no one-hot matrix, smoothed target or transposed copy of ``(N, C, d1,
    ...)`` logits is ever built, and the only full-size array is the gradient returned
    (``benchmarks/bench_cross_entropy.py`` compares time and memory with PyTorch). Chapter
    ``05_softmax_cross_entropy`` derives the gradient.

    .. math::

        L = -\sum_{c=1}^{C} u_c \log a_c, \qquad
        \frac{\partial L}{\partial z} = a \sum_{c=1}^{C} u_c - u
        \;\overset{w = 1,\ \varepsilon = 0}{=}\; a - y,

    with :math:`u` as in :func:`cross_entropy` and the reduction's factor as in
    :func:`cross_entropy_grad`.

    Args:
        logits, target, weight, ignore_index, reduction, label_smoothing: as in
            :func:`cross_entropy`.

    Returns:
        ``(loss, grad)``: the loss exactly as :func:`cross_entropy` returns it, and
        :math:`\partial J / \partial z`, of the shape and float dtype of ``logits``.

    Examples:
        >>> import numpy as np
        >>> from xentlib import cross_entropy_value_and_grad
        >>> z = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
        >>> loss, grad = cross_entropy_value_and_grad(z, np.array([0, 1]))
        >>> print(round(float(loss), 4))
        0.3185
        >>> print(grad)  # (a - y) / m with m = 2
        [[-0.1705  0.1212  0.0493]
         [ 0.0543 -0.0988  0.0445]]
        >>> print(np.allclose(grad.sum(axis=1), 0))  # a and y both sum to 1
        True

    References:
        PyTorch, ``torch.nn.functional.cross_entropy`` and its backward.

    See also:
        :func:`cross_entropy`, :func:`cross_entropy_grad`, :func:`xentlib.softmax`.
    """
    return _cross_entropy(logits, target, weight, ignore_index, reduction,
                          label_smoothing, need_grad=True)


def _cross_entropy(logits, target, weight, ignore_index, reduction, label_smoothing,
                   need_grad):
    z, t, w, eps = _check(logits, target, weight, ignore_index, reduction, label_smoothing)
    C = z.shape[1] if z.ndim > 1 else z.shape[0]
    # Classes stay on axis 1 of a view: (m, C) rows, or (N, C, D) with D = d1 d2 ...
    # positions per example, whose reductions over axis 1 need no transposed copy.
    z_view = z.reshape((1, C) if z.ndim == 1 else z.shape[:2] + ((-1,) if z.ndim > 2 else ()))
    positions = z_view.shape[:1] + z_view.shape[2:]
    t_view = t.reshape(z_view.shape if t.dtype.kind == "f" else positions)
    # A mean over no counted target (0 / 0) or infinite logits (inf - inf) give nan,
    # as in PyTorch, which does not warn either.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if t.dtype.kind == "f":
            loss, grad = _probability_targets(z_view, t_view, w, reduction, eps, need_grad)
        else:
            loss, grad = _index_targets(z_view, t_view, w, ignore_index, reduction, eps,
                                        need_grad)
    if reduction == "none":
        loss = loss.reshape(z.shape[:1] + z.shape[2:] if z.ndim > 1 else ())
    return loss, None if grad is None else grad.reshape(z.shape)


def _blocks(z, grad):
    """Yield ``(rows, g)``: cache-sized slices of the examples (see
    :data:`xentlib._checks.BLOCK_BYTES`) and the matching block of ``grad``, or of one
    scratch block when ``grad`` is None."""
    blocks = row_blocks(z.shape[0], z[:1].nbytes)
    out = grad
    if grad is None and blocks:
        out = np.empty(z[blocks[0]].shape, z.dtype)
    for rows in blocks:
        yield rows, out[rows] if grad is not None else out[: rows.stop - rows.start]


def _shifted(z, g):
    """Write ``z - c`` into ``g`` and return ``c = max_c z``: every exponent is then
    <= 0 (no overflow) and the largest exactly 0, so the sum of exponentials lies in
    [1, C] and its log is accurate."""
    c = z.max(axis=1, keepdims=True)
    np.subtract(z, c, out=g)
    return c


def _per_class(v, g):
    """A class vector ``v`` (C,) shaped to broadcast along axis 1 of the block ``g``."""
    return v.reshape((-1,) + (1,) * (g.ndim - 2))


def _weighted_nll(z, c, log_s, w):
    """``-sum_c w_c log a_c`` for a block, from the log-probabilities themselves."""
    log_a = z - (c + np.expand_dims(log_s, 1))
    return -dot_classes(log_a, w)


def _index_targets(z, k, w, ignore_index, reduction, eps, need_grad):
    """Losses (m,) or their reduction, and the gradient, for ``z`` of shape (n, C) or
    (n, C, D) and class indices ``k`` of shape (n,) or (n, D)."""
    C = z.shape[1]
    dtype = z.dtype.type
    keep = k != ignore_index
    k = np.where(keep, k, 0)  # any valid column: ignored positions get weight 0 below
    w_k = np.where(keep, 1 if w is None else w[k], 0).astype(z.dtype)  # weight of its class
    total = w_k.sum()  # the weighted count that "mean" divides by
    w_sum = C if w is None else w.sum()
    # Ignored positions get the factor 0 itself: multiplying their zero gradient by the
    # infinite factor of an all-ignored mean would give 0 * inf = nan.
    f = np.where(keep, dtype(1) / total if reduction == "mean" else dtype(1), 0).astype(z.dtype)
    # Position i has the target weights u_i = (1 - eps) w_k[i] onehot(k_i) + (eps / C) w,
    # and its gradient is a_i r_i - u_i with r_i = sum_c u_ic, times the factor f_i.
    # Without smoothing the eps terms are left out, not multiplied by 0: an infinite
    # weight would turn 0 * inf into nan in every row.
    f_u_k = f * ((1 - eps) * w_k)
    f_r = f_u_k + f * ((eps / C) * w_sum) if eps else f_u_k

    finite_w = w is None or np.isfinite(w_sum)
    loss = np.empty(k.shape, z.dtype)
    grad = np.empty(z.shape, z.dtype) if need_grad else None  # C order: flat views
    nll_sum = smooth_sum = 0.0  # Python floats: block sums accumulate in float64
    for rows, g in _blocks(z, grad):
        c = _shifted(z[rows], g)
        # Flat positions of each target entry in the block: no one-hot matrix is built.
        n_b = rows.stop - rows.start
        flat = np.arange(n_b).reshape((-1,) + (1,) * (g.ndim - 2)) * g[0].size
        flat = flat + (k[rows] * g[0, 0].size if g.ndim > 2 else k[rows])
        if g.ndim > 2:
            flat += np.arange(g.shape[2])
        g_flat = g.reshape(-1)
        z_k = g_flat[flat]  # z_k - c
        if eps:  # sum_k w_k (z_k - c), c the row max, taken before exp overwrites g
            z_w = sum_classes(g) if w is None else dot_classes(g, w)
        np.exp(g, out=g)
        s = sum_classes(g)
        # -log a_k = log s - (z_k - c): no log of a probability that may underflow to 0.
        log_s = np.log(s)
        keep_b = keep[rows]
        nll = np.where(keep_b, w_k[rows] * (log_s - z_k), 0)
        nll_sum += float(nll.sum())
        loss[rows] = nll if eps == 0 else (1 - eps) * nll
        if eps:
            # sum_k w_k (-log a_k) = log s sum_k w_k - sum_k w_k (z_k - c); with an
            # infinite weight that is inf - inf, so take PyTorch's order instead.
            smooth = w_sum * log_s - z_w if finite_w else _weighted_nll(z[rows], c, log_s, w)
            smooth = np.where(keep_b, smooth, 0)
            smooth_sum += float(smooth.sum())
            loss[rows] += (eps / C) * smooth
        if need_grad:
            # (a r - u) f, where g / s is the softmax a. With no weights and no
            # smoothing, r = 1 and u = y: the book's a - y, times 1/m for the mean.
            g *= np.expand_dims(f_r[rows] / s, 1)
            g_flat[flat] -= f_u_k[rows]
            if eps:
                step = f[rows] * (eps / C)
                if w is None and step.min() == step.max():
                    g -= step[0]  # one number for the block: NumPy's fastest loop
                else:
                    step = np.expand_dims(step, 1)
                    g -= step if w is None else step * _per_class(w, g)
    if reduction == "none":
        return loss, grad
    if reduction == "sum":
        return dtype((1 - eps) * nll_sum + (eps / C) * smooth_sum if eps else nll_sum), grad
    # PyTorch's weighted mean divides the unsmoothed and the smoothing sums each by the
    # counted weight: 0 / 0 = nan if nothing counts, +-inf for a sum of weights of 0.
    mean = dtype(nll_sum) / total
    if eps:
        mean = (1 - eps) * mean + (eps / C) * (dtype(smooth_sum) / total)
    return dtype(mean), grad


def _probability_targets(z, y, w, reduction, eps, need_grad):
    """Losses (m,) or their reduction, and the gradient, for ``z`` and ``y`` of shape
    (n, C) or (n, C, D)."""
    C = z.shape[1]
    dtype = z.dtype.type
    loss = np.empty(z.shape[:1] + z.shape[2:], z.dtype)
    # "mean" divides by the number of positions whatever the weights (PyTorch's rule);
    # with none that is 0 / 0 = nan.
    f = dtype(1) / loss.size if reduction == "mean" else dtype(1)
    w_sum = C if w is None else w.sum()
    grad = np.empty(z.shape, z.dtype) if need_grad else None  # C order: flat views
    # The smoothed target u = w ((1 - eps) y + eps / C) is never built: its sums
    # r = sum_k u_k and sum_k u_k (z_k - c), c the row max, come from y and w separately.
    for rows, g in _blocks(z, grad):
        _shifted(z[rows], g)
        y_b = y[rows] if w is None else y[rows] * _per_class(w, g)  # w y
        u_z = dot_along(y_b, g, 1)  # sum_k w_k y_k (z_k - c)
        r = sum_classes(y_b)
        if eps:
            z_w = sum_classes(g) if w is None else dot_classes(g, w)
            u_z = (1 - eps) * u_z + (eps / C) * z_w
            r = (1 - eps) * r + (eps / C) * w_sum
        np.exp(g, out=g)
        s = sum_classes(g)
        # L = -sum_k u_k log a_k = r log s - sum_k u_k (z_k - c): one exp per logit.
        loss[rows] = r * np.log(s) - u_z
        if need_grad:
            # (a r - u) f with u = (1 - eps) w y + (eps / C) w, where g / s is the
            # softmax a: a - y~ for w = 1 and rows of y summing to 1. The y term is
            # subtracted at the scale 1 / ((1 - eps) f), which needs no scaled copy of y.
            if eps < 1:
                g *= np.expand_dims(r / (s * (1 - eps)), 1)
                g -= y_b
                g *= f * (1 - eps)
            else:
                g *= np.expand_dims(r * f / s, 1)
            if eps:
                g -= f * (eps / C) if w is None else (f * (eps / C)) * _per_class(w, g)
    if reduction == "sum":
        return loss.sum(), grad
    if reduction == "mean":
        return loss.sum() * f, grad
    return loss, grad


def _check(logits, target, weight, ignore_index, reduction, label_smoothing):
    """Validate the arguments; return logits, target, weight and label smoothing."""
    check_reduction(reduction)
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"label_smoothing must be a real number, got {label_smoothing!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing!r}")
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"ignore_index must be an integer, got {ignore_index!r}")
    if not _INT64.min <= ignore_index <= _INT64.max:
        raise ValueError(f"ignore_index must fit in int64 (as in PyTorch), got {ignore_index}")

    z = as_float_array(logits, "logits")
    if z.ndim == 0:
        raise ValueError("logits must have shape (C,), (N, C) or (N, C, d1, ...), got a scalar")
    C = z.shape[1] if z.ndim > 1 else z.shape[0]
    if C == 0:
        raise ValueError(f"logits must have at least one class, got shape {z.shape}")

    t = np.asarray(target)
    index_shape = z.shape[:1] + z.shape[2:] if z.ndim > 1 else ()
    if t.dtype.kind in "iu":
        if t.shape != index_shape:
            raise ValueError(
                f"class-index target must have shape {index_shape} for logits of shape "
                f"{z.shape}, got {t.shape} (probability targets are floats of the "
                f"logits' shape)"
            )
        bad = (t != ignore_index) & ((t < 0) | (t >= C))
        if bad.any():
            raise ValueError(
                f"class index {t[bad].flat[0]} out of range for C = {C} classes "
                f"(expected 0 to {C - 1}, or ignore_index = {ignore_index})"
            )
        # Every value is now below C or equal to ignore_index, so int64 holds it exactly;
        # unsigned indices would otherwise turn the gather's int64 arithmetic into floats.
        t = t.astype(np.int64, copy=False)
    elif t.dtype.kind == "f":
        if ignore_index >= 0:
            # PyTorch: "ignore_index is not supported for floating point target"
            raise ValueError(
                f"ignore_index = {ignore_index} names a class, but probability targets "
                f"have no class index to ignore: leave ignore_index negative (default -100)"
            )
        if t.shape != z.shape:
            raise ValueError(
                f"probability target must have the logits' shape {z.shape}, got "
                f"{t.shape} (class-index targets are integers of shape {index_shape})"
            )
        t = as_float_array(t, "target").astype(z.dtype, copy=False)
    else:
        raise TypeError(
            f"target must be integer class indices or float probabilities, got dtype "
            f"{t.dtype}"
        )

    w = None
    if weight is not None:
        w = as_float_array(weight, "weight").astype(z.dtype, copy=False)
        if w.shape != (C,):
            raise ValueError(f"weight must have shape ({C},), one per class, got {w.shape}")
    # A Python float keeps float32 arithmetic in float32 (a NumPy float64 would not).
    return z, t, w, float(label_smoothing)
