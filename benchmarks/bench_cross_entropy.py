"""Time xentlib's fused cross-entropy against PyTorch, a naive NumPy version and np.exp.

Run from the repository root:

    python benchmarks/bench_cross_entropy.py            # logits (4096, 1000), 30 runs
    python benchmarks/bench_cross_entropy.py --runs 50 --rows 8192 --classes 1000

For float32 and float64 logits of shape (rows, classes) with integer class targets it
times, on the same data:

- xentlib   ``cross_entropy_value_and_grad`` (mean reduction): loss and gradient;
- PyTorch   ``F.cross_entropy(z, k)`` forward, then ``.backward()``;
- naive     unfused NumPy: softmax, one-hot matrix, log, mean, then ``(a - y) / m``;
- np.exp    one ``np.exp`` over the logits, the floor for any exact method.

It then times ``softmax_vjp`` against forming each row's Jacobian (``softmax_jacobian``,
then a vector-matrix product) for a batch of 64 rows of 1000 classes.

Every contender is warmed up, then the contenders run in turn, once each per round.
The table reports each one's median time over the rounds (and its fastest round); a
ratio is the median over the rounds of the ratio within a round, where the two ran
back to back, so that a change of the machine's load cancels out.

Everything runs on one thread. NumPy's element-wise functions (exp, subtract, sum)
always do, so PyTorch is limited with ``torch.set_num_threads(1)`` and NumPy's BLAS
(used by the matrix products of the Jacobian route) with ``OPENBLAS_NUM_THREADS=1``,
set before NumPy is imported. The ratios then compare the implementations, not the
number of cores. Without PyTorch installed its columns are skipped with a message.
This is a measurement, not a test: nothing here asserts a time.
"""

import argparse
import os
import platform
import time

# Must precede the import of NumPy to take effect (see the docstring).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

from xentlib import (  # noqa: E402
    cross_entropy_value_and_grad,
    softmax,
    softmax_jacobian,
    softmax_vjp,
)

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the benchmark still runs; PyTorch's columns are skipped
    torch = None


def naive_value_and_grad(z, k):
    """The textbook computation, one step at a time, each step a new array."""
    m, C = z.shape
    e = np.exp(z - z.max(axis=1, keepdims=True))
    a = e / e.sum(axis=1, keepdims=True)
    y = np.zeros_like(z)
    y[np.arange(m), k] = 1
    loss = -np.mean(np.sum(y * np.log(a), axis=1))
    grad = (a - y) / m
    return loss, grad


def torch_value_and_grad(z_t, k_t):
    z_t.grad = None
    loss = F.cross_entropy(z_t, k_t)
    loss.backward()
    return loss, z_t.grad


def time_in_turn(contenders, runs, warmup=3):
    """Seconds per round of each callable (an array of ``runs``), run in turn each round."""
    for f in contenders.values():
        for _ in range(warmup):
            f()
    times = {name: [] for name in contenders}
    for _ in range(runs):
        for name, f in contenders.items():
            start = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - start)
    return {name: np.array(t) for name, t in times.items()}


def cell(t):
    """Median (minimum) in milliseconds."""
    return f"{np.median(t) * 1e3:8.2f} ({t.min() * 1e3:5.2f})"


def ratio(a, b):
    """Median over the rounds of the time ratio a / b within each round: the two ran
    back to back, so a change of the machine's load between rounds cancels out."""
    return float(np.median(a / b))


def check_agreement(z, k, z_t, k_t):
    """The contenders must compute the same numbers before their times mean anything."""
    loss, grad = cross_entropy_value_and_grad(z, k)
    tol = 1e-4 if z.dtype == np.float32 else 1e-10
    naive_loss, naive_grad = naive_value_and_grad(z, k)
    assert np.allclose(loss, naive_loss, rtol=tol)
    assert np.allclose(grad, naive_grad, atol=tol / len(z))
    if torch is not None:
        t_loss, t_grad = torch_value_and_grad(z_t, k_t)
        assert np.allclose(loss, t_loss.item(), rtol=tol)
        assert np.allclose(grad, t_grad.numpy(), atol=tol / len(z))


def bench_cross_entropy(rows, classes, runs, rng):
    results = []
    for dtype in (np.float32, np.float64):
        z = rng.standard_normal((rows, classes)).astype(dtype)
        k = rng.integers(0, classes, rows)
        contenders = {
            "xentlib": lambda: cross_entropy_value_and_grad(z, k),
            "naive": lambda: naive_value_and_grad(z, k),
            "np.exp": lambda: np.exp(z),
        }
        z_t = k_t = None
        if torch is not None:
            z_t = torch.from_numpy(z.copy()).requires_grad_()
            k_t = torch.from_numpy(k)
            contenders["PyTorch"] = lambda: torch_value_and_grad(z_t, k_t)
        check_agreement(z, k, z_t, k_t)
        results.append((np.dtype(dtype).name, time_in_turn(contenders, runs)))
    return results


def bench_vjp(batch, classes, runs, rng):
    z = rng.standard_normal((batch, classes))
    a = softmax(z)
    g = rng.standard_normal((batch, classes))

    def with_jacobian():
        # one (C, C) Jacobian per row, so the memory stays at C * C floats
        return np.stack([g_i @ softmax_jacobian(a_i) for a_i, g_i in zip(a, g)])

    assert np.allclose(softmax_vjp(a, g), with_jacobian())
    contenders = {"vjp": lambda: softmax_vjp(a, g), "jacobian": with_jacobian}
    return time_in_turn(contenders, runs, warmup=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=4096)
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=30, help="timed rounds (median of these)")
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    print(f"NumPy {np.__version__}, Python {platform.python_version()}, {platform.machine()}")
    if torch is None:
        print("PyTorch is not installed: its columns are skipped (pip install torch).")
    else:
        torch.set_num_threads(1)
        print(f"PyTorch {torch.__version__}; one thread for both: torch.set_num_threads(1), "
              f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    print(f"\ncross-entropy, loss and gradient: logits ({args.rows}, {args.classes}), "
          f"integer targets, median (min) of {args.runs} runs, milliseconds\n")
    head = f"{'dtype':<8}{'xentlib':>16}{'PyTorch':>16}{'naive':>16}{'np.exp':>16}"
    head += f"{'xent/torch':>12}{'xent/naive':>12}{'xent/exp':>10}"
    print(head)
    print("-" * len(head))

    for dtype, t in bench_cross_entropy(args.rows, args.classes, args.runs, rng):
        x = t["xentlib"]
        if "PyTorch" in t:
            torch_cells = (cell(t["PyTorch"]), f"{ratio(x, t['PyTorch']):.2f}")
        else:
            torch_cells = ("skipped", "-")
        print(f"{dtype:<8}{cell(t['xentlib']):>16}{torch_cells[0]:>16}{cell(t['naive']):>16}"
              f"{cell(t['np.exp']):>16}{torch_cells[1]:>12}{ratio(x, t['naive']):>12.2f}"
              f"{ratio(x, t['np.exp']):>10.2f}")

    batch, classes = 64, 1000
    t = bench_vjp(batch, classes, min(args.runs, 20), rng)
    print(f"\nsoftmax backward, {batch} rows of C = {classes} (float64), median (min) of "
          f"{min(args.runs, 20)} runs, milliseconds\n")
    head = f"{'softmax_vjp':>16}{'Jacobian, then g @ J':>24}{'speed-up':>10}"
    print(head)
    print("-" * len(head))
    print(f"{cell(t['vjp']):>16}{cell(t['jacobian']):>24}{ratio(t['jacobian'], t['vjp']):>9.0f}x")


if __name__ == "__main__":
    main()
