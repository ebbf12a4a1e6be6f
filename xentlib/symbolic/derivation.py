r"""A derivation: a chain of equalities, each step checked when it is written.

:class:`Derivation` holds the chain; each :meth:`Derivation.step` is compared with the
line before by :func:`~xentlib.symbolic.checking.check_equal` and records its verdict
(proved, tested, or false with a counterexample). :func:`tally` counts the verdicts of
every derivation built in this session, the line each chapter of the book ends with.
"""

import dataclasses
import re

import sympy as sp
from sympy.matrices import MatrixBase

from xentlib.symbolic import rendering
from xentlib.symbolic.audit import CheckError, one_symbol_per_name
from xentlib.symbolic.checking import Counterexample, check_equal
from xentlib.symbolic.conditions import _conditions
from xentlib.symbolic.testing import _fmt_pair

__all__ = ["Derivation", "DerivationError", "Step", "Tally", "tally", "vanished_functions"]


class DerivationError(AssertionError):
    """A step of a :class:`Derivation` is not equal to the one before it (or, with
    ``require_proof=True``, was only tested).

    The message names the step's index and reason and gives the counterexample.

    Attributes:
      step: the failed :class:`Step`.
    """

    def __init__(self, message, step=None):
        super().__init__(message)
        self.step = step


@dataclasses.dataclass
class Step:
    """One link of a derivation.

    Attributes:
      index: 1 for the first step after the start expression.
      expr: the expression (or Matrix) of this step, the one that is checked.
      reason: why it equals the previous one (plain text, ``$...$`` math allowed).
      given: the conditions it relies on (list of :class:`Condition`).
      ok: whether it follows from the line before: proved, or tested without a
        counterexample.
      method: a sentence saying how (``"proved: ..."`` or ``"tested at ..., not proved"``).
      counterexample: a :class:`Counterexample` for a false step.
      proved: whether ``ok`` rests on a symbolic proof, not only on test points.
      display: LaTeX the reader sees instead of SymPy's printing of ``expr`` (or None).
      assumptions: LaTeX texts of what the verdict relied on beyond ``given`` (declared
        symbol assumptions, index ranges), shown beside the step.
    """

    index: int
    expr: object
    reason: str
    given: list
    ok: bool
    method: str
    counterexample: Counterexample = None
    proved: bool = False
    display: str = None
    assumptions: list = dataclasses.field(default_factory=list)

    @property
    def verdict(self):
        """``"proved"``, ``"tested"`` or ``"failed"``."""
        if not self.ok:
            return "failed"
        return "proved" if self.proved else "tested"

    def failure_message(self):
        """A sentence naming the step, its reason and its counterexample."""
        msg = f'step {self.index}, "{self.reason}", does not follow from the line before'
        ce = self.counterexample
        if ce is None:
            return f"{msg}: {self.method}"
        at = f" at {ce.point()}" if ce.values else ""
        where = f", entry {ce.entry_label()}" if ce.entry is not None else ""
        left, right = _fmt_pair(ce.lhs, ce.rhs)
        return f"{msg}:{at}{where} the line before is {left} and this step is {right}"


