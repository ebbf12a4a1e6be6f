r"""Symbolic proofs: reduce the difference of two lines to 0, for every value and size.

A step is *proved* only by this module. The argument is always the same: bring the
difference of the two sides to a form SymPy can decide, then let ``cancel``, ``expand``,
``expand_log`` (and, for small expressions, ``simplify``) reduce it to 0. What makes the
difference decidable:

* **Sums over a general size.** ``Sum(f, (k, 1, C))`` is split over the terms of ``f``,
  factors free of ``k`` leave the sum (``sum_k e^{-c} e^{z_k} = e^{-c} sum_k e^{z_k}``),
  ``sum_k delta_jk f(k) = f(j)`` for an index ``j`` in ``1..C``, bound indices get one
  canonical name so that equal sums compare equal, and each remaining sum becomes one
  opaque quantity (positive when its terms are). An identity that holds for every value
  of that quantity holds for the sum, whatever ``C`` is.
* **Strided sums.** A sum to ``m C`` (``m`` up to 4) is a sum to ``C`` of ``m`` terms,
  ``sum_{k=1}^{2C} x_k = sum_{k=1}^{C} (x_{2k-1} + x_{2k})``.
* **KroneckerDelta between free indices.** ``delta_ij`` is split into the cases ``i = j``
  and ``i != j``; both must reduce to 0.
* **Piecewise, Max, Min, Abs, sign, Heaviside.** The expression ``u`` whose sign decides
  the branch is solved for one of its symbols; the cases ``u > 0``, ``u < 0`` and
  ``u = 0`` are proved one by one.

Nothing is assumed that the reader is not shown: the symbols' own assumptions and the
conditions' domains (listed beside the step), and indices within ``1..C`` (also listed).
"""

import functools
import itertools

import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p
from sympy.core.relational import Relational

from xentlib.symbolic.expressions import evaluate

__all__ = ["decide_index_ranges", "domain_symbols", "indexed_symbol", "prove_zero"]

# Expressions larger than this are not handed to sp.simplify, which can take minutes.
MAX_SIMPLIFY_OPS = 300
# Nested case splits (on signs and on index equalities) before giving up.
MAX_CASE_DEPTH = 5
# Canonical names of bound indices, by nesting depth: equal sums then compare equal.
_BOUND = tuple(sp.Dummy(f"k{d}", integer=True) for d in range(8))

_DOMAIN_FLAGS = {
    "positive": {"positive": True},
    "unit": {"positive": True},
    "nonnegative": {"nonnegative": True, "real": True},
    "negative": {"negative": True},
}


# ---------------------------------------------------------------------------------------
# Sums over a general size
# ---------------------------------------------------------------------------------------


def decide_index_ranges(expr, bounds):
    """Settle ``j <= C`` and ``1 <= j`` for an index ``j`` known to lie in ``1..C``.

    ``doit()`` turns ``Sum(delta_jk f(k), (k, 1, C))`` into ``Piecewise((f(j), j <= C),
    (0, True))``; with ``j`` in ``1..C`` the condition is true.
    """

    def decide(rel):
        idx = [s for s in rel.free_symbols if s in bounds]
        if len(idx) != 1:
            return rel
        (j,) = idx
        n = bounds[j]
        p, q = sp.Dummy(nonnegative=True, integer=True), sp.Dummy(nonnegative=True, integer=True)
        # j = 1 + p and n = j + q with p, q >= 0.
        settled = rel.xreplace({n: 1 + p + q}).xreplace({j: 1 + p})
        return settled if settled in (sp.true, sp.false) else rel

    return expr.replace(lambda e: isinstance(e, Relational), decide)


def _split_sum(s):
    """``Sum`` of a sum of terms -> sum of ``Sum``; factors free of the index leave it.

    A sum over several indices is split one index at a time, innermost first (SymPy
    merges a ``Sum`` of a ``Sum`` into one ``Sum`` with several limits, so rebuilding
    the nesting would only give back the same sum)."""
    expr = s.function
    for limit in s.limits:
        expr = _split_over(expr, limit)
    return expr


def _split_over(expr, limit):
    """``sum_{k=lo}^{hi} expr`` split over the terms of ``expr``."""
    k, lo, hi = limit
    out = []
    for term in sp.Add.make_args(sp.expand(expr)):
        inside, outside = [], []
        for factor in sp.Mul.make_args(term):
            (inside if k in factor.free_symbols else outside).append(factor)
        if inside:
            out.append(sp.Mul(*outside) * sp.Sum(sp.Mul(*inside), (k, lo, hi)))
        else:
            out.append(sp.Mul(*outside) * (hi - lo + 1))
    return sp.Add(*out)


