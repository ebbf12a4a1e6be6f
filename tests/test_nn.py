"""Tests of xentlib.nn: every gradient against finite differences and PyTorch."""

import numpy as np
import pytest

from xentlib.finite_differences import numerical_grad
from xentlib.nn import MLP, LogisticRegression, relu, relu_grad, sgd_step

# Central differences in float64 with eps ~ 1e-6 are accurate to about 1e-9 on these
# smooth, O(1) losses; 1e-7 leaves room without hiding a wrong formula (which is off
# by O(1e-2) or more).
TOL = 1e-7


def _param_numerical_grads(model, loss_of_model):
    """Finite-difference gradient of ``loss_of_model()`` for every parameter of ``model``."""
    grads = {}
    for name, p in model.params().items():
        original = p.copy()

        def f(value, p=p):
            p[...] = value
            return loss_of_model()

        grads[name] = numerical_grad(f, original.copy())
        p[...] = original
    return grads


def _max_abs_diff(g1, g2):
    assert set(g1) == set(g2)
    return max(float(np.max(np.abs(g1[k] - g2[k]))) for k in g1)


@pytest.fixture
def spiral_like():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((2, 12))
    y = rng.integers(0, 3, size=12)
    return X, y


# ---------------------------------------------------------------- relu


def test_relu_and_its_derivative_at_zero():
    z = np.array([-1.5, -0.0, 0.0, 1e-300, 2.0])
    np.testing.assert_array_equal(relu(z), [0.0, 0.0, 0.0, 1e-300, 2.0])
    # relu'(0) = 0 by convention (as PyTorch); positive inputs, however small, give 1.
    np.testing.assert_array_equal(relu_grad(z), [0.0, 0.0, 0.0, 1.0, 1.0])


