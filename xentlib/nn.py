"""Small models trained with xentlib's losses: logistic regression and a ReLU MLP.

Columns are examples throughout, as in the book: an input batch ``X`` has shape
``(n, m)`` (``n`` features, ``m`` examples), logits ``Z`` and activations ``A`` have one
row per unit. The losses and their gradients with respect to the logits come from
:mod:`xentlib.binary` and :mod:`xentlib.categorical`; this module only adds the
layers in front of them and the chain rule back through those layers.

Chapter ``02_logistic_regression`` trains :class:`LogisticRegression`; chapter
``07_backprop_mlp`` derives the backward pass of :class:`MLP`; chapter ``08_curvature``
uses :meth:`LogisticRegression.hessian` for Newton's method.
"""

import numbers

import numpy as np

from xentlib._checks import as_float_array, half_in_float32
from xentlib.activations import sigmoid, softmax
from xentlib.binary import binary_cross_entropy_with_logits_value_and_grad
from xentlib.categorical import cross_entropy_value_and_grad

__all__ = ["LogisticRegression", "MLP", "relu", "relu_grad", "sgd_step"]


def _check_inputs(X, n_features):
    """Return ``X`` as a float64 ``(n_features, m)`` array or raise naming the problem."""
    X = as_float_array(X, "X")
    if X.ndim != 2 or X.shape[0] != n_features:
        raise ValueError(
            f"X must have shape (n_features, m) = ({n_features}, m) with examples as "
            f"columns, got shape {X.shape}"
        )
    if X.shape[1] == 0:
        raise ValueError("X must hold at least one example (m >= 1), got m = 0")
    return X.astype(np.float64, copy=False)


def _make_rng(rng):
    if rng is None or isinstance(rng, (numbers.Integral, np.random.Generator)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"rng must be None, an int seed or a numpy.random.Generator, got {type(rng).__name__}"
    )


@half_in_float32("z")
def relu(z):
    """Rectified linear unit, ``max(z, 0)`` elementwise.

    The hidden activation of :class:`MLP` (chapter ``07_backprop_mlp``).

    .. math:: \\mathrm{relu}(z) = \\max(z, 0)

    Args:
      z: array of any shape.

    Returns:
      An array of the same shape and float dtype as ``z`` (float16, float32 or float64;
      integers give float64).

    Examples:
      >>> relu(np.array([-2.0, 0.0, 3.0]))
      array([0., 0., 3.])

    See also:
      :func:`relu_grad`.
    """
    return np.maximum(as_float_array(z, "z"), 0)


@half_in_float32("z")
def relu_grad(z):
    """Derivative of :func:`relu`, with ``relu'(0) = 0``.

    ReLU has no derivative at ``z = 0``; any value in ``[0, 1]`` is a valid
    subgradient. xentlib picks 0, the value autograd gives for ``torch.relu``
    (``clamp(min=0)`` gives 1 and ``torch.maximum(z, 0)`` gives 1/2), so that the
    gradients of :class:`MLP` match a PyTorch network built with ``torch.relu``
    exactly, also at ties (chapter ``07_backprop_mlp``).

    .. math:: \\mathrm{relu}'(z) = 1 \\text{ if } z > 0 \\text{ else } 0

    Args:
      z: array of pre-activations, any shape.

    Returns:
      An array of the same shape and float dtype as ``z`` (integers give float64),
      with entries 0.0 or 1.0.

    Examples:
      >>> relu_grad(np.array([-2.0, 0.0, 3.0]))
      array([0., 0., 1.])

    See also:
      :func:`relu`.
    """
    z = as_float_array(z, "z")
    return (z > 0).astype(z.dtype)