class Derivation:
    r"""A chain of equalities, each step checked by SymPy when it is added.

    Build it like a derivation on paper: the left-hand side and a start expression, then
    ``.step(expr, reason)`` for each line. Every step is compared with the previous line
    by :func:`check_equal` under the derivation's ``domain`` and the ``given`` conditions
    of this step and of the steps before it (what a step assumes stays assumed below it,
    as on paper; it is shown once, beside the step that introduces it).

    Each step gets one of three verdicts, marked differently wherever it is shown:
    *proved* (✓, SymPy reduced the difference to 0 for every value of the domain and
    every size, and the two lines agree and are defined at every test point), *tested*
    (≈, no proof was found and the two lines agree at every test point; the mark carries
    what was tried), or *false* (✗, with a counterexample, which overrides a proof). A
    step that relies on something the page does not show (a symbol declared ``even``, a
    domain contradicting a declaration), that uses one name for two different symbols
    (``sp.Symbol("t")`` and ``sp.Symbol("t", real=True)``, anywhere in the chain), or
    whose ``display`` names a function (``\log``, ``\exp``, ``\sqrt``, ``\lvert``) that
    neither line checked contains (SymPy evaluated it away when the line was built)
    raises :class:`CheckError` where it is written. A false step raises
    :class:`DerivationError` at once (so a notebook with a wrong derivation fails its
    run), unless ``strict=False``, which records it (for errata).
    With ``require_proof=True`` a step that is only tested raises too: use it for the
    results a chapter claims for every size.

    In JupyterLab and on the book's site it displays as HTML (one row per line, its
    reason and mark beside it); the LaTeX and text forms carry the same marks.

    Args:
      lhs: the left-hand side, a LaTeX string (e.g. ``r"\frac{\partial L}{\partial z}"``)
        or a SymPy expression.
      start: the first expression (or Matrix) of the chain.
      domain: conditions that hold for every step (a :class:`Condition` or list).
      name: optional title.
      strict: raise on a false step (default) or record it.
      require_proof: raise on a step that is only tested.
      display: LaTeX shown for ``start`` instead of SymPy's printing (e.g. a short
        hand-written form, with SymPy's raw derivative as the checked start behind it).

    Attributes:
      steps: the list of :class:`Step` (without the start); the properties ``result``
        (the last expression), ``ok`` (no step false) and ``proved`` (every step proved)
        summarise it.

    Examples:
      >>> import sympy as sp
      >>> from xentlib.symbolic import Given, sigmoid
      >>> z, a = sp.symbols("z a", real=True)
      >>> d = Derivation(r"\frac{d\sigma}{dz}", sp.Derivative(sigmoid(z), z),
      ...                name="derivative of the sigmoid")
      >>> d = d.step(sp.exp(-z) / (1 + sp.exp(-z))**2, "quotient rule")
      >>> d = d.step(a * (1 - a), r"$1 - \sigma(z) = e^{-z} \sigma(z)$",
      ...            given=Given({a: sigmoid(z)}, r"$a = \sigma(z)$"), display=r"a(1 - a)")
      >>> print(repr(d))
      Derivation: derivative of the sigmoid
        \frac{d\sigma}{dz}
          = Derivative(1/(1 + exp(-z)), z)
          = exp(-z)/(1 + exp(-z))**2   ✓ quotient rule
          = a*(1 - a)   ✓ $1 - \sigma(z) = e^{-z} \sigma(z)$; given $a = \sigma(z)$
      >>> d.steps[1].proved, d.steps[1].method
      (True, 'proved: SymPy simplifies the difference to 0')
      >>> d.step(a * (1 + a), "flipped sign", given=Given({a: sigmoid(z)}))
      Traceback (most recent call last):
        ...
      xentlib.symbolic.DerivationError: step 3, "flipped sign", does not follow from
      the line before: at z = -1, a = 0.2689 the line before is 0.1966 and this step is 0.3413
    """

    def __init__(self, lhs, start, *, domain=None, name=None, strict=True,
                 require_proof=False, display=None):
        if isinstance(lhs, str):
            self.lhs = lhs
        elif isinstance(lhs, (sp.Basic, MatrixBase)):
            self.lhs = sp.latex(lhs)
        else:
            raise TypeError(f"lhs must be a LaTeX string or a SymPy expression, got {lhs!r}")
        if not isinstance(start, (sp.Basic, MatrixBase, int, float)):
            raise TypeError(f"start must be a SymPy expression or Matrix, got {start!r}")
        self.start = start if isinstance(start, MatrixBase) else sp.sympify(start)
        self.display = _check_display(display)
        self.domain = _conditions(domain)
        _check_shown_functions(self.display, [self.start], self.domain, "the start")
        self.name = name
        self.strict = strict
        self.require_proof = require_proof
        self.steps = []
        # Each name means one symbol in the whole chain (name -> (symbol, where)).
        self._names = one_symbol_per_name(_entries(self.start), self.domain,
                                          lines_are="the start")
        _LEDGER.append(self)

    @property
    def result(self):
        """The last expression of the chain."""
        return self.steps[-1].expr if self.steps else self.start

    @property
    def ok(self):
        """True when no step is false (each was proved or tested)."""
        return all(s.ok for s in self.steps)

    @property
    def proved(self):
        """True when every step was proved."""
        return all(s.proved for s in self.steps)

    def step(self, expr, reason, given=None, display=None):
        """Add a line, check it against the previous one, and return the derivation.

        Args:
          expr: the new expression (or Matrix); this is what is checked.
          reason: a short reason; ``$...$`` is math.
          given: conditions the step relies on (:class:`Condition` or list).
          display: LaTeX the reader sees instead of SymPy's printing of ``expr``, e.g.
            ``r"\\sigma(z_1 - z_2)"`` where SymPy would print the expanded fraction.

        Returns:
          ``self``, so steps can be chained and the last one displays the chain.

        Raises:
          DerivationError: the step is false and the derivation is strict, or it was only
            tested and the derivation requires proofs.
        """
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("every step needs a reason (a non-empty string)")
        rendering.latex_text(reason)
        if not isinstance(expr, (sp.Basic, MatrixBase, int, float)):
            raise TypeError(f"expr must be a SymPy expression or Matrix, got {expr!r}")
        expr = expr if isinstance(expr, MatrixBase) else sp.sympify(expr)
        display = _check_display(display)
        given = _conditions(given)
        # What a step assumes stays assumed below it, as on paper.
        earlier = [c for st in self.steps for c in st.given]
        _check_shown_functions(display, [self.result, expr], self.domain + earlier + given,
                               f"step {len(self.steps) + 1}")
        names = one_symbol_per_name(_entries(expr), given, dict(self._names),
                                    lines_are=f"step {len(self.steps) + 1}")
        proof = check_equal(self.result, expr, given=earlier + given, domain=self.domain)
        shown = {t for st in self.steps for t in st.assumptions}
        assumptions = [t for t in proof.assumptions if t not in shown]
        step = Step(len(self.steps) + 1, expr, reason, given, proof.ok, proof.method,
                    proof.counterexample, proof.proved, display, assumptions)
        if not step.ok and self.strict:
            raise DerivationError(step.failure_message(), step)
        if step.ok and not step.proved and self.require_proof:
            raise DerivationError(
                f'step {step.index}, "{reason}", was only tested, not proved '
                f"({step.method}), and this derivation requires proofs", step)
        self.steps.append(step)
        self._names = names
        return self

    def to_latex(self):
        r"""The chain as ``$$\begin{aligned} ... \end{aligned}$$``."""
        return rendering.to_latex(self)

    def to_html(self):
        """The chain as HTML: one row per line, each with its reason and mark."""
        return rendering.to_html(self)

    def _repr_latex_(self):
        return self.to_latex()

    def _repr_html_(self):
        return self.to_html()

    def __repr__(self):
        return rendering.to_text(self)


