"""Every public function of xentlib, for every NumPy integer and float dtype and for
arrays with a zero-size axis.

Each call must either return the result PyTorch gives for the same input (compared
where PyTorch is installed and supports the input; always compared with xentlib's own
float64 result for float16 and float32) or raise a ``TypeError`` or ``ValueError``
whose message names the problem: never an error from inside NumPy, never a warning,
never ``nan`` or ``inf`` from finite input (the mean of nothing is ``nan``, as in
PyTorch). float16 inputs are computed in float32 and returned in float16, as PyTorch's
CPU kernels do; booleans and integers give float64; complex numbers and NumPy's
extended-precision ``longdouble`` (which PyTorch has no dtype for) are refused with an
error naming the dtype.

The modules ``xentlib.symbolic``, ``xentlib.interactive`` and ``xentlib.listing`` are
not swept: they take SymPy expressions, widgets and source files, not arrays. The last
test checks that the swept functions need nothing but NumPy, and that the two modules
with optional dependencies name the extra to install when one is missing.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import xentlib
from xentlib import data, nn

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None

INTEGERS = [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64]
FLOATS = [np.float16, np.float32, np.float64]
ACCEPTED = [np.bool_, *INTEGERS, *FLOATS]
# np.longdouble is a plain double on some platforms (Windows, macOS on arm64): refused
# only where it is wider.
REFUSED = [np.complex64, np.complex128] + (
    [np.longdouble] if np.dtype(np.longdouble).itemsize > 8 else [])
DTYPES = ACCEPTED + REFUSED

# Agreement expected with a reference computed in float64 (or, for PyTorch in float16,
# with PyTorch's own rounding steps): a few units in the last place of the result.
TOLERANCE = {np.float16: (4e-3, 2e-3), np.float32: (2e-5, 1e-6), np.float64: (1e-10, 1e-12)}


def result_dtype(dtype):
    """The float dtype xentlib returns for an input of ``dtype``."""
    return np.dtype(dtype) if dtype in FLOATS else np.dtype(np.float64)


def sample(shape, dtype, kind, seed=0):
    """Values of ``dtype`` and ``shape``: ``"real"`` (logits) or ``"unit"`` (in [0, 1])."""
    rng = np.random.default_rng(seed)
    if dtype in FLOATS or dtype in REFUSED:
        x = rng.normal(0, 2, shape) if kind == "real" else rng.uniform(0.05, 0.95, shape)
    elif dtype == np.bool_ or kind == "unit":
        x = rng.integers(0, 2, shape)
    else:
        low = 0 if np.issubdtype(dtype, np.unsignedinteger) else -3
        x = rng.integers(low, 4, shape)
    return x.astype(dtype)


def quietly(function, *args, **kwargs):
    """Call ``function``; a NumPy warning (overflow, invalid value) fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return function(*args, **kwargs)


def to_torch(x):
    """``x`` as a tensor of PyTorch's dtype for it: float16/32 kept, anything else float64."""
    x = np.asarray(x)
    dtype = x.dtype if x.dtype in (np.float16, np.float32) else np.float64
    return torch.from_numpy(np.ascontiguousarray(x, dtype=dtype))


def torch_value_and_grad(loss_fn, first, *rest):
    """PyTorch's loss and its gradient with respect to ``first``, as NumPy arrays."""
    t = to_torch(first).requires_grad_(True)
    loss = loss_fn(t, *rest)
    loss.sum().backward()
    return loss.detach().numpy(), t.grad.numpy()


# Each case: how to call the function on one sampled array, the kind of values it takes,
# the shapes to try (each with an empty axis but the first) and PyTorch's result for the
# same call, in the same form: one array, or a tuple.
def elementwise(fn, reference):
    return {"call": fn, "kind": "real", "shapes": [(3, 4), (0,), (2, 0)],
            "reference": reference}


def along_axis(fn, reference):
    return {"call": fn, "kind": "real", "shapes": [(3, 4), (0, 3), (2, 0)],
            "reference": reference}


