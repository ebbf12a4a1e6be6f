"""Slider figures that work in Jupyter and on the static site.

A chapter describes one picture as a function of a few parameters,
``plot(fig, **values)``, and :func:`slider_figure` turns it into a figure with
sliders:

* in Jupyter with a kernel it is a live ipywidgets control: moving a slider
  calls ``plot`` again and redraws;
* on the static website (no kernel, no network) the same cell output carries
  every state of the slider grid, precomputed when the book was built, as
  small lossless WebP frames, and a few lines of inline JavaScript swap them
  when a slider moves or a choice button is pressed;
* without JavaScript (or in a PDF) the reader sees the default state, the
  figure drawn at the initial values.

A :class:`Slider` is a range slider everywhere; a :class:`Choice` is a group
of buttons, one per option, on the site and in Jupyter (ipywidgets
``ToggleButtons``; a ``Dropdown`` beyond eight options). Labels may contain
TeX between dollar signs, ``"logit $z_1$"``: the site typesets it with the
page's MathJax and JupyterLab typesets widget descriptions itself.

Text stays legible on a phone: the frames are drawn with a font size that
grows with the figure's width, so that tick labels are at least 12 CSS pixels
tall when the figure is shrunk to a 358-pixel phone column (a 390-pixel
screen); for a 6-inch-wide figure that is 14.5 points instead of
matplotlib's 10. :func:`book_figures` applies the same rule to a notebook's
static matplotlib figures, drawn as SVG.

Panels side by side (``fig.subplots(1, 2)``) are cut apart, one image
each, in a row that wraps below a 640-pixel screen: on a phone each panel is
as wide as the column, one above the other, instead of two half-width panels
with half-size text. Every image has alt text made from what the figure says
about itself (titles, axis labels, legend entries) and, for a slider figure,
the controls' values. Figures are drawn on white; the site's dark scheme
inverts their lightness and keeps their hues (``_ext/static/xent-figures.css``).

The object is displayed by its MIME bundle: the widget view (chosen by
JupyterLab), ``text/html`` (chosen by the book's HTML builder, see
``nb_mime_priority_overrides`` in ``_config.yml``), ``image/png`` of the
default state (chosen by the LaTeX builder) and a short ``text/plain``.

Sizes, measured on the two-slider figure of the showcase page (7.5 x 3.2
inches, 17 x 3 = 51 states): a frame quantized to 64 colours takes 6.0 kB as a
PNG at 72 dpi, 6.3 kB at 80 dpi (the default) and 8.6 kB at 96 dpi, where a
full-colour PNG takes 19 kB (72 dpi) to 29 kB (100 dpi). Stored as lossless
WebP (the same pixels) the quantized frames take about a third less again, so
that every page of the book stays within 2.5 MB. Cut into its two panels, that
figure's frames take 12% more (each image compresses on its own; a panel that
a slider does not change is stored once). Continuous sliders get a round grid of at least 15
positions (17 for ``Slider(-8, 8)``); a figure may have at most 400 states,
so that a page with a few slider figures stays well below 5 MB. Each state is
drawn once, with the layout of the default state, which takes a few seconds
for 50 states.
"""

from __future__ import annotations

import importlib.util

_MISSING = [name for name in ("matplotlib", "ipywidgets") if importlib.util.find_spec(name) is None]
if _MISSING:
    raise ImportError(
        f"xentlib.interactive needs matplotlib and ipywidgets (missing: {', '.join(_MISSING)}): "
        'pip install "xentlib[interactive]"'
    )

import base64
import html
import io
import itertools
import json
import math
import numbers
import re
from collections.abc import Callable, Sequence
from typing import Any

__all__ = [
    "Choice", "Slider", "SliderFigure", "book_figures", "figure_alt_texts", "figure_html",
    "label_html", "label_text", "phone_font_size", "slider_figure",
]

# Positions of a continuous slider when the grid is chosen automatically.
_MIN_POSITIONS = 15
_MAX_POSITIONS = 61
_MAX_STATES = 400
_NICE_MANTISSAS = (5.0, 2.5, 2.0, 1.0)
# Choices with more options than this are a dropdown in Jupyter.
_MAX_TOGGLE_BUTTONS = 8
# Legibility on a phone: text at least _PHONE_TEXT_PX tall when the figure is
# shown _PHONE_COLUMN_PX wide (the text column of a 390-pixel-wide screen).
_PHONE_TEXT_PX = 12.0
_PHONE_COLUMN_PX = 358.0
# 12 pixels at the slider frames' 80 dpi, for a figure narrower than a phone's column.
_MIN_FONT_PT = 11.0

_MATH = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$")
_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε",
    "varepsilon": "ε", "zeta": "ζ", "eta": "η", "theta": "θ", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ",
    "sigma": "σ", "tau": "τ", "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Delta": "Δ", "Sigma": "Σ", "partial": "∂", "nabla": "∇", "infty": "∞",
    "cdot": "·", "times": "×", "le": "≤", "ge": "≥", "to": "→",
    "odot": "⊙", "langle": "⟨", "rangle": "⟩", "sqrt": "√", "sum": "Σ", "top": "ᵀ",
    "neq": "≠", "ne": "≠", "leq": "≤", "geq": "≥", "approx": "≈", "in": "∈",
}
# Exponents a screen reader can read as superscripts; any other is spelled out.
_SUPERSCRIPTS = str.maketrans(
    "0123456789+-=()Tabcdefghijklmnoprstuvwxyz", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵀᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻ"
)
_POWER_SYMBOLS = {"\\top": "ᵀ", "T": "ᵀ", "\\star": "*", "\\ast": "*", "\\prime": "′"}
# TeX spacing and delimiter commands that are not letters.
_TEX_SYMBOLS = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "|": "‖"}


def _check_label(label: str | None, kind: str) -> None:
    if label is None:
        return
    if not isinstance(label, str):
        raise TypeError(f"{kind} label must be a string, got {label!r}")
    if _MATH.sub("", label).replace("\\$", "").count("$"):
        raise ValueError(
            f"{kind} label {label!r} has an unmatched $: write math as $...$ "
            "and a literal dollar as \\$"
        )


def _label_parts(label: str) -> list[tuple[bool, str]]:
    """Split a label into (is_math, text) runs; ``\\$`` is a literal dollar."""
    parts, pos = [], 0
    for m in _MATH.finditer(label):
        if m.start() > pos:
            parts.append((False, label[pos : m.start()].replace("\\$", "$")))
        parts.append((True, m.group(1)))
        pos = m.end()
    if pos < len(label):
        parts.append((False, label[pos:].replace("\\$", "$")))
    return parts


def label_html(label: str) -> str:
    """A label as HTML: text escaped, each ``$...$`` a MathJax inline formula.

    Examples:
        >>> print(label_html("logit $z_1$ < 0"))
        logit <span class="math notranslate nohighlight">\\(z_1\\)</span> &lt; 0
    """
    return "".join(
        f'<span class="math notranslate nohighlight">\\({html.escape(t)}\\)</span>'
        if is_math
        else html.escape(t)
        for is_math, t in _label_parts(label)
    )


