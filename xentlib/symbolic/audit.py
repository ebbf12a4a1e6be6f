r"""What a check may assume: exactly what the page shows.

A step's verdict must be about the lines the reader sees, under the conditions printed
beside it. SymPy symbols carry assumptions of their own (``positive=True``,
``even=True``, ``commutative=False``) that a proof would use silently, so before
anything is checked every symbol is rebuilt from what the page displays:

* a symbol is a real number; declared ``positive``, ``negative`` or ``nonnegative``, it
  is that too, and the derivation prints it beside the step;
* one name is one symbol: ``sp.Symbol("t")`` in a condition and
  ``sp.Symbol("t", real=True)`` in the lines print alike but are two variables, and a
  condition on one would say nothing about the other, so that is an error naming both;
* an index or a size is an integer (a size at least 1); a free index lies in
  ``1..size`` (printed as well); for an index that picks an entry with a stride
  (``x_{2k}``), :func:`index_range` gives the values for which that entry exists;
* substitutions that mention each other (``a = sigma(z)``, ``s = a (1 - a)``, in one
  condition or in several) are applied until no key is left; a cycle is an error;
* the conditions' domains on one symbol intersect (``a > 0`` and ``a \in (0, 1)`` is
  ``a \in (0, 1)``); conditions that contradict each other, or a declared assumption, are
  an error;
* any other assumption (``even``, ``prime``, ``zero``, an assumption on a function),
  a non-commutative symbol, a ``MatrixSymbol``, an equation used as a line, an index that
  is not an integer: an error naming it, raised where the step was written.

A summation index that is also used free in the same line (``sum_j e^{z_j}`` inside
``d/dz_j``) is renamed, so that nothing differentiates through a bound index.
"""

import dataclasses
import functools

import sympy as sp
from sympy.core.assumptions import _assume_defined
from sympy.core.function import AppliedUndef

from xentlib.symbolic.conditions import resolved
from sympy.matrices import MatrixBase
from sympy.matrices.expressions import MatrixExpr

__all__ = ["Audited", "audit", "declaration", "index_range", "lines_of",
           "one_symbol_per_name", "separate_bound_indices"]

# Declared assumptions the page can show (as a domain) or that only say "a number".
_HARMLESS = {"real", "complex", "extended_real", "finite", "commutative", "hermitian",
             "infinite", "imaginary", "algebraic", "transcendental"}
_SHOWN = {"positive": "positive", "negative": "negative", "nonnegative": "nonnegative"}
# Domain kinds on one symbol intersect; a missing pair is a contradiction.
_MEET = {
    frozenset({"positive"}): "positive",
    frozenset({"negative"}): "negative",
    frozenset({"nonnegative"}): "nonnegative",
    frozenset({"unit"}): "unit",
    frozenset({"positive", "nonnegative"}): "positive",
    frozenset({"unit", "positive"}): "unit",
    frozenset({"unit", "nonnegative"}): "unit",
}
_KIND_TEXT = {"positive": "> 0", "negative": "< 0", "nonnegative": r"\geq 0",
              "unit": r"\in (0, 1)"}


class CheckError(ValueError):
    """A step that cannot be checked as written (a misuse), named in the message."""


def _reject_line(e, side):
    if isinstance(e, str):
        raise TypeError(f"the {side} is a string ({e!r}); write it with SymPy symbols, "
                        "e.g. x + 1 with x = sp.Symbol('x', real=True)")
    if isinstance(e, MatrixExpr) and not isinstance(e, MatrixBase):
        raise TypeError(f"the {side} is a matrix expression ({e}); write its entries "
                        "with sp.Matrix (e.g. symbols_vector) so that each can be checked")
    if isinstance(e, sp.core.relational.Relational) or (
            isinstance(e, sp.logic.boolalg.Boolean) and not isinstance(e, sp.Expr)):
        raise TypeError(f"the {side} is an equation or condition ({e}); a line is an "
                        "expression: pass both sides to check_equal, or the condition as given")
    if not isinstance(e, (sp.Basic, MatrixBase, int, float)) or isinstance(e, bool):
        raise TypeError(f"the {side} must be a SymPy expression or Matrix, got "
                        f"{type(e).__name__}")