# Functions a display may name, and how each shows in a line SymPy has built. These are
# the ones SymPy evaluates away on sight (exp(log(a)) is a, sqrt(a)**2 is a,
# log(exp(z)) is z for a real z, Abs(a) is a for a positive a), each dropping a condition
# for the line to be defined.
_DISPLAY_FUNCTIONS = {
    r"\\log": ("log", lambda e: e.has(sp.log)),
    r"\\ln": ("log", lambda e: e.has(sp.log)),
    r"\\exp": ("exp", lambda e: e.has(sp.exp)),
    r"\\sqrt": ("sqrt", lambda e: any(p.exp.is_Rational and not p.exp.is_Integer
                                      for p in e.atoms(sp.Pow))),
    r"\\lvert|\\left\||\\left\\lvert": ("Abs", lambda e: e.has(sp.Abs)),
}


def vanished_functions(display, exprs):
    r"""The functions ``display`` names that no expression of ``exprs`` contains.

    A function SymPy simplified away when the line was built (``sp.exp(sp.log(a))`` is
    ``a`` at once) is invisible to the check, which would then prove for every ``a`` what
    the reader sees only for ``a > 0``.

    Examples:
      >>> import sympy as sp
      >>> a = sp.Symbol("a", real=True)
      >>> vanished_functions(r"\exp(\log a)", [sp.exp(sp.log(a))])
      ['exp', 'log']
      >>> vanished_functions(r"\exp(\log a)", [sp.exp(sp.log(a), evaluate=False)])
      []
    """
    exprs = [sp.sympify(e) for e in exprs]
    missing = set()
    for pattern, (name, present) in _DISPLAY_FUNCTIONS.items():
        if re.search(f"(?:{pattern})(?![a-zA-Z])", display) and not any(map(present, exprs)):
            missing.add(name)
    return sorted(missing)