# Strides up to this are written out: a sum to 4 C becomes a sum to C of 4 terms.
MAX_STRIDE = 4


def _by_stride(s):
    """``sum_{k=1}^{m C} f(k) = sum_{k=1}^{C} (f(mk - m + 1) + ... + f(mk))`` for a
    literal ``m``, so that a sum over ``x_1..x_{2C}`` meets the sums over the odd and the
    even entries (``x_{2k-1}``, ``x_{2k}``) it is made of."""
    if len(s.limits) != 1:
        return s
    k, lo, hi = s.limits[0]
    m, n = sp.sympify(hi).as_coeff_Mul()
    if lo != 1 or not m.is_Integer or not 2 <= m <= MAX_STRIDE or not n.free_symbols:
        return s
    if n.is_integer is not True or n.is_positive is not True:
        return s
    return sp.Sum(sp.Add(*[s.function.xreplace({k: m * k - r}) for r in range(int(m))]),
                  (k, 1, n))


def _canonical(e, depth=0):
    """Rename bound indices to ``_BOUND[depth]`` so that equal sums compare equal.

    The limits of a sum over several indices whose bounds do not involve one another
    may be taken in any order (a finite double sum can be swapped): the order giving the
    smallest form is kept."""
    if not e.has(sp.Sum, sp.Product):
        return e
    if isinstance(e, (sp.Sum, sp.Product)):
        orders = [e.limits]
        bound = {lim[0] for lim in e.limits}
        if isinstance(e, sp.Sum) and 1 < len(e.limits) <= 3 and not any(
                bound & (sp.sympify(lo).free_symbols | sp.sympify(hi).free_symbols)
                for _, lo, hi in e.limits):
            orders = list(itertools.permutations(e.limits))
        return min((_renamed(type(e), e.function, limits, depth) for limits in orders),
                   key=sp.default_sort_key)
    return e.func(*[_canonical(a, depth) for a in e.args]) if e.args else e


def _renamed(kind, body, limits, depth):
    """``kind(body, *limits)`` with its indices renamed to ``_BOUND[depth], ...``."""
    new_limits = []
    for k, lo, hi in limits:
        new = _BOUND[min(depth, len(_BOUND) - 1)]
        if new != k and new in body.free_symbols:
            new = sp.Dummy(k.name, integer=True)  # taken by an enclosing sum: no capture
        body = body.xreplace({k: new})
        new_limits.append((new, lo, hi))
        depth += 1
    return kind(_canonical(body, depth), *new_limits)


def _split_product(prod):
    """``prod_k e^{f_k} = e^{sum_k f_k}`` and ``prod_k a_k b_k = prod_k a_k prod_k b_k``."""
    if len(prod.limits) != 1:
        return prod
    k, lo, hi = prod.limits[0]
    out = []
    for factor in sp.Mul.make_args(sp.powsimp(sp.expand(prod.function))):
        if k not in factor.free_symbols:
            out.append(factor ** (hi - lo + 1))
        elif isinstance(factor, sp.exp):
            out.append(sp.exp(sp.Sum(factor.args[0], (k, lo, hi))))
        else:
            out.append(sp.Product(factor, (k, lo, hi)))
    return sp.Mul(*out)


def _log_of_product(e):
    """``log prod_k f_k = sum_k log f_k`` when every factor is positive."""
    prod = e.args[0]
    if len(prod.limits) == 1 and _deindex(prod.function).is_positive:
        return sp.Sum(sp.log(prod.function), prod.limits[0])
    return e


def linear_sums(expr):
    """Split every Sum over its terms and take constant factors out (bottom-up)."""
    if not expr.has(sp.Sum, sp.Product):
        return expr
    expr = expr.replace(lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.Product),
                        _log_of_product)
    expr = expr.replace(lambda e: isinstance(e, sp.Product), _split_product)
    expr = expr.replace(lambda e: isinstance(e, sp.Sum), _by_stride)
    return _canonical(expr.replace(lambda e: isinstance(e, sp.Sum), _split_sum))


def indexed_symbol(x):
    """An Indexed entry (``z[i]``) as a symbol of the same name: real, with the
    assumptions of its IndexedBase (``IndexedBase("a", positive=True)``)."""
    flags = {k: v for k, v in x.base.assumptions0.items() if v is True and k != "commutative"}
    flags.setdefault("real", True)
    return sp.Symbol(str(x), **flags)


def _deindex(expr):
    """Indexed entries as symbols (:func:`indexed_symbol`)."""
    return expr.xreplace({x: indexed_symbol(x) for x in expr.atoms(sp.Indexed)})


