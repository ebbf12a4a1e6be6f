r"""Evaluating a line at a point: in floating point with NumPy, and to 50 digits.

Floating point screens the test points; 50-digit evaluation decides. Its digits are
guaranteed (``evalf(strict=True)``), first with evalf's own substitution and, where that
cannot tell an exact subexpression from 0 (``z_2 - Max(z_1, z_2)`` at ``z_2 > z_1``), with
the point substituted exactly first; so a counterexample is never thrown away because of
an exact part, and never made of lost digits. Where evalf loses an argument altogether
(``log(1 + e^{-199})`` is 0 to 50 digits), a disagreement is confirmed again with mpmath
at doubling precision until both sides are stable. Where the exact value is 0
(``log(1/u) + log(u)``), which strict evaluation cannot certify, the two sides agree when
their difference is below the working precision of their terms, at two precisions. Each
evaluation runs under a time budget.

A derivative SymPy takes is cross-checked by :func:`derivative_gap`: at a point, its
value against a 50-digit numerical derivative of the expression (mpmath's ``diff``, which
raises the precision for the difference quotient itself), from the left and from the
right; where these two differ the expression has a kink there and the point decides
nothing.

A side is defined at a point when every part of it is real and finite there, not only its
value: ``asin(x) + acos(x)`` is ``pi/2`` at ``x = 2`` in the complex numbers, but neither
term is a real number. :func:`undefined_part` finds the part that is not, and
:func:`needs` says what it requires (``asin(x)`` needs ``-1 <= x <= 1``).
"""

import warnings

import mpmath
import numpy as np
import sympy as sp

from xentlib.symbolic.budgets import within

__all__ = ["compare", "defined_on_one_side", "defined_throughout", "derivative_gap",
           "inside_domains", "lambdify_numpy", "missing_conditions", "needs", "undefined_part"]

DIGITS = 50
# The 50 digits are guaranteed, so two equal sides agree to about 1e-50: a relative gap
# above 1e-45 is real. A saturated branch differs that little (1 against sigma(100.1)
# is a gap of 4e-44).
HP_RTOL = 1e-45
# Processor seconds for one 50-digit evaluation of one side.
HP_SECONDS = 2.0
# A disagreement is confirmed with doubling precision up to this many digits; each side
# must be stable between two successive precisions to half the digits of the lower one
# (cancellation loses some), so that after 60, 120 and 240 digits the values are good to
# 60 digits, beyond the tolerance.
ESCALATE_DIGITS = 3840


class _Unresolved(Exception):
    """High-precision evaluation gave no usable digits at this point (or ran out of
    time)."""


def _hp(expr, point, digits):
    """``expr`` at ``point`` with ``digits`` guaranteed digits: a SymPy number, or None
    where it is undefined (raises :class:`_Unresolved` where the digits cannot be
    guaranteed, or the evaluation runs out of time)."""
    # The decimal the reader sees (0.1 is 1/10, not the binary float nearest to it).
    exact = {s: v if isinstance(v, sp.Basic) else sp.Rational(repr(float(v)))
             for s, v in point.items()}
    expr = sp.sympify(expr)
    # evalf's own substitution: exact values, evaluated adaptively without building
    # exact powers such as (3/4)**734512. Where it cannot tell an exact subexpression
    # from 0 (z_2 - Max(z_1, z_2) at z_2 > z_1), or is slow (a step function, which it
    # evaluates by substitution again and again), the point substituted exactly
    # first: SymPy then simplifies that subexpression to the exact 0 it is.
    by_evalf = (HP_SECONDS, lambda: expr.evalf(digits, subs=exact, maxn=6 * digits,
                                               strict=True))
    exactly = (HP_SECONDS / 2, lambda: expr.xreplace(exact).evalf(digits, maxn=6 * digits,
                                                                  strict=True))
    piecewise = expr.has(sp.Heaviside, sp.Max, sp.Min, sp.Piecewise, sp.Abs, sp.sign)
    attempts = (exactly, by_evalf) if piecewise else (by_evalf, exactly)
    for n, (seconds, attempt) in enumerate(attempts):
        try:
            finished, v = within(seconds, attempt)
        except sp.core.evalf.PrecisionExhausted:
            continue
        except (TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError,
                AttributeError):
            if n + 1 < len(attempts):
                continue
            return None
        if not finished:
            continue
        if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return None
        return v
    raise _Unresolved()