def bce_case(fn, form, logits):
    """One of the six binary losses: ``form`` is "loss", "grad" or "value_and_grad"."""
    def call(x, reduction="mean"):  # targets of x's dtype: labels 0 and 1
        y = sample(x.shape, np.float64, "unit", seed=1).round().astype(x.dtype)
        return fn(x, y, reduction=reduction)

    def reference(x, reduction="mean"):
        y = torch.from_numpy(sample(x.shape, np.float64, "unit", seed=1).round())
        loss_fn = F.binary_cross_entropy_with_logits if logits else F.binary_cross_entropy
        loss, grad = torch_value_and_grad(
            lambda t: loss_fn(t, y.to(t.dtype), reduction=reduction), x)
        return {"loss": loss, "grad": grad, "value_and_grad": (loss, grad)}[form]

    return {"call": call, "kind": "real" if logits else "unit", "reference": reference,
            "shapes": [(3, 4), (0,), (2, 0)], "reductions": True}


def cross_entropy_case(fn, form):
    def call(z, reduction="mean"):
        k = np.arange(z.shape[0] * np.prod(z.shape[2:], dtype=int)) % z.shape[1]
        return fn(z, k.reshape(z.shape[:1] + z.shape[2:]), reduction=reduction)

    def reference(z, reduction="mean"):
        k = np.arange(z.shape[0] * np.prod(z.shape[2:], dtype=int)) % z.shape[1]
        k = torch.from_numpy(k.reshape(z.shape[:1] + z.shape[2:]))
        loss, grad = torch_value_and_grad(
            lambda t: F.cross_entropy(t, k, reduction=reduction), z)
        return {"loss": loss, "grad": grad, "value_and_grad": (loss, grad)}[form]

    return {"call": call, "kind": "real", "reference": reference,
            "shapes": [(3, 4), (0, 3), (2, 3, 0), (3, 4, 2)], "reductions": True}


def softmax_jacobian_reference(a):
    a = to_torch(a)
    return (torch.diag_embed(a) - a[..., :, None] * a[..., None, :]).numpy()


def softmax_vjp_reference(a):
    g = to_torch(sample(a.shape, a.dtype if a.dtype in FLOATS else np.float64, "real", 1))
    a = to_torch(a)
    return torch._softmax_backward_data(g.to(a.dtype), a, -1, a.dtype).numpy()


CASES = {
    "sigmoid": elementwise(xentlib.sigmoid, lambda x: torch.sigmoid(to_torch(x)).numpy()),
    "log_sigmoid": elementwise(xentlib.log_sigmoid,
                               lambda x: F.logsigmoid(to_torch(x)).numpy()),
    "relu": elementwise(nn.relu, lambda x: torch.relu(to_torch(x)).numpy()),
    "relu_grad": elementwise(nn.relu_grad, lambda x: torch_value_and_grad(torch.relu, x)[1]),
    "softmax": along_axis(xentlib.softmax, lambda x: torch.softmax(to_torch(x), -1).numpy()),
    "log_softmax": along_axis(xentlib.log_softmax,
                              lambda x: torch.log_softmax(to_torch(x), -1).numpy()),
    "logsumexp": along_axis(xentlib.logsumexp,
                            lambda x: torch.logsumexp(to_torch(x), -1).numpy()),
    "softmax_jacobian": {**along_axis(xentlib.softmax_jacobian, softmax_jacobian_reference),
                         "kind": "unit"},
    "softmax_vjp": {
        "call": lambda a: xentlib.softmax_vjp(
            a, sample(a.shape, a.dtype if a.dtype in FLOATS else np.float64, "real", 1)),
        "kind": "unit", "shapes": [(3, 4), (0, 3), (2, 0)],
        "reference": softmax_vjp_reference},
    **{f"binary_cross_entropy{suffix}": bce_case(
        getattr(xentlib, f"binary_cross_entropy{suffix}"), form, logits=False)
       for suffix, form in [("", "loss"), ("_grad", "grad"),
                            ("_value_and_grad", "value_and_grad")]},
    **{f"binary_cross_entropy_with_logits{suffix}": bce_case(
        getattr(xentlib, f"binary_cross_entropy_with_logits{suffix}"), form, logits=True)
       for suffix, form in [("", "loss"), ("_grad", "grad"),
                            ("_value_and_grad", "value_and_grad")]},
    **{f"cross_entropy{suffix}": cross_entropy_case(
        getattr(xentlib, f"cross_entropy{suffix}"), form)
       for suffix, form in [("", "loss"), ("_grad", "grad"),
                            ("_value_and_grad", "value_and_grad")]},
}