def opaque_sums(expr):
    """Each outermost Sum or Product as one symbol (positive when its terms are)."""
    cache = {}

    def visit(e):
        if isinstance(e, (sp.Sum, sp.Product)):
            if e not in cache:
                k, lo, hi = e.limits[0]
                term = _deindex(e.function)
                positive = (hi - lo + 1).is_positive and term.is_positive
                cache[e] = sp.Dummy("S", positive=True) if positive else sp.Dummy("S", real=True)
            return cache[e]
        if not e.args or not e.has(sp.Sum, sp.Product):
            return e
        return e.func(*[visit(a) for a in e.args])

    return visit(expr)


# ---------------------------------------------------------------------------------------
# Case splits
# ---------------------------------------------------------------------------------------


def _free_delta(expr):
    for d in sorted(expr.atoms(sp.KroneckerDelta), key=sp.default_sort_key):
        if d.free_symbols:
            return d
    return None


def _critical(expr):
    """Expressions whose sign picks a branch of Piecewise/Max/Min/Abs/sign/Heaviside."""
    found = []
    for a in expr.atoms(sp.Abs, sp.sign, sp.Heaviside):
        found.append(a.args[0])
    for a in expr.atoms(sp.Max, sp.Min):
        args = a.args
        found.extend(args[i] - args[j] for i in range(len(args)) for j in range(i + 1, len(args)))
    for a in expr.atoms(sp.Piecewise):
        for _, cond in a.args:
            found.extend(r.lhs - r.rhs for r in cond.atoms(Relational))
    return sorted({u for u in found if u.free_symbols}, key=sp.default_sort_key)


def _solve_for_sign(u):
    """A symbol ``s`` of ``u`` and the expression of ``s`` making ``u`` equal to ``t``."""
    t = sp.Dummy("t", real=True)
    for s in sorted(u.free_symbols, key=sp.default_sort_key):
        if not s.is_real:
            continue
        coeff = sp.diff(u, s)
        rest = sp.expand(u - coeff * s)
        # An integer index solved from 2k - 1 = t would take fractional values.
        if s.is_integer and coeff not in (1, -1):
            continue
        if coeff.is_number and coeff != 0 and not rest.has(s):
            return s, t, (t - rest) / coeff
    return None


def _sign_cases(u):
    """``[(description, substitution)]`` covering u > 0, u < 0 and u = 0."""
    if not u.is_real:
        return None  # the three cases cover the reals only
    if u.could_extract_minus_sign():
        u = -u
    solved = _solve_for_sign(u)
    if solved is None:
        return None
    s, t, value = solved
    p = sp.Dummy("p", positive=True)
    cases = []
    for sign_text, t_value in ((">", p), ("<", -p), ("=", sp.S.Zero)):
        cases.append((f"{sp.sstr(u)} {sign_text} 0", {s: value.xreplace({t: t_value})}))
    return cases


# ---------------------------------------------------------------------------------------
# Deciding 0
# ---------------------------------------------------------------------------------------


def domain_symbols(expr, kinds):
    """Each plain symbol of ``expr`` (or of a list of expressions) -> one with the
    assumptions its domain grants SymPy."""
    mapping = {}
    exprs = expr if isinstance(expr, list) else [expr]
    for s in set().union(*[sp.sympify(e).free_symbols for e in exprs]):
        if (not isinstance(s, sp.Symbol) or s.is_integer
                or (isinstance(s, sp.Dummy) and s not in kinds)):
            continue
        extra = _DOMAIN_FLAGS.get(kinds.get(s), {})
        if s.is_real and not extra:
            continue
        assumptions = {k: v for k, v in s.assumptions0.items() if v is True}
        assumptions.update(extra)
        assumptions.setdefault("real", True)
        try:
            mapping[s] = (sp.Dummy if isinstance(s, sp.Dummy) else sp.Symbol)(s.name, **assumptions)
        except sp.core.facts.InconsistentAssumptions:
            continue  # the audit refuses a domain that contradicts a declaration
    return mapping


def real_symbols(expr, kinds):
    """Each plain symbol as one with the assumptions its domain grants SymPy."""
    return expr.xreplace(domain_symbols(expr, kinds))


def _logs_together(x):
    """``log(1 - 1/(1 + e^{-z}))`` -> ``log(e^{-z}/(1 + e^{-z}))``, ready for expand_log."""
    return x.replace(lambda e: isinstance(e, sp.log), lambda e: sp.log(sp.factor(sp.together(e.args[0]))))


_CHEAP = (
    lambda x: x,
    sp.cancel,
    sp.expand,
    lambda x: sp.expand(sp.expand_log(x)),
    lambda x: sp.cancel(sp.expand(sp.expand_log(sp.expand(x)))),
    lambda x: sp.cancel(sp.expand(sp.expand_log(_logs_together(x)))),
)
_THOROUGH = (
    sp.simplify,
    lambda x: sp.simplify(sp.expand_log(x)),
    lambda x: sp.simplify(x.rewrite(sp.exp)),
)