def lines_of(lhs, rhs):
    """Both sides as lists of entries, and their shape (None for scalars).

    Raises:
      TypeError: a side is not a SymPy expression or Matrix (a string, an ``Eq``, a
        ``MatrixSymbol``).
    """
    out = []
    for e, side in ((lhs, "left side"), (rhs, "right side")):
        _reject_line(e, side)
        if isinstance(e, MatrixBase):
            entries, shape = list(e), e.shape
        else:
            entries, shape = [sp.sympify(e)], None
        for x in entries:
            if x.has(sp.MatrixSymbol):
                _reject_line(next(iter(x.atoms(sp.MatrixSymbol))), side)
        out.append((entries, shape))
    return out


@dataclasses.dataclass
class Audited:
    """A step rebuilt from what the page shows.

    Attributes:
      lines: the entries of both sides, symbols rebuilt.
      conditions: the conditions, about the rebuilt symbols.
      kinds: symbol -> domain kind, intersected over the conditions and the declared
        assumptions.
      simplex: groups of targets that sum to one.
      sizes: the size symbols (bounds of a Sum or Product), integers at least 1.
      declared: symbol -> the domain kind its own declaration gave it (``p > 0`` for
        ``positive=True``), printed beside the step.
    """

    lines: list
    conditions: list
    kinds: dict
    simplex: list
    sizes: list
    declared: dict


# Assumptions in the order a declaration states them: the strongest first, so that each
# one named is not implied by those before it.
_STRONGEST_FIRST = ("commutative", "zero", "prime", "even", "odd", "composite", "integer",
                    "noninteger", "rational", "irrational", "algebraic", "transcendental",
                    "positive", "negative", "nonnegative", "nonpositive", "nonzero", "real",
                    "imaginary", "complex", "hermitian", "antihermitian", "finite", "infinite")


@functools.lru_cache(maxsize=1024)
def _fewest(facts):
    """The fewest assumptions that imply all of ``facts`` (sorted ``(name, value)``
    pairs): ``positive`` for everything a positive symbol is."""
    facts = dict(facts)
    order = [k for k in _STRONGEST_FIRST if k in facts] + sorted(set(facts) - set(_STRONGEST_FIRST))
    chosen = {}
    # What is true first (positive), then what is false and not implied (positive=False,
    # which makes prime and composite false too).
    number_kinds = ("prime", "even", "odd", "composite")
    for wanted in (True, False):
        if wanted is False:
            order = [k for k in order if k not in number_kinds] + [
                k for k in order if k in number_kinds]
        for k in order:
            if facts[k] is wanted and sp.Dummy(**chosen).assumptions0.get(k) is not wanted:
                chosen[k] = wanted
    return chosen


def _declared(s):
    """The assumptions ``s`` was declared with, as the fewest that imply all it is.

    Read from what the symbol is (its ``assumptions0``), not from how it was created:
    two equal symbols are interchangeable in SymPy's caches, and one created with every
    implied assumption spelled out may stand for the other.
    """
    return dict(_fewest(tuple(sorted(s.assumptions0.items()))))


def _refuse(what, declared):
    unknown = sorted(f"{k}={v}" for k, v in declared.items() if k not in _assume_defined)
    if unknown:
        raise CheckError(f"{what} is declared with {', '.join(unknown)}, which is not a SymPy "
                         "assumption (a misspelling?); declare it real (or integer for an "
                         "index) and state a domain with positive / negative / nonnegative")
    bad = sorted(f"{k}={v}" for k, v in declared.items()
                 if k not in _HARMLESS and k not in _SHOWN and k != "integer")
    if bad:
        raise CheckError(
            f"{what} is declared with {', '.join(bad)}: the page does not show that, so "
            "no step may rely on it; declare it real (or integer for an index) and state a "
            "domain with positive / negative / nonnegative / in_open_unit_interval")
    for k, v in declared.items():
        if k in _SHOWN and v is not True:
            raise CheckError(f"{what} is declared with {k}={v}: state its domain with "
                             "positive / negative / nonnegative instead")


