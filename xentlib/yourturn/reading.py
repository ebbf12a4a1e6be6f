r"""Reading a learner's line: text to a SymPy expression, or a message in plain words.

A line is written in the notation the static page reads too (math.js), which is also
Python: ``a*(1 - a)``, ``exp(-z)``, ``a[i]``, ``delta(i, j)``, ``sigma(z)``,
``max(z, 0)``, ``Sum(exp(z[k] - c), k, 1, C)``; ``^`` and ``**`` are both powers.

Nothing the learner types is run as Python until it has passed a check of every token:
names must be the exercise's symbols or the functions below, and no keyword, attribute,
string or dunder gets through. A problem is reported as a :class:`ReadError` whose
message names it (an unknown name, a bracket never closed, a missing ``*``), never as a
SymPy or Python traceback.
"""

import io
import keyword
import tokenize

import sympy as sp
from sympy.parsing.sympy_parser import auto_number, convert_xor, parse_expr, rationalize

from xentlib.symbolic import sigmoid

__all__ = ["FUNCTIONS", "ReadError", "read_expression"]


class ReadError(ValueError):
    """The learner's text could not be read; the message says why, in plain words."""


def _sum(term, index, low, high):
    """``Sum(term, k, 1, C)``: the sum of ``term`` for ``k`` from ``low`` to ``high``."""
    if not isinstance(index, sp.Symbol):
        raise ReadError(f"the second argument of Sum is the index to sum over, e.g. k; got {index}")
    return sp.Sum(term, (index, low, high))


# The functions a learner may call, with the name they are written with.
FUNCTIONS = {
    "exp": sp.exp,
    "log": sp.log,
    "sqrt": sp.sqrt,
    "abs": sp.Abs,
    "max": sp.Max,
    "min": sp.Min,
    "sigma": sigmoid,
    "delta": sp.KroneckerDelta,
    "Sum": _sum,
}
CONSTANTS = {"pi": sp.pi}
_OPENING = {"(": ")", "[": "]"}
_CLOSING = {")": "(", "]": "["}
_ALLOWED_OPS = set("+-*/^(),[]") | {"**"}


def _tokens(text):
    try:
        return [t for t in tokenize.generate_tokens(io.StringIO(text).readline)
                if t.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER,
                                  tokenize.INDENT, tokenize.DEDENT)]
    except tokenize.TokenError:
        raise ReadError(_bracket_problem(text) or "the line ends in the middle of something; "
                        "check the brackets") from None
    except (IndentationError, SyntaxError) as e:
        raise ReadError(f"could not read the line: {e.msg}") from None


def _bracket_problem(text):
    """The first unbalanced bracket, described in words, or None."""
    stack = []
    for pos, ch in enumerate(text):
        if ch in _OPENING:
            stack.append((ch, pos))
        elif ch in _CLOSING:
            if not stack:
                return f"the '{ch}' at position {pos + 1} closes a bracket that was never opened"
            opened, at = stack.pop()
            if _OPENING[opened] != ch:
                return (f"the '{opened}' at position {at + 1} is closed by '{ch}' at position "
                        f"{pos + 1}; it needs '{_OPENING[opened]}'")
    if stack:
        opened, at = stack[-1]
        return f"the '{opened}' at position {at + 1} is never closed"
    return None


