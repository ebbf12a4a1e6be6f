"""Time and measure every xentlib loss path and softmax_vjp against PyTorch.

Run from the repository root (``make bench`` does this):

    python benchmarks/bench_cross_entropy.py                 # the full table
    python benchmarks/bench_cross_entropy.py --rounds 11     # more rounds per row
    python benchmarks/bench_cross_entropy.py --only vjp      # rows whose path contains "vjp"
    python benchmarks/bench_cross_entropy.py --reuse-memory  # no fresh pages for any call

Each row runs one path on the same data in both libraries: the loss and its gradient
(xentlib's ``*_value_and_grad``, PyTorch's forward then ``.backward()``), or the
softmax backward (``softmax_vjp`` against ``torch._softmax_backward_data``). Before
any timing the two results must agree.

Time: both run on one thread (``torch.set_num_threads(1)``; ``OPENBLAS_NUM_THREADS``,
``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS`` set to 1 before NumPy is imported). After a
warm-up call each, they run in turn, once per round, the first of the pair alternating
between rounds. A time is the median over the rounds; the ratio is the median of the
per-round ratios xentlib / PyTorch, so a change of the machine's load between rounds
cancels out. The clock is the process's CPU time (``time.process_time``) by default:
on a shared machine wall time also counts the waits for a free core, which fall on
either side at random; ``--clock wall`` uses ``time.perf_counter`` instead.

Memory: the extra peak memory of one call, in units of the logits' size (the input
``z``; for ``softmax_vjp``, the probabilities ``a``), counting everything the call
allocates, its result included (the gradient alone is 1.00). xentlib's is measured by
``tracemalloc``, which sees every NumPy allocation. PyTorch's allocator does not report
to ``tracemalloc``, so its peak is measured from the operating system: in a child
process started with ``MALLOC_MMAP_THRESHOLD_=65536`` (every large block is mapped on
allocation and returned on release), the peak resident set size is reset through
``/proc/self/clear_refs`` just before the call and read from ``VmHWM`` just after; the
extra peak is that high-water mark minus the resident size before the call. The same
child measures xentlib that way too, as a check on ``tracemalloc`` (``--rss``). On a
system without ``/proc`` PyTorch's memory column shows ``-``.

This is a measurement, not a test: it asserts agreement, never a time.
"""

import argparse
import gc
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
import tracemalloc

# Must precede the import of NumPy to take effect (see the docstring).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir))
import xentlib as xl  # noqa: E402
from xentlib import _compiled  # noqa: E402

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the benchmark still runs; PyTorch's columns are skipped
    torch = None

# glibc's malloc settings for --reuse-memory: no block is large enough to be mapped from
# the system on its own (and given back when freed), and the heap is never trimmed, so
# every call after the first reuses pages the process already has.
REUSE_MEMORY = {"MALLOC_MMAP_THRESHOLD_": str(1 << 32), "MALLOC_TRIM_THRESHOLD_": str(1 << 33)}

LLM = (2048, 32000)  # a language model's vocabulary: 262 MB of float32 logits
K_DIM = (64, 1000, 256)  # one prediction per position: classes on axis 1
SMALL = (4096, 1000)

# (path, shape, dtype) of every row of the table, in order.
ROWS = [
    (path, shape, dtype)
    for path in ("cross_entropy, class indices", "cross_entropy, label_smoothing 0.1",
                 "cross_entropy, probability targets")
    for shape, dtype in ((LLM, "float32"), (SMALL, "float32"), (SMALL, "float64"))
] + [
    ("cross_entropy, K-dim class indices", K_DIM, "float32"),
    ("cross_entropy, K-dim probability targets", K_DIM, "float32"),
] + [
    (path, shape, dtype)
    for path in ("binary_cross_entropy_with_logits", "softmax_vjp")
    for shape, dtype in ((LLM, "float32"), (SMALL, "float32"), (SMALL, "float64"))
]