def test_every_public_array_function_is_swept():
    """A new public function must join the sweep (or the list of those swept apart)."""
    swept_apart = {"numerical_grad", "gradcheck", "relative_error", "GradcheckReport",
                   "sgd_step", "LogisticRegression", "MLP", "make_blobs", "make_spiral"}
    public = set(xentlib.__all__) | set(nn.__all__) | set(data.__all__)
    assert public - swept_apart == set(CASES)


def outputs(result):
    return result if isinstance(result, tuple) else (result,)


def assert_close(actual, expected, dtype):
    rtol, atol = TOLERANCE[result_dtype(dtype).type]
    for a, e in zip(outputs(actual), outputs(expected)):
        a, e = np.asarray(a, np.float64), np.asarray(e, np.float64)
        assert a.shape == e.shape
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol * max(1, np.abs(e).max(initial=0)))


_REFERENCES = {}


def torch_reference(name, x, **kwargs):
    """PyTorch's result for case ``name``, computed once per distinct input: the integer
    dtypes hold the same values, so they share one reference."""
    x = x.astype(result_dtype(x.dtype))
    key = (name, x.dtype.str, x.shape, x.tobytes(), tuple(sorted(kwargs.items())))
    if key not in _REFERENCES:
        _REFERENCES[key] = CASES[name]["reference"](x, **kwargs)
    return _REFERENCES[key]


def refused_clearly(error, dtype):
    return isinstance(error, TypeError) and f"dtype {np.dtype(dtype)}" in str(error)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", sorted(CASES))
def test_every_dtype_and_empty_axis_gives_torchs_result_or_a_clear_error(name, dtype):
    case = CASES[name]
    for shape in case["shapes"]:
        x = sample(shape, dtype, case["kind"])
        reductions = ("mean", "sum", "none") if case.get("reductions") else (None,)
        for reduction in reductions:
            kwargs = {} if reduction is None else {"reduction": reduction}
            if dtype in REFUSED:
                with pytest.raises(TypeError) as error:
                    quietly(case["call"], x, **kwargs)
                assert refused_clearly(error.value, dtype), error.value
                continue
            result = quietly(case["call"], x, **kwargs)
            for out in outputs(result):
                assert np.asarray(out).dtype == result_dtype(dtype), (shape, reduction)
                if reduction == "mean" and x.size == 0 and np.ndim(out) == 0:
                    assert np.isnan(out)  # the loss: a mean of nothing, PyTorch's 0 / 0
                elif name == "logsumexp" and shape[-1] == 0:
                    assert np.all(out == -np.inf)  # the log of an empty sum, as in PyTorch
                else:
                    assert np.all(np.isfinite(out)), (shape, reduction)
            if dtype in (np.float16, np.float32):
                # The same values in float64: half and single precision change only the
                # rounding.
                assert_close(result, case["call"](x.astype(np.float64), **kwargs), dtype)
            if torch is not None:
                assert_close(result, torch_reference(name, x, **kwargs), dtype)