def _check_tokens(text, names):
    problem = _bracket_problem(text)
    if problem:
        raise ReadError(problem)
    tokens = _tokens(text)
    previous = None
    for tok in tokens:
        kind, s = tok.type, tok.string
        if kind == tokenize.NAME:
            if keyword.iskeyword(s):
                raise ReadError(f"'{s}' is a Python keyword, not part of a formula")
            if "__" in s:
                raise ReadError(f"'{s}' is not a name a formula may use")
            if s not in names:
                known = ", ".join(sorted(names))
                raise ReadError(f"unknown name '{s}': this exercise knows {known}")
            if previous is not None and previous.type in (tokenize.NAME, tokenize.NUMBER):
                raise ReadError(f"'{previous.string} {s}': write * between factors, "
                                f"e.g. {previous.string}*{s}")
        elif kind == tokenize.NUMBER:
            if s.lower().endswith("j") or any(c in s.lower() for c in "xob_"):
                raise ReadError(f"'{s}' is not a plain decimal number")
            if previous is not None and previous.type in (tokenize.NAME, tokenize.NUMBER):
                raise ReadError(f"'{previous.string} {s}': write * between factors")
        elif kind == tokenize.OP:
            if s == ".":
                raise ReadError("a '.' outside a number: attributes are not part of a formula")
            if s not in _ALLOWED_OPS:
                raise ReadError(f"'{s}' is not an operation a formula may use "
                                "(use + - * / ^ and brackets)")
            if s == "(" and previous is not None and previous.type == tokenize.NUMBER:
                raise ReadError(f"'{previous.string}(': write * before the bracket")
        elif kind == tokenize.STRING or kind == tokenize.ERRORTOKEN:
            raise ReadError(f"'{s.strip() or tok.line.strip()}' is not part of a formula")
        else:
            raise ReadError(f"'{s}' is not part of a formula")
        previous = tok
    if not tokens:
        raise ReadError("the line is empty")


def read_expression(text, symbols):
    """Read a learner's line as a SymPy expression.

    Args:
      text: the line, e.g. ``"a*(1 - a)"`` or ``"a[i]*(delta(i, j) - a[j])"``.
      symbols: dict ``{name: SymPy Symbol or IndexedBase}``, the names the line may use
        besides :data:`FUNCTIONS` and ``pi``.

    Returns:
      The expression, numbers exact (``0.5`` is read as ``1/2``).

    Raises:
      ReadError: the line is empty, has an unknown name, unbalanced brackets, a Python
        keyword or anything else that is not a formula, or reads as infinite (``1/0``,
        ``log(0)``); the message says which.

    Examples:
      >>> import sympy as sp
      >>> a = sp.Symbol("a", real=True)
      >>> read_expression("a^2 - 0.5*a", {"a": a})
      a**2 - a/2
      >>> read_expression("import os", {"a": a})
      Traceback (most recent call last):
        ...
      xentlib.yourturn.reading.ReadError: 'import' is a Python keyword, not part of a formula
    """
    if not isinstance(text, str):
        raise ReadError(f"a line is text, e.g. \"a - y\"; got {type(text).__name__}")
    if not text.strip():
        raise ReadError("the line is empty")
    if "\n" in text.strip():
        raise ReadError("one formula per line")
    namespace = {**FUNCTIONS, **CONSTANTS, **symbols}
    _check_tokens(text.strip(), namespace)
    try:
        expr = parse_expr(text.strip(), local_dict=dict(symbols),
                          global_dict={"__builtins__": {}, **FUNCTIONS, **CONSTANTS,
                                       "Integer": sp.Integer, "Float": sp.Float,
                                       "Rational": sp.Rational},
                          transformations=(auto_number, rationalize, convert_xor))
    except ReadError:
        raise
    except SyntaxError:
        raise ReadError("could not read the line as a formula: look for an operator with "
                        "nothing on one side, or a missing * or comma") from None
    except TypeError as e:
        raise ReadError(f"a function got the wrong arguments ({_first_line(e)}); e.g. "
                        "sigma(z), delta(i, j), max(z, 0), Sum(exp(z[k]), k, 1, C)") from None
    except Exception as e:  # anything SymPy raises on a malformed formula
        raise ReadError(f"could not read the line as a formula ({_first_line(e)})") from None
    if not isinstance(expr, sp.Expr):
        raise ReadError("the line is not a formula with a value (a tuple or a comparison?)")
    if expr.has(sp.zoo, sp.oo, sp.S.NegativeInfinity, sp.nan):
        raise ReadError("the line reads as infinite or undefined (a division by zero, or the "
                        "log of 0, as written): write a formula with a finite value")
    return expr


def _first_line(e):
    return str(e).splitlines()[0] if str(e) else type(e).__name__
