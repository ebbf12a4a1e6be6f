r"""Time budgets: every stage of a check ends in bounded time.

SymPy can take minutes (or hours) on an expression it cannot simplify, and a 50-digit
evaluation can stall on a huge intermediate power. Each stage of a check runs under
:func:`within`, which gives up after its budget and says so, so that a step always gets
a verdict: a stage cut short counts as "no proof found" or "not resolved", never as a
proof.

Budgets count the processor time of this process, not the time on the wall clock, so a
verdict does not depend on what else the machine is doing (a notebook prints the same
marks on every run). On the main thread of a POSIX process (a notebook kernel, a test
run) a budget is enforced by a ``SIGPROF`` timer; elsewhere (another thread, Windows) it
is checked between stages only (:func:`expired`), and the cheap stages run first. An
alarm that lands in a finalizer is dropped silently and fires again a moment later.
"""

import contextlib
import signal
import sys
import threading
import time

__all__ = ["BudgetExceeded", "expired", "within"]


class BudgetExceeded(BaseException):
    """A stage ran out of time (a BaseException, so ``except Exception`` inside SymPy
    does not swallow it)."""


# Deadlines (time.process_time()) of the budgets in force, innermost last.
_DEADLINES = []
# Once a deadline has passed, the timer fires again at this interval until the stage
# really stops (in case a handler somewhere swallowed the first alarm).
_REPEAT = 0.25


def _can_interrupt():
    return (hasattr(signal, "setitimer") and hasattr(signal, "pthread_sigmask")
            and threading.current_thread() is threading.main_thread())


def _on_alarm(signum, frame):
    if _DEADLINES and time.process_time() >= _DEADLINES[-1] - 1e-3:
        raise BudgetExceeded()


def _arm():
    if not _DEADLINES:
        signal.setitimer(signal.ITIMER_PROF, 0)
        return
    remaining = max(_DEADLINES[-1] - time.process_time(), 1e-3)
    signal.setitimer(signal.ITIMER_PROF, remaining, _REPEAT)


def _quiet_unraisable(previous):
    """An unraisable-exception hook that drops a budget's alarm: one that lands in a
    finalizer or a callback cannot stop the stage there (Python reports it on stderr,
    "Exception ignored in ...", and goes on); the alarm fires again shortly, where it can."""

    def hook(unraisable):
        if unraisable.exc_type is BudgetExceeded:
            return
        previous(unraisable)

    return hook


def expired():
    """Whether the innermost budget in force has run out."""
    return bool(_DEADLINES) and time.process_time() >= _DEADLINES[-1]


@contextlib.contextmanager
def _budget(seconds):
    deadline = time.process_time() + seconds
    if _DEADLINES:
        deadline = min(deadline, _DEADLINES[-1])
    interrupt = _can_interrupt()
    previous = previous_hook = None
    if interrupt and not _DEADLINES:
        previous = signal.signal(signal.SIGPROF, _on_alarm)
        previous_hook = sys.unraisablehook
        sys.unraisablehook = _quiet_unraisable(previous_hook)
    _DEADLINES.append(deadline)
    try:
        if interrupt:
            _arm()
        yield
    finally:
        # No alarm while the books are kept: a late one would leave a stale deadline.
        if interrupt:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGPROF})
        try:
            _DEADLINES.pop()
            if interrupt:
                _arm()
                if not _DEADLINES:
                    signal.signal(signal.SIGPROF, previous)
                    sys.unraisablehook = previous_hook
        finally:
            if interrupt:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGPROF})


def within(seconds, fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` for at most ``seconds`` (never beyond an enclosing
    budget).

    Returns:
      ``(finished, value)``: ``(True, fn(...))``, or ``(False, None)`` when the budget
      ran out first.

    Examples:
      >>> within(1.0, sum, [1, 2, 3])
      (True, 6)
    """
    if expired():
        return False, None
    try:
        with _budget(seconds):
            return True, fn(*args, **kwargs)
    except BudgetExceeded:
        if _DEADLINES and expired():
            raise  # the enclosing budget ran out as well: it gives up too
        return False, None