def compare(l, r, point, rtol=HP_RTOL):
    """``"agree"``, ``"differ"``, ``"undefined"`` (both sides undefined, or both not real
    and equal) or ``"unresolved"``, and the two values.

    Values are floats, a complex where a side is not real, ``nan`` where it is undefined.
    The digits are guaranteed (strict evaluation), so a relative gap above ``rtol``
    is real; it must show at 50 and at 75 digits to count.
    """
    for digits in (DIGITS, DIGITS + 25):
        try:
            lv, rv = _hp(l, point, digits), _hp(r, point, digits)
        except _Unresolved:
            return _cancelling(l, r, point)
        if lv is None and rv is None:
            return "undefined", np.nan, np.nan
        if lv is None or rv is None:
            return _escalated(l, r, point, rtol, ("differ", _value(lv), _value(rv)))
        lval, rval = _value(lv), _value(rv)
        gap = abs(sp.N(lv - rv, digits))
        if gap <= rtol * max(abs(lv), abs(rv)):
            both_complex = isinstance(lval, complex) and isinstance(rval, complex)
            return ("undefined" if both_complex else "agree"), lval, rval
    return _escalated(l, r, point, rtol, ("differ", lval, rval))


def differ_exactly(l, r, point, rtol=HP_RTOL):
    """The two values where the sides, both real and finite at the exact ``point``
    (SymPy numbers, such as 1/3), differ; else None. The point is substituted exactly,
    so a condition that holds only there (``Eq(x, 1/3)``) is decided right."""
    try:
        lv, rv = _hp(l, point, DIGITS), _hp(r, point, DIGITS)
    except _Unresolved:
        return None
    if lv is None or rv is None:
        return None
    lval, rval = _value(lv), _value(rv)
    if isinstance(lval, complex) or isinstance(rval, complex):
        return None
    if abs(sp.N(lv - rv, DIGITS)) <= rtol * max(abs(lv), abs(rv)):
        return None
    return lval, rval


def _escalated(l, r, point, rtol, found):
    """Confirm a disagreement with working precision doubled until both sides are stable.

    ``evalf`` can lose an argument entirely (``log(1 + u)`` with ``u = e^{-199}`` is 0 at
    50 digits, ``log1p(-sigma(166))`` undefined): evaluated with mpmath at 60, 120, ...
    3840 digits, each side must give the same digits (half those of the lower precision)
    at three successive precisions before the verdict stands. Returns ``found`` (the
    50-digit verdict) where the lines cannot be evaluated this way, ``"unresolved"``
    where the sides never settle.
    """
    symbols = sorted(point, key=str)
    try:
        sides = [sp.lambdify(symbols, e, modules="mpmath") for e in (l, r)]
    except (TypeError, ValueError, NameError, AttributeError, NotImplementedError,
            SyntaxError, KeyError):
        return found

    def at(dps):
        values = []
        with mpmath.workdps(dps):
            args = [mpmath.mpf(repr(float(point[s]))) for s in symbols]
            for f in sides:
                try:
                    v = mpmath.mpmathify(f(*args))
                except (ZeroDivisionError, ValueError, OverflowError):
                    v = None
                values.append(v if v is not None and mpmath.isfinite(v) else None)
        return tuple(values)

    def settled(dps):
        # Stable across three precisions: a lost argument can give the same 0 twice.
        previous, values, stable = None, None, 0
        while dps <= ESCALATE_DIGITS:
            previous, values = values, at(dps)
            tolerance = mpmath.mpf(10) ** -(dps // 4)
            same = previous is not None and all(
                (a is None and b is None) or (a is not None and b is not None and
                                               abs(a - b) <= tolerance * abs(b))
                for a, b in zip(previous, values))
            stable = stable + 1 if same else 0
            # An exact 0 against a tiny value may be an argument lost at this precision
            # too (log(1 + e^{-590}) is 0 below 260 digits): it stands at the last one.
            lopsided = sum(v == 0 for v in values if v is not None) == 1
            if stable >= 2 and (not lopsided or 2 * dps > ESCALATE_DIGITS):
                return values
            dps *= 2
        return None

    try:
        finished, values = within(HP_SECONDS * 2, settled, DIGITS + 10)
    except (TypeError, NameError, AttributeError):
        return found
    if not finished:
        return found  # a large line: the 50-digit verdict stands
    if values is None:
        return "unresolved", np.nan, np.nan
    lv, rv = values
    # Undefined at every precision is undefined only where the exact point makes it so
    # (1/(1 - a) at a = 1); log1p(-sigma(370000)) stays beyond any precision tried.
    for v, e in ((lv, l), (rv, r)):
        if v is None and not _exactly_undefined(e, point):
            return "unresolved", np.nan, np.nan
    if lv is None and rv is None:
        return "undefined", np.nan, np.nan
    if lv is None or rv is None:
        return "differ", _mp_value(lv), _mp_value(rv)
    lval, rval = _mp_value(lv), _mp_value(rv)
    if abs(lv - rv) <= rtol * max(abs(lv), abs(rv)):
        both_complex = isinstance(lval, complex) and isinstance(rval, complex)
        return ("undefined" if both_complex else "agree"), lval, rval
    return "differ", lval, rval


def _cancelling(l, r, point):
    """``"agree"`` where the two sides differ by less than the working precision of their
    terms at 60 and at 120 digits (a side whose exact value is 0, such as ``log(1/u) +
    log(u)``, which strict evaluation cannot certify); ``"unresolved"`` otherwise."""
    symbols = sorted(point, key=str)
    terms = [t for e in (l, r) for t in sp.Add.make_args(sp.sympify(e))]
    try:
        fns = [sp.lambdify(symbols, e, modules="mpmath") for e in [l, r] + terms]
    except (TypeError, ValueError, NameError, AttributeError, NotImplementedError,
            SyntaxError, KeyError):
        return "unresolved", np.nan, np.nan

    def within_precision(dps):
        with mpmath.workdps(dps):
            args = [mpmath.mpf(repr(float(point[s]))) for s in symbols]
            lv, rv, *tv = [mpmath.mpmathify(f(*args)) for f in fns]
            if not all(mpmath.isfinite(v) for v in [lv, rv] + tv):
                return None
            scale = max([abs(v) for v in [lv, rv] + tv] + [mpmath.mpf(0)])
            return (lv, rv) if abs(lv - rv) <= mpmath.mpf(10) ** (20 - dps) * scale else None

    try:
        finished, values = within(HP_SECONDS, lambda: [within_precision(d) for d in (60, 120)])
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, NameError,
            AttributeError):
        return "unresolved", np.nan, np.nan
    if not finished or any(v is None for v in values):
        return "unresolved", np.nan, np.nan
    lv, rv = values[-1]
    return "agree", _mp_value(lv), _mp_value(rv)


