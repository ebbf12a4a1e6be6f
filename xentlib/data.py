"""Seeded toy data sets for the book's training examples.

Both generators return data in the book's layout: ``X`` has shape ``(2, m)`` with one
example per column, and ``y`` has shape ``(m,)`` holding integer class labels. The same
``seed`` always gives the same arrays, so every figure and every printed number in the
chapters is reproducible.

- :func:`make_blobs`: two overlapping Gaussian clouds, a binary problem that no line
  separates perfectly, so logistic regression has a finite best fit (chapters
  ``02_logistic_regression`` and ``08_curvature``).
- :func:`make_spiral`: interleaved spiral arms, one per class, that no linear model can
  fit but a small ReLU network can (part III).
"""

import numbers

import numpy as np

__all__ = ["make_blobs", "make_spiral"]


def _check_int(value, name, minimum):
    # bool is an int subclass; True as a sample count is always a mistake.
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return int(value)


def _check_nonnegative_real(value, name, positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return value


def _rng(seed):
    # An integer seed (not a shared Generator) keeps each call independent of
    # whatever else drew random numbers before it.
    seed = _check_int(seed, "seed", 0)
    return np.random.default_rng(seed)


def make_blobs(m=200, seed=0, separation=2.5, std=1.0):
    r"""Two overlapping Gaussian blobs in the plane, labelled 0 and 1.

    Use it for binary classification with a linear model: the classes overlap, so
    the data are not linearly separable and logistic regression has a finite optimum
    (on separable data its weights would grow without bound).

    The two centres sit at distance ``separation`` from each other on a line through
    the origin at 30 degrees, and each blob has isotropic standard deviation ``std``:

    .. math::

        x^{(i)} \sim \mathcal{N}\!\left(\mu_{y^{(i)}},\ \sigma^2 I_2\right),
        \qquad \mu_1 = -\mu_0 = \tfrac{s}{2}\,(\cos 30^\circ, \sin 30^\circ)^T

    The first ``ceil(m/2)`` draws belong to class 0, the rest to class 1; the columns
    are then shuffled, so any slice of the data set contains both classes.

    Args:
        m: number of examples (at least 2).
        seed: non-negative integer seed for ``numpy.random.default_rng``.
        separation: distance ``s`` between the two centres (non-negative).
        std: standard deviation ``sigma`` of each blob (positive).

    Returns:
        ``(X, y)``: ``X`` float64 of shape ``(2, m)``, one example per column;
        ``y`` int64 of shape ``(m,)`` with values in ``{0, 1}``.

    Examples:
        >>> X, y = make_blobs(m=200, seed=0)
        >>> X.shape, y.shape, X.dtype, y.dtype
        ((2, 200), (200,), dtype('float64'), dtype('int64'))
        >>> np.bincount(y).tolist()
        [100, 100]
        >>> np.bincount(make_blobs(m=7, seed=1)[1]).tolist()
        [4, 3]

    See also:
        :func:`make_spiral` for a multiclass data set that needs a non-linear model.
    """
    m = _check_int(m, "m", 2)
    separation = _check_nonnegative_real(separation, "separation")
    std = _check_nonnegative_real(std, "std", positive=True)
    rng = _rng(seed)

    angle = np.pi / 6
    mu1 = 0.5 * separation * np.array([np.cos(angle), np.sin(angle)])
    m0 = (m + 1) // 2
    y = np.concatenate([np.zeros(m0, dtype=np.int64), np.ones(m - m0, dtype=np.int64)])
    centres = np.where(y == 1, 1.0, -1.0)[None, :] * mu1[:, None]
    X = centres + std * rng.standard_normal((2, m))
    order = rng.permutation(m)
    return X[:, order], y[order]


def make_spiral(m_per_class=100, classes=3, noise=0.2, seed=0):
    r"""Interleaved spiral arms in the plane, one arm per class.

    The classic non-linear toy problem (as in Stanford's CS231n notes): example ``i``
    of class ``k`` sits at radius ``r_i`` and angle ``t_i``,

    .. math::

        r_i = \frac{i}{N - 1}, \qquad
        t_i = 4 k + 4 r_i + \varepsilon_i, \qquad
        x^{(i)} = r_i\,(\sin t_i, \cos t_i)^T,

    for ``i = 0, ..., N - 1`` with ``N = m_per_class``: the angle runs linearly over
    ``[4k, 4(k+1)]`` radians, plus Gaussian noise ``eps_i ~ N(0, noise^2)``. No linear
    classifier fits the arms; a ReLU network with one or two small hidden layers
    reaches near-perfect training accuracy.

    Examples are ordered class by class (all of class 0, then class 1, ...).

    Args:
        m_per_class: examples per class (at least 2).
        classes: number of classes ``C`` (at least 2).
        noise: standard deviation of the angular noise (non-negative).
        seed: non-negative integer seed for ``numpy.random.default_rng``.

    Returns:
        ``(X, y)``: ``X`` float64 of shape ``(2, m)`` with ``m = m_per_class * classes``,
        one example per column, every point within the unit disc; ``y`` int64 of shape
        ``(m,)`` with values ``0, ..., classes - 1``.

    Examples:
        >>> X, y = make_spiral(m_per_class=100, classes=3, seed=0)
        >>> X.shape, y.shape, X.dtype, y.dtype
        ((2, 300), (300,), dtype('float64'), dtype('int64'))
        >>> np.bincount(y).tolist()
        [100, 100, 100]
        >>> bool(np.all(np.hypot(X[0], X[1]) <= 1.0))
        True

    See also:
        :func:`make_blobs` for a binary data set a linear model can handle.
    """
    m_per_class = _check_int(m_per_class, "m_per_class", 2)
    classes = _check_int(classes, "classes", 2)
    noise = _check_nonnegative_real(noise, "noise")
    rng = _rng(seed)

    r = np.linspace(0.0, 1.0, m_per_class)
    X = np.empty((2, m_per_class * classes))
    y = np.repeat(np.arange(classes, dtype=np.int64), m_per_class)
    for k in range(classes):
        t = np.linspace(4.0 * k, 4.0 * (k + 1), m_per_class)
        t = t + noise * rng.standard_normal(m_per_class)
        cols = slice(k * m_per_class, (k + 1) * m_per_class)
        X[0, cols] = r * np.sin(t)
        X[1, cols] = r * np.cos(t)
    return X, y
