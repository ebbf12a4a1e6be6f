r"""Conditions a step may rely on, and what the reader is shown about them.

A :class:`Condition` does three things: it rewrites both sides before they are compared
(``a = sigma(z)``, ``y_3 = 1 - y_1 - y_2``, ``y_i = delta_ik``), it chooses where test
points are drawn (``positive``, ``in_open_unit_interval``, the hyperplane of targets that
sum to one), and it carries the text printed beside the step. Nothing a verdict depends on
is left out of that text: symbol assumptions are shown by the derivation as well.
"""

import copy

import numpy as np
import sympy as sp
from sympy.matrices import MatrixBase

from xentlib.symbolic.expressions import _as_vector

__all__ = [
    "Condition",
    "Given",
    "in_open_unit_interval",
    "negative",
    "nonnegative",
    "one_hot",
    "positive",
    "resolved",
    "sums_to_one",
]

DOMAIN_KINDS = ("positive", "nonnegative", "negative", "unit")


class Condition:
    """What a step relies on: substitutions, a sampling domain and a text for the reader.

    Built by :class:`Given`, :func:`sums_to_one`, :func:`one_hot`, :func:`positive`,
    :func:`nonnegative`, :func:`negative` and :func:`in_open_unit_interval`; a list of
    conditions may be passed wherever one is expected.

    Attributes:
      text: what the reader sees beside the step; may contain ``$...$`` math.
      substitutions: dict applied to both sides before they are compared.
      kinds: dict symbol -> ``"positive"``, ``"nonnegative"``, ``"negative"`` or
        ``"unit"``, the domain test points are drawn from (and the assumption SymPy may
        use in a proof).
      simplex: tuples of symbols ``y_1..y_{n-1}`` whose last partner ``y_n`` was replaced
        by ``1 - (y_1 + ... + y_{n-1})``; they are drawn jointly, on the probability
        simplex and off it (targets that sum to one may be negative unless a domain
        says otherwise).
    """

    def __init__(self, text, substitutions=None, kinds=None, simplex=(), rewrite=None,
                 concrete=None, size=None, remake=None):
        self.text = text
        self.substitutions = dict(substitutions or {})
        self.kinds = dict(kinds or {})
        self.simplex = tuple(tuple(g) for g in simplex)
        # General-size conditions rewrite patterns (a Sum, an Indexed) rather than
        # symbols, and become a concrete condition once the size is a number.
        self._rewrite = rewrite
        self._concrete = concrete
        # The size symbol a general-size condition is stated for.
        self.size = size
        # How to state the same condition about other symbols (see ``rebuilt``).
        self._remake = remake

    def substitute(self, expr):
        """Apply the substitutions to an expression or Matrix. A key with a sum matches
        the same sum written with any name for its index (``sum_k e^{z_k}`` is
        ``sum_l e^{z_l}``)."""
        if self._rewrite is not None:
            expr = self._rewrite(expr)
        if not self.substitutions:
            return expr
        summed = {bound_renamed(k): v for k, v in self.substitutions.items()
                  if k.has(sp.Sum, sp.Product)}
        if summed:
            expr = expr.replace(
                lambda e: isinstance(e, sp.Expr) and e.has(sp.Sum, sp.Product)
                and bound_renamed(e) in summed,
                lambda e: summed[bound_renamed(e)])
        return expr.subs(self.substitutions, simultaneous=True)

    def concrete(self, size_values):
        """The condition at concrete sizes (a dict size symbol -> int)."""
        if self.size is not None and self.size not in size_values:
            raise ValueError(f"{self.text}: no sum in the step runs to "
                             f"{self.size}; the sums run to "
                             f"{', '.join(map(str, size_values)) or 'no size'}")
        return self._concrete(size_values) if self._concrete else self

    def rebuilt(self, mapping):
        """The same condition about the symbols ``mapping`` puts in place of the old
        ones (the checker rebuilds every symbol from what the page shows)."""
        if self._remake is not None:
            return self._remake(mapping)

        def move(e):
            return sp.sympify(e).xreplace(mapping)

        return Condition(
            self.text,
            {move(k): move(v) for k, v in self.substitutions.items()},
            {move(k): v for k, v in self.kinds.items()},
            [tuple(move(x) for x in g) for g in self.simplex],
        )

    def with_substitutions(self, substitutions):
        """The same condition with other substitutions (the same text and domains)."""
        twin = copy.copy(self)
        twin.substitutions = dict(substitutions)
        return twin

    def __repr__(self):
        return f"Condition({self.text!r})"