# Functions real only on part of the real line: the condition each needs, as a text
# about its argument.
_NEEDS = {
    sp.log: "{0} > 0",
    sp.asin: "-1 ≤ {0} ≤ 1",
    sp.acos: "-1 ≤ {0} ≤ 1",
    sp.atanh: "-1 < {0} < 1",
    sp.acoth: "|{0}| > 1",
    sp.acosh: "{0} ≥ 1",
}


# Functions real and finite wherever their arguments are: never the part that is not.
_TOTAL = (sp.exp, sp.sin, sp.cos, sp.tanh, sp.sinh, sp.cosh, sp.atan, sp.Abs, sp.sign,
          sp.Max, sp.Min, sp.Piecewise, sp.Heaviside, sp.KroneckerDelta, sp.erf, sp.floor,
          sp.ceiling)


def undefined_part(expr, point):
    """The first part of ``expr`` (innermost first) that is not a finite real number at
    ``point`` (substituted exactly), or None; also None where this cannot be decided in
    time. Only parts that can fail are evaluated: a log, an inverse trigonometric
    function, a power with a negative or fractional exponent, a function it does not
    know."""
    # A first look with 30-digit Floats (an exact power of a rational is slow to build);
    # a part found there is confirmed with the point substituted exactly, where
    # evaluation is adaptive (1 - sigma(79) is e^{-79}, not the 0 of 30 digits).
    # An exact value (a root such as 1/3) stays exact.
    floats = {s: sp.Float(v, 30) if isinstance(v, sp.Basic) else sp.Float(repr(float(v)), 30)
              for s, v in point.items()}
    exact = {s: v if isinstance(v, sp.Basic) else sp.Rational(repr(float(v)))
             for s, v in point.items()}

    def can_fail(node):
        if isinstance(node, sp.Pow):
            return not (node.exp.is_integer and node.exp.is_nonnegative)
        return isinstance(node, sp.Function) and not isinstance(node, _TOTAL)

    def fails(node, values):
        v = node.xreplace(values)
        if v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return True
        # SymPy numbers: a value beyond the range of a float (e^{10^6}) is finite.
        v = v.evalf(30, chop=True)
        if not v.is_number or v.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
            return False
        re_, im_ = v.as_real_imag()
        return bool(abs(im_) > sp.Float("1e-20") * sp.Max(1, abs(re_)))

    def find():
        for node in sp.postorder_traversal(sp.sympify(expr)):
            if node.is_Atom or not can_fail(node) or not node.free_symbols <= set(point):
                continue
            if fails(node, floats) and fails(node, exact):
                return node
        return None

    try:
        finished, node = within(HP_SECONDS, find)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError,
            AttributeError):
        return None
    return node if finished else None


