r"""Machine-checked derivations with SymPy.

The book derives every gradient as a chain of equalities, and this package checks each
link of the chain when it is written. Each step is *proved* (SymPy reduces the difference
of the two lines to 0, for every value of the stated domain and every size, and tests
at concrete points and sizes corroborate it), *tested*
(no proof was found; the lines agree at every test point, and the step says where it was
tested) or *false* (a concrete counterexample). The marks are ✓, ≈ and ✗.

Modules, each readable on its own:

* :mod:`~xentlib.symbolic.expressions`: SymPy counterparts of the numerics in
  :mod:`xentlib` (``sigmoid``, ``softmax``, ``logsumexp``, the binary and categorical
  cross-entropies) and a :func:`lambdify` bridge back to NumPy.
* :mod:`~xentlib.symbolic.conditions`: what a step may rely on (:class:`Given`,
  :func:`sums_to_one`, :func:`one_hot`, :func:`positive`, ...).
* :mod:`~xentlib.symbolic.checking`: :func:`check_equal`, the proof and tests behind
  each step, built on :mod:`~xentlib.symbolic.audit` (symbols rebuilt from what the page
  shows; misuse is a :class:`CheckError`), :mod:`~xentlib.symbolic.testing` (the step
  tested at sizes, indices and points), :mod:`~xentlib.symbolic.sampling` (test
  points, sizes, indices), :mod:`~xentlib.symbolic.evaluation` (floating point and
  50 digits), :mod:`~xentlib.symbolic.proving` and :mod:`~xentlib.symbolic.budgets`
  (every stage in bounded time).
* :mod:`~xentlib.symbolic.derivation`: :class:`Derivation`, the chain, and
  :func:`tally`, the count of verdicts on a page.
* :mod:`~xentlib.symbolic.rendering`: the HTML, LaTeX and text forms of a chain.

Writing a derivation that reads well: start from ``sp.Derivative(...)`` (shown as
d/dz, evaluated for the check after the conditions are substituted, so ``Derivative(L, w)``
given ``L = ...`` is the derivative of what ``L`` stands for); name a sub-expression with a
symbol and state what it stands for, ``given=Given({a: sigmoid(z)}, r"$a = \sigma(z)$")``,
so lines stay short; pass ``display=`` with the LaTeX you would write by hand where
SymPy's printing reorders the expression; state the domain (``positive``,
``in_open_unit_interval``, ``sums_to_one``) wherever a log or a label needs one. For a
general size, write sums with ``IndexedBase`` and ``Sum(..., (k, 1, n))``.

Examples:
  >>> import sympy as sp
  >>> from xentlib import symbolic as xs
  >>> z = sp.Symbol("z", real=True)
  >>> d = xs.Derivation(r"\sigma'(z)", sp.diff(xs.sigmoid(z), z))
  >>> d = d.step(xs.sigmoid(z) * (1 - xs.sigmoid(z)), r"$\sigma = 1/(1+e^{-z})$",
  ...            display=r"\sigma(z)\,(1 - \sigma(z))")
  >>> d.steps[0].ok, d.steps[0].proved
  (True, True)
"""

import importlib.util

if importlib.util.find_spec("sympy") is None:
    raise ImportError(
        'xentlib.symbolic needs SymPy, which is not installed: pip install "xentlib[symbolic]"'
    )

from xentlib.symbolic.checking import CheckError, Counterexample, Proof, check_equal
from xentlib.symbolic.conditions import (
    Condition,
    Given,
    in_open_unit_interval,
    negative,
    nonnegative,
    one_hot,
    positive,
    sums_to_one,
)
from xentlib.symbolic.derivation import Derivation, DerivationError, Step, Tally, tally
from xentlib.symbolic.expressions import (
    bce_with_logits,
    bce_with_logits_stable,
    binary_cross_entropy,
    cross_entropy,
    grad,
    lambdify,
    logsumexp,
    sigmoid,
    softmax,
    symbols_vector,
)

__all__ = [
    "CheckError",
    "Condition",
    "Counterexample",
    "Derivation",
    "DerivationError",
    "Given",
    "Proof",
    "Step",
    "Tally",
    "bce_with_logits",
    "bce_with_logits_stable",
    "binary_cross_entropy",
    "check_equal",
    "cross_entropy",
    "grad",
    "in_open_unit_interval",
    "lambdify",
    "logsumexp",
    "negative",
    "nonnegative",
    "one_hot",
    "positive",
    "sigmoid",
    "softmax",
    "sums_to_one",
    "symbols_vector",
    "tally",
]

# Tracebacks name the error where readers import it from.
DerivationError.__module__ = __name__
CheckError.__module__ = __name__