class LogisticRegression:
    """Binary logistic regression ``a = sigmoid(w x + b)`` trained with mean BCE.

    The model of chapter ``02_logistic_regression``; chapter ``08_curvature`` compares
    its gradient descent with Newton's
    method using :meth:`hessian`.

    .. math::

       Z = w X + b, \\qquad A = \\sigma(Z), \\qquad
       J = \\frac{1}{m} \\sum_{i=1}^m -\\bigl(y_i \\log a_i + (1 - y_i) \\log(1 - a_i)\\bigr)

    Args:
      n_features: number of input features ``n`` (rows of ``X``).
      rng: ``None`` starts from ``w = 0`` (the loss is convex, so zero is a fine
        start); an int seed or a ``numpy.random.Generator`` draws ``w`` from
        ``N(0, 0.01^2)``. ``b`` always starts at 0.

    Attributes:
      w: weights, shape ``(1, n)``.
      b: bias, shape ``(1, 1)``.

    Examples:
      >>> model = LogisticRegression(2)
      >>> X = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, -1.0]])
      >>> Y = np.array([[0, 1, 1]])
      >>> loss, grads = model.loss_and_grad(X, Y)
      >>> round(float(loss), 4)   # log 2: every probability is 1/2 at w = 0
      0.6931
      >>> print(np.round(grads["w"], 4), np.round(grads["b"], 4))  # (A - Y) X^T / m
      [[-0.5 0.3333]] [[-0.1667]]

    See also:
      :func:`sgd_step`, :class:`MLP`,
      :func:`xentlib.binary_cross_entropy_with_logits_value_and_grad`.
    """

    def __init__(self, n_features, rng=None):
        if (isinstance(n_features, bool) or not isinstance(n_features, numbers.Integral)
                or n_features < 1):
            raise ValueError(f"n_features must be a positive integer, got {n_features!r}")
        self.n_features = int(n_features)
        if rng is None:
            self.w = np.zeros((1, self.n_features))
        else:
            self.w = 0.01 * _make_rng(rng).standard_normal((1, self.n_features))
        self.b = np.zeros((1, 1))

    def __repr__(self):
        return f"LogisticRegression(n_features={self.n_features})"

    def params(self):
        """The parameters by name, ``{"w": (1, n), "b": (1, 1)}``.

        The arrays are the model's own, so an in-place update such as
        :func:`sgd_step` changes the model.
        """
        return {"w": self.w, "b": self.b}

    def logits(self, X):
        """Logits ``Z = w X + b``, shape ``(1, m)``, for ``X`` of shape ``(n, m)``."""
        X = _check_inputs(X, self.n_features)
        return self.w @ X + self.b  # b (1, 1) broadcasts over the m columns

    def forward(self, X):
        """Probabilities ``A = sigmoid(w X + b)`` of class 1, shape ``(1, m)``."""
        return sigmoid(self.logits(X))

    def predict(self, X):
        """Predicted labels, shape ``(m,)``: 1 where ``a >= 1/2`` (that is ``z >= 0``)."""
        return (self.logits(X)[0] >= 0).astype(np.int64)

    def _check_targets(self, Y, m):
        Y = np.asarray(Y)
        if Y.shape not in ((m,), (1, m)):
            raise ValueError(
                f"Y must have shape (1, m) = (1, {m}) or (m,) = ({m},), got shape {Y.shape}"
            )
        return as_float_array(Y, "Y").reshape(1, m).astype(np.float64)

    def loss_and_grad(self, X, Y):
        """Mean binary cross-entropy and its gradient with respect to ``w`` and ``b``.

        The gradient with respect to the logits, ``(A - Y) / m``, comes from
        :func:`xentlib.binary_cross_entropy_with_logits_value_and_grad` (stable for any
        logit); the chain rule through ``Z = w X + b`` then gives

        .. math::

           \\frac{\\partial J}{\\partial w} = \\frac{1}{m} (A - Y) X^\\top, \\qquad
           \\frac{\\partial J}{\\partial b} = \\frac{1}{m} \\sum_{i=1}^m (a_i - y_i).

        Args:
          X: inputs, shape ``(n, m)``, examples as columns.
          Y: labels in ``{0, 1}`` (or probabilities in ``[0, 1]``), shape ``(1, m)``
            or ``(m,)``.

        Returns:
          ``(loss, grads)``: the mean loss as a float and ``{"w": (1, n), "b": (1, 1)}``.
        """
        X = _check_inputs(X, self.n_features)
        Y = self._check_targets(Y, X.shape[1])
        Z = self.w @ X + self.b
        loss, dZ = binary_cross_entropy_with_logits_value_and_grad(Z, Y)
        grads = {
            "w": dZ @ X.T,
            "b": dZ.sum(axis=1, keepdims=True),
        }
        return float(loss), grads

    def hessian(self, X):
        """Hessian of the mean BCE with respect to ``theta = (w_1, ..., w_n, b)``.

        With a row of ones appended to ``X`` (so that ``b`` is one more weight),

        .. math:: H = \\frac{1}{m} \\tilde X \\operatorname{diag}\\bigl(a (1 - a)\\bigr) \\tilde X^\\top,

        a positive semi-definite matrix that does not depend on the labels (chapter
        ``08_curvature``):
        the loss is convex in ``theta``.

        Args:
          X: inputs, shape ``(n, m)``.

        Returns:
          An ``(n + 1, n + 1)`` array; the last row and column belong to ``b``.

        Examples:
          >>> model = LogisticRegression(1)
          >>> model.hessian(np.array([[-1.0, 1.0]]))   # a = 1/2, a (1 - a) = 1/4
          array([[0.25, 0.  ],
                 [0.  , 0.25]])
        """
        X = _check_inputs(X, self.n_features)
        m = X.shape[1]
        A = sigmoid(self.w @ X + self.b)
        X1 = np.vstack([X, np.ones((1, m))])
        # a (1 - a) weights each column; computed from a = sigmoid(z), which stays in
        # [0, 1], so the result is PSD up to rounding even for huge logits.
        return (X1 * (A * (1.0 - A))) @ X1.T / m


