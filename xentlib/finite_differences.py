"""Check an analytic gradient against central finite differences.

Every gradient in the book is checked twice: symbolically, and numerically here. The
numeric check perturbs one input element at a time, measures the change of the scalar
function, and compares the slope with the analytic gradient.
"""

import numbers
from dataclasses import dataclass

import numpy as np

from xentlib._checks import as_float_array

__all__ = ["GradcheckReport", "gradcheck", "numerical_grad", "relative_error"]

# Central differences have truncation error O(eps^2) and rounding error O(u / eps) for
# machine precision u, smallest near eps = u^(1/3): about 6e-6 in float64 and 5e-3 in
# float32. 1e-6 (PyTorch's choice) and 1e-3 sit close to those optima.
_DEFAULT_EPS = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-3}
# Default tolerances per dtype: float32 differences carry about 1e-4 relative noise.
_DEFAULT_TOL = {np.dtype(np.float64): (1e-6, 1e-4), np.dtype(np.float32): (1e-3, 1e-2)}


def _scalar(value):
    v = np.asarray(value)
    if v.size != 1:
        raise ValueError(f"f must return a scalar, got an array of shape {v.shape}")
    return float(v.reshape(()))


def _check_tolerance(value, name):
    """Return ``value`` as a float, raising a clear error unless it is a real number >= 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r} of type {type(value).__name__}")
    if not value >= 0 or value == np.inf:
        raise ValueError(f"{name} must be finite and >= 0, got {value!r}")
    return float(value)


def numerical_grad(f, x, eps=None):
    r"""Central-difference gradient of a scalar function of an array.

    Use it to check a hand-derived gradient (see :func:`gradcheck`), never in training:
    it calls ``f`` twice per element of ``x``.

    .. math::

        \frac{\partial f}{\partial x_i} \approx
        \frac{f(x + h_i e_i) - f(x - h_i e_i)}{(x_i + h_i) - (x_i - h_i)}, \qquad
        h_i = \text{eps} \cdot \max(1, |x_i|).

    The step grows with the magnitude of ``x_i``: a fixed step would vanish next to a
    large value (in float32, ``32768 + 1e-3`` rounds to ``32768``). The function always
    receives arrays of the dtype of ``x``, so a float32 implementation is checked in
    float32; a float16 ``x`` is taken as float32 (a difference quotient in float16 would
    carry errors of a few percent), as xentlib's functions compute float16 in float32
    anyway. The denominator is the step actually taken after rounding
    ``x_i \pm h_i`` to that dtype, and the differences are formed in float64, so the
    result is float64.

    Args:
        f: callable taking an array of the shape of ``x`` and returning a scalar.
        x: the point, array of any shape (integers become float64, float16 becomes
            float32), every element finite. It is not modified.
        eps: the relative step; default ``1e-6`` for float64 and ``1e-3`` for float32,
            near the step that balances truncation and rounding error.

    Returns:
        float64 array of the shape of ``x``.

    Raises:
        ValueError: ``eps`` not positive and finite, an element of ``x`` that is not
            finite, or one so large that ``x_i \pm h_i`` overflows or so that the step
            rounds away (``eps`` below the dtype's resolution); the message names the
            element.
        TypeError: ``eps`` not a real number.

    Examples:
        >>> import numpy as np
        >>> from xentlib import numerical_grad
        >>> print(numerical_grad(lambda v: np.sum(v ** 3), np.array([1.0, 2.0])))
        [ 3. 12.]
        >>> big = np.array([1e5], dtype=np.float32)  # a step of 1e-3 would round away
        >>> print(numerical_grad(lambda v: float(np.sum(v)) ** 2, big))
        [200000.]

    See also:
        :func:`gradcheck`, :func:`relative_error`.
    """
    x = as_float_array(x, "x")
    eps = _DEFAULT_EPS[x.dtype] if eps is None else _check_tolerance(eps, "eps")
    if eps == 0:
        raise ValueError("eps must be positive, got 0")
    point = x.copy()
    flat = point.reshape(-1)  # a view: writing flat[i] moves the point passed to f
    grad = np.empty(x.size, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):  # reported below, naming x_i
        for i in range(x.size):
            original = flat[i]
            step = eps * max(1.0, abs(float(original)))
            flat[i] = original + step
            upper = flat[i]
            flat[i] = original - step
            lower = flat[i]
            flat[i] = original
            taken = float(upper) - float(lower)
            if not (np.isfinite(taken) and taken > 0):
                index = np.unravel_index(i, x.shape)
                raise ValueError(
                    f"no finite-difference step can be taken at x[{', '.join(map(str, index))}]"
                    f" = {float(original)!r} ({x.dtype}, eps = {eps:g}): "
                    + ("the element is not finite" if not np.isfinite(original)
                       else "x +- h overflows" if not np.isfinite(taken)
                       else "x +- h rounds to x; use a larger eps")
                )
            flat[i] = upper
            f_plus = _scalar(f(point))
            flat[i] = lower
            f_minus = _scalar(f(point))
            flat[i] = original
            grad[i] = (f_plus - f_minus) / taken
    return grad.reshape(x.shape)


def relative_error(a, b):
    r"""Largest difference of two arrays, relative to their largest magnitude.

    Use it to say how far apart two gradients are with one number that does not blow
    up where both are near zero.

    .. math::

        \operatorname{rel}(a, b) = \frac{\max_i |a_i - b_i|}{\max_i (|a_i| + |b_i|)},

    and 0 for two zero arrays. Both arrays are first divided by their largest magnitude,
    so that ``a - b`` cannot overflow: for finite inputs the value lies in ``[0, 1]``
    (1 when the largest elements differ in sign). About ``1e-7`` or less is typical of
    a correct float64 gradient against central differences.

    Args:
        a, b: arrays of the same shape.

    Returns:
        A Python float.

    Examples:
        >>> from xentlib import relative_error
        >>> print(relative_error([1.0, 2.0], [1.0, 2.002]))
        0.0004997
        >>> print(relative_error(1e308, -1e308))
        1.0

    See also:
        :func:`gradcheck`.
    """
    a = np.asarray(as_float_array(a, "a"), dtype=np.float64)
    b = np.asarray(as_float_array(b, "b"), dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape: got a {a.shape} and b {b.shape}")
    if a.size == 0:
        return 0.0
    # Divided by the largest magnitude first, |a| + |b| and a - b cannot overflow
    # (1e308 - -1e308 would be inf, and inf / inf nan).
    largest = float(max(np.max(np.abs(a)), np.max(np.abs(b))))
    if largest == 0:
        return 0.0
    if np.isfinite(largest):
        a, b = a / largest, b / largest
    return float(np.max(np.abs(a - b))) / float(np.max(np.abs(a) + np.abs(b)))


@dataclass(frozen=True)
class GradcheckReport:
    """The result of :func:`gradcheck`.

    Attributes:
        max_abs_error: ``max_i |analytic_i - numeric_i|``.
        max_rel_error: :func:`relative_error` of the two gradients.
        worst_index: index (a tuple) of the element with the largest absolute error.
        passed: whether every element satisfied
            ``|analytic - numeric| <= atol + rtol * |numeric|``.
        atol, rtol: the tolerances used.

    ``str(report)`` shows the errors to two significant figures. Printed output that is
    compared across machines (a notebook under nbval) should use :meth:`rounded`, one
    significant figure, or :meth:`verdict`, which shows only the tolerances.
    """

    max_abs_error: float
    max_rel_error: float
    worst_index: tuple
    passed: bool
    atol: float
    rtol: float

    @property
    def _status(self):
        return "gradcheck passed" if self.passed else "gradcheck FAILED"

    def __str__(self):
        return (
            f"{self._status}: max abs err {self.max_abs_error:.1e}, "
            f"max rel err {self.max_rel_error:.1e} at index {self.worst_index}"
        )

    __repr__ = __str__

    def rounded(self):
        """The report with each error to one significant figure, e.g. ``3e-10``."""
        return (
            f"{self._status}: max abs err {self.max_abs_error:.0e}, "
            f"max rel err {self.max_rel_error:.0e}"
        )

    def verdict(self):
        """Only the outcome and the tolerances: identical on every machine that passes."""
        return f"{self._status} (atol={self.atol:g}, rtol={self.rtol:g})"


def gradcheck(f, grad_f, x, eps=None, atol=None, rtol=None):
    r"""Compare an analytic gradient with central differences at one point.

    Use it after deriving a gradient: if ``grad_f`` is right, the two agree to about
    ``1e-8`` relative error in float64. Every chapter of the book runs it on the
    library's gradients.

    The check passes when every element satisfies

    .. math::

        |g_i - \hat g_i| \le \text{atol} + \text{rtol}\, |\hat g_i|,

    with ``g = grad_f(x)`` and ``\hat g = numerical_grad(f, x, eps)`` (the rule of
    ``np.allclose``). Default tolerances depend on the dtype of ``x``: ``atol=1e-6,
    rtol=1e-4`` for float64 and ``atol=1e-3, rtol=1e-2`` for float32.

    Args:
        f: scalar function of an array of the shape of ``x``.
        grad_f: its claimed gradient, returning an array of the shape of ``x``.
        x: the point, any shape.
        eps: relative finite-difference step, see :func:`numerical_grad`.
        atol, rtol: tolerances, real numbers >= 0; ``None`` picks the dtype's default.

    Returns:
        A :class:`GradcheckReport`.

    Examples:
        >>> import numpy as np
        >>> from xentlib import gradcheck
        >>> x = np.array([[0.5, -1.0], [2.0, 0.0]])
        >>> report = gradcheck(lambda v: np.sum(np.sin(v)), np.cos, x)
        >>> report.passed
        True
        >>> print(report.verdict())
        gradcheck passed (atol=1e-06, rtol=0.0001)
        >>> wrong = gradcheck(lambda v: np.sum(np.sin(v)), lambda v: -np.cos(v), x)
        >>> print(wrong)
        gradcheck FAILED: max abs err 2.0e+00, max rel err 1.0e+00 at index (1, 1)
        >>> print(wrong.rounded())
        gradcheck FAILED: max abs err 2e+00, max rel err 1e+00

    See also:
        :func:`numerical_grad`, :func:`relative_error`.
    """
    x = as_float_array(x, "x")
    default_atol, default_rtol = _DEFAULT_TOL[x.dtype]
    atol = default_atol if atol is None else _check_tolerance(atol, "atol")
    rtol = default_rtol if rtol is None else _check_tolerance(rtol, "rtol")
    analytic = np.asarray(grad_f(x.copy()), dtype=np.float64)
    if analytic.shape != x.shape:
        raise ValueError(
            f"grad_f(x) must have the shape of x: got {analytic.shape} for x of shape {x.shape}"
        )
    numeric = numerical_grad(f, x, eps)
    diff = np.abs(analytic - numeric)
    if diff.size == 0:
        return GradcheckReport(0.0, 0.0, (), True, atol, rtol)
    # argmax stops at the first nan, so a nan gradient is reported where it occurs.
    worst = np.unravel_index(int(np.argmax(diff)), diff.shape)
    passed = bool(np.all(diff <= atol + rtol * np.abs(numeric)))
    return GradcheckReport(
        max_abs_error=float(diff[worst]),
        max_rel_error=relative_error(analytic, numeric),
        worst_index=tuple(int(i) for i in worst),
        passed=passed,
        atol=atol,
        rtol=rtol,
    )