# A display that differentiates (d/dz, a partial, a gradient) shows functions the
# derivative legitimately removes.
_DERIVATIVE = re.compile(r"\\frac\{\s*(?:d|\\mathrm\{d\}|\\partial)|\\partial|\\nabla")


def _check_shown_functions(display, lines, conditions, what):
    """Refuse a display that names a function neither checked line has (see
    :func:`vanished_functions`)."""
    if display is None or _DERIVATIVE.search(display):
        return
    values = [v for c in conditions for v in c.substitutions.values()]
    entries = [x for e in lines for x in _entries(e)]
    missing = vanished_functions(display, entries + values)
    if missing:
        names = ", ".join(missing)
        raise CheckError(
            f"{what}: the display shows {names}, but no line checked has {names}: "
            "SymPy simplified it away when the line was built (sp.exp(sp.log(a)) is "
            "already a), so the check would not see where the line is defined. Build "
            "the line unevaluated, e.g. sp.exp(sp.log(a), evaluate=False) or "
            "sp.exp(sp.UnevaluatedExpr(sp.log(a))), and state the domain where it is "
            "defined (positive(a)); or display the line as checked")


def _entries(expr):
    return list(expr) if isinstance(expr, MatrixBase) else [expr]


def _check_display(display):
    if display is None:
        return None
    if not isinstance(display, str) or not display.strip():
        raise TypeError(f"display must be a non-empty LaTeX string, got {display!r}")
    if re.search(r"(?<!\\)\$", display):
        raise ValueError("display is LaTeX already: write it without $ signs")
    return display


# Every derivation built in this session, for tally().
_LEDGER = []


@dataclasses.dataclass(frozen=True)
class Tally:
    """How many steps of this session's derivations were proved, tested and refuted.

    Its text is the line a chapter ends with, ``This page: N steps proved, M tested.``
    (with ``, K refuted`` when a derivation recorded false steps, as on the errata page).
    """

    proved: int
    tested: int
    refuted: int = 0

    def __repr__(self):
        noun = "step" if self.proved == 1 else "steps"
        refuted = f", {self.refuted} refuted" if self.refuted else ""
        return f"This page: {self.proved} {noun} proved, {self.tested} tested{refuted}."


def tally():
    """Count the verdicts of the steps of every derivation built in this session.

    A derivation built twice (a notebook cell run again) counts once: derivations are
    told apart by their content.

    Returns:
      A :class:`Tally`; its repr is ``This page: N steps proved, M tested.``

    Examples:
      >>> tally()  # doctest: +SKIP
      This page: 12 steps proved, 3 tested.
    """
    seen, proved, tested, refuted = set(), 0, 0, 0
    for d in _LEDGER:
        key = repr(d)
        if key in seen:
            continue
        seen.add(key)
        for s in d.steps:
            if not s.ok:
                refuted += 1
            elif s.proved:
                proved += 1
            else:
                tested += 1
    return Tally(proved, tested, refuted)