class MLP:
    """A multilayer perceptron: ReLU hidden layers, softmax output, cross-entropy loss.

    The network of chapter ``07_backprop_mlp``. For ``layer_sizes = [n, h_1, ..., C]``
    and ``l = 1..L``:

    .. math::

       z^l = W^l a^{l-1} + b^l, \\qquad a^0 = x, \\qquad
       a^l = \\mathrm{relu}(z^l) \\ (l < L), \\qquad a^L = \\mathrm{softmax}(z^L),

    and the loss of a batch is the mean cross-entropy of the columns of ``a^L``.
    :meth:`forward` caches every ``z^l`` and ``a^l``; :meth:`backward` reuses them in
    the four backprop equations.

    Args:
      layer_sizes: ``[n, h_1, ..., h_{L-1}, C]``, at least two positive integers.
      rng: ``None``, an int seed or a ``numpy.random.Generator`` for the initial
        weights, drawn from ``N(0, 2 / fan_in)`` (He initialisation, suited to ReLU);
        biases start at 0. ``None`` gives a fresh, unseeded generator.

    Examples:
      >>> mlp = MLP([2, 4, 3], rng=0)
      >>> mlp
      MLP([2, 4, 3])
      >>> {name: p.shape for name, p in mlp.params().items()}
      {'W1': (4, 2), 'b1': (4, 1), 'W2': (3, 4), 'b2': (3, 1)}
      >>> X = np.array([[0.5, -1.0], [2.0, 0.0]])
      >>> loss, grads = mlp.loss_and_grad(X, np.array([0, 2]))
      >>> grads["W2"].shape, grads["b1"].shape
      ((3, 4), (4, 1))
      >>> bool(np.allclose(grads["b2"].sum(), 0.0))  # columns of a - y sum to 0
      True

    See also:
      :func:`sgd_step`, :class:`LogisticRegression`,
      :func:`xentlib.cross_entropy_value_and_grad`.
    """

    def __init__(self, layer_sizes, rng=None):
        try:
            sizes = list(layer_sizes)
        except TypeError:
            raise TypeError(
                f"layer_sizes must be a sequence of layer widths, got {layer_sizes!r}"
            ) from None
        if len(sizes) < 2 or not all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 1 for s in sizes
        ):
            raise ValueError(
                "layer_sizes must list at least two positive integers "
                f"[n_features, ..., n_classes], got {layer_sizes!r}"
            )
        self.layer_sizes = [int(s) for s in sizes]
        self.n_layers = len(sizes) - 1  # L: layers with weights
        gen = _make_rng(rng)
        self._params = {}
        for l in range(1, self.n_layers + 1):
            fan_in, fan_out = self.layer_sizes[l - 1], self.layer_sizes[l]
            self._params[f"W{l}"] = gen.normal(0.0, np.sqrt(2.0 / fan_in), (fan_out, fan_in))
            self._params[f"b{l}"] = np.zeros((fan_out, 1))
        self._cache = None

    def __repr__(self):
        return f"MLP({self.layer_sizes})"

    def params(self):
        """The parameters by name, ``W1, b1, ..., WL, bL``; ``W^l`` is ``(n_l, n_{l-1})``,
        ``b^l`` is ``(n_l, 1)``. The arrays are the model's own (in-place updates stick)."""
        return dict(self._params)

    def logits(self, X):
        """Forward pass; returns ``z^L``, shape ``(C, m)``, and caches every layer."""
        X = _check_inputs(X, self.layer_sizes[0])
        P = self._params
        zs, activations = [None], [X]  # index l holds z^l and a^l; a^0 = X
        a = X
        for l in range(1, self.n_layers + 1):
            z = P[f"W{l}"] @ a + P[f"b{l}"]
            zs.append(z)
            if l < self.n_layers:
                a = relu(z)
                activations.append(a)
        self._cache = (zs, activations)
        return z

    def forward(self, X):
        """Class probabilities ``a^L = softmax(z^L)``, shape ``(C, m)``; caches the layers."""
        return softmax(self.logits(X), axis=0)

    def predict(self, X):
        """Predicted class indices, shape ``(m,)``: the arg-max of the logits."""
        return np.argmax(self.logits(X), axis=0)

    def backward(self, dZ):
        """Gradients of all parameters, given ``delta^L = dJ/dz^L`` of shape ``(C, m)``.

        Uses the cache of the last :meth:`forward` (or :meth:`logits`) call and the four
        backprop equations of chapter ``07_backprop_mlp``, for ``l = L, ..., 1``:

        .. math::

           \\delta^L = \\frac{\\partial J}{\\partial z^L}, \\qquad
           \\delta^{l-1} = \\mathrm{relu}'(z^{l-1}) \\odot (W^l)^\\top \\delta^l,

           \\frac{\\partial J}{\\partial W^l} = \\delta^l (a^{l-1})^\\top, \\qquad
           \\frac{\\partial J}{\\partial b^l} = \\sum_{i=1}^m \\delta^l_{:, i}.

        With the mean cross-entropy, ``delta^L = (a^L - y) / m``: the ``1/m`` rides along
        in every ``delta^l``, so the sums over the batch give mean gradients.

        Args:
          dZ: gradient of the loss with respect to the logits, shape ``(C, m)``.

        Returns:
          A dict of gradients with the names and shapes of :meth:`params`.
        """
        if self._cache is None:
            raise ValueError("backward needs a forward pass first: call forward or logits")
        zs, activations = self._cache
        m = activations[0].shape[1]
        dZ = as_float_array(dZ, "dZ").astype(np.float64)
        if dZ.shape != (self.layer_sizes[-1], m):
            raise ValueError(
                f"dZ must have the shape of the cached logits ({self.layer_sizes[-1]}, {m}), "
                f"got {dZ.shape}"
            )
        grads = {}
        delta = dZ
        for l in range(self.n_layers, 0, -1):
            grads[f"W{l}"] = delta @ activations[l - 1].T
            grads[f"b{l}"] = delta.sum(axis=1, keepdims=True)
            if l > 1:
                delta = relu_grad(zs[l - 1]) * (self._params[f"W{l}"].T @ delta)
        return {name: grads[name] for name in self._params}

    def loss_and_grad(self, X, y):
        """Mean cross-entropy of the batch and the gradient of every parameter.

        Args:
          X: inputs, shape ``(n, m)``, examples as columns.
          y: integer class indices in ``[0, C)``, shape ``(m,)``.

        Returns:
          ``(loss, grads)``: the mean loss as a float and a dict of gradients with the
          names and shapes of :meth:`params`.
        """
        X = _check_inputs(X, self.layer_sizes[0])
        y = np.asarray(y)
        m, C = X.shape[1], self.layer_sizes[-1]
        if y.shape != (m,):
            raise ValueError(f"y must have shape (m,) = ({m},), got shape {y.shape}")
        if y.dtype.kind not in "iu":
            raise TypeError(f"y must hold integer class indices, got dtype {y.dtype}")
        if y.min() < 0 or y.max() >= C:
            raise ValueError(f"y must hold class indices in [0, {C}), got values in "
                             f"[{y.min()}, {y.max()}]")
        Z = self.logits(X)
        # xentlib's cross_entropy follows PyTorch: rows are examples, so transpose.
        loss, dZ_rows = cross_entropy_value_and_grad(Z.T, y)
        return float(loss), self.backward(dZ_rows.T)