def label_text(label: str) -> str:
    """A label as plain text, for alt text and screen readers.

    Examples:
        >>> label_text(r"learning rate $\\eta$, logit $z_{1}$")
        'learning rate η, logit z1'
        >>> label_text(r"$\\mathrm{KL}(y\\,\\|\\,a)$")
        'KL(y ‖ a)'
        >>> label_text(r"$J^\\top g$, $8C^2$ bytes, $j \\neq k$, $e^{x/2}$, $w^\\star$")
        'Jᵀ g, 8C² bytes, j ≠ k, e to the power x/2, w*'
    """

    def superscript(m: re.Match) -> str:
        power = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
        if power in _POWER_SYMBOLS:
            return _POWER_SYMBOLS[power]
        if power and all(ord(ch) in _SUPERSCRIPTS for ch in power):
            return power.translate(_SUPERSCRIPTS)
        return f" to the power {power}"

    def plain(tex: str) -> str:
        tex = re.sub(r"\^(?:\{([^{}]*)\}|(\\[A-Za-z]+|[A-Za-z0-9]))", superscript, tex)
        tex = re.sub(r"\\([,;:! |])", lambda m: _TEX_SYMBOLS[m.group(1)], tex)
        tex = re.sub(
            r"\\([A-Za-z]+)",
            lambda m: "" if m.group(1) in _SILENT_TEX else _GREEK.get(m.group(1), m.group(1)),
            tex,
        )
        return re.sub(r"[{}_\\]", "", tex)

    return "".join(plain(t) if is_math else t for is_math, t in _label_parts(label))


def _is_real(x: Any) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _clean(x: float) -> float:
    """Round away binary noise such as 0.30000000000000004."""
    return float(f"{x:.12g}")


def _format_number(x: float) -> str:
    text = f"{x:.6g}"
    return "0" if text == "-0" else text


class Slider:
    """A continuous parameter on ``[lo, hi]``, shown as a slider.

    On the static site the slider moves over a grid of evenly spaced
    positions (at least 15). With ``steps=None`` the grid is the one with the
    fewest positions (at least 15) whose step is round (1, 2, 2.5 or 5 times
    a power of ten) and that contains ``value``; for ``Slider(-8, 8)`` that is
    the 17 integers from -8 to 8.

    Args:
        lo, hi: the ends of the range, finite, ``lo < hi``.
        steps: number of grid positions (``numpy.linspace(lo, hi, steps)``),
            at least 15, or ``None`` for the automatic grid.
        value: the initial value, on the grid; default: the grid point
            nearest the middle of the range.
        label: text beside the slider, TeX allowed between dollar signs
            (``"logit $z$"``); default: the parameter's name.

    Examples:
        >>> s = Slider(-8, 8, value=2.0, label="logit $z$")
        >>> s.grid()[:3], len(s.grid())
        ([-8.0, -7.0, -6.0], 17)
        >>> len(Slider(0, 1, value=0.3).grid())
        21
        >>> Slider(0, 1, steps=5)
        Traceback (most recent call last):
        ...
        ValueError: Slider steps must be at least 15, got 5
    """

    def __init__(
        self,
        lo: float,
        hi: float,
        *,
        steps: int | None = None,
        value: float | None = None,
        label: str | None = None,
    ) -> None:
        for name, x in (("lo", lo), ("hi", hi)):
            if not _is_real(x):
                raise TypeError(f"Slider {name} must be a real number, got {x!r}")
            if not math.isfinite(x):
                raise ValueError(f"Slider {name} must be finite, got {x!r}")
        if not lo < hi:
            raise ValueError(f"Slider needs lo < hi, got lo={lo!r}, hi={hi!r}")
        if steps is not None:
            if not isinstance(steps, numbers.Integral) or isinstance(steps, bool):
                raise TypeError(f"Slider steps must be an integer, got {steps!r}")
            if steps < _MIN_POSITIONS:
                raise ValueError(
                    f"Slider steps must be at least {_MIN_POSITIONS}, got {steps}"
                )
            if steps > _MAX_POSITIONS:
                raise ValueError(
                    f"Slider steps must be at most {_MAX_POSITIONS}, got {steps}"
                )
        if value is not None:
            if not _is_real(value):
                raise TypeError(f"Slider value must be a real number, got {value!r}")
            if not lo <= value <= hi:
                raise ValueError(
                    f"Slider value {value!r} is outside the range [{lo!r}, {hi!r}]"
                )
        _check_label(label, "Slider")
        self.lo = float(lo)
        self.hi = float(hi)
        self.steps = None if steps is None else int(steps)
        self.value = None if value is None else float(value)
        self.label = label
        if steps is not None and value is not None:
            self._index_of(self.value, self.grid())

    def grid(self) -> list[float]:
        """The slider positions, in increasing order."""
        min_positions = _MIN_POSITIONS
        if self.steps is not None:
            width = (self.hi - self.lo) / (self.steps - 1)
            return [_clean(self.lo + k * width) for k in range(self.steps)]
        for step in self._round_steps():
            intervals = (self.hi - self.lo) / step
            n = round(intervals)
            if abs(intervals - n) > 1e-9 * max(1.0, intervals):
                continue
            if not min_positions <= n + 1 <= _MAX_POSITIONS:
                continue
            if self.value is not None:
                k = (self.value - self.lo) / step
                if abs(k - round(k)) > 1e-9 * max(1.0, abs(k)):
                    continue
            return [_clean(self.lo + k * step) for k in range(n + 1)]
        for n in range(min_positions, _MAX_POSITIONS + 1):
            width = (self.hi - self.lo) / (n - 1)
            grid = [_clean(self.lo + k * width) for k in range(n)]
            if self.value is None or self._on_grid(self.value, grid):
                return grid
        raise ValueError(
            f"Slider value {self.value!r} is not on any evenly spaced grid of "
            f"{min_positions} to {_MAX_POSITIONS} positions over "
            f"[{self.lo!r}, {self.hi!r}]; pass steps= or a value on such a grid"
        )

    def _round_steps(self) -> list[float]:
        span = self.hi - self.lo
        top = math.floor(math.log10(span))
        return [
            m * 10.0**e
            for e in range(top, top - 5, -1)
            for m in _NICE_MANTISSAS
        ]

    @staticmethod
    def _on_grid(value: float, grid: Sequence[float]) -> bool:
        tol = 1e-9 * max(1.0, abs(grid[-1] - grid[0]))
        return any(abs(g - value) <= tol for g in grid)

    @staticmethod
    def _index_of(value: float, grid: Sequence[float]) -> int:
        tol = 1e-9 * max(1.0, abs(grid[-1] - grid[0]))
        for i, g in enumerate(grid):
            if abs(g - value) <= tol:
                return i
        nearest = sorted(grid, key=lambda g: abs(g - value))[:2]
        raise ValueError(
            f"Slider value {value!r} is not on the grid of {len(grid)} positions "
            f"from {grid[0]!r} to {grid[-1]!r} (nearest: "
            f"{', '.join(_format_number(g) for g in sorted(nearest))})"
        )

    def _default_index(self, grid: Sequence[float]) -> int:
        if self.value is None:
            mid = 0.5 * (self.lo + self.hi)
            return min(range(len(grid)), key=lambda i: (abs(grid[i] - mid), i))
        return self._index_of(self.value, grid)

    def __repr__(self) -> str:
        parts = [_format_number(self.lo), _format_number(self.hi)]
        if self.steps is not None:
            parts.append(f"steps={self.steps}")
        if self.value is not None:
            parts.append(f"value={_format_number(self.value)}")
        if self.label is not None:
            parts.append(f"label={self.label!r}")
        return f"Slider({', '.join(parts)})"