@pytest.mark.parametrize("dtype", ACCEPTED, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("form", ["", "_grad", "_value_and_grad"])
def test_class_index_targets_of_every_integer_dtype(dtype, form):
    """Class indices of any integer dtype, unsigned included, give the int64 result;
    booleans and floats are not class indices (floats are probabilities)."""
    fn = getattr(xentlib, f"cross_entropy{form}")
    z = sample((4, 3), np.float64, "real")
    k = np.array([0, 2, 1, 2])
    if dtype == np.bool_:
        with pytest.raises(TypeError, match="target must be integer class indices .*bool"):
            fn(z, k.astype(dtype))
        return
    if dtype in FLOATS:  # probabilities: one-hot rows give the class-index result
        expected = quietly(fn, z, k)
        assert_close(quietly(fn, z, np.eye(3, dtype=dtype)[k]), expected, np.float64)
        return
    expected = quietly(fn, z, k, ignore_index=1)
    assert_close(quietly(fn, z, k.astype(dtype), ignore_index=1), expected, np.float64)
    with pytest.raises(ValueError, match="class index 3 out of range for C = 3"):
        fn(z, np.array([0, 3, 1, 2], dtype))
    if torch is not None:
        reference = torch_value_and_grad(
            lambda t: F.cross_entropy(t, torch.from_numpy(k), ignore_index=1), z)
        forms = {"": reference[0], "_grad": reference[1], "_value_and_grad": reference}
        assert_close(quietly(fn, z, k.astype(dtype), ignore_index=1), forms[form], np.float64)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_finite_differences_every_dtype(dtype):
    x = sample((2, 3), dtype, "real")
    if dtype in REFUSED:
        for call in (lambda: xentlib.numerical_grad(np.sum, x),
                     lambda: xentlib.gradcheck(np.sum, np.ones_like, x),
                     lambda: xentlib.relative_error(x, x)):
            with pytest.raises(TypeError) as error:
                call()
            assert refused_clearly(error.value, dtype)
        return

    def f(v):  # sum of sin: its gradient is cos, in float64 whatever v's dtype
        return float(np.sin(v.astype(np.float64)).sum())

    grad = quietly(xentlib.numerical_grad, f, x)
    assert grad.dtype == np.float64 and grad.shape == x.shape
    # float16 points are evaluated in float32, whose difference quotient has ~1e-4 noise
    tolerance = 1e-7 if result_dtype(dtype) == np.float64 else 1e-3
    np.testing.assert_allclose(grad, np.cos(x.astype(np.float64)), atol=tolerance)
    report = quietly(xentlib.gradcheck, f, lambda v: np.cos(v.astype(np.float64)), x)
    assert report.passed, report
    assert quietly(xentlib.relative_error, x, x) == 0
    assert quietly(xentlib.numerical_grad, f, x[:0]).shape == (0, 3)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
def test_models_and_sgd_step_every_dtype(dtype):
    X = sample((2, 5), dtype, "real")
    labels = sample((5,), np.int64, "unit", seed=2)
    models = [(nn.LogisticRegression(2, rng=0), labels),
              (nn.MLP([2, 4, 3], rng=0), labels)]
    for model, y in models:
        if dtype in REFUSED:
            with pytest.raises(TypeError) as error:
                model.loss_and_grad(X, y)
            assert refused_clearly(error.value, dtype)
            continue
        loss, grads = quietly(model.loss_and_grad, X, y)
        expected_loss, expected_grads = model.loss_and_grad(X.astype(np.float64), y)
        assert loss == expected_loss  # the models compute in float64 whatever X holds
        for name in grads:
            np.testing.assert_array_equal(grads[name], expected_grads[name])
        with pytest.raises(ValueError, match="at least one example"):
            model.loss_and_grad(X[:, :0], y[:0])
    if dtype not in REFUSED:
        # Integer class indices of every dtype label the MLP's examples.
        mlp = nn.MLP([2, 4, 3], rng=0)
        y = np.array([0, 2, 1, 2, 0])
        if dtype == np.bool_ or dtype in FLOATS:
            with pytest.raises(TypeError, match="integer class indices"):
                mlp.loss_and_grad(X, y.astype(dtype))
        else:
            assert quietly(mlp.loss_and_grad, X, y.astype(dtype))[0] == mlp.loss_and_grad(X, y)[0]

    params = {"w": sample((2, 3), dtype, "real")}
    grads = {"w": np.ones((2, 3))}
    # Integer or complex parameters cannot take a real fractional step in place; any
    # real float array can, extended precision included (nothing is rounded to float64).
    if np.dtype(dtype).kind != "f":
        with pytest.raises(TypeError, match="float numpy array"):
            nn.sgd_step(params, grads, lr=0.5)
    else:
        expected = params["w"] - np.asarray(0.5, dtype)
        quietly(nn.sgd_step, params, grads, lr=0.5)
        np.testing.assert_array_equal(params["w"], expected)


@pytest.mark.parametrize("dtype", INTEGERS, ids=lambda d: np.dtype(d).name)
def test_data_sets_take_numpy_integers(dtype):
    X, y = data.make_blobs(m=dtype(6), seed=dtype(1))
    X0, y0 = data.make_blobs(m=6, seed=1)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    X, y = data.make_spiral(m_per_class=dtype(3), classes=dtype(2), seed=dtype(1))
    X0, y0 = data.make_spiral(m_per_class=3, classes=2, seed=1)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_data_sets_refuse_float_counts_and_take_float_scales(dtype):
    with pytest.raises(TypeError, match="m must be an integer"):
        data.make_blobs(m=dtype(6))
    X, _ = data.make_blobs(m=6, separation=dtype(2.5), std=dtype(1.0))
    np.testing.assert_allclose(X, data.make_blobs(m=6)[0])
    X, _ = data.make_spiral(m_per_class=3, noise=dtype(0.25))
    np.testing.assert_allclose(X, data.make_spiral(m_per_class=3, noise=0.25)[0])


# --------------------------------------------------------------- large logits

LARGE = [np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]]),
         np.array([[1e4, 1e4, 1e4], [-1e4, -1e4, -1e4]])]