def bound_renamed(expr, depth=0):
    """``expr`` with the index of every Sum and Product renamed by its nesting depth, so
    that two sums that differ only in the names of their bound indices become equal
    (``sum_k e^{z_k}`` and ``sum_l e^{z_l}`` are the same sum)."""
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    if isinstance(expr, (sp.Sum, sp.Product)):
        variables = [var for var, *_ in expr.limits]
        expr = expr.xreplace({var: sp.Symbol(f"bound·{depth + n}", integer=True)
                              for n, var in enumerate(variables)})
        function = bound_renamed(expr.function, depth + len(variables))
        return type(expr)(function, *expr.limits)
    args = [bound_renamed(a, depth) for a in expr.args]
    return expr if all(a is b for a, b in zip(args, expr.args)) else expr.func(*args)


def resolved(substitutions):
    """Substitutions whose values no longer mention a key, applied until nothing changes.

    ``{a: sigma(z), s: a (1 - a)}`` means ``s = sigma(z) (1 - sigma(z))``: one pass of
    simultaneous substitution would leave an ``a`` behind. A chain of n keys needs at
    most n passes; a value that still mentions a key after that is part of a cycle
    (``a = b``, ``b = a``, or ``a = a + 1``), which defines nothing.

    Raises:
      ValueError: a cycle, naming its keys.

    Examples:
      >>> import sympy as sp
      >>> a, s, z = sp.symbols("a s z", real=True)
      >>> resolved({a: sp.exp(z), s: a * (1 - a)})[s]
      (1 - exp(z))*exp(z)
    """
    current = dict(substitutions)
    keys = list(current)
    for _ in range(len(keys) + 1):
        pending = [k for k, v in current.items() if v.has(*keys)]
        if not pending:
            return current
        current = {k: v.subs(current, simultaneous=True) if k in pending else v
                   for k, v in current.items()}
    cycle = ", ".join(f"{k} = {substitutions[k]}" for k in keys if current[k].has(*keys))
    raise ValueError(f"the substitutions define a symbol through itself ({cycle}); "
                     "each value must be written, directly or through the other "
                     "substitutions, without the symbol it defines")


def Given(substitutions=None, text=None, **kinds):
    r"""A condition stated as substitutions, e.g. ``a = sigma(z)``.

    Args:
      substitutions: dict ``{symbol: expression}`` replaced in both sides before they are
        compared (the step holds *given* these equalities). A value may mention another
        key (``{a: sigma(z), s: a * (1 - a)}``): they are applied until none is left.
        A key that is a sum matches it with any name for the summation index.
      text: what the reader sees; may contain ``$...$`` math. Defaults to the equalities.
      **kinds: optional domains, e.g. ``positive=[b]``, ``unit=[p]``.

    Returns:
      A :class:`Condition`.

    Raises:
      ValueError: the substitutions define a symbol through itself (``a = b``,
        ``b = a``).

    Examples:
      >>> import sympy as sp
      >>> from xentlib.symbolic import sigmoid
      >>> a, z = sp.symbols("a z", real=True)
      >>> Given({a: sigmoid(z)}, "$a = \\sigma(z)$").text
      '$a = \\sigma(z)$'
      >>> Given({a: sigmoid(z)}).text
      '$a = \\frac{1}{1 + e^{- z}}$'
    """
    if substitutions is not None and not isinstance(substitutions, dict):
        raise TypeError("Given takes a dict {symbol: expression}, got "
                        f"{type(substitutions).__name__}")
    substitutions = {_target(k): _value(k, v) for k, v in (substitutions or {}).items()}
    # Raises on a cycle here, where it was written (the values are resolved again with
    # the other conditions of a step when it is checked).
    resolved(substitutions)
    unknown = set(kinds) - set(DOMAIN_KINDS)
    if unknown:
        raise ValueError(f"unknown domain kinds: {sorted(unknown)}")
    table = {}
    for kind, syms in kinds.items():
        if isinstance(syms, sp.Basic):
            syms = [syms]
        table.update(_domain(kind, syms, "").kinds)
    if text is None:
        if not substitutions:
            raise ValueError("Given needs substitutions or a text")
        text = ", ".join(f"${sp.latex(k)} = {sp.latex(v)}$" for k, v in substitutions.items())
    if not isinstance(text, str):
        raise TypeError(f"text must be a string, got {type(text).__name__}")
    return Condition(text, substitutions, table)


