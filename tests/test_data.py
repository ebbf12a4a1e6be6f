"""Tests for xentlib.data: shapes, determinism, class balance, geometry, bad input."""

import math

import numpy as np
import pytest

from xentlib.data import make_blobs, make_spiral


# ---------------------------------------------------------------- shapes and dtypes


@pytest.mark.parametrize("m", [2, 3, 7, 200, 501])
def test_blobs_shapes_dtypes_labels(m):
    X, y = make_blobs(m=m, seed=3)
    assert X.shape == (2, m)
    assert y.shape == (m,)
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert set(np.unique(y).tolist()) == {0, 1}
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("m", [2, 3, 7, 200, 501])
def test_blobs_class_balance(m):
    _, y = make_blobs(m=m, seed=0)
    counts = np.bincount(y, minlength=2)
    assert counts.sum() == m
    assert counts[0] == math.ceil(m / 2)
    assert counts[1] == m // 2


@pytest.mark.parametrize("per_class,classes", [(2, 2), (5, 3), (100, 3), (40, 5)])
def test_spiral_shapes_dtypes_balance(per_class, classes):
    X, y = make_spiral(m_per_class=per_class, classes=classes, seed=1)
    m = per_class * classes
    assert X.shape == (2, m)
    assert y.shape == (m,)
    assert X.dtype == np.float64
    assert y.dtype == np.int64
    assert np.bincount(y).tolist() == [per_class] * classes


# ---------------------------------------------------------------- determinism


@pytest.mark.parametrize("make", [make_blobs, make_spiral])
def test_same_seed_same_data(make):
    X1, y1 = make(seed=11)
    X2, y2 = make(seed=11)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)


@pytest.mark.parametrize("make", [make_blobs, make_spiral])
def test_different_seed_different_data(make):
    X1, _ = make(seed=0)
    X2, _ = make(seed=1)
    assert not np.allclose(X1, X2)


def test_calls_do_not_depend_on_global_random_state():
    np.random.seed(0)
    X1, _ = make_blobs(seed=5)
    np.random.seed(123)
    np.random.standard_normal(10)
    X2, _ = make_blobs(seed=5)
    np.testing.assert_array_equal(X1, X2)


# ---------------------------------------------------------------- geometry


def test_blobs_moments_match_the_documented_distribution():
    # Large sample: class means and spreads must be those the docstring states.
    sep, std = 3.0, 0.7
    X, y = make_blobs(m=40000, seed=2, separation=sep, std=std)
    mu1 = 0.5 * sep * np.array([math.cos(math.pi / 6), math.sin(math.pi / 6)])
    tol = 5 * std / math.sqrt(20000)
    np.testing.assert_allclose(X[:, y == 1].mean(axis=1), mu1, atol=tol)
    np.testing.assert_allclose(X[:, y == 0].mean(axis=1), -mu1, atol=tol)
    np.testing.assert_allclose(X[:, y == 1].std(axis=1), [std, std], rtol=0.03)
    np.testing.assert_allclose(X[:, y == 0].std(axis=1), [std, std], rtol=0.03)


def test_blobs_are_shuffled():
    _, y = make_blobs(m=200, seed=0)
    # Each half of the columns holds both classes in roughly equal numbers.
    assert 30 <= y[:100].sum() <= 70
    assert 30 <= y[100:].sum() <= 70


def _convex_hull(points):
    """Andrew's monotone chain; returns hull vertices counter-clockwise."""
    pts = sorted(map(tuple, points))

    def cross(o, a, b):
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower, upper = [], []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return np.array(lower[:-1] + upper[:-1])


def _strictly_inside(hull, p):
    edges = np.roll(hull, -1, axis=0) - hull
    rel = p - hull
    return bool(np.all(edges[:, 0] * rel[:, 1] - edges[:, 1] * rel[:, 0] > 0))


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_default_blobs_are_not_linearly_separable(seed):
    # A class-1 point strictly inside the convex hull of class 0 rules out every
    # separating line, even one that touches points: so logistic regression has a
    # finite minimiser.
    X, y = make_blobs(seed=seed)
    hull = _convex_hull(X[:, y == 0].T)
    assert any(_strictly_inside(hull, p) for p in X[:, y == 1].T)


def test_far_apart_blobs_are_separable_so_the_hull_test_can_fail():
    X, y = make_blobs(m=200, seed=0, separation=40.0, std=1.0)
    hull = _convex_hull(X[:, y == 0].T)
    assert not any(_strictly_inside(hull, p) for p in X[:, y == 1].T)


def test_spiral_matches_the_documented_formula_without_noise():
    per_class, classes = 50, 4
    X, y = make_spiral(m_per_class=per_class, classes=classes, noise=0.0, seed=0)
    for k in range(classes):
        cols = y == k
        i = np.arange(per_class)
        r = i / (per_class - 1)
        t = 4 * k + 4 * r
        np.testing.assert_allclose(X[0, cols], r * np.sin(t), atol=1e-12)
        np.testing.assert_allclose(X[1, cols], r * np.cos(t), atol=1e-12)