class Choice:
    """A discrete parameter: one of a few options, shown as a group of buttons.

    Args:
        options: the values, distinct, at least two (numbers, strings, ...);
            each button shows ``str(option)``.
        value: the initial option; default: the first.
        label: text beside the buttons, TeX allowed between dollar signs
            (``"label $y$"``); default: the parameter's name.

    Examples:
        >>> Choice([0, 1], value=1, label="label $y$")
        Choice([0, 1], value=1, label='label $y$')
        >>> Choice([0, 1], value=2)
        Traceback (most recent call last):
        ...
        ValueError: Choice value 2 is not one of the options [0, 1]
    """

    def __init__(
        self,
        options: Sequence[Any],
        *,
        value: Any = None,
        label: str | None = None,
    ) -> None:
        if isinstance(options, (str, bytes)) or not isinstance(options, Sequence):
            raise TypeError(
                f"Choice options must be a list or tuple of values, got {options!r}"
            )
        options = list(options)
        if len(options) < 2:
            raise ValueError(
                f"Choice needs at least two options, got {len(options)}"
            )
        for i, a in enumerate(options):
            if any(a == b for b in options[:i]):
                raise ValueError(f"Choice options must be distinct, {a!r} repeats")
        if value is None:
            value = options[0]
        elif not any(value == o for o in options):
            raise ValueError(
                f"Choice value {value!r} is not one of the options {options!r}"
            )
        _check_label(label, "Choice")
        self.options = options
        self.value = value
        self.label = label

    def grid(self) -> list[Any]:
        """The options, one button each."""
        return list(self.options)

    def _default_index(self, grid: Sequence[Any]) -> int:
        return next(i for i, o in enumerate(grid) if o == self.value)

    def __repr__(self) -> str:
        parts = [repr(self.options), f"value={self.value!r}"]
        if self.label is not None:
            parts.append(f"label={self.label!r}")
        return f"Choice({', '.join(parts)})"


# The format of the precomputed frames (see SliderFigure._frame).
FRAME_MIME = "image/webp"

_SCRIPT = """(function () {
var root = document.currentScript.parentNode;
var data = JSON.parse(root.querySelector("script.xsf-data").textContent);
var imgs = root.querySelectorAll("img.xsf-frame");
var controls = root.querySelectorAll(".xsf-control");
var status = root.querySelector(".xsf-status");
var position = [];
var said = [];
var timer = null;
function currentState() {
  var state = 0;
  for (var i = 0; i < controls.length; i++) state = state * data.shape[i] + position[i];
  return state;
}
function described(state) {
  return data.described.map(function (d) { return data.texts[d[state]].replace(/,? at $/, ""); });
}
function show() {
  var state = currentState();
  for (var i = 0; i < controls.length; i++) {
    var out = controls[i].querySelector("output.xsf-value");
    if (out) out.textContent = data.labels[i][position[i]];
    var range = controls[i].querySelector("input.xsf-input");
    if (range) range.setAttribute("aria-valuetext", data.labels[i][position[i]]);
    var buttons = controls[i].querySelectorAll("button.xsf-option");
    for (var b = 0; b < buttons.length; b++) {
      buttons[b].setAttribute("aria-pressed", b === position[i] ? "true" : "false");
    }
  }
  for (var p = 0; p < imgs.length; p++) {
    imgs[p].src = "data:" + data.mime + ";base64," + data.frames[data.index[p][state]];
    imgs[p].alt = data.texts[data.described[p][state]] + data.alt[state];
  }
  // The control announces its value; what the figure now shows differently is
  // said once the control rests.
  var now = described(state);
  var changed = now.filter(function (text, p) { return text !== said[p]; });
  said = now;
  if (status && changed.length) {
    clearTimeout(timer);
    timer = setTimeout(function () { status.textContent = changed.join(". "); }, 400);
  }
}
Array.prototype.forEach.call(controls, function (control, i) {
  var input = control.querySelector("input.xsf-input");
  if (input) {
    position[i] = Number(input.value);
    input.disabled = false;
    input.addEventListener("input", function () {
      position[i] = Number(input.value);
      show();
    });
    return;
  }
  var buttons = control.querySelectorAll("button.xsf-option");
  Array.prototype.forEach.call(buttons, function (button, b) {
    if (button.getAttribute("aria-pressed") === "true") position[i] = b;
    button.disabled = false;
    button.addEventListener("click", function () {
      position[i] = b;
      show();
    });
  });
});
said = described(currentState());
})();"""

# Self-contained look of the controls (the book's stylesheet may refine it).
_STYLE = (
    ".xent-slider-figure .xsf-control{display:flex;flex-wrap:wrap;align-items:center;"
    "gap:0.3em 0.6em;margin:0.25em 0}"
    ".xent-slider-figure .xsf-label{min-width:8em}"
    ".xent-slider-figure .xsf-status{position:absolute;width:1px;height:1px;overflow:hidden;"
    "clip:rect(0 0 0 0);white-space:nowrap}"
    ".xent-slider-figure input.xsf-input{flex:1 1 10em;max-width:18em;min-width:6em}"
    ".xent-slider-figure .xsf-buttons{display:inline-flex;flex-wrap:wrap}"
    ".xent-slider-figure button.xsf-option{font:inherit;min-height:2.2em;min-width:2.75em;"
    "padding:0.2em 0.8em;margin:0 0 0 -1px;border:1px solid #8a8f98;"
    "background:var(--pst-color-surface,#f3f4f5);color:var(--pst-color-text-base,#222);"
    "cursor:pointer}"
    ".xent-slider-figure button.xsf-option:first-child{margin-left:0;"
    "border-radius:0.3em 0 0 0.3em}"
    ".xent-slider-figure button.xsf-option:last-child{border-radius:0 0.3em 0.3em 0}"
    '.xent-slider-figure button.xsf-option[aria-pressed="true"]{'
    "background:var(--pst-color-primary,#0a6a7d);border-color:var(--pst-color-primary,#0a6a7d);"
    "color:#fff;position:relative}"
)


def _json_for_script(obj: Any) -> str:
    # Escaping "<", ">" and "&" keeps labels from closing the script element.
    text = json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- panels side by side -------------------------------------------------------