def _target(k):
    """A key of Given: a symbol, an entry or an expression the lines contain."""
    if isinstance(k, str):
        raise TypeError(f"Given: the key {k!r} is a string; use the SymPy symbol itself, "
                        f"e.g. Given({{sp.Symbol({k!r}, real=True): ...}})")
    if not isinstance(k, sp.Expr) or k.is_number:
        raise TypeError(f"Given: the key {k!r} is not a SymPy expression with symbols "
                        "(a symbol, an Indexed entry, a Sum, ...) that could stand for one")
    return k


def _value(k, v):
    if isinstance(v, str) or not isinstance(v, (sp.Basic, int, float)):
        raise TypeError(f"Given: the value for {k} must be a SymPy expression, got {v!r}")
    v = sp.sympify(v)
    if isinstance(v, sp.core.relational.Relational) or (
            isinstance(v, sp.logic.boolalg.Boolean) and not isinstance(v, sp.Expr)):
        raise TypeError(f"Given: the value for {k} is a condition ({v}), not an expression")
    return v


def _domain(kind, syms, text):
    if not syms:
        raise ValueError(f"{kind} needs at least one symbol")
    flat = []
    for s in syms:
        flat.extend(s if isinstance(s, (MatrixBase, list, tuple)) else [s])
    for s in flat:
        if not isinstance(s, (sp.Symbol, sp.Indexed)):
            raise TypeError(f"{kind} takes symbols or Indexed entries, got {s!r}; "
                            "name the expression with a symbol and Given")
    names = ", ".join(sp.latex(s) for s in flat)
    return Condition(f"${names} {text}$", kinds={s: kind for s in flat})


def positive(*syms):
    """Condition: the symbols are positive (tested from 1e-6 to 1e6).

    Examples:
      >>> import sympy as sp
      >>> positive(*sp.symbols("b c")).text
      '$b, c > 0$'
    """
    return _domain("positive", syms, "> 0")


def nonnegative(*syms):
    """Condition: the symbols are at least 0 (tested at 0 and from 1e-6 to 1e6)."""
    return _domain("nonnegative", syms, r"\geq 0")


def negative(*syms):
    """Condition: the symbols are negative (tested from -1e6 to -1e-6)."""
    return _domain("negative", syms, "< 0")


def in_open_unit_interval(*syms):
    r"""Condition: the symbols lie in (0, 1), like probabilities (tested up to 1e-6 from the ends).

    Examples:
      >>> import sympy as sp
      >>> in_open_unit_interval(sp.Symbol("a")).text
      '$a \\in (0, 1)$'
    """
    return _domain("unit", syms, r"\in (0, 1)")


def _sum_over(base, n):
    """Match ``Sum(base[k'], (k', 1, n))`` whatever the summation variable is called."""

    def matches(e):
        if not isinstance(e, sp.Sum) or len(e.limits) != 1:
            return False
        var, lo, hi = e.limits[0]
        return lo == 1 and hi == n and e.function == base[var]

    return matches


def sums_to_one(ys, n=None):
    """Condition: targets that sum to one.

    For a vector ``y_1..y_n`` the last one is replaced by ``1 - (y_1 + ... + y_{n-1})``;
    the others are tested on the probability simplex and off it (nothing says they are
    nonnegative: add :func:`in_open_unit_interval` or :func:`nonnegative` when a step needs
    it). For an ``IndexedBase`` ``y`` and a size symbol ``n``, ``Sum(y[k], (k, 1, n))`` is
    replaced by 1, and the vector rule is used wherever a check falls back to concrete
    sizes.

    Args:
      ys: a vector of symbols, or an ``IndexedBase``.
      n: the size symbol, only with an ``IndexedBase``.

    Returns:
      A :class:`Condition`.

    Examples:
      >>> from xentlib.symbolic import symbols_vector
      >>> ys = symbols_vector("y", 3)
      >>> c = sums_to_one(ys)
      >>> c.text, c.substitute(ys[2])
      ('$y_{1} + y_{2} + y_{3} = 1$', -y_1 - y_2 + 1)
    """
    if isinstance(ys, sp.IndexedBase):
        text = f"$\\sum_{{k=1}}^{{{sp.latex(n)}}} {sp.latex(ys)}_k = 1$"
        if n is None:
            raise ValueError("sums_to_one(IndexedBase, n) needs the size symbol n")
        if not isinstance(n, sp.Symbol) or n.is_integer is not True:
            raise TypeError("sums_to_one(IndexedBase, n) needs the size as an integer "
                            f"symbol n, got {n!r}")
        return Condition(
            f"$\\sum_{{k=1}}^{{{sp.latex(n)}}} {sp.latex(ys)}_k = 1$",
            rewrite=lambda e: e.replace(_sum_over(ys, n), lambda _: sp.S.One),
            concrete=lambda sizes: _sums_to_one_at(ys, sizes[n]),
            size=n,
            remake=lambda mapping: _retext(sums_to_one(ys.xreplace(mapping),
                                                       n.xreplace(mapping)), text),
        )
    ys = _as_vector(ys, "ys")
    if len(ys) < 2:
        raise ValueError("sums_to_one needs at least two targets")
    terms = " + ".join(sp.latex(y) for y in ys) if len(ys) <= 4 else r"\sum_k y_k"
    return Condition(
        f"${terms} = 1$",
        substitutions={ys[-1]: 1 - sp.Add(*ys[:-1])},
        simplex=[ys[:-1]],
    )


