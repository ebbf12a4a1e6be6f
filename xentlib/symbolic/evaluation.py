r"""Evaluating a line at a point: in floating point with NumPy, and to 50 digits.

Floating point screens the test points; 50-digit evaluation decides. Its digits are
guaranteed (``evalf(strict=True)``), first with evalf's own substitution and, where that
cannot tell an exact subexpression from 0 (``z_2 - Max(z_1, z_2)`` at ``z_2 > z_1``), with
the point substituted exactly first; so a counterexample is never thrown away because of
an exact part, and never made of lost digits. Where evalf loses an argument altogether
(``log(1 + e^{-199})`` is 0 to 50 digits), a disagreement is confirmed again with mpmath
at doubling precision until both sides are stable. Each evaluation runs under a time
budget.
"""

import warnings

import mpmath
import numpy as np
import sympy as sp

from xentlib.symbolic.budgets import within

__all__ = ["compare", "inside_domains", "lambdify_numpy"]

DIGITS = 50
HP_RTOL = 1e-25
# Processor seconds for one 50-digit evaluation of one side.
HP_SECONDS = 2.0
# A disagreement is confirmed with doubling precision up to this many digits; each side
# must be stable to this relative tolerance between two successive precisions.
ESCALATE_DIGITS = 3840
STABLE_RTOL = mpmath.mpf(10) ** -40


class _Unresolved(Exception):
    """High-precision evaluation gave no usable digits at this point (or ran out of
    time)."""


def _hp(expr, point, digits):
    """``expr`` at ``point`` with ``digits`` guaranteed digits: a SymPy number, or None
    where it is undefined (raises :class:`_Unresolved` where the digits cannot be
    guaranteed, or the evaluation runs out of time)."""
    # The decimal the reader sees (0.1 is 1/10, not the binary float nearest to it).
    exact = {s: sp.Rational(repr(float(v))) for s, v in point.items()}
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
            return "unresolved", np.nan, np.nan
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


def _escalated(l, r, point, rtol, found):
    """Confirm a disagreement with working precision doubled until both sides are stable.

    ``evalf`` can lose an argument entirely (``log(1 + u)`` with ``u = e^{-199}`` is 0 at
    50 digits, ``log1p(-sigma(166))`` undefined): evaluated with mpmath at 60, 120, ...
    3840 digits, each side must give the same 40 digits at three successive precisions
    before the verdict stands. Returns ``found`` (the 50-digit verdict) where the lines
    cannot be evaluated this way, ``"unresolved"`` where the sides never settle.
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
            same = previous is not None and all(
                (a is None and b is None) or (a is not None and b is not None and
                                               abs(a - b) <= STABLE_RTOL * abs(b))
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
    try:
        return sp.lambdify([plain[s] for s in symbols], [e.xreplace(plain) for e in exprs],
                           modules="numpy", dummify=False)
    except (TypeError, ValueError, NameError, AttributeError, NotImplementedError,
            SyntaxError, KeyError):
        return None