def make_case(path, shape, dtype, need_torch=True):
    """The data of one row and a zero-argument call for each library.

    Returns ``(call_xentlib, call_torch, reference_bytes)``; ``call_torch`` is None
    without PyTorch. Both calls return ``(loss or None, gradient)`` as NumPy-comparable
    arrays, so the agreement check can compare them.
    """
    rng = np.random.default_rng(0)
    z = rng.standard_normal(shape, dtype=np.float32).astype(dtype)
    C = shape[1]
    use_torch = need_torch and torch is not None
    z_t = torch.from_numpy(z.copy()).requires_grad_() if use_torch else None

    def torch_loss_and_grad(loss_fn):
        def call():
            z_t.grad = None
            loss = loss_fn()
            loss.backward()
            return loss.detach(), z_t.grad
        return call

    if path == "softmax_vjp":
        a = xl.softmax(z, axis=1)
        g = rng.standard_normal(shape, dtype=np.float32).astype(dtype)
        del z, z_t
        call_x = lambda: (None, xl.softmax_vjp(a, g))  # noqa: E731
        call_t = None
        if use_torch:
            a_t, g_t = torch.from_numpy(a), torch.from_numpy(g)
            def call_t():
                return None, torch._softmax_backward_data(g_t, a_t, 1, a_t.dtype)
        return call_x, call_t, a.nbytes

    if path == "binary_cross_entropy_with_logits":
        y = (rng.random(shape) < 0.5).astype(dtype)
        call_x = lambda: xl.binary_cross_entropy_with_logits_value_and_grad(z, y)  # noqa: E731
        call_t = None
        if use_torch:
            y_t = torch.from_numpy(y)
            call_t = torch_loss_and_grad(lambda: F.binary_cross_entropy_with_logits(z_t, y_t))
        return call_x, call_t, z.nbytes

    kw = {"label_smoothing": 0.1} if "label_smoothing" in path else {}
    if "probability" in path:
        target = xl.softmax(rng.standard_normal(shape, dtype=np.float32).astype(dtype), axis=1)
    else:
        target = rng.integers(0, C, shape[:1] + shape[2:])
    call_x = lambda: xl.cross_entropy_value_and_grad(z, target, **kw)  # noqa: E731
    call_t = None
    if use_torch:
        target_t = torch.from_numpy(target)
        call_t = torch_loss_and_grad(lambda: F.cross_entropy(z_t, target_t, **kw))
    return call_x, call_t, z.nbytes


def check_agreement(call_x, call_t, dtype):
    loss, grad = call_x()
    t_loss, t_grad = call_t()
    rtol = 1e-4 if dtype == "float32" else 1e-10
    scale = float(np.max(np.abs(t_grad.numpy())))
    if loss is not None:
        assert np.allclose(loss, t_loss.numpy(), rtol=rtol), (loss, t_loss)
    assert np.allclose(grad, t_grad.numpy(), rtol=rtol, atol=rtol * scale)


def time_pair(call_x, call_t, rounds, clock):
    """Per-round times of the two calls, run in turn, the first alternating."""
    call_x()
    if call_t is not None:
        call_t()
    times_x, times_t = [], []
    for r in range(rounds):
        pairs = [(call_x, times_x)] + ([(call_t, times_t)] if call_t is not None else [])
        for call, times in pairs if r % 2 == 0 else pairs[::-1]:
            gc.collect()
            start = clock()
            call()
            times.append(clock() - start)
    return np.array(times_x), np.array(times_t) if call_t is not None else None