# Below this screen width panels side by side are stacked, each as wide as the
# column: at 390 pixels two panels of a 6-inch figure would be 180 pixels wide.
_STACK_BELOW_PX = 640
# Panels of one figure: a row that wraps on a narrow screen, each panel then
# filling the column (flex-grow); on a wide screen the row is never wider than
# the figure, so the panels keep their drawn size side by side.
_PANELS_STYLE = (
    ".xent-panels{display:flex;flex-wrap:nowrap;align-items:flex-start}"
    ".xent-panels>img{min-width:0;max-width:100%;height:auto;display:block}"
    f"@media (max-width:{_STACK_BELOW_PX}px){{.xent-panels{{flex-wrap:wrap}}}}"
)
# A panel's SVG larger than this (bytes) is shown as a lossless WebP instead.
_SVG_BUDGET = 150_000
# A stacked slider panel grows to the column's width, but its frames are
# pixels: beyond 1.5 times their size they would blur (their text is legible
# at their own size, see phone_font_size).
_MAX_UPSCALE = 1.5
# Font families of the TeX fonts bundled with matplotlib, in an SVG's text.
_TEX_FONT = re.compile(rb"font-family: ?'?(cm(sy|r|mi|ex|tt|ss|b)10|STIX)")
# A diagram's alt text names at most this many of its labels.
_MAX_DIAGRAM_LABELS = 16
# Formatting commands that carry no words of their own in alt text.
_SILENT_TEX = {
    "mathrm", "mathbf", "mathit", "mathsf", "mathcal", "boldsymbol", "text",
    "operatorname", "left", "right", "displaystyle", "rm", "bf", "it",
}


def _panel_axes(fig: Any) -> list[list[Any]]:
    """The figure's axes grouped into panels side by side, left to right.

    Axes whose horizontal extents overlap (a twin axis, a column of a grid)
    are one panel; a colour bar belongs to the panel of the image it explains.
    """
    axes = [ax for ax in fig.axes if ax.get_visible()]
    main = [ax for ax in axes if not hasattr(ax, "_colorbar")]
    columns: list[list[Any]] = []
    extents: list[list[float]] = []
    for ax in sorted(main, key=lambda a: a.get_position().x0):
        box = ax.get_position()
        if extents and box.x0 < extents[-1][1]:
            columns[-1].append(ax)
            extents[-1][1] = max(extents[-1][1], box.x1)
        else:
            columns.append([ax])
            extents.append([box.x0, box.x1])
    for cax in (ax for ax in axes if hasattr(ax, "_colorbar")):
        parent = getattr(cax._colorbar.mappable, "axes", None)
        home = [c for c in columns if parent in c]
        if home:
            home[0].append(cax)
        elif columns:
            x = cax.get_position().x0
            max(zip(extents, columns), key=lambda ec: (ec[0][0] <= x, ec[0][0]))[1].append(cax)
        else:
            columns.append([cax])
    return columns


def _panel_spans(fig: Any) -> list[tuple[float, float]] | None:
    """Each panel's horizontal extent in pixels, tick labels and titles included.

    ``None`` when the figure is one panel, or when it has figure-level text (a
    suptitle, a figure legend) that no single panel owns.
    """
    if (
        getattr(fig, "_suptitle", None) is not None
        or getattr(fig, "_supxlabel", None) is not None
        or getattr(fig, "_supylabel", None) is not None
        or fig.texts
        or fig.legends
        or fig.subfigs
    ):
        return None
    columns = _panel_axes(fig)
    if len(columns) < 2:
        return None
    renderer = fig.canvas.get_renderer()
    boxes = [
        [b for b in (ax.get_tightbbox(renderer) for ax in column) if b is not None]
        for column in columns
    ]
    if not all(boxes):
        return None
    return [(min(b.x0 for b in bs), max(b.x1 for b in bs)) for bs in boxes]


def _cuts_between(spans_per_drawing: Sequence[Sequence[tuple[float, float]]]) -> list[float] | None:
    """Cuts (x in pixels) between panels that hold for every drawing: the middle
    of the gap that each panel's widest extent leaves; ``None`` if the panels
    overlap in some drawing."""
    if not spans_per_drawing or len({len(s) for s in spans_per_drawing}) != 1:
        return None
    n = len(spans_per_drawing[0])
    right_edge = [max(s[k][1] for s in spans_per_drawing) for k in range(n)]
    left_edge = [min(s[k][0] for s in spans_per_drawing) for k in range(n)]
    if any(right_edge[k] > left_edge[k + 1] for k in range(n - 1)):
        return None
    return [0.5 * (right_edge[k] + left_edge[k + 1]) for k in range(n - 1)]


def _panel_cuts(fig: Any) -> list[float] | None:
    """Where to cut a drawn figure into its panels: x positions in pixels.

    The cut between two neighbouring panels is the middle of the gap between
    their tight bounding boxes (tick labels and titles included). ``None`` when
    the figure is one panel, when panels' boxes overlap, or when it has
    figure-level text (a suptitle, a figure legend) that no single panel owns.
    """
    spans = _panel_spans(fig)
    return None if spans is None else _cuts_between([spans])


def _has_colour_map(fig: Any) -> bool:
    """Whether the figure shows values as colours (an image, a mesh, filled
    contours, points coloured by value): the book's dark scheme keeps such a
    figure's colours instead of inverting them."""
    for ax in fig.axes:
        if ax.images:
            return True
        for artist in ax.collections:
            if getattr(artist, "get_array", None) is not None and artist.get_array() is not None:
                return True
    return False


def _describe_axes(axes: Sequence[Any]) -> str:
    """What one panel shows, in words: its title, axes, legend and colour bar."""
    parts = []
    for ax in axes:
        if hasattr(ax, "_colorbar"):
            label = ax.get_ylabel() or ax.get_xlabel()
            parts.append(f"colour bar{': ' + label if label else ''}")
            continue
        title = " ".join(
            t for t in (ax.get_title(loc) for loc in ("left", "center", "right")) if t
        )
        if title:
            parts.append(title)
        x, y = ax.get_xlabel(), ax.get_ylabel()
        if x and y:
            parts.append(f"{y} against {x}")
        elif x or y:
            parts.append(f"x axis: {x}" if x else f"y axis: {y}")
        legend = ax.get_legend()
        if legend is not None:
            entries = [t.get_text() for t in legend.get_texts() if t.get_text()]
            if entries:
                # Quoted: an entry may hold commas of its own ("descent, η = 1").
                parts.append("legend: " + ", ".join(f"“{e}”" for e in entries))
        if not (title or x or y or legend):
            # A diagram: its words are the text placed on it.
            words = [t.get_text() for t in ax.texts if t.get_text().strip()]
            if words:
                parts.append("diagram with the labels " + ", ".join(words[:_MAX_DIAGRAM_LABELS]))
    return label_text("; ".join(parts))


def _figure_words(fig: Any) -> tuple[str, str, list[str]]:
    """What a drawn figure says of itself: its label, the description of all
    its axes together, and the description of each panel side by side."""
    label = label_text(fig.get_label() or "")
    words = (label, _describe_axes(list(fig.axes)), *(_describe_axes(c) for c in _panel_axes(fig)))
    # A title on two lines is one line read aloud (and one line of a live region).
    label, whole, *panels = (" ".join(w.split()) for w in words)
    return label, whole, panels


def _alt_texts(words: tuple[str, str, list[str]], cuts: Sequence[float] | None) -> list[str]:
    label, whole, panels = words
    # The label is sentences of its own; the description that follows, a list.
    label = label.rstrip(" .")
    if not cuts:
        text = ". ".join(t for t in (label, whole) if t)
        return [f"Figure: {text}" if text else "Figure"]
    n = len(cuts) + 1
    if len(panels) != n:
        # A slider state drawn with other panels than the cuts were made for.
        panels = [""] * n
    alts = [f"Panel {k + 1} of {n}: {t}" if t else f"Panel {k + 1} of {n}" for k, t in enumerate(panels)]
    if label:
        # The figure's label describes the whole: said once, before the first panel.
        alts[0] = f"Figure in {n} panels: {label}. {alts[0]}"
    return alts


