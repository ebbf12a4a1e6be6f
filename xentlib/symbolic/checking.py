r"""Checking one equality: a proof by SymPy corroborated by tests, or a counterexample.

:func:`check_equal` returns a :class:`Proof` with one of three verdicts:

* **proved**: :mod:`~xentlib.symbolic.proving` reduces the difference of the two sides to
  0, for every value in the stated domain and every size, *and* the two sides agree, and
  are defined, at every test point (``Proof.proved``);
* **tested**: no proof was found (or the sides are undefined somewhere in the stated
  domain) and the two sides agree at every test point (the method says which points;
  ``Proof.ok`` but not ``Proof.proved``);
* **false**: a point where they differ, confirmed with 50-digit arithmetic
  (``Proof.counterexample``). A proof that a test point contradicts is a refutation.

The proof and the tests are independent: the proof works on the lines after SymPy's
``doit()``; the tests substitute concrete sizes and indices into the lines as written
(sums written out, products multiplied out) and only then evaluate derivatives, so a
rewriting SymPy gets wrong (a captured index, a Piecewise differentiated branch by
branch) cannot make both agree. Before either, :mod:`~xentlib.symbolic.audit` rebuilds the
symbols from what the page shows.

How a step is tested, at which sizes, index values and points, is the subject of
:mod:`~xentlib.symbolic.testing`. Every stage runs under a time budget
(:mod:`~xentlib.symbolic.budgets`), so that a step gets its verdict within about half a
minute.
"""

import dataclasses
import warnings

import numpy as np
import sympy as sp

from xentlib.symbolic.audit import (
    CheckError,
    audit,
    lines_of,
    separate_bound_indices,
)
from xentlib.symbolic.budgets import within
from xentlib.symbolic.conditions import _conditions
from xentlib.symbolic.expressions import evaluate
from xentlib.symbolic.evaluation import HP_RTOL
from xentlib.symbolic.proving import domain_symbols, prove_zero
from xentlib.symbolic.sampling import (
    STAND_INS,
    stand_ins,
    undefined_functions,
    with_stand_ins,
)
from xentlib.symbolic.testing import (
    Counterexample,
    _Tested,
    _bounds,
    _content_seed,
    _cross_check_derivatives,
    _describe_domain,
    _floats,
    _indices,
    _natural_key,
    _sizes,
    _test_general,
    _test_points,
)

__all__ = ["CheckError", "Counterexample", "Proof", "check_equal"]

# Test points for a step without general sizes (per index choice with sizes: see
# testing).
NUM_POINTS = 256
# A float constant (0.1) is exact to about 16 digits only.
FLOAT_RTOL = 1e-13
# Time budgets in seconds of processor time: evaluating the lines (doit), all the tests
# (each 50-digit evaluation has its own, see evaluation), the cheap proof and the
# thorough one, and the derivatives' numerical cross-check. Together about 30 s at most.
EVALUATE_SECONDS = 6.0
TESTS_SECONDS = 10.0
PROOF_SECONDS = 6.0
THOROUGH_SECONDS = 6.0
DERIVATIVE_SECONDS = 3.0


# ---------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Proof:
    """Outcome of :func:`check_equal`.

    Attributes:
      ok: whether the two sides are equal (under the conditions): proved, or tested
        without a counterexample.
      method: a sentence for the reader saying how: ``"proved: ..."``,
        ``"tested at N points (...), not proved"``, or how a failure was found.
      counterexample: a :class:`Counterexample` when ``ok`` is false and one was found.
      proved: whether ``ok`` rests on a symbolic proof (for every value of the domain and
        every size), not only on test points.
      assumptions: LaTeX texts of what the verdict relied on beyond the conditions
        (declared symbol assumptions such as ``p > 0``, index ranges), for the reader.
    """

    ok: bool
    method: str
    counterexample: Counterexample = None
    proved: bool = False
    assumptions: tuple = ()



# ---------------------------------------------------------------------------------------
# The problem: both sides, conditions substituted
# ---------------------------------------------------------------------------------------


def _substitute_all(expr, conditions):
    """Apply every condition's substitutions, before anything is evaluated.

    Substituting first, then ``doit()``, evaluates ``Derivative(L, w)`` given ``L = f(w)``
    as the derivative of ``f(w)`` (not 0), and evaluates a ``Derivative`` that a
    substitution brings in (NumPy cannot print one).
    """
    for c in conditions:
        expr = c.substitute(expr)
    return expr


