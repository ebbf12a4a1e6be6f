"""Show xentlib's own source in a notebook, the same in JupyterLab and on the site.

A chapter shows the code it derives from the library itself, never a copy, so the two
cannot drift apart. ``source(xl.cross_entropy_grad)`` returns a :class:`Listing` whose
Markdown form is a fenced Python block (JupyterLab and the static site both render it,
highlighted) and whose plain-text form is the source itself. ``pytest --nbval`` compares
that text with the notebook's saved output, so a change to the library that a chapter
shows fails the tests until the chapter is re-executed and re-read.

Examples:
  >>> from xentlib.activations import sigmoid
  >>> print(next(line for line in source(sigmoid).text.splitlines() if line.startswith("def")))
  def sigmoid(x):
"""

import dataclasses
import inspect
import re
import textwrap

__all__ = ["Listing", "source"]


@dataclasses.dataclass(frozen=True)
class Listing:
    """Source code with the name of the file it comes from.

    Attributes:
      text: the code, dedented.
      origin: where it lives, e.g. ``xentlib/activations.py``.
    """

    text: str
    origin: str

    def _repr_markdown_(self):
        # A fence longer than any run of backticks in the code keeps it closed.
        longest = max((len(run) for run in re.findall("`+", self.text)), default=0)
        fence = "`" * max(3, longest + 1)
        return f"{fence}python\n{self.text}\n{fence}\n\n<small>{self.origin}</small>\n"

    def __repr__(self):
        return f"# {self.origin}\n{self.text}"


def source(obj):
    """The source code of a function, class or method, as a :class:`Listing`.

    Args:
      obj: a function, class or method defined in a Python file.

    Returns:
      A :class:`Listing`: displayed as highlighted code in Jupyter and in the book.
    """
    target = inspect.unwrap(obj)
    path = inspect.getsourcefile(target)
    if path is None:
        raise TypeError(f"{obj!r} has no Python source file to show")
    marker = "/xentlib/"
    posix = path.replace("\\", "/")
    origin = "xentlib/" + posix.rsplit(marker, 1)[1] if marker in posix else posix.rsplit("/", 1)[-1]
    text = textwrap.dedent(inspect.getsource(target)).rstrip("\n")
    return Listing(text=text, origin=origin)