def figure_alt_texts(fig: Any, cuts: Sequence[float] | None) -> list[str]:
    """Alt text of each image a figure is shown as (one, or one per panel).

    Built from what the figure says about itself: titles, axis labels,
    legend entries (quoted) and colour bar labels (``$...$`` read as plain
    text), after the figure's label if it has one (``fig.set_label("...")``,
    for what no text on the figure says: what it shows). A figure cut into
    panels says its label once, before the first panel's description.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> fig = Figure()
        >>> ax = fig.subplots()
        >>> _ = ax.set(title="loss", xlabel="logit $z$", ylabel="$L$")
        >>> figure_alt_texts(fig, None)
        ['Figure: loss; L against logit z']
        >>> fig.set_label("The loss falls as the logit grows.")
        >>> figure_alt_texts(fig, None)
        ['Figure: The loss falls as the logit grows. loss; L against logit z']
    """
    return _alt_texts(_figure_words(fig), cuts)


def _svg_data_uri(svg: bytes) -> str:
    # Percent-encoding only what a URL or an HTML attribute cannot hold keeps
    # an SVG far smaller than base64 and still readable.
    from urllib.parse import quote

    return "data:image/svg+xml," + quote(svg.decode("utf-8"), safe=" !$&'()*+,-./:;=?@_~")