def _symbols_of(exprs):
    found = set()
    for e in exprs:
        found |= {s for s in sp.sympify(e).free_symbols}
        found |= {s for s in sp.sympify(e).atoms(sp.Symbol)}
    return found


def _sizes_of(exprs, conditions):
    sizes = set()
    for e in exprs:
        for s in sp.sympify(e).atoms(sp.Sum, sp.Product):
            for _, lo, hi in s.limits:
                sizes |= sp.sympify(hi).free_symbols | sp.sympify(lo).free_symbols
    sizes |= {c.size for c in conditions if c.size is not None}
    return sizes


def _meet(s, kinds):
    kinds = set(kinds)
    if not kinds:
        return None
    kind = _MEET.get(frozenset(kinds))
    if kind is None:
        texts = " and ".join(f"{s} {_KIND_TEXT[k]}" for k in sorted(kinds))
        raise CheckError(f"the conditions on {s} contradict each other: {texts}")
    return kind


def _bound_only(exprs):
    """Symbols used only as the index of a Sum or Product, never free."""
    bound, free = set(), set()
    for e in exprs:
        e = sp.sympify(e)
        for x in e.atoms(sp.Sum, sp.Product):
            bound |= {var for var, *_ in x.limits}
        for f in e.free_symbols:
            free |= ({f} if not isinstance(f, sp.Indexed)
                     else set().union(*[sp.sympify(ix).free_symbols for ix in f.indices]))
    return bound - free


def _rebuild_symbol(s, size, bound_only=False):
    declared = _declared(s)
    if declared.get("commutative") is False:
        raise CheckError(f"{s} is declared commutative=False: the checker works with "
                         "numbers, which commute; write the entries of a matrix product "
                         "with sp.Matrix instead")
    if isinstance(s, sp.Idx):
        raise CheckError(f"the index {s} is a sympy.Idx; use sp.Symbol({s.name!r}, "
                         "integer=True) and a Sum over it")
    _refuse(s.name, declared)
    flags = {}
    integer = declared.get("integer") is True or s.is_integer is True
    if size:
        if not integer:
            raise CheckError(f"{s} bounds a sum, so it is a size: declare it "
                             f"sp.Symbol({s.name!r}, integer=True, positive=True)")
        flags = {"integer": True, "positive": True}
    elif integer and bound_only:
        # A summation index takes the values its bounds give it (0 in sum_{l=0}^{n-1}),
        # whatever sign it was declared with.
        flags = {"integer": True}
    elif integer:
        flags = {"integer": True}
        flags.update({k: True for k in _SHOWN if declared.get(k) is True})
    else:
        flags = {"real": True}
    cls = sp.Dummy if isinstance(s, sp.Dummy) else sp.Symbol
    return cls(s.name, **flags)


def _rebuild_base(b):
    declared = _declared(b.label)
    _refuse(f"the IndexedBase {b}", declared)
    if declared.get("integer") is not None:
        raise CheckError(
            f"the IndexedBase {b} is declared with integer={declared['integer']}: the page "
            "does not show that its entries are integers, so no step may rely on it; "
            f"declare it sp.IndexedBase({str(b)!r}, real=True)")
    flags = {"real": True}
    flags.update({k: True for k in _SHOWN if declared.get(k) is True})
    return sp.IndexedBase(b.label.name, shape=b.shape, **flags)


def _check_functions(exprs):
    for e in exprs:
        for f in sp.sympify(e).atoms(AppliedUndef):
            declared = dict(getattr(f.func, "_kwargs", None) or {})
            unknown = sorted(f"{k}={v}" for k, v in declared.items()
                             if k not in _assume_defined)
            if unknown:
                raise CheckError(
                    f"the function {f.func} is declared with {', '.join(unknown)}, which is "
                    "not a SymPy assumption (a misspelling?); declare it "
                    f"sp.Function({str(f.func)!r}, real=True)")
            bad = [k for k in ("positive", "negative", "nonnegative", "nonpositive",
                               "integer", "even", "odd", "zero", "nonzero", "prime")
                   if getattr(f, f"is_{k}") is True]
            bad += sorted(f"{k}={v}" for k, v in declared.items()
                          if k not in _HARMLESS and k not in bad)
            if bad:
                raise CheckError(
                    f"the function {f.func} is declared {', '.join(bad)}: the page does "
                    f"not show that; declare it sp.Function({str(f.func)!r}, real=True) and "
                    "name what it stands for with Given")