def missing_conditions(l, r, point, sides=(True, True)):
    """What the parts of the two sides (those ``sides`` selects) that are not real
    numbers at ``point`` need, as a text: ``"left side: log(u) needs u > 0"``; or None."""
    parts = [undefined_part(e, point) if look else None for e, look in zip((l, r), sides)]
    return _named(parts)


def _named(parts):
    return "; ".join(f"{'left' if n == 0 else 'right'} side: {part} {needs(part)}"
                     for n, part in enumerate(parts) if part is not None) or None


def defined_throughout(l, r, point, lv, rv):
    """The verdict at a point where the two sides agree at 50 digits but floating point
    found one undefined, with what is missing (or None).

    A side counts as defined only where every part of it is a real number (``asin(x) +
    acos(x)`` is ``pi/2`` at ``x = 2``, but ``asin(2)`` is not real): one side defined
    and the other not is ``"differ"`` (the undefined side's value nan); both not,
    ``"undefined"``; else ``"agree"``.
    """
    parts = [undefined_part(l, point), undefined_part(r, point)]
    if parts[0] is None and parts[1] is None:
        return "agree", lv, rv, None
    if parts[0] is not None and parts[1] is not None:
        return "undefined", np.nan, np.nan, _named(parts)
    if parts[0] is not None:
        return "differ", np.nan, rv, _named(parts)
    return "differ", lv, np.nan, _named(parts)


def defined_on_one_side(l, r, point):
    """Where, at ``point`` (exact values stay exact), exactly one side has a part that
    is not a finite real number and the other is a real number: the two values (nan on
    the undefined side) and what is missing (``"left side: 1/a needs a ≠ 0"``); else
    None. SymPy's value may be defined where the line as written is not
    (``1/(1 + (1 - a)/a)`` is 0 for SymPy at a = 0)."""
    parts = [undefined_part(l, point), undefined_part(r, point)]
    if (parts[0] is None) == (parts[1] is None):
        return None
    try:
        v = _hp(r if parts[0] is not None else l, point, DIGITS)
    except _Unresolved:
        return None
    value = _value(v) if v is not None else None
    if value is None or isinstance(value, complex) or not np.isfinite(value):
        return None
    lv, rv = (np.nan, value) if parts[0] is not None else (value, np.nan)
    return lv, rv, _named(parts)


def needs(node):
    """What a part that is not a real number requires, as a text: ``"needs u > 0"``."""
    for func, text in _NEEDS.items():
        if isinstance(node, func):
            return "needs " + text.format(node.args[0])
    if isinstance(node, sp.Pow):
        base, exp = node.args
        if exp.is_integer and exp.is_negative:
            return f"needs {base} ≠ 0"
        if exp.is_negative:
            return f"needs {base} > 0"
        return f"needs {base} ≥ 0"
    if node.func.__name__ == "log1p":
        return f"needs {node.args[0]} > -1"
    return f"needs {node} to be a real number"


# A derivative and its numerical value agree to this relative tolerance (of the larger
# of the two, or of the function's own size where both are near 0).
DERIVATIVE_RTOL = mpmath.mpf(10) ** -25