def _panel_source(fig: Any, box: Any) -> str:
    """The part of a figure inside ``box`` (inches) as a data URI.

    An SVG, unless that is larger than ``_SVG_BUDGET`` bytes (thousands of
    markers): then lossless WebP with a 256-colour palette at two device
    pixels per CSS pixel (192 dpi), sharp on a phone's screen and a fraction
    of the size.
    """
    import matplotlib
    from PIL import Image

    def svg(fonttype: str) -> io.BytesIO:
        buf = io.BytesIO()
        # A fixed salt gives the same element ids at every run, so a
        # re-executed notebook's output changes only where its figure does.
        with matplotlib.rc_context({"svg.fonttype": fonttype, "svg.hashsalt": "xent"}):
            fig.savefig(
                buf, format="svg", bbox_inches=box,
                facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor(),
                metadata={"Date": None},
            )
        return buf

    # Text stays text: smaller than glyph outlines, and it can be selected.
    # Mathtext draws some symbols (a prime, a big bracket) from TeX's own fonts,
    # at the code points of those fonts ("′" is "0" of cmsy10): a browser
    # without them shows the wrong character, so such a figure's text is drawn
    # as outlines.
    buf = svg("none")
    if _TEX_FONT.search(buf.getvalue()):
        buf = svg("path")
    if buf.tell() <= _SVG_BUDGET:
        return _svg_data_uri(buf.getvalue())
    buf = io.BytesIO()
    fig.savefig(
        buf, format="png", dpi=192, bbox_inches=box,
        facecolor=fig.get_facecolor(), edgecolor=fig.get_edgecolor(),
    )
    buf.seek(0)
    image = Image.open(buf).convert("RGB").quantize(
        colors=256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    out = io.BytesIO()
    image.convert("RGB").save(out, format="WEBP", lossless=True, quality=100, method=4)
    return "data:image/webp;base64," + base64.b64encode(out.getvalue()).decode("ascii")


def figure_html(fig: Any) -> str:
    """A matplotlib figure as HTML: SVG images, one per panel side by side.

    A figure with panels side by side (``plt.subplots(1, 2)``) is cut between
    its panels, each an SVG of its own, laid out in a row that wraps on a
    narrow screen so that each panel is shown as wide as a phone's column
    instead of half of it; a figure of one panel is one SVG. A panel whose
    SVG would exceed 150 kB (thousands of markers) is a lossless WebP at
    192 dpi instead. Every image has alt text from
    :func:`figure_alt_texts`. Images are drawn on the figure's
    own (white) background, for a light page; the book's dark scheme inverts
    their lightness (see ``_ext/static/xent-figures.css``), except in a
    figure that shows values as colours (class ``xent-colour-map``).
    """
    from matplotlib.transforms import Bbox

    fig.canvas.draw()
    cuts = _panel_cuts(fig)
    renderer = fig.canvas.get_renderer()
    pad = 0.1  # inches, as IPython's bbox_inches="tight"
    tight = fig.get_tightbbox(renderer).padded(pad)
    edges = [tight.x0, *(c / fig.dpi for c in cuts or []), tight.x1]
    columns = _panel_axes(fig) if cuts else [list(fig.axes)]
    # Each panel's SVG holds only its own axes (the others hidden, the layout
    # frozen so that the panel stays where it was drawn): cropping alone would
    # carry every panel in every file.
    engine = fig.get_layout_engine()
    fig.set_layout_engine("none")
    images = []
    try:
        for (x0, x1), alt, own in zip(
            zip(edges, edges[1:]), figure_alt_texts(fig, cuts), columns
        ):
            others = [ax for column in columns if column is not own for ax in column]
            for ax in others:
                ax.set_visible(False)
            box = Bbox([[x0, tight.y0], [x1, tight.y1]])
            src = _panel_source(fig, box)
            for ax in others:
                ax.set_visible(True)
            width, height = round(96 * box.width), round(96 * box.height)
            images.append(
                f'<img src="{src}" alt="{html.escape(alt)}" '
                f'width="{width}" height="{height}" style="flex:1 1 {width}px">'
            )
    finally:
        fig.set_layout_engine(engine if engine is not None else "none")
    total = round(96 * tight.width)
    kind = " xent-colour-map" if _has_colour_map(fig) else ""
    return (
        f"<style>{_PANELS_STYLE}</style>"
        f'<div class="xent-figure xent-panels{kind}" style="max-width:{total}px">'
        f'{"".join(images)}</div>'
    )


class SliderFigure:
    """A figure with sliders; made by :func:`slider_figure`.

    Attributes:
        names: the parameter names, in the order of the sliders.
        grids: for each parameter, its slider positions.
        default: the initial values, a dict name -> value.
        shape: the number of positions of each slider.
    """

    def __init__(
        self,
        plot: Callable[..., Any],
        params: dict[str, Slider | Choice],
        *,
        figsize: tuple[float, float] = (6.0, 3.5),
        dpi: float = 80,
        colors: int = 64,
        live_dpi: float = 100,
    ) -> None:
        if not callable(plot):
            raise TypeError(f"slider_figure needs a plot function, got {plot!r}")
        if not params:
            raise ValueError("slider_figure needs at least one Slider or Choice")
        for name, spec in params.items():
            if not isinstance(spec, (Slider, Choice)):
                raise TypeError(
                    f"slider_figure parameter {name!r} must be a Slider or a "
                    f"Choice, got {spec!r}"
                )
            if name == "fig":
                raise ValueError(
                    "slider_figure parameter name 'fig' is taken by the figure"
                )
        if (
            not isinstance(figsize, (tuple, list))
            or len(figsize) != 2
            or not all(_is_real(v) and v > 0 for v in figsize)
        ):
            raise ValueError(
                f"figsize must be two positive numbers (width, height), got {figsize!r}"
            )
        if not (_is_real(dpi) and dpi > 0 and _is_real(live_dpi) and live_dpi > 0):
            raise ValueError(f"dpi must be positive, got dpi={dpi!r}, live_dpi={live_dpi!r}")
        if not isinstance(colors, int) or not 2 <= colors <= 256:
            raise ValueError(f"colors must be an integer in [2, 256], got {colors!r}")

        self.plot = plot
        self.specs = dict(params)
        self.names = list(params)
        self.grids = [params[n].grid() for n in self.names]
        self.shape = tuple(len(g) for g in self.grids)
        self.default_index = tuple(
            params[n]._default_index(g) for n, g in zip(self.names, self.grids)
        )
        self.default = {
            n: g[i] for n, g, i in zip(self.names, self.grids, self.default_index)
        }
        self.figsize = (float(figsize[0]), float(figsize[1]))
        self.dpi = dpi
        self.colors = colors
        self.live_dpi = live_dpi
        n_states = math.prod(self.shape)
        if n_states > _MAX_STATES:
            raise ValueError(
                f"slider_figure would precompute {n_states} states "
                f"(grid {' x '.join(map(str, self.shape))}), more than "
                f"{_MAX_STATES}; use fewer steps= or fewer sliders"
            )
        self._frames: list[bytes] | None = None
        self._images: list[Any] | None = None
        self._cuts: list[int] = []
        self._panel_alt: list[list[str]] = []
        self._colour_map = False

    # -- drawing -----------------------------------------------------------

    def _labels(self) -> list[str]:
        return [self.specs[n].label or n for n in self.names]

    def _value_text(self, name: str, value: Any) -> str:
        if isinstance(self.specs[name], Slider):
            return _format_number(value)
        return str(value)

    def _new_figure(self, dpi: float) -> Any:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=self.figsize, dpi=dpi, layout="constrained")
        FigureCanvasAgg(fig)
        return fig

    @property
    def font_size(self) -> float:
        """Base font size, in points, of every state's drawing.

        Large enough that text is at least 12 pixels tall when the figure is
        shrunk to a phone's 358-pixel column (:func:`phone_font_size`).
        """
        return phone_font_size(self.figsize[0])

    def _style(self) -> Any:
        import matplotlib

        # Titles at the base size: a larger title would not fit a narrow figure.
        return matplotlib.rc_context(
            {
                "font.size": self.font_size,
                "axes.titlesize": "medium",
                "figure.titlesize": "medium",
            }
        )

    def _check_values(self, values: dict[str, Any]) -> dict[str, Any]:
        unknown = set(values) - set(self.names)
        if unknown:
            raise TypeError(f"unknown slider parameter(s): {sorted(unknown)}")
        return {**self.default, **values}

    def render(self, *, dpi: float | None = None, **values: Any) -> bytes:
        """Draw one state and return it as full-colour PNG bytes.

        Missing parameters take their default values. This is what the live
        widget shows; the layout is recomputed for each state.
        """
        state = self._check_values(values)
        with self._style():
            fig = self._new_figure(dpi or self.live_dpi)
            self.plot(fig, **state)
            buf = io.BytesIO()
            fig.savefig(buf, format="png", metadata={"Software": None})
        return buf.getvalue()

    def _quantized(self, fig: Any) -> Any:
        from PIL import Image

        fig.canvas.draw()
        rgba = Image.frombuffer(
            "RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba()
        )
        # A small adaptive palette keeps antialiased lines smooth at a
        # fraction of the size of a full-colour PNG; the fast octree method
        # costs far less than drawing the figure.
        return rgba.convert("RGB").quantize(
            colors=self.colors,
            method=Image.Quantize.FASTOCTREE,
            dither=Image.Dither.NONE,
        )

    @staticmethod
    def _encode(image: Any) -> bytes:
        # Lossless WebP keeps exactly these pixels in about two thirds of the
        # PNG's bytes (every browser the book supports decodes it).
        buf = io.BytesIO()
        image.convert("RGB").save(buf, format="WEBP", lossless=True, quality=100, method=4)
        return buf.getvalue()

    def states(self) -> list[dict[str, Any]]:
        """Every state of the grid, the last slider varying fastest."""
        return [
            dict(zip(self.names, combo)) for combo in itertools.product(*self.grids)
        ]

    def frames(self) -> list[bytes]:
        """The compact frame (lossless WebP) of every state, in the order of :meth:`states`.

        The layout (axes positions) is computed once, for the default state,
        and reused for every other state, shrunk only if some state's text
        would otherwise leave the figure: the axes stay still while the
        sliders move, and each frame costs one draw (two when shrunk), after
        one draw of the default state that lays the axes out.
        """
        if self._frames is None:
            self._frames = [self._encode(image) for image in self._drawn()]
        return self._frames

    def panel_frames(self) -> list[list[bytes]]:
        """Each panel's frames: ``panel_frames()[p][state]``, lossless WebP.

        A figure whose panels sit side by side (``fig.subplots(1, 2)``) is cut
        between its panels (see :meth:`panel_widths`), so that a phone can
        stack them; a figure of one panel has one list, equal to
        :meth:`frames`.
        """
        images = self._drawn()
        if len(self._cuts) == 0:
            return [self.frames()]
        edges = [0, *self._cuts, images[0].width]
        return [
            [self._encode(image.crop((x0, 0, x1, image.height))) for image in images]
            for x0, x1 in zip(edges, edges[1:])
        ]

    def panel_widths(self) -> list[int]:
        """Width in pixels of each panel's frames (they share the figure's height)."""
        images = self._drawn()
        edges = [0, *self._cuts, images[0].width]
        return [x1 - x0 for x0, x1 in zip(edges, edges[1:])]

    def _drawn(self) -> list[Any]:
        if self._images is None:
            with self._style():
                self._images = self._draw_states()
        return self._images

    def _draw_states(self) -> list[Any]:
        """Every state drawn in one layout: the default state's, shrunk if
        another state's text (a wider tick label) would leave the figure."""
        states = self.states()
        default_flat = self._flat_index(self.default_index)
        fig = self._new_figure(self.dpi)
        self.plot(fig, **states[default_flat])
        fig.canvas.draw()
        self._colour_map = _has_colour_map(fig)
        positions = [ax.get_position() for ax in fig.axes]
        # Text the default state itself puts outside the figure is not a reason
        # to move its axes; text beyond that, in another state, is.
        allowed = self._overhang(fig)
        images, spans, words, spilled = [], [], [], []
        for state in states:
            self._draw_in(fig, state, positions)
            images.append(self._quantized(fig))
            if any(o > a + 0.5 for o, a in zip(self._overhang(fig), allowed)):
                spilled.append(state)
            spans.append(_panel_spans(fig))
            # A title may show a slider's value: each state says what it shows.
            words.append(_figure_words(fig))
        if spilled:
            positions = self._fitting_positions(fig, spilled, positions)
            for flat, state in enumerate(states):
                self._draw_in(fig, state, positions)
                images[flat] = self._quantized(fig)
                spans[flat] = _panel_spans(fig)
        # Panels are cut where every state leaves a gap between them.
        default = spans[default_flat]
        cuts = None if default is None else _cuts_between(
            [s for s in spans if s is not None and len(s) == len(default)]
        )
        self._cuts = [round(c) for c in cuts or []]
        self._panel_alt = [_alt_texts(w, cuts) for w in words]
        return images

    def _draw_in(self, fig: Any, state: dict[str, Any], positions: Sequence[Any]) -> None:
        """Draw ``state`` with its axes at ``positions`` (when it has as many axes)."""
        fig.clear()
        fig.set_layout_engine("none")
        self.plot(fig, **state)
        if len(fig.axes) == len(positions):
            for ax, pos in zip(fig.axes, positions):
                ax.set_position(pos)
        else:
            fig.set_layout_engine("constrained")

    @staticmethod
    def _overhang(fig: Any) -> tuple[float, ...]:
        """How far (pixels) the drawn figure's contents reach past its left,
        bottom, right and top edges (0 where they stay inside)."""
        box = fig.get_tightbbox(fig.canvas.get_renderer())
        width, height = fig.get_size_inches()
        return tuple(
            max(0.0, fig.dpi * d)
            for d in (-box.x0, -box.y0, box.x1 - width, box.y1 - height)
        )

    def _fitting_positions(self, fig: Any, spilled: Sequence[dict[str, Any]],
                           positions: Sequence[Any]) -> list[Any]:
        """Axes positions inside both ``positions`` and each spilled state's
        own constrained layout, so that every state's text fits."""
        from matplotlib.transforms import Bbox

        boxes = [[p.get_points().copy() for p in positions]]
        for state in spilled:
            fig.clear()
            fig.set_layout_engine("constrained")
            self.plot(fig, **state)
            fig.canvas.draw()
            if len(fig.axes) == len(positions):
                boxes.append([ax.get_position().get_points() for ax in fig.axes])
        fitted = []
        for k in range(len(positions)):
            (x0, y0), (x1, y1) = boxes[0][k]
            for other in boxes[1:]:
                (a0, b0), (a1, b1) = other[k]
                x0, y0, x1, y1 = max(x0, a0), max(y0, b0), min(x1, a1), min(y1, b1)
            fitted.append(Bbox([[x0, y0], [x1, y1]]))
        return fitted

    def _flat_index(self, index: Sequence[int]) -> int:
        flat = 0
        for k, n in zip(index, self.shape):
            flat = flat * n + k
        return flat

    # -- static HTML -------------------------------------------------------

    def static_html(self) -> str:
        """Self-contained HTML: the default frame, the controls and every state.

        A :class:`Slider` is a range input, a :class:`Choice` a group of
        buttons (``aria-pressed`` marks the chosen one); labels are HTML with
        their ``$...$`` as MathJax inline formulas. No external resource is
        loaded. Without JavaScript the controls stay disabled at their
        initial positions and the default frame shows.

        Panels side by side are one image each, in a row that wraps on a
        narrow screen (each panel then as wide as the column, or 1.5 times
        its frames' width if that is less, beyond which pixels blur); identical
        frames of a panel are stored once. The data holds
        ``index[panel][state]``, the frame of each panel in each state, and
        its alt text ``texts[described[panel][state]] + alt[state]``: what
        the panel shows (its titles, axis labels and legend, each distinct
        text stored once) and the controls' values. When a control moves and
        a panel's description changes (a title showing the value), a polite
        live region says the new description once the control rests.
        """
        panels = self.panel_frames()
        unique: dict[bytes, int] = {}
        index = [[unique.setdefault(f, len(unique)) for f in frames] for frames in panels]
        encoded = [base64.b64encode(f).decode("ascii") for f in unique]
        labels = self._labels()
        values = [
            ", ".join(
                f"{label_text(lab)} = {self._value_text(n, s[n])}"
                for lab, n in zip(labels, self.names)
            )
            for s in self.states()
        ]
        texts: dict[str, int] = {}
        described = [
            [
                texts.setdefault("Figure at " if t == "Figure" else f"{t}, at ", len(texts))
                for t in (alts[p] for alts in self._panel_alt)
            ]
            for p in range(len(panels))
        ]
        prefixes = list(texts)
        data = {
            "shape": list(self.shape),
            "labels": [
                [self._value_text(n, v) for v in g] for n, g in zip(self.names, self.grids)
            ],
            "index": index,
            "mime": FRAME_MIME,
            "frames": encoded,
            "texts": prefixes,
            "described": described,
            "alt": values,
        }
        default_flat = self._flat_index(self.default_index)
        height = self._drawn()[0].height
        images = "".join(
            f'<img class="xsf-frame" src="data:{FRAME_MIME};base64,{encoded[index[p][default_flat]]}" '
            f'alt="{html.escape(prefixes[described[p][default_flat]] + values[default_flat])}" '
            f'width="{w}" height="{height}" '
            f'style="flex:1 1 {w}px;max-width:min(100%,{round(_MAX_UPSCALE * w)}px)">'
            for p, w in enumerate(self.panel_widths())
        )
        controls = []
        for name, lab, grid, k in zip(self.names, labels, self.grids, self.default_index):
            plain = html.escape(label_text(lab))
            label = f'<span class="xsf-label">{label_html(lab)}</span>'
            if isinstance(self.specs[name], Slider):
                controls.append(
                    f'<div class="xsf-control xsf-slider">{label}'
                    f'<input class="xsf-input" type="range" name="{html.escape(name)}" '
                    f'min="0" max="{len(grid) - 1}" step="1" value="{k}" disabled '
                    f'aria-label="{plain}" '
                    f'aria-valuetext="{html.escape(self._value_text(name, grid[k]))}">'
                    f'<output class="xsf-value">{html.escape(self._value_text(name, grid[k]))}</output>'
                    "</div>"
                )
            else:
                buttons = "".join(
                    f'<button type="button" class="xsf-option" name="{html.escape(name)}" '
                    f'aria-pressed="{"true" if i == k else "false"}" disabled>'
                    f"{html.escape(self._value_text(name, option))}</button>"
                    for i, option in enumerate(grid)
                )
                controls.append(
                    f'<div class="xsf-control xsf-choice" role="group" aria-label="{plain}">'
                    f'{label}<span class="xsf-buttons">{buttons}</span></div>'
                )
        return (
            f'<div class="xent-slider-figure{" xent-colour-map" if self._colour_map else ""}" '
            'style="max-width:100%">'
            f"<style>{_STYLE}{_PANELS_STYLE}</style>"
            f'<div class="xent-panels" style="max-width:{sum(self.panel_widths())}px">{images}</div>'
            f'<div class="xsf-controls">{"".join(controls)}</div>'
            '<p class="xsf-status" aria-live="polite" aria-atomic="true"></p>'
            f'<script type="application/json" class="xsf-data">{_json_for_script(data)}</script>'
            f"<script>{_SCRIPT}</script>"
            "</div>"
        )

    # -- live widget -------------------------------------------------------

    def widget(self) -> Any:
        """A live ipywidgets control: each change redraws with ``plot``.

        Sliders are ``FloatSlider``, choices ``ToggleButtons`` (``Dropdown``
        beyond eight options); a label's ``$...$`` is left to JupyterLab,
        which typesets widget descriptions with MathJax.
        """
        import ipywidgets as widgets

        controls = {}
        for name, lab, grid, k in zip(
            self.names, self._labels(), self.grids, self.default_index
        ):
            spec = self.specs[name]
            if isinstance(spec, Slider):
                step = grid[1] - grid[0]
                decimals = max(0, -math.floor(math.log10(step)) + 1) if step < 1 else 1
                controls[name] = widgets.FloatSlider(
                    value=grid[k],
                    min=grid[0],
                    max=grid[-1],
                    step=step,
                    description=lab,
                    continuous_update=False,
                    readout_format=f".{decimals}f",
                    style={"description_width": "initial"},
                )
            elif len(grid) <= _MAX_TOGGLE_BUTTONS:
                controls[name] = widgets.ToggleButtons(
                    options=[(str(o), o) for o in grid],
                    value=grid[k],
                    description=lab,
                    style={"description_width": "initial", "button_width": "auto"},
                )
            else:
                controls[name] = widgets.Dropdown(
                    options=[(str(o), o) for o in grid],
                    value=grid[k],
                    description=lab,
                    style={"description_width": "initial"},
                )
        image = widgets.Image(
            value=self.render(**self.default),
            format="png",
            # The width of the site's frames: the same picture, the same text size.
            layout=widgets.Layout(width=f"{round(self.figsize[0] * self.dpi)}px", max_width="100%"),
        )

        def redraw(change: Any = None) -> None:
            image.value = self.render(**{n: c.value for n, c in controls.items()})

        for control in controls.values():
            control.observe(redraw, names="value")
        box = widgets.VBox([*controls.values(), image])
        box.controls = controls
        box.image = image
        return box

    # -- display -----------------------------------------------------------

    def __repr__(self) -> str:
        name = getattr(self.plot, "__name__", "plot")
        params = ", ".join(f"{n}={self.specs[n]!r}" for n in self.names)
        states = math.prod(self.shape)
        return (
            f"<slider figure {name}({params}); "
            f"{' x '.join(map(str, self.shape))} = {states} states; "
            f"default {', '.join(f'{n}={self._value_text(n, v)}' for n, v in self.default.items())}>"
        )

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle: dict[str, Any] = {
            "text/plain": repr(self),
            "text/html": self.static_html(),
            "image/png": base64.b64encode(self.render(**self.default)).decode("ascii"),
        }
        try:
            box = self.widget()
        except ImportError:
            return bundle
        view = box._repr_mimebundle_() or {}
        widget_view = view.get("application/vnd.jupyter.widget-view+json")
        if widget_view is not None:
            bundle["application/vnd.jupyter.widget-view+json"] = widget_view
        return bundle