def _check_indices(exprs):
    for e in exprs:
        e = sp.sympify(e)
        free = e.free_symbols
        for x in e.atoms(sp.Indexed):
            for ix in x.indices:
                if isinstance(ix, sp.Idx) or ix.has(sp.Idx):
                    raise CheckError(f"the index of {x} is a sympy.Idx; use "
                                     "sp.Symbol(..., integer=True)")
                for s in ix.free_symbols & free:
                    if s.is_integer is not True:
                        raise CheckError(
                            f"the index {s} of {x} is not declared integer: use "
                            f"sp.Symbol({str(s)!r}, integer=True, positive=True)")


def declaration(s):
    """How ``s`` was written: ``sp.Symbol('t', real=True)``."""
    flags = "".join(f", {k}={v}" for k, v in sorted(_declared(s).items()))
    return f"sp.{type(s).__name__}({s.name!r}{flags})"


def _named_symbols(e):
    """The plain symbols of ``e``, the labels of its IndexedBases included."""
    e = sp.sympify(e)
    found = {s for s in e.atoms(sp.Symbol) if not isinstance(s, sp.Dummy)}
    return found | {b.label for b in e.atoms(sp.IndexedBase)}


def one_symbol_per_name(lines, conditions, known=None, lines_are="the lines"):
    """Refuse two different SymPy symbols with the same name.

    ``sp.Symbol("t")`` and ``sp.Symbol("t", real=True)`` print alike but are different
    variables: a condition on one says nothing about the other, and the page would show
    one ``t`` where the check sees two.

    Args:
      lines: the entries of both sides.
      conditions: the conditions of the step.
      known: name -> ``(symbol, where)`` already met (e.g. in earlier steps); updated.
      lines_are: what the lines are called in the message (``"step 3"``).

    Raises:
      CheckError: naming the symbol, both declarations and where each is used.
    """
    known = {} if known is None else known
    places = [(lines_are, e) for e in lines]
    for c in conditions:
        where = f"the condition {c.text}"
        for k, v in c.substitutions.items():
            places += [(where, k), (where, v)]
        places += [(where, s) for s in c.kinds]
        places += [(where, s) for g in c.simplex for s in g]
        places += [(where, c.size)] if c.size is not None else []
    for where, e in places:
        for s in sorted(_named_symbols(e), key=sp.default_sort_key):
            first, first_where = known.setdefault(s.name, (s, where))
            if first != s:
                raise CheckError(
                    f"two different symbols are both called {s.name}: {declaration(first)} "
                    f"(in {first_where}) and {declaration(s)} (in {where}); they print "
                    "alike, but a condition or a step about one says nothing about the "
                    f"other. Create {s.name} once and use that same symbol everywhere")
    return known