# ---------------------------------------------------------------------------------------
# check_equal
# ---------------------------------------------------------------------------------------


_KIND_TEXT = {"positive": "> 0", "negative": "< 0", "nonnegative": r"\geq 0"}


def _assumption_texts(exprs, declared, kinds, bounds, sizes, smallest):
    """What the verdict relies on beyond the conditions' texts: the symbols' declared
    domains, the IndexedBases' ones, index ranges, sizes at least 1, and at least the
    largest entry written of a vector of that size."""
    groups = {}
    for s in sorted(declared, key=lambda s: _natural_key(str(s))):
        groups.setdefault(_KIND_TEXT[declared[s]], []).append(sp.latex(s))
    seen_bases = set()
    for e in exprs:
        for x in sorted(e.atoms(sp.Indexed), key=sp.default_sort_key):
            if x.base in seen_bases or x in kinds:
                continue
            seen_bases.add(x.base)
            for test, text in ((x.is_positive, "> 0"), (x.is_negative, "< 0"),
                               (x.is_nonnegative, r"\geq 0")):
                if test:
                    name = f"{sp.latex(x.base.label)}_{{{','.join(map(sp.latex, x.indices))}}}"
                    groups.setdefault(text, []).append(name)
                    break
    texts = [f"${', '.join(names)} {text}$" for text, names in groups.items()]
    by_size = {}
    for idx, n in bounds.items():
        by_size.setdefault(n, []).append(idx)
    for n, idxs in sorted(by_size.items(), key=lambda kv: str(kv[0])):
        names = ", ".join(sp.latex(i) for i in sorted(idxs, key=str))
        texts.append(f"${names} \\in \\{{1, \\dots, {sp.latex(n)}\\}}$")
    alone = [n for n in sizes if n not in by_size and n not in smallest]
    if alone:
        texts.append(f"${', '.join(map(sp.latex, alone))} \\geq 1$")
    # A size an entry written needs (z_2 of a vector of size C): the verdict holds from
    # there on, and says so.
    for n, (least, entry) in sorted(smallest.items(), key=lambda kv: str(kv[0])):
        if n in sizes:
            texts.append(f"${sp.latex(n)} \\geq {least}$ (${sp.latex(sp.Symbol(entry))}$ "
                         "is written)")
    for s in sorted(set().union(*[e.free_symbols for e in exprs]) if exprs else (), key=str):
        if (isinstance(s, sp.Symbol) and s.is_integer and s not in bounds and s not in sizes
                and s.is_positive):
            texts.append(f"${sp.latex(s)} \\geq 1$")
    return tuple(texts)