def phone_font_size(width: float) -> float:
    """Font size, in points, that keeps text legible on a phone.

    A figure ``width`` inches wide is shown at most 358 CSS pixels wide in a
    phone's column (a 390-pixel screen); text of this size is then at least 12
    CSS pixels tall, and never below 11 points (12 pixels at 80 dpi, when a
    narrow figure is shown at its own size)::

        size = max(11, 12 * (72 * width) / 358)

    Args:
        width: figure width in inches (positive).

    Returns:
        The font size in points, rounded to 0.1.
    """
    if not (_is_real(width) and width > 0):
        raise ValueError(f"width must be a positive number of inches, got {width!r}")
    return max(_MIN_FONT_PT, round(_PHONE_TEXT_PX * 72.0 * width / _PHONE_COLUMN_PX, 1))


def book_figures(width: float = 6.0, aspect: float = 0.6) -> None:
    """Draw the notebook's static matplotlib figures for a phone as well as a desktop.

    For the rest of the session: figures shown inline are SVG (sharp at any
    zoom, the text as text), ``width`` inches wide by default, with the font
    size of :func:`phone_font_size` for every label, tick and legend, and titles
    no larger than the labels so that a narrow figure keeps them on one line.
    Call it once, after the imports, in a chapter's first code cell.

    Each figure is also shown as HTML (:func:`figure_html`, the form the site
    uses): panels side by side become one SVG each, stacked on a narrow
    screen, and every image has alt text made from its titles, axis labels
    and legend. The images keep a white background (JupyterLab's dark theme
    shows them as light cards); the site's dark scheme inverts their
    lightness, keeping hues.

    Args:
        width: default figure width in inches.
        aspect: default height as a fraction of the width.
    """
    if not (_is_real(aspect) and aspect > 0):
        raise ValueError(f"aspect must be positive, got {aspect!r}")
    import matplotlib

    size = phone_font_size(width)
    matplotlib.rcParams.update(
        {
            "figure.figsize": (float(width), float(width) * aspect),
            "font.size": size,
            "axes.titlesize": "medium",
            "figure.titlesize": "medium",
            "legend.fontsize": "medium",
            "svg.fonttype": "none",
        }
    )
    from IPython import get_ipython

    if get_ipython() is None:  # a plain Python session shows no inline figures
        return
    from matplotlib_inline.backend_inline import set_matplotlib_formats

    set_matplotlib_formats("svg")
    # The site shows the HTML (panels that stack on a phone, alt text); the SVG
    # stays in the output for the PDF and for tools that do not render HTML.
    from matplotlib.figure import Figure

    get_ipython().display_formatter.formatters["text/html"].for_type(Figure, figure_html)