def derivative_gap(derivative, point, digits=DIGITS):
    """SymPy's value of ``derivative`` (a ``Derivative``) at ``point`` and a numerical one,
    as two floats where they differ; None where they agree, or where the point cannot
    decide (a kink, a value not real, not finite or not stable between ``digits`` and
    twice as many, the time budget exhausted)."""
    symbols = sorted(point, key=str)
    variables = [v for v, _ in derivative.variable_count]
    orders = [int(n) for _, n in derivative.variable_count]
    if not set(variables) <= set(point) or not derivative.free_symbols <= set(point):
        return None

    def at_precision(function, symbolic, dps):
        """(SymPy's value, the numerical one, the function's value), or None at a kink."""
        with mpmath.workdps(dps):
            at = {s: mpmath.mpf(repr(float(point[s]))) for s in symbols}

            def along(*values):
                moved = {**at, **dict(zip(variables, values))}
                return function(*[moved[s] for s in symbols])

            start = [at[v] for v in variables]
            if len(variables) == 1:
                left, right = (mpmath.diff(along, start[0], orders[0], direction=d)
                               for d in (-1, 1))
                if not _close(left, right, mpmath.mpf(0)):
                    return None  # a kink: no derivative here
                numeric = (left + right) / 2
            else:
                numeric = mpmath.diff(along, start, orders)
            values = (mpmath.mpmathify(symbolic(*[at[s] for s in symbols])), numeric,
                      abs(mpmath.mpmathify(along(*start))))
        if not all(mpmath.isfinite(v) and mpmath.im(v) == 0 for v in values):
            return None
        return values

    def gap():
        function = sp.lambdify(symbols, derivative.expr, modules="mpmath")
        symbolic = sp.lambdify(symbols, derivative.doit(), modules="mpmath")
        first = at_precision(function, symbolic, digits)
        if first is None or _close(*first):
            return None
        # Digits lost to cancellation (a softmax at z = 540000) change with the
        # precision: only a disagreement that stands at twice the digits counts.
        second = at_precision(function, symbolic, 2 * digits)
        if second is None or _close(*second):
            return None
        if not all(_close(a, b, mpmath.mpf(0)) for a, b in zip(first[:2], second[:2])):
            return None
        return float(second[0]), float(second[1])

    try:
        finished, found = within(HP_SECONDS, gap)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, NameError,
            AttributeError, KeyError, NotImplementedError, SyntaxError, RecursionError):
        return None
    return found if finished else None


def _close(a, b, size):
    return abs(a - b) <= DERIVATIVE_RTOL * max(abs(a), abs(b), size)


def _exactly_undefined(expr, point):
    """Whether ``expr`` with the point substituted exactly is SymPy's ``zoo`` or ``nan``."""
    exact = {s: sp.Rational(repr(float(v))) for s, v in point.items()}
    try:
        finished, e = within(HP_SECONDS, lambda: sp.sympify(expr).xreplace(exact))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError):
        return True
    return bool(finished) and e.has(sp.nan, sp.zoo, sp.oo, -sp.oo)


def _mp_value(v):
    if v is None:
        return np.nan
    v = complex(v)
    if abs(v.imag) > 1e-30 * max(1, abs(v.real)):
        return v
    return v.real


def _value(v):
    """A 50-digit value as a float, a complex where it is not real, nan where undefined."""
    if v is None:
        return np.nan
    re_, im_ = (float(t) for t in v.as_real_imag())
    if abs(im_) > 1e-30 * max(1, abs(re_)):
        return complex(re_, im_)
    return re_


def inside_domains(substitutions, kinds, symbols, point, index_map, n_points):
    """Which points keep every substituted symbol with a domain inside it."""
    inside = np.ones(n_points, dtype=bool)
    for sym, expr in substitutions:
        kind = kinds.get(index_map.get(sym, sym))
        if kind is None:
            continue
        expr = sp.sympify(expr).xreplace(index_map)
        if not expr.free_symbols <= set(symbols):
            continue
        f = lambdify_numpy(symbols, [expr])
        if f is None:
            continue
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                v = np.broadcast_to(np.asarray(f(*[point[s] for s in symbols])[0], dtype=float),
                                    (n_points,))
            except (TypeError, ValueError, ZeroDivisionError, OverflowError):
                continue
        inside &= _in_domain_values(v, kind)
    return inside


def _in_domain_values(v, kind):
    """Which values lie in a domain kind."""
    with np.errstate(invalid="ignore"):
        return {"positive": v > 0, "negative": v < 0, "nonnegative": v >= 0,
                "unit": (v > 0) & (v < 1)}.get(kind, np.isfinite(v))


def lambdify_numpy(symbols, exprs):
    # Plain argument names: SymPy would otherwise rename "z[1]" itself, slowly.
    plain = {s: sp.Symbol(f"_x{n}", **s.assumptions0) for n, s in enumerate(symbols)}
    # Renamed without evaluating: exp(log(a)) written unevaluated stays undefined at a < 0.
    with sp.evaluate(False):
        renamed = [e.xreplace(plain) for e in exprs]
    try:
        return sp.lambdify([plain[s] for s in symbols], renamed,
                           modules="numpy", dummify=False)
    except (TypeError, ValueError, NameError, AttributeError, NotImplementedError,
            SyntaxError, KeyError):
        return None