def test_relu_grad_matches_torch_at_zero():
    torch = pytest.importorskip("torch")
    z = torch.tensor([-1.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
    torch.relu(z).sum().backward()
    np.testing.assert_array_equal(relu_grad(z.detach().numpy()), z.grad.numpy())


def test_relu_grad_away_from_zero_matches_finite_differences():
    z = np.array([-2.0, -0.3, 0.4, 3.0])
    numeric = np.array([numerical_grad(lambda t: float(relu(t)), np.array(zi)) for zi in z])
    np.testing.assert_allclose(relu_grad(z), numeric.ravel(), atol=TOL)


# ---------------------------------------------------------------- logistic regression


def test_logistic_regression_shapes_and_init():
    model = LogisticRegression(3)
    assert model.w.shape == (1, 3) and model.b.shape == (1, 1)
    np.testing.assert_array_equal(model.w, 0.0)
    seeded = LogisticRegression(3, rng=np.random.default_rng(0))
    assert np.all(seeded.w != 0) and np.all(np.abs(seeded.w) < 0.1)
    X = np.ones((3, 5))
    assert model.logits(X).shape == (1, 5)
    assert model.forward(X).shape == (1, 5)
    assert model.predict(X).shape == (5,)
    assert set(model.params()) == {"w", "b"}


def test_logistic_regression_forward_is_sigmoid_of_affine():
    model = LogisticRegression(2)
    model.w[...] = [[2.0, -1.0]]
    model.b[...] = 0.5
    X = np.array([[1.0, 0.0, -3.0], [0.0, 2.0, 1.0]])
    z = np.array([2.0 + 0.5, -2.0 + 0.5, -6.0 - 1.0 + 0.5])
    np.testing.assert_allclose(model.forward(X)[0], 1 / (1 + np.exp(-z)), rtol=1e-15)
    np.testing.assert_array_equal(model.predict(X), [1, 0, 0])


def test_logistic_regression_loss_matches_definition():
    rng = np.random.default_rng(2)
    model = LogisticRegression(4, rng=rng)
    model.w[...] = rng.standard_normal((1, 4))
    X = rng.standard_normal((4, 9))
    Y = rng.integers(0, 2, size=(1, 9))
    a = 1 / (1 + np.exp(-(model.w @ X + model.b)))
    expected = np.mean(-(Y * np.log(a) + (1 - Y) * np.log(1 - a)))
    loss, _ = model.loss_and_grad(X, Y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(expected, rel=1e-12)
    # labels as a flat (m,) vector give the same result
    assert model.loss_and_grad(X, Y[0])[0] == loss


def test_logistic_regression_grads_match_finite_differences():
    rng = np.random.default_rng(3)
    model = LogisticRegression(3, rng=rng)
    model.w[...] = rng.standard_normal((1, 3))
    model.b[...] = 0.3
    X = rng.standard_normal((3, 7))
    Y = rng.integers(0, 2, size=(1, 7))
    _, grads = model.loss_and_grad(X, Y)
    numeric = _param_numerical_grads(model, lambda: model.loss_and_grad(X, Y)[0])
    assert _max_abs_diff(grads, numeric) < TOL


def test_logistic_regression_grads_match_matrix_formula_by_loops():
    # dJ/dw_j = (1/m) sum_i (a_i - y_i) x_ji, written as explicit loops (chapter 1).
    rng = np.random.default_rng(4)
    model = LogisticRegression(2, rng=rng)
    X = rng.standard_normal((2, 5))
    Y = np.array([[1, 0, 0, 1, 1]])
    a = model.forward(X)[0]
    m = X.shape[1]
    dw = [sum((a[i] - Y[0, i]) * X[j, i] for i in range(m)) / m for j in range(2)]
    db = sum(a[i] - Y[0, i] for i in range(m)) / m
    _, grads = model.loss_and_grad(X, Y)
    np.testing.assert_allclose(grads["w"][0], dw, rtol=1e-12, atol=1e-15)
    assert grads["b"][0, 0] == pytest.approx(db, rel=1e-12)


def test_logistic_regression_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    model = LogisticRegression(3, rng=rng)
    model.w[...] = rng.standard_normal((1, 3))
    X = rng.standard_normal((3, 8)) * 4  # some large logits
    Y = rng.integers(0, 2, size=(1, 8)).astype(float)
    loss, grads = model.loss_and_grad(X, Y)
    w = torch.tensor(model.w, requires_grad=True)
    b = torch.tensor(model.b, requires_grad=True)
    z = w @ torch.tensor(X) + b
    t_loss = torch.nn.functional.binary_cross_entropy_with_logits(z, torch.tensor(Y))
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(grads["w"], w.grad.numpy(), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(grads["b"], b.grad.numpy(), rtol=1e-10, atol=1e-14)


def _lr_theta_loss(model, X, Y):
    """Mean BCE as a function of theta = (w_1, ..., w_n, b), for Hessian checks."""

    def loss(theta):
        model.w[...] = theta[:-1]
        model.b[...] = theta[-1]
        return model.loss_and_grad(X, Y)[0]

    def grad(theta):
        model.w[...] = theta[:-1]
        model.b[...] = theta[-1]
        g = model.loss_and_grad(X, Y)[1]
        return np.concatenate([g["w"][0], g["b"][0]])

    return loss, grad


def test_logistic_regression_hessian_matches_finite_differences_of_gradient():
    rng = np.random.default_rng(6)
    n, m = 3, 10
    model = LogisticRegression(n)
    X = rng.standard_normal((n, m))
    Y = rng.integers(0, 2, size=m)
    theta = rng.standard_normal(n + 1)
    _, grad = _lr_theta_loss(model, X, Y)
    numeric = np.stack(
        [numerical_grad(lambda t, k=k: grad(t)[k], theta.copy()) for k in range(n + 1)]
    )
    model.w[...] = theta[:-1]
    model.b[...] = theta[-1]
    H = model.hessian(X)
    assert H.shape == (n + 1, n + 1)
    np.testing.assert_allclose(H, numeric, atol=TOL)
    np.testing.assert_allclose(H, H.T, atol=1e-15)
    assert np.linalg.eigvalsh(H).min() > -1e-12  # convex: positive semi-definite


def test_logistic_regression_hessian_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    n, m = 2, 6
    model = LogisticRegression(n, rng=rng)
    model.w[...] = rng.standard_normal((1, n))
    model.b[...] = -0.7
    X = rng.standard_normal((n, m))
    Y = torch.tensor(rng.integers(0, 2, size=m).astype(float))
    Xt = torch.tensor(X)

    def loss(theta):
        z = theta[:-1] @ Xt + theta[-1]
        return torch.nn.functional.binary_cross_entropy_with_logits(z, Y)

    theta = torch.tensor(np.concatenate([model.w[0], model.b[0]]))
    H_torch = torch.autograd.functional.hessian(loss, theta).numpy()
    np.testing.assert_allclose(model.hessian(X), H_torch, rtol=1e-10, atol=1e-14)


def test_logistic_regression_bad_inputs():
    model = LogisticRegression(2)
    with pytest.raises(ValueError, match="X must have shape"):
        model.forward(np.ones((3, 4)))
    with pytest.raises(ValueError, match="X must have shape"):
        model.forward(np.ones(2))
    with pytest.raises(ValueError, match="Y must have shape"):
        model.loss_and_grad(np.ones((2, 4)), np.ones((4, 1)))
    with pytest.raises(ValueError, match="at least one example"):
        model.forward(np.ones((2, 0)))
    with pytest.raises(TypeError, match="X must be a real float16, float32 or float64 array"):
        model.forward(np.array([["a", "b"], ["c", "d"]]))
    for bad in (0, 2.0, True):
        with pytest.raises(ValueError, match="n_features"):
            LogisticRegression(bad)
    with pytest.raises(TypeError, match="rng"):
        LogisticRegression(2, rng="seed")


def test_logistic_regression_training_reduces_loss():
    rng = np.random.default_rng(8)
    X = np.concatenate([rng.normal(-1, 1, (2, 50)), rng.normal(1, 1, (2, 50))], axis=1)
    Y = np.repeat([0, 1], 50)
    model = LogisticRegression(2)
    first, _ = model.loss_and_grad(X, Y)
    for _ in range(200):
        _, grads = model.loss_and_grad(X, Y)
        sgd_step(model.params(), grads, lr=0.5)
    last, _ = model.loss_and_grad(X, Y)
    assert first == pytest.approx(np.log(2))
    assert last < 0.5 * first
    assert np.mean(model.predict(X) == Y) > 0.85


# ---------------------------------------------------------------- MLP


def test_mlp_shapes_and_params(spiral_like):
    X, y = spiral_like
    mlp = MLP([2, 5, 4, 3], rng=np.random.default_rng(0))
    assert mlp.n_layers == 3
    shapes = {k: v.shape for k, v in mlp.params().items()}
    assert shapes == {
        "W1": (5, 2), "b1": (5, 1), "W2": (4, 5), "b2": (4, 1), "W3": (3, 4), "b3": (3, 1),
    }
    A = mlp.forward(X)
    assert A.shape == (3, 12)
    np.testing.assert_allclose(A.sum(axis=0), 1.0, rtol=1e-14)
    assert mlp.logits(X).shape == (3, 12)
    assert mlp.predict(X).shape == (12,)
    _, grads = mlp.loss_and_grad(X, y)
    assert {k: v.shape for k, v in grads.items()} == shapes
    assert list(grads) == list(mlp.params())


def test_mlp_params_are_the_models_arrays(spiral_like):
    X, _ = spiral_like
    mlp = MLP([2, 3, 2], rng=0)
    before = mlp.logits(X).copy()
    mlp.params()["b2"][...] += 1.0  # shifting every logit leaves softmax, but not z
    np.testing.assert_allclose(mlp.logits(X), before + 1.0)


def test_mlp_seeded_init_is_reproducible_and_he_scaled():
    a = MLP([50, 400, 3], rng=np.random.default_rng(3))
    b = MLP([50, 400, 3], rng=np.random.default_rng(3))
    for name in a.params():
        np.testing.assert_array_equal(a.params()[name], b.params()[name])
    # He initialisation: variance 2 / fan_in
    assert np.var(a.params()["W1"]) == pytest.approx(2 / 50, rel=0.05)
    np.testing.assert_array_equal(a.params()["b1"], 0.0)


def test_mlp_forward_matches_explicit_composition(spiral_like):
    X, _ = spiral_like
    mlp = MLP([2, 4, 3], rng=1)
    P = mlp.params()
    h = np.maximum(P["W1"] @ X + P["b1"], 0)
    z = P["W2"] @ h + P["b2"]
    a = np.exp(z) / np.exp(z).sum(axis=0)
    np.testing.assert_allclose(mlp.forward(X), a, rtol=1e-12)


@pytest.mark.parametrize("sizes", [[2, 3], [2, 6, 3], [2, 5, 4, 3], [3, 4, 4, 4, 2]])
def test_mlp_every_parameter_matches_finite_differences(sizes):
    rng = np.random.default_rng(len(sizes))
    X = rng.standard_normal((sizes[0], 9))
    y = rng.integers(0, sizes[-1], size=9)
    mlp = MLP(sizes, rng=rng)
    for name, p in mlp.params().items():  # nonzero biases exercise every term
        if name.startswith("b"):
            p[...] = 0.1 * rng.standard_normal(p.shape)
    _, grads = mlp.loss_and_grad(X, y)
    numeric = _param_numerical_grads(mlp, lambda: mlp.loss_and_grad(X, y)[0])
    assert _max_abs_diff(grads, numeric) < TOL


def test_mlp_single_layer_is_softmax_regression(spiral_like):
    # With no hidden layer, dJ/dW = (A - Y) X^T / m and dJ/db = mean of (A - Y).
    X, y = spiral_like
    mlp = MLP([2, 3], rng=2)
    _, grads = mlp.loss_and_grad(X, y)
    A = mlp.forward(X)
    Y = np.eye(3)[:, y]
    m = X.shape[1]
    np.testing.assert_allclose(grads["W1"], (A - Y) @ X.T / m, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grads["b1"], (A - Y).mean(axis=1, keepdims=True), atol=1e-15)


def _torch_mlp_loss_and_grads(torch, mlp, X, y):
    params = {k: torch.tensor(v, requires_grad=True) for k, v in mlp.params().items()}
    a = torch.tensor(X)
    for l in range(1, mlp.n_layers + 1):
        z = params[f"W{l}"] @ a + params[f"b{l}"]
        a = torch.relu(z) if l < mlp.n_layers else z
    loss = torch.nn.functional.cross_entropy(z.T, torch.tensor(y))
    loss.backward()
    return loss.item(), {k: v.grad.numpy() for k, v in params.items()}


def test_mlp_matches_torch_autograd():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    mlp = MLP([2, 8, 6, 3], rng=rng)
    X = rng.standard_normal((2, 20))
    y = rng.integers(0, 3, size=20)
    loss, grads = mlp.loss_and_grad(X, y)
    t_loss, t_grads = _torch_mlp_loss_and_grads(torch, mlp, X, y)
    assert loss == pytest.approx(t_loss, rel=1e-12)
    assert _max_abs_diff(grads, t_grads) < 1e-12


def test_mlp_matches_torch_when_hidden_units_sit_at_zero():
    # An all-zero input with zero biases puts every hidden pre-activation exactly at 0,
    # where only the convention relu'(0) = 0 reproduces PyTorch's gradients.
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(12)
    mlp = MLP([2, 5, 3], rng=rng)
    mlp.params()["b2"][...] = rng.standard_normal((3, 1))
    X = np.concatenate([np.zeros((2, 3)), rng.standard_normal((2, 4))], axis=1)
    y = np.array([0, 1, 2, 0, 1, 2, 0])
    _, grads = mlp.loss_and_grad(X, y)
    _, t_grads = _torch_mlp_loss_and_grads(torch, mlp, X, y)
    assert _max_abs_diff(grads, t_grads) < 1e-12
    # the zero columns send no gradient into layer 1 (relu'(0) = 0)
    _, g_zero = mlp.loss_and_grad(X[:, :3], y[:3])
    np.testing.assert_array_equal(g_zero["b1"], 0.0)


def test_mlp_backward_uses_given_upstream_gradient(spiral_like):
    # backward(dZ) is linear in dZ: the gradient of sum(G * z^L) has delta^L = G.
    X, _ = spiral_like
    rng = np.random.default_rng(13)
    mlp = MLP([2, 4, 3], rng=rng)
    G = rng.standard_normal((3, X.shape[1]))
    mlp.logits(X)
    grads = mlp.backward(G)
    numeric = _param_numerical_grads(mlp, lambda: float(np.sum(G * mlp.logits(X))))
    assert _max_abs_diff(grads, numeric) < TOL


def test_mlp_bad_inputs(spiral_like):
    X, y = spiral_like
    mlp = MLP([2, 4, 3], rng=0)
    with pytest.raises(ValueError, match="backward needs a forward pass"):
        mlp.backward(np.zeros((3, 12)))
    with pytest.raises(ValueError, match="X must have shape"):
        mlp.loss_and_grad(X.T, y)
    with pytest.raises(ValueError, match="y must have shape"):
        mlp.loss_and_grad(X, y[:, None])
    with pytest.raises(TypeError, match="integer class indices"):
        mlp.loss_and_grad(X, y.astype(float))
    with pytest.raises(ValueError, match=r"class indices in \[0, 3\)"):
        mlp.loss_and_grad(X, np.full(12, 3))
    mlp.forward(X)
    with pytest.raises(ValueError, match="dZ must have the shape"):
        mlp.backward(np.zeros((3, 5)))
    for sizes in ([2], [2, 0, 3], [2, 2.5, 3], [2, True, 3], 7):
        with pytest.raises((ValueError, TypeError), match="layer_sizes"):
            MLP(sizes)


def test_mlp_training_reduces_loss(spiral_like):
    X, y = spiral_like
    mlp = MLP([2, 16, 3], rng=np.random.default_rng(4))
    first, _ = mlp.loss_and_grad(X, y)
    for _ in range(1000):
        _, grads = mlp.loss_and_grad(X, y)
        sgd_step(mlp.params(), grads, lr=0.5)
    last, _ = mlp.loss_and_grad(X, y)
    assert last < 0.1 * first
    assert np.mean(mlp.predict(X) == y) == 1.0  # 12 points: a 16-unit net memorises them


# ---------------------------------------------------------------- sgd_step


def test_sgd_step_updates_in_place():
    rng = np.random.default_rng(14)
    params = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal((2, 1))}
    grads = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal((2, 1))}
    expected = {k: params[k] - 0.1 * grads[k] for k in params}
    arrays = {k: params[k] for k in params}
    assert sgd_step(params, grads, 0.1) is None
    for k in params:
        assert params[k] is arrays[k]
        np.testing.assert_allclose(params[k], expected[k], rtol=1e-15)


def test_sgd_step_bad_inputs():
    params = {"w": np.zeros((1, 2))}
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        sgd_step(params, {"w": np.zeros((1, 2))}, -0.1)
    with pytest.raises(ValueError, match="lr must be a positive finite number"):
        sgd_step(params, {"w": np.zeros((1, 2))}, float("nan"))
    with pytest.raises(ValueError, match="same names"):
        sgd_step(params, {"v": np.zeros((1, 2))}, 0.1)
    with pytest.raises(ValueError, match=r"grads\['w'\] must have the shape"):
        sgd_step(params, {"w": np.zeros((2, 1))}, 0.1)
    with pytest.raises(TypeError, match="float numpy array"):
        sgd_step({"w": [[0.0, 0.0]]}, {"w": np.zeros((1, 2))}, 0.1)
    # a failed call changes nothing, even when only a later name is wrong
    two = {"a": np.zeros(2), "b": np.zeros(2)}
    with pytest.raises(ValueError):
        sgd_step(two, {"a": np.ones(2), "b": np.ones(3)}, 0.1)
    np.testing.assert_array_equal(two["a"], 0.0)