def sgd_step(params, grads, lr):
    """One step of plain gradient descent, in place: ``p -= lr * grad`` for every name.

    Used by chapters ``02_logistic_regression``, ``07_backprop_mlp`` and
    ``08_curvature``. The update happens in the arrays of ``params``, so passing
    ``model.params()`` trains the model.

    .. math:: \\theta \\leftarrow \\theta - \\eta \\, \\frac{\\partial J}{\\partial \\theta}

    Args:
      params: dict name -> float array (updated in place).
      grads: dict with the same names and shapes.
      lr: learning rate ``eta``, a positive finite number.

    Returns:
      None.

    Examples:
      >>> params = {"w": np.array([[1.0, 2.0]])}
      >>> sgd_step(params, {"w": np.array([[0.5, -1.0]])}, lr=0.1)
      >>> params["w"]
      array([[0.95, 2.1 ]])
    """
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if set(params) != set(grads):
        raise ValueError(
            f"params and grads must have the same names, got {sorted(params)} and {sorted(grads)}"
        )
    for name, p in params.items():
        g = np.asarray(grads[name])
        if g.shape != np.shape(p):
            raise ValueError(
                f"grads[{name!r}] must have the shape of params[{name!r}] {np.shape(p)}, "
                f"got {g.shape}"
            )
        if not isinstance(p, np.ndarray) or p.dtype.kind != "f":
            raise TypeError(f"params[{name!r}] must be a float numpy array to update in place")
    for name, p in params.items():
        p -= lr * np.asarray(grads[name])