@functools.lru_cache(maxsize=4096)
def _is_zero(e, thorough):
    """Whether SymPy reduces ``e`` to 0, trying cheap rewrites before ``simplify``."""
    transforms = _CHEAP
    if thorough and sp.count_ops(e) <= MAX_SIMPLIFY_OPS:
        transforms += _THOROUGH
    for t in transforms:
        try:
            if t(e) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError, RecursionError, AttributeError):
            continue
    return False


def _zero_by_cases(e, kinds, thorough, notes, depth):
    if e == 0:
        return True
    delta = _free_delta(e)
    if delta is not None and depth < MAX_CASE_DEPTH:
        p, q = delta.args
        if isinstance(q, sp.Symbol):
            same = e.xreplace({q: p})
        elif isinstance(p, sp.Symbol):
            same = e.xreplace({p: q})
        else:
            same = None
        if same is not None:
            other = e.xreplace({delta: sp.S.Zero, sp.KroneckerDelta(q, p): sp.S.Zero})
            notes.add(f"{sp.sstr(p)} = {sp.sstr(q)} and {sp.sstr(p)} != {sp.sstr(q)}")
            return (_zero_by_cases(evaluate(same), kinds, thorough, notes, depth + 1)
                    and _zero_by_cases(other, kinds, thorough, notes, depth + 1))
    e = real_symbols(_deindex(e), kinds)
    if _is_zero(e, thorough):
        return True
    for u in _critical(e)[:1]:
        if depth >= MAX_CASE_DEPTH:
            break
        cases = _sign_cases(u)
        if cases is None:
            break
        notes.add(", ".join(text for text, _ in cases))
        return all(_zero_by_cases(e.xreplace(subs), kinds, thorough, notes, depth + 1)
                   for _, subs in cases)
    return False


def _elementary(expr):
    """``log1p``, ``expm1`` and the inverse hyperbolic functions written with ``log`` and
    ``exp``: ``log1p(x) = log(1 + x)``, ``atanh(x) = (log(1 + x) - log(1 - x)) / 2``, the
    same real functions where they are defined (where they are defined is tested)."""
    as_log = (log1p, sp.atanh, sp.asinh, sp.acosh, sp.acoth)
    expr = expr.replace(lambda e: isinstance(e, as_log), lambda e: e.rewrite(sp.log))
    return expr.replace(lambda e: isinstance(e, expm1), lambda e: sp.exp(e.args[0]) - 1)


def prove_zero(diff, kinds, bounds, conditions, thorough=False):
    """Try to prove ``diff == 0``.

    Args:
      diff: the difference of the two sides, conditions substituted, ``doit()`` done.
      kinds: symbol -> domain kind (``"positive"``, ``"unit"``, ...).
      bounds: free index -> the size symbol it ranges up to (``1..C``).
      conditions: the conditions, applied again once sums are in normal form (so that
        ``sum_k y_k = 1`` meets the sum it names).
      thorough: also try ``sp.simplify`` (slow on big expressions).

    Returns:
      ``None`` when no proof was found, else a set of notes on the case splits made.
    """
    notes = set()
    diff = _elementary(diff)
    # The domains are known to SymPy before sums are put in normal form (a log of a
    # product of positive factors is a sum of logs).
    mapping = domain_symbols(diff, kinds)
    diff = diff.xreplace(mapping)
    kinds = {mapping.get(s, s): kind for s, kind in kinds.items()}
    if diff.has(sp.Sum, sp.Product, sp.Piecewise):
        diff = decide_index_ranges(diff, bounds)
        diff = linear_sums(diff)
        for c in conditions:
            diff = c.substitute(diff)
        diff = decide_index_ranges(evaluate(diff), bounds)
        diff = opaque_sums(linear_sums(diff))
    attempts = [(diff, kinds)]
    # SymPy has no assumption "a < 1": a probability a is written p/(1 + p) with p > 0,
    # so that a and 1 - a = 1/(1 + p) are both known positive.
    unit = sorted((s for s, kind in kinds.items() if kind == "unit" and s in diff.free_symbols),
                  key=sp.default_sort_key)
    if unit:
        odds = {s: sp.Dummy("p", positive=True) for s in unit}
        attempts.append((diff.xreplace({s: p / (1 + p) for s, p in odds.items()}),
                         {s: v for s, v in kinds.items() if s not in odds}))
    for expr, domain in attempts:
        try:
            if _zero_by_cases(expr, domain, thorough, notes, 0):
                return notes
        except (TypeError, ValueError, NotImplementedError, RecursionError, AttributeError):
            pass
        notes = set()
    return None