def audit(lines, conditions):
    """Rebuild the step's symbols from what the page shows (see the module docstring).

    Args:
      lines: the entries of both sides, as written.
      conditions: the conditions of the step (a flat list).

    Returns:
      An :class:`Audited` step.

    Raises:
      CheckError: an assumption the page does not show, contradictory conditions, two
        meanings for one symbol, a non-integer index.
    """
    values = [v for c in conditions for kv in c.substitutions.items() for v in kv]
    marked = [s for c in conditions for s in c.kinds] + [s for c in conditions
                                                         for g in c.simplex for s in g]
    everything = list(lines) + values + marked
    _check_indices(list(lines) + values)
    _check_functions(list(lines) + values)
    sizes = _sizes_of(list(lines) + values, conditions)
    bases = {x.base for e in everything for x in sp.sympify(e).atoms(sp.Indexed)}
    bases |= {b for e in everything for b in sp.sympify(e).atoms(sp.IndexedBase)}
    labels = {b.label for b in bases}
    one_symbol_per_name(lines, conditions)
    mapping = {}
    bound_only = _bound_only(everything)
    for s in sorted(_symbols_of(everything), key=sp.default_sort_key):
        if not isinstance(s, sp.Symbol) or s in labels:
            continue
        mapping[s] = _rebuild_symbol(s, s in sizes, s in bound_only)
    for b in bases:
        mapping[b] = _rebuild_base(b)
    # Only what changes is replaced: a replacement rebuilds (and so evaluates) every node
    # above it, and a line written unevaluated (exp(log a)) keeps its form.
    changed = {old: new for old, new in mapping.items() if old != new}
    new_lines = [e.xreplace(changed) for e in lines]
    rebuilt = []
    for c in conditions:
        r = c.rebuilt(mapping)
        if all(r is not q for q in rebuilt):
            rebuilt.append(r)
    rebuilt = _substitutions_resolved(rebuilt)
    # One meaning per symbol, and the domains on one symbol intersect.
    meaning, table = {}, {}
    for c in rebuilt:
        for k, v in c.substitutions.items():
            if k in meaning and meaning[k] != v and sp.expand(meaning[k] - v) != 0:
                raise CheckError(f"{k} is given two meanings: {k} = {meaning[k]} and "
                                 f"{k} = {v}")
            meaning[k] = v
        for s, kind in c.kinds.items():
            table.setdefault(s, set()).add(kind)
    declared = {}
    for s, new in mapping.items():
        if not isinstance(s, sp.Symbol) or new.is_integer:
            continue
        for flag, kind in _SHOWN.items():
            if _declared(s).get(flag) is True:
                stated = table.get(new, set())
                if stated and frozenset(stated | {kind}) not in _MEET:
                    raise CheckError(
                        f"{s.name} is declared {flag}=True but the conditions say "
                        + " and ".join(f"{new} {_KIND_TEXT[k]}" for k in sorted(stated)))
                table.setdefault(new, set()).add(kind)
                declared[new] = kind
    # An IndexedBase's declared domain holds for each of its entries: it meets what the
    # conditions say about an entry.
    for old, new in mapping.items():
        if not isinstance(old, sp.IndexedBase):
            continue
        for flag, kind in _SHOWN.items():
            if _declared(old.label).get(flag) is not True:
                continue
            for entry, stated in table.items():
                if isinstance(entry, sp.Indexed) and entry.base == new and (
                        frozenset(stated | {kind}) not in _MEET):
                    raise CheckError(
                        f"the IndexedBase {old} is declared {flag}=True but the conditions "
                        "say " + " and ".join(f"{entry} {_KIND_TEXT[k]}" for k in sorted(stated)))
    kinds = {s: _meet(s, ks) for s, ks in table.items()}
    simplex = [g for c in rebuilt for g in c.simplex]
    new_sizes = sorted({mapping.get(s, s) for s in sizes}, key=str)
    return Audited(new_lines, rebuilt, kinds, simplex, new_sizes, declared)


def _substitutions_resolved(conditions):
    """The conditions with every substitution's value written without the other keys
    (``a = sigma(z)`` in one step, ``s = a (1 - a)`` in a later one)."""
    together = {}
    for c in conditions:
        for k, v in c.substitutions.items():
            together.setdefault(k, v)  # two meanings for one key are refused below
    if not together:
        return conditions
    try:
        values = resolved(together)
    except ValueError as e:
        raise CheckError(str(e)) from None
    out = []
    for c in conditions:
        if not c.substitutions:
            out.append(c)
            continue
        mine = {k: values[k] if together[k] is v else
                v.subs(values, simultaneous=True) for k, v in c.substitutions.items()}
        out.append(c.with_substitutions(mine))
    return out


def _affine(ix, var):
    """``(a, b)`` with ``ix = a var + b`` for integers ``a != 0`` and ``b``, else None."""
    ix = sp.expand(ix)
    if ix.free_symbols != {var}:
        return None
    a, b = ix.coeff(var), ix.subs(var, 0)
    if not (a.is_Integer and b.is_Integer and a != 0) or sp.expand(a * var + b - ix) != 0:
        return None
    return int(a), int(b)


