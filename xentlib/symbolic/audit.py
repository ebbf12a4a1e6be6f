r"""What a check may assume: exactly what the page shows.

A step's verdict must be about the lines the reader sees, under the conditions printed
beside it. SymPy symbols carry assumptions of their own (``positive=True``,
``even=True``, ``commutative=False``) that a proof would use silently, so before
anything is checked every symbol is rebuilt from what the page displays:

* a symbol is a real number; declared ``positive``, ``negative`` or ``nonnegative``, it
  is that too, and the derivation prints it beside the step;
* an index or a size is an integer (a size at least 1); a free index lies in
  ``1..size`` (printed as well);
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

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.matrices import MatrixBase
from sympy.matrices.expressions import MatrixExpr

__all__ = ["Audited", "audit", "lines_of", "separate_bound_indices"]

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


def _declared(s):
    """The assumptions the author gave ``s`` (not those SymPy derived from them)."""
    return {k: v for k, v in getattr(s, "_assumptions_orig", {}).items()}


def _refuse(what, declared):
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
            bad = [k for k in ("positive", "negative", "nonnegative", "nonpositive",
                               "integer", "even", "odd", "zero", "nonzero", "prime")
                   if getattr(f, f"is_{k}") is True]
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
    mapping, by_name = {}, {}
    bound_only = _bound_only(everything)
    for s in sorted(_symbols_of(everything), key=sp.default_sort_key):
        if not isinstance(s, sp.Symbol) or s in labels:
            continue
        new = _rebuild_symbol(s, s in sizes, s in bound_only)
        key = (type(new), s.name) if not isinstance(s, sp.Dummy) else s
        shown = {k for k in _SHOWN if _declared(s).get(k) is True}
        if key in by_name and by_name[key][1] != shown:
            raise CheckError(f"two different symbols are both called {s.name} (one "
                             f"declared {sorted(by_name[key][1]) or 'real'}, one "
                             f"{sorted(shown) or 'real'}); the page shows one {s.name}")
        by_name.setdefault(key, (new, shown))
        mapping[s] = by_name[key][0]
    for b in bases:
        mapping[b] = _rebuild_base(b)
    new_lines = [e.xreplace(mapping) for e in lines]
    rebuilt = []
    for c in conditions:
        r = c.rebuilt(mapping)
        if all(r is not q for q in rebuilt):
            rebuilt.append(r)
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
