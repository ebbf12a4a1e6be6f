r"""Your turn: exercises where the learner writes the derivation and the book checks it.

Each :class:`YourTurn` is defined once (:mod:`~xentlib.yourturn.catalog` holds the
book's) and has two forms:

* **live**, in Jupyter: ``ex.check(("expression", "reason"), ...)`` reads each line
  (echoed back typeset, so a typing slip shows as one), checks each step with
  :func:`xentlib.symbolic.check_equal` (proved, tested, or refuted with a counterexample
  in the learner's symbols), checks that the last line is the book's result, and gives
  the hint of the typical mistake it matches. Without lines it says "not attempted yet".
* **static**, on the site: displaying ``ex`` gives a self-contained form
  (:mod:`~xentlib.yourturn.static`) that checks the final formula in the browser, with
  math.js, against the book's values at the same random points: a test, not a proof, and
  labelled so.

Modules: :mod:`~xentlib.yourturn.reading` (the learner's text to SymPy, safely),
:mod:`~xentlib.yourturn.sampling` (the points), :mod:`~xentlib.yourturn.exercise`
(:class:`YourTurn`, :class:`Mistake`, :class:`Attempt`), :mod:`~xentlib.yourturn.static`
(the HTML form), :mod:`~xentlib.yourturn.catalog` (the book's exercises).

Examples:
  >>> from xentlib.yourturn import exercise
  >>> ex = exercise("02-bce-gradient")
  >>> print(ex.check().summary())
  not attempted yet: write your lines in check(...), each "expression" or ("expression", "reason").
  >>> print(ex.check("y - a").summary())  # doctest: +ELLIPSIS
  the last line is not the result (at ...: yours is ..., the result is ...); hint: check the sign: ...
"""

from xentlib.yourturn.catalog import KEYS, exercise
from xentlib.yourturn.exercise import Attempt, Mistake, YourTurn
from xentlib.yourturn.reading import ReadError, read_expression
from xentlib.yourturn.sampling import (derived, index, real, sigmoid_of, simplex, size,
                                       softmax_of, unit, vector)

__all__ = ["KEYS", "Attempt", "Mistake", "ReadError", "YourTurn", "derived", "exercise",
           "index", "read_expression", "real", "sigmoid_of", "simplex", "size", "softmax_of",
           "unit", "vector"]