def tracemalloc_peak(call):
    """Extra peak bytes of one call, as NumPy reports its allocations to tracemalloc."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = call()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del result
    return peak - before


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def rss_peak(call):
    """Extra peak resident bytes of one call (Linux: VmHWM after a reset)."""
    call()  # a warm-up, so that one-time initialisation is not counted
    gc.collect()
    before = _status_kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current resident size
    result = call()
    peak = _status_kib("VmHWM")
    del result
    return (peak - before) * 1024


def memory_worker(index):
    """Run in a child process: print the RSS-measured extra peaks of one row as JSON."""
    path, shape, dtype = ROWS[index]
    call_x, call_t, ref = make_case(path, shape, dtype)
    out = {"xentlib": rss_peak(call_x) / ref}
    if call_t is not None:
        out["torch"] = rss_peak(call_t) / ref
    print(json.dumps(out))


def memory_by_rss(index):
    """The RSS measurement of one row, in a child process with unmapped large blocks."""
    if not os.path.exists("/proc/self/clear_refs"):
        return {}
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_="65536")
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-worker",
                           str(index)], env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per row")
    parser.add_argument("--only", default="", help="rows whose path contains this text")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    parser.add_argument("--rss", action="store_true",
                        help="also show xentlib's peak measured like PyTorch's (RSS)")
    parser.add_argument("--reuse-memory", action="store_true",
                        help="keep freed memory in the process (glibc settings), so that "
                             "no call pays for fresh pages: compute and memory traffic only")
    parser.add_argument("--memory-worker", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reuse_memory and any(os.environ.get(k) != v for k, v in REUSE_MEMORY.items()):
        # glibc reads these when the process starts: start again with them set.
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, **REUSE_MEMORY})
    if torch is not None:
        torch.set_num_threads(1)
    if args.memory_worker is not None:
        memory_worker(args.memory_worker)
        return
    clock = time.process_time if args.clock == "cpu" else time.perf_counter

    if args.reuse_memory:
        print("Freed memory is kept for reuse (--reuse-memory): after the warm-up, no call maps fresh pages.")
    print(f"NumPy {np.__version__}, Python {platform.python_version()}, {platform.machine()}, "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    probe = np.empty((1, _compiled.MIN_SIZE))
    if _compiled.kernel("softmax_vjp_rows", probe, probe, probe) is not None:
        print(f"Numba {importlib.metadata.version('numba')}: softmax_vjp runs its compiled loop")
    else:
        print("softmax_vjp runs its NumPy passes (Numba is not installed, or "
              "XENTLIB_NUMPY_ONLY is set): pip install 'xentlib[fast]' for the compiled loop")
    if torch is None:
        print("PyTorch is not installed: its columns show '-' (pip install torch==2.13.0).")
    else:
        print(f"PyTorch {torch.__version__}; one thread each; {args.clock} time, median of "
              f"{args.rounds} alternating rounds")
    head = ["path", "shape, dtype", "xentlib ms", "torch ms", "xentlib / torch",
            "extra peak memory, x logits: xentlib", "(torch)"]
    if args.rss:
        head.append("xentlib by RSS")
    print()
    print("| " + " | ".join(head) + " |")
    print("|" + "|".join(" --- " for _ in head) + "|")
    for index, (path, shape, dtype) in enumerate(ROWS):
        if args.only not in path:
            continue
        call_x, call_t, ref = make_case(path, shape, dtype)
        if call_t is not None:
            check_agreement(call_x, call_t, dtype)
        times_x, times_t = time_pair(call_x, call_t, args.rounds, clock)
        mem_x = tracemalloc_peak(call_x) / ref
        rss = memory_by_rss(index) if call_t is not None or args.rss else {}
        del call_x, call_t
        cells = [path, f"{shape}, {dtype}", f"{np.median(times_x) * 1e3:.1f}"]
        if times_t is None:
            cells += ["-", "-"]
        else:
            cells += [f"{np.median(times_t) * 1e3:.1f}", f"{np.median(times_x / times_t):.2f}"]
        cells += [f"{mem_x:.2f}", f"({rss['torch']:.2f})" if "torch" in rss else "-"]
        if args.rss:
            cells.append(f"{rss['xentlib']:.2f}" if "xentlib" in rss else "-")
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