def check_equal(lhs, rhs, given=None, domain=None, seed=None):
    """Check that two expressions (or Matrices) are equal under some conditions.

    The symbols are rebuilt from what the page shows (see :mod:`~xentlib.symbolic.audit`)
    and the conditions' substitutions applied to both sides. The sides are then compared
    at many test points of the domain, at concrete sizes written out (see the module
    docstring), and SymPy tries to prove the identity (see
    :mod:`~xentlib.symbolic.proving`: sums over a general size in normal form, case splits
    on ``KroneckerDelta``, ``Max``, ``Abs``, ``Piecewise``). A disagreement confirmed at 50
    digits is a counterexample, proof or not; a proof the tests corroborate is a proof;
    without one the step is *tested*, not proved.

    Args:
      lhs, rhs: SymPy expressions or Matrices of the same shape.
      given: a :class:`Condition` or list of them.
      domain: more conditions (e.g. a derivation-wide domain).
      seed: seed of the test points; by default derived from the content of the step.

    Returns:
      A :class:`Proof`.

    Raises:
      TypeError, CheckError: a misuse the step cannot be checked with (a string or an
        equation as a side, an assumption the page does not show, contradictory
        conditions, a condition about a size no sum runs to); the message names it.

    Examples:
      >>> import sympy as sp
      >>> from xentlib.symbolic import sigmoid
      >>> z = sp.Symbol("z", real=True)
      >>> p = check_equal(sp.diff(sigmoid(z), z), sigmoid(z) * (1 - sigmoid(z)))
      >>> p.proved, p.method
      (True, 'proved: SymPy simplifies the difference to 0')
      >>> p = check_equal(sp.diff(sigmoid(z), z), sigmoid(z) * (1 + sigmoid(z)))
      >>> p.ok, p.method
      (False, 'false: a counterexample among the test points')
      >>> print(p.counterexample)
      at z = 1: 0.1966 != 1.266
    """
    (lhs_entries, lshape), (rhs_entries, rshape) = lines_of(lhs, rhs)
    if lshape != rshape:
        return Proof(False, f"shapes differ: {lshape or 'scalar'} and {rshape or 'scalar'}")
    step = audit(lhs_entries + rhs_entries, _conditions(given) + _conditions(domain))
    conditions, kinds, simplex = step.conditions, step.kinds, step.simplex
    n_lhs = len(lhs_entries)
    shown_sizes = set(_sizes(step.lines))
    for c in conditions:
        if c.size is not None and shown_sizes and c.size not in shown_sizes:
            runs_to = ", ".join(map(str, sorted(shown_sizes, key=str)))
            raise CheckError(f"{c.text} is stated for the size {c.size}, but the sums of "
                             f"this step run to {runs_to}")
    # SymPy may use what the page shows: each symbol with the domain stated for it
    # (an integral over t of e^{-t^2/(2v)} converges for v > 0).
    domains = domain_symbols(step.lines + [sp.sympify(v) for c in conditions
                                           for kv in c.substitutions.items() for v in kv],
                             kinds)
    if domains:
        conditions = [c.rebuilt(domains) for c in conditions]
        kinds = {domains.get(s, s): kind for s, kind in kinds.items()}
        simplex = [tuple(domains.get(s, s) for s in g) for g in simplex]
    lines = [e.xreplace(domains) for e in step.lines]
    written = [separate_bound_indices(_substitute_all(e, conditions)) for e in lines]
    finished, evaluated = within(EVALUATE_SECONDS, lambda: [evaluate(e) for e in written])
    if not finished:
        return Proof(False, f"no verdict: SymPy could not evaluate the lines within "
                            f"{EVALUATE_SECONDS:g} s")
    sizes = sorted(set(_sizes(written)) | set(_sizes(evaluated)), key=str)
    indices = _indices(written + evaluated, sizes)
    bounds, smallest = _bounds(written + evaluated, sizes, indices)
    substitutions = [kv for c in conditions for kv in c.substitutions.items()]
    shown = lines + [sp.sympify(v) for _, v in substitutions]
    visible = set().union(*[e.free_symbols for e in shown])
    assumptions = _assumption_texts(shown, step.declared, kinds, bounds if sizes else {},
                                    [s for s in sizes if s in visible], smallest)

    def verdict(ok, method, ce=None, proved=False):
        return Proof(ok, method, ce, proved, assumptions)

    floats = _floats(lhs_entries + rhs_entries)
    if floats:
        warnings.warn(
            f"the float constant {float(floats[0]):g} rounds: SymPy cannot prove a step with it; "
            "write it exactly, e.g. sp.Rational(1, 10) or sp.nsimplify(expr)",
            stacklevel=3)
    L, R = evaluated[:n_lhs], evaluated[n_lhs:]
    if seed is None:
        seed = _content_seed(*lhs_entries, *rhs_entries, *[c.text for c in conditions])
    rng = np.random.default_rng(seed)
    found = _Tested()
    rtol = FLOAT_RTOL if floats else HP_RTOL
    # Integer indices without a size (delta_{i1}) take integer values, like sizes' indices.
    integer_indices = [s for s in indices if any(
        s in d.free_symbols for e in L + R for d in e.atoms(sp.KroneckerDelta))]

    def test(lines, lines_evaluated, n_points):
        if sizes or integer_indices:
            _test_general(lines[:n_lhs], lines[n_lhs:], lshape, conditions, kinds, sizes,
                          indices, bounds, smallest, substitutions, rng, found, rtol)
        else:
            _test_points(lines_evaluated[:n_lhs], lines_evaluated[n_lhs:], lshape, kinds,
                         simplex, substitutions, rng, n_points, found, None, rtol)
            symbols = set().union(*[e.free_symbols for e in lines_evaluated])
            found.tried = _describe_domain(symbols, kinds, simplex)

    functions = undefined_functions(written)
    if not functions:
        within(TESTS_SECONDS, test, written, evaluated, NUM_POINTS)
    else:
        # An undefined function cannot be evaluated: concrete smooth functions stand in
        # for it, one assignment after the other, in the lines as written.
        def test_stand_ins():
            for assignment in stand_ins(functions, rng):
                concrete = [with_stand_ins(e, assignment) for e in written]
                test(concrete, [evaluate(e) for e in concrete], NUM_POINTS // STAND_INS)
                if found.counterexample is not None:
                    found.stand_in = "; ".join(
                        f"{f}({', '.join(map(str, lam.variables))}) = {lam.expr}"
                        for f, lam in assignment.items())
                    return

        within(TESTS_SECONDS, test_stand_ins)
        names = ", ".join(sorted(map(str, functions)))
        found.tried = list(found.tried) + [f"{STAND_INS} smooth functions in place of {names}"]
    if found.counterexample is None:
        # With the first stand-ins, if any: a derivative of f is that of a concrete f.
        first = stand_ins(functions, np.random.default_rng(seed), 1)[0] if functions else {}
        within(DERIVATIVE_SECONDS, _cross_check_derivatives,
               [with_stand_ins(e, first) for e in written], kinds, sizes, indices, bounds,
               smallest, rng, found)
        if found.derivative is not None:
            return verdict(False, f"false: {found.derivative}", found.counterexample)
    if found.counterexample is not None:
        why = f" ({found.missing})" if found.missing else ""
        if found.stand_in:
            why += f", with {found.stand_in} standing in"
        return verdict(False, f"false: a counterexample among the test points{why}",
                       found.counterexample)

    def prove(thorough):
        if floats:
            return None
        notes = set()
        for l, r in zip(L, R):
            done, result = within(THOROUGH_SECONDS if thorough else PROOF_SECONDS,
                                  prove_zero, l - r, kinds, bounds, conditions,
                                  thorough=thorough)
            if not done or result is None:
                return None
            notes |= result
        return notes

    notes = prove(thorough=False)
    if notes is None and not sizes:
        notes = prove(thorough=True)
    if notes is not None and found.undefined is None:
        return verdict(True, _proved_text(notes, sizes, L + R, smallest), proved=True)
    if not found.evaluable:
        return verdict(False, "inconclusive: SymPy does not simplify the difference to 0 "
                              "and it cannot be evaluated at test points")
    note = f" ({'; '.join(found.tried)})" if found.tried else ""
    if floats:
        note += f"; the float constant {float(floats[0]):g} prevents a proof"
    if found.undefined is not None:
        at = found.undefined.point()
        why = f" ({found.missing})" if found.missing else ""
        return verdict(True, f"tested at {found.agreeing} points{note}; not proved: both "
                             f"sides are undefined at {at}{why}, state the domain where "
                             "they are defined")
    if found.agreeing < 20:
        return verdict(False, f"inconclusive: only {found.agreeing} test points are in the "
                              "domain of both sides (state it with positive / "
                              "in_open_unit_interval / Given)")
    if found.unsettled is not None:
        note += (f"; the sides differ in floating point at {found.unsettled.point()}, "
                 "where the 50-digit confirmations ran out")
    return verdict(True, f"tested at {found.agreeing} points{note}, not proved")



def _proved_text(notes, sizes, exprs, smallest):
    text = "proved: SymPy simplifies the difference to 0"
    if notes:
        text += " in each case (" + "; ".join(sorted(notes)) + ")"
    if sizes:
        names = ", ".join(_size_range(s, smallest) for s in sizes)
        no_sums = not any(e.has(sp.Sum, sp.Product) for e in exprs)
        polynomial = no_sums and all(e.is_polynomial(*sizes) for e in exprs)
        text += f" for every {names}"
        if polynomial:
            text += f" (both sides are polynomials in {', '.join(map(str, sizes))})"
    return text


def _size_range(size, smallest):
    """``"C"``, or ``"C ≥ 2 (z_2 is written)"`` where an entry written needs that size."""
    if size not in smallest:
        return str(size)
    least, entry = smallest[size]
    return f"{size} ≥ {least} ({entry} is written)"