@pytest.mark.parametrize("dtype", FLOATS, ids=lambda d: np.dtype(d).name)
def test_logits_of_1e4_give_finite_results_that_match_torch(dtype):
    """1e4 is exact in float16 (a multiple of its spacing 8 there), so this is a real
    float16 input; the losses (up to 2e4) are below float16's largest value 65504."""
    assert np.float16(1e4) == 1e4
    for z in LARGE:
        z = z.astype(dtype)
        k = np.array([1, 0])
        y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
        calls = {
            "softmax": (xentlib.softmax, (z,), lambda: torch.softmax(to_torch(z), -1)),
            "log_softmax": (xentlib.log_softmax, (z,),
                            lambda: torch.log_softmax(to_torch(z), -1)),
            "logsumexp": (xentlib.logsumexp, (z,), lambda: torch.logsumexp(to_torch(z), -1)),
            "sigmoid": (xentlib.sigmoid, (z,), lambda: torch.sigmoid(to_torch(z))),
            "log_sigmoid": (xentlib.log_sigmoid, (z,), lambda: F.logsigmoid(to_torch(z))),
            "cross_entropy": (
                lambda z, k: xentlib.cross_entropy_value_and_grad(z, k, reduction="none"),
                (z, k), lambda: torch_value_and_grad(
                    lambda t: F.cross_entropy(t, torch.from_numpy(k), reduction="none"), z)),
            "bce_with_logits": (
                lambda z, y: xentlib.binary_cross_entropy_with_logits_value_and_grad(
                    z, y, reduction="none"),
                (z, y), lambda: torch_value_and_grad(
                    lambda t: F.binary_cross_entropy_with_logits(
                        t, torch.from_numpy(y).to(t.dtype), reduction="none"), z)),
        }
        for name, (fn, args, reference) in calls.items():
            result = quietly(fn, *args)
            for out in outputs(result):
                assert out.dtype == dtype and np.all(np.isfinite(out)), name
            if torch is not None:
                expected = reference()
                expected = tuple(expected) if isinstance(expected, tuple) else expected.numpy()
                assert_close(result, expected, dtype)


# --------------------------------------------------------------- NumPy alone

WITHOUT_EXTRAS = """
import sys
for name in ("sympy", "matplotlib", "ipywidgets", "numba", "torch", "scipy"):
    sys.modules[name] = None  # as if not installed: importing it raises ImportError
import numpy as np
import xentlib
from xentlib import data, nn
z = np.zeros((70000, 3), np.float32)  # large enough for the compiled loop, if Numba were there
a = xentlib.softmax(z)
print(xentlib.softmax_vjp(a, a).dtype, xentlib.cross_entropy(z[:2], np.array([0, 2])))
print(nn.MLP([2, 3, 2], rng=0).loss_and_grad(*data.make_spiral(4, classes=2))[0] > 0)
for module in ("xentlib.symbolic", "xentlib.interactive"):
    try:
        __import__(module)
    except ImportError as error:
        print(error)
"""


def test_the_library_needs_only_numpy_and_names_each_extra():
    out = subprocess.run([sys.executable, "-c", WITHOUT_EXTRAS], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    assert out[0] == "float32 " + str(np.float32(np.log(3)))
    assert out[1] == "True"
    assert out[2] == ('xentlib.symbolic needs SymPy, which is not installed: '
                      'pip install "xentlib[symbolic]"')
    assert out[3] == ('xentlib.interactive needs matplotlib and ipywidgets (missing: '
                      'matplotlib, ipywidgets): pip install "xentlib[interactive]"')