def test_spiral_noise_moves_only_the_angle():
    X, y = make_spiral(m_per_class=30, classes=3, noise=0.5, seed=4)
    r = np.tile(np.linspace(0, 1, 30), 3)
    np.testing.assert_allclose(np.hypot(X[0], X[1]), r, atol=1e-12)
    X0, _ = make_spiral(m_per_class=30, classes=3, noise=0.0, seed=4)
    assert not np.allclose(X, X0)


def test_spiral_is_learnable_by_a_small_relu_network():
    # Plain full-batch gradient descent on a 2-64-3 ReLU network, written out here
    # so this test does not depend on xentlib.nn.
    X, y = make_spiral(m_per_class=100, classes=3, seed=0)
    m = X.shape[1]
    rng = np.random.default_rng(0)
    W1, b1 = 0.5 * rng.standard_normal((64, 2)), np.zeros((64, 1))
    W2, b2 = 0.1 * rng.standard_normal((3, 64)), np.zeros((3, 1))
    for _ in range(3000):
        H = np.maximum(W1 @ X + b1, 0.0)
        Z = W2 @ H + b2
        P = np.exp(Z - Z.max(axis=0))
        P /= P.sum(axis=0)
        G = P.copy()
        G[y, np.arange(m)] -= 1.0
        G /= m
        dH = (W2.T @ G) * (H > 0)
        W2 -= 1.0 * G @ H.T
        b2 -= 1.0 * G.sum(axis=1, keepdims=True)
        W1 -= 1.0 * dH @ X.T
        b1 -= 1.0 * dH.sum(axis=1, keepdims=True)
    H = np.maximum(W1 @ X + b1, 0.0)
    accuracy = np.mean((W2 @ H + b2).argmax(axis=0) == y)
    assert accuracy >= 0.97


def test_spiral_defeats_a_linear_classifier():
    # The best linear softmax classifier stays far from the network's accuracy.
    X, y = make_spiral(m_per_class=100, classes=3, seed=0)
    m = X.shape[1]
    W, b = np.zeros((3, 2)), np.zeros((3, 1))
    for _ in range(2000):
        Z = W @ X + b
        P = np.exp(Z - Z.max(axis=0))
        P /= P.sum(axis=0)
        P[y, np.arange(m)] -= 1.0
        W -= 1.0 * P @ X.T / m
        b -= 1.0 * P.sum(axis=1, keepdims=True) / m
    accuracy = np.mean((W @ X + b).argmax(axis=0) == y)
    assert accuracy < 0.75


# ---------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"m": 1}, ValueError, "m must be at least 2"),
        ({"m": 0}, ValueError, "m must be at least 2"),
        ({"m": 10.0}, TypeError, "m must be an integer"),
        ({"m": True}, TypeError, "m must be an integer"),
        ({"m": "200"}, TypeError, "m must be an integer"),
        ({"seed": -1}, ValueError, "seed must be at least 0"),
        ({"seed": 1.5}, TypeError, "seed must be an integer"),
        ({"seed": None}, TypeError, "seed must be an integer"),
        ({"std": 0.0}, ValueError, "std must be positive"),
        ({"std": -1.0}, ValueError, "std must be positive"),
        ({"std": float("nan")}, ValueError, "std must be finite"),
        ({"separation": -1.0}, ValueError, "separation must be non-negative"),
        ({"separation": float("inf")}, ValueError, "separation must be finite"),
        ({"separation": "far"}, TypeError, "separation must be a real number"),
    ],
)
def test_blobs_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make_blobs(**kwargs)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"m_per_class": 1}, ValueError, "m_per_class must be at least 2"),
        ({"m_per_class": 2.0}, TypeError, "m_per_class must be an integer"),
        ({"classes": 1}, ValueError, "classes must be at least 2"),
        ({"classes": 3.0}, TypeError, "classes must be an integer"),
        ({"noise": -0.1}, ValueError, "noise must be non-negative"),
        ({"noise": float("nan")}, ValueError, "noise must be finite"),
        ({"noise": None}, TypeError, "noise must be a real number"),
        ({"seed": -5}, ValueError, "seed must be at least 0"),
        ({"seed": "0"}, TypeError, "seed must be an integer"),
    ],
)
def test_spiral_bad_arguments(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        make_spiral(**kwargs)


def test_numpy_integers_are_accepted():
    X, y = make_blobs(m=np.int64(10), seed=np.int32(3))
    assert X.shape == (2, 10)
    X, y = make_spiral(m_per_class=np.int64(4), classes=np.int16(2), seed=np.uint8(1))
    assert X.shape == (2, 8)