def _entries_summed(exprs):
    """``(base, position) -> (lowest, highest)`` entry a Sum with numeric bounds runs
    over (``sum_{k=1}^{3} x_{2k}`` runs over ``x_2 .. x_6``)."""
    spans = {}
    for e in exprs:
        for s in sp.sympify(e).atoms(sp.Sum):
            var, lo, hi = s.limits[0]
            if not (lo.is_Integer and hi.is_Integer) or hi < lo:
                continue
            for x in s.function.atoms(sp.Indexed):
                for pos, ix in enumerate(x.indices):
                    ab = _affine(ix, var)
                    if ab is None:
                        continue
                    ends = (ab[0] * int(lo) + ab[1], ab[0] * int(hi) + ab[1])
                    old = spans.get((x.base, pos), ends)
                    spans[(x.base, pos)] = (min(old + ends), max(old + ends))
    return spans


def index_range(exprs, index, lowest=1, highest=None):
    """The values of a free ``index`` for which every entry it picks exists.

    With the sizes substituted (``sum_{j=1}^{4} z_j``), an index used as ``z_{2k}`` or
    ``z_{3k+1}`` may only take the values whose entry is one of those the sums run over:
    ``k`` in ``1..2`` for ``z_{2k}``, ``0..1`` for ``z_{3k+1}`` (within ``lowest`` and
    ``highest``). An entry a coefficient makes fractional never arises: ``a k + b`` is
    an integer for every integer ``k``, and it is solved for ``k`` with the coefficient
    ``a`` rounding inwards.

    Args:
      exprs: the lines with the sizes substituted.
      index: an integer symbol.
      lowest, highest: the index's own range (1 and the size, for an index in 1..C).

    Returns:
      ``(lo, hi)``, empty when ``lo > hi`` (no value of the index picks an entry that
      exists at these sizes), or the given range when no sum constrains it.

    Examples:
      >>> import sympy as sp
      >>> k, j = sp.symbols("k j", integer=True, positive=True)
      >>> z = sp.IndexedBase("z", real=True)
      >>> line = sp.Sum(z[j] ** 2, (j, 1, 5)) + z[2 * k] + z[3 * k + 1]
      >>> index_range([line], k, 1, 5)
      (1, 1)
    """
    spans = _entries_summed(exprs)
    lo, hi = lowest, highest
    for e in exprs:
        for x in sp.sympify(e).atoms(sp.Indexed):
            for pos, ix in enumerate(x.indices):
                ab = _affine(ix, index)
                if ab is None or (x.base, pos) not in spans:
                    continue
                (a, b), (first, last) = ab, spans[(x.base, pos)]
                # first <= a k + b <= last, solved for an integer k.
                low, high = sorted(((first - b) / sp.Integer(a), (last - b) / sp.Integer(a)))
                low, high = int(sp.ceiling(low)), int(sp.floor(high))
                lo = low if lo is None else max(lo, low)
                hi = high if hi is None else min(hi, high)
    return lo, hi


def separate_bound_indices(expr):
    """Rename each summation index that is also free in ``expr`` (``sum_j e^{z_j}``
    inside ``d/dz_j``), so that the bound one cannot be captured.

    An index counts as free also where it only subscripts a free entry (the ``k`` of the
    variable ``z_k`` in ``Derivative(log(sum_k e^{z_k}), z_k)``): SymPy lists ``z[k]``
    among the free symbols, not ``k``.
    """
    free = set()
    for s in expr.free_symbols:
        if isinstance(s, sp.Indexed):
            free |= set().union(*[sp.sympify(ix).free_symbols for ix in s.indices])
        else:
            free.add(s)

    def rename(e):
        for var, *_ in e.limits:
            if var in free:
                e = e.xreplace({var: sp.Dummy(var.name, integer=True)})
        return e

    if not free or not expr.has(sp.Sum, sp.Product):
        return expr
    return expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)), rename)