def _sums_to_one_at(ys, size):
    if size == 1:
        return Condition(f"${sp.latex(ys[1])} = 1$", substitutions={ys[1]: sp.S.One})
    return sums_to_one([ys[i] for i in range(1, size + 1)])


def _rename_bound(expr, avoid):
    """Rename the bound index of every Sum/Product that is one of ``avoid``.

    ``one_hot(y, k)`` turns ``y[i]`` into ``delta(i, k)``; inside ``Sum(..., (k, 1, n))``
    the bound ``k`` is another variable than the true class ``k`` and must not be
    captured by it.
    """

    def rename(e):
        for var, *_ in e.limits:
            if var in avoid:
                e = e.xreplace({var: sp.Dummy(var.name, integer=True)})
        return e

    return expr.replace(lambda e: isinstance(e, (sp.Sum, sp.Product)), rename)


def one_hot(ys, k):
    """Condition: a one-hot target, ``y_k = 1`` and every other entry 0.

    Args:
      ys: a vector of symbols ``y_1..y_n``, or an ``IndexedBase``.
      k: the true class: for a vector, its 1-based position (as in the name ``y_k``) or
        the symbol itself; for an ``IndexedBase``, an integer symbol or number, and
        ``y[i]`` becomes ``KroneckerDelta(i, k)`` (a sum over an index also called ``k``
        keeps its own, separate index).

    Returns:
      A :class:`Condition`.

    Examples:
      >>> from xentlib.symbolic import symbols_vector
      >>> ys = symbols_vector("y", 3)
      >>> one_hot(ys, 2).substitute(ys)
      Matrix([
      [0],
      [1],
      [0]])
    """
    if isinstance(ys, sp.IndexedBase):
        k = sp.sympify(k)
        if k.is_integer is not True:
            raise TypeError("one_hot: the true class must be an integer symbol "
                            f"(sp.Symbol({str(k)!r}, integer=True)) or number, got {k!r}")
        text = f"${sp.latex(ys[k])} = 1$, other entries $0$"

        def is_target(x):
            return isinstance(x, sp.Indexed) and x.base == ys

        def rewrite(e):
            # A derivative with respect to a target is taken before the target becomes
            # a KroneckerDelta, which is not a variable one can differentiate by.
            e = e.replace(
                lambda x: isinstance(x, sp.Derivative) and any(map(is_target, x.variables)),
                lambda x: x.doit(),
            )
            e = _rename_bound(e, k.free_symbols)
            return e.replace(is_target, lambda x: sp.KroneckerDelta(x.indices[0], k))

        return Condition(text, rewrite=rewrite, remake=lambda mapping: _retext(
            one_hot(ys.xreplace(mapping), k.xreplace(mapping)), text))
    ys = _as_vector(ys, "ys")
    if isinstance(k, sp.Basic) and k in ys:
        pos = ys.index(k)
    elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
        if not 1 <= k <= len(ys):
            raise ValueError(f"k must be in 1..{len(ys)}, got {k}")
        pos = int(k) - 1
    else:
        raise TypeError(f"k must be a 1-based position or one of the symbols, got {k!r}")
    subs = {y: sp.S.One if i == pos else sp.S.Zero for i, y in enumerate(ys)}
    return Condition(f"${sp.latex(ys[pos])} = 1$, other entries $0$", substitutions=subs)


def _retext(condition, text):
    condition.text = text
    return condition


def _conditions(given):
    """A flat list of conditions from ``None``, one condition or nested lists."""
    if given is None:
        return []
    if isinstance(given, Condition):
        return [given]
    if isinstance(given, (list, tuple)):
        out = []
        for g in given:
            out.extend(_conditions(g))
        return out
    raise TypeError(f"expected a Condition or a list of them, got {type(given).__name__}")