def slider_figure(
    plot: Callable[..., Any],
    *,
    figsize: tuple[float, float] = (6.0, 3.5),
    dpi: float = 80,
    colors: int = 64,
    **sliders: Slider | Choice,
) -> SliderFigure:
    """Turn ``plot(fig, **values)`` into a figure with one control per parameter.

    ``plot`` receives an empty :class:`matplotlib.figure.Figure` and the value
    of every parameter (a float for a :class:`Slider`, an option for a
    :class:`Choice`) and draws one state on it. Shown as the last expression
    of a cell, the result is a live control in Jupyter with a kernel and a
    precomputed, still movable figure on the static site; the default state
    (initial values) is what a reader without JavaScript sees. Cells that show
    one carry the tag ``nbval-ignore-output``.

    Args:
        plot: the drawing function.
        figsize: figure size in inches; the text size grows with the width
            (see :attr:`SliderFigure.font_size`), so a wide figure stays
            legible when a phone shrinks it.
        dpi: resolution of the precomputed frames of the static site; the
            figure is shown ``figsize[0] * dpi`` pixels wide, or the column's
            width if that is less.
        colors: palette size of those frames (2 to 256).
        **sliders: one :class:`Slider` or :class:`Choice` per parameter of
            ``plot``; the controls appear in this order.

    Returns:
        A :class:`SliderFigure`.

    Examples:
        >>> def plot(fig, z, y):
        ...     ax = fig.subplots()
        ...     ax.plot([-8, 8], [y, y])
        ...     ax.axvline(z)
        >>> sf = slider_figure(plot, z=Slider(-8, 8, value=2.0), y=Choice([0, 1], value=1))
        >>> sf.shape, sf.default
        ((17, 2), {'z': 2.0, 'y': 1})
        >>> len(sf.frames())
        34
    """
    return SliderFigure(plot, sliders, figsize=figsize, dpi=dpi, colors=colors)
