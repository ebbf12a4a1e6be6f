"""Tests for xentlib.interactive: slider grids, validation, the static HTML and the live widget."""

from __future__ import annotations

import base64
import html.parser
import io
import itertools
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("matplotlib")
Image = pytest.importorskip("PIL.Image")

from xentlib.interactive import Choice, Slider, SliderFigure, slider_figure  # noqa: E402


def color_plot(fig, z, y):
    """Fill the figure with a colour that encodes the state, for pixel checks."""
    fig.patch.set_facecolor(((z + 8) / 16, 0.5 * y, 0.25))


def marker_plot(fig, z, y):
    ax = fig.subplots()
    ax.plot([-8, 8], [0, 0], color="0.5")
    ax.plot([z], [y], "o")
    ax.set(xlim=(-8.5, 8.5), ylim=(-0.5, 1.5), title=f"z = {z:g}, y = {y}")


class _Parser(html.parser.HTMLParser):
    """Collects the elements of the static HTML that the tests look at."""

    def __init__(self):
        super().__init__()
        self.imgs, self.inputs, self.outputs, self.scripts = [], [], [], []
        self.buttons, self.groups, self.labels = [], [], []
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.imgs.append(attrs)
        elif tag == "input":
            self.inputs.append(attrs)
        elif tag == "div" and attrs.get("role") == "group":
            self.groups.append(attrs)
        elif tag in ("output", "script", "button"):
            self._in = tag
            target = {"output": self.outputs, "script": self.scripts, "button": self.buttons}[tag]
            target.append([attrs, ""])
        elif tag == "span" and attrs.get("class") == "xsf-label":
            self._in = "label"
            self.labels.append("")
        elif self._in == "label":
            self.labels[-1] += self.get_starttag_text()

    def handle_endtag(self, tag):
        if self._in == "label" and tag != "span":
            self.labels[-1] += f"</{tag}>"
        elif self._in == "label" and self._label_depth_closed():
            self._in = None
        elif self._in == "label":
            self.labels[-1] += "</span>"
        elif self._in != "label":
            self._in = None

    def _label_depth_closed(self):
        text = self.labels[-1]
        return text.count("<span") == text.count("</span>")

    def handle_data(self, data):
        if self._in == "label":
            self.labels[-1] += data
        elif self._in is not None:
            target = {"output": self.outputs, "script": self.scripts, "button": self.buttons}[self._in]
            target[-1][1] += data


def parse(static_html):
    parser = _Parser()
    parser.feed(static_html)
    data_scripts = [s for s in parser.scripts if s[0].get("type") == "application/json"]
    assert len(data_scripts) == 1
    return parser, json.loads(data_scripts[0][1])


def png_pixels(data: bytes) -> np.ndarray:
    """The RGB pixels of an encoded image (a PNG, or a slider frame's WebP)."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


# -- grids --------------------------------------------------------------------


def test_automatic_grid_of_a_symmetric_range_is_the_integers():
    assert Slider(-8, 8).grid() == list(np.arange(-8.0, 9.0))


@pytest.mark.parametrize(
    "lo, hi, value",
    [(0, 1, 0.3), (-5, 5, 2.5), (0, 10, None), (-3, 3, 1.25), (0.001, 0.002, None), (-1, 2, 0.7)],
)
def test_automatic_grid_is_even_contains_its_value_and_has_enough_positions(lo, hi, value):
    grid = np.array(Slider(lo, hi, value=value).grid())
    assert 15 <= len(grid) <= 61
    assert grid[0] == pytest.approx(lo) and grid[-1] == pytest.approx(hi)
    steps = np.diff(grid)
    np.testing.assert_allclose(steps, steps[0], rtol=1e-9)
    if value is not None:
        assert np.min(np.abs(grid - value)) < 1e-12


@given(
    lo=st.floats(-100, 100),
    width=st.floats(0.01, 100),
    steps=st.integers(15, 61),
)
@settings(deadline=None)
def test_explicit_steps_give_numpy_linspace(lo, width, steps):
    hi = lo + width
    np.testing.assert_allclose(
        Slider(lo, hi, steps=steps).grid(), np.linspace(lo, hi, steps), rtol=1e-10, atol=1e-10
    )


@given(lo=st.integers(-20, 20), width=st.integers(1, 40), k=st.integers(0, 100))
@settings(deadline=None)
def test_automatic_grid_holds_any_value_or_says_how_to_fix_it(lo, width, k):
    hi = lo + width
    value = lo + width * k / 100
    try:
        grid = Slider(lo, hi, value=value).grid()
    except ValueError as err:
        assert "steps=" in str(err)
    else:
        assert len(grid) >= 15
        assert min(abs(g - value) for g in grid) < 1e-9


def test_choice_positions_are_its_options_in_order():
    assert Choice(["b", "a", "c"]).grid() == ["b", "a", "c"]


# -- defaults -----------------------------------------------------------------


def test_defaults_are_the_given_values_or_the_middle_and_the_first_option():
    sf = slider_figure(marker_plot, z=Slider(-8, 8), y=Choice([0, 1]))
    assert sf.default == {"z": 0.0, "y": 0}
    sf = slider_figure(marker_plot, z=Slider(-8, 8, value=-3), y=Choice([0, 1], value=1))
    assert sf.default == {"z": -3.0, "y": 1}
    assert sf.shape == (17, 2)
    assert sf.grids[0][sf.default_index[0]] == -3.0
    assert sf.grids[1][sf.default_index[1]] == 1


def test_states_cover_the_grid_with_the_last_slider_fastest():
    sf = slider_figure(marker_plot, z=Slider(-8, 8), y=Choice([0, 1]))
    expected = [{"z": z, "y": y} for z, y in itertools.product(np.arange(-8.0, 9.0), [0, 1])]
    assert sf.states() == expected


# -- validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    "args, kwargs, error, words",
    [
        ((1, 1), {}, ValueError, "lo < hi"),
        ((2, 1), {}, ValueError, "lo < hi"),
        ((0, math.inf), {}, ValueError, "finite"),
        ((0, math.nan), {}, ValueError, "finite"),
        (("0", 1), {}, TypeError, "lo must be a real number"),
        ((True, 2), {}, TypeError, "lo must be a real number"),
        ((0, 1), {"steps": 5}, ValueError, "at least 15"),
        ((0, 1), {"steps": 500}, ValueError, "at most 61"),
        ((0, 1), {"steps": 20.0}, TypeError, "steps must be an integer"),
        ((0, 1), {"value": 2}, ValueError, "outside the range"),
        ((0, 1), {"value": "a"}, TypeError, "value must be a real number"),
        ((0, 1), {"steps": 16, "value": 0.5}, ValueError, "not on the grid"),
        ((0, 1), {"label": 3}, TypeError, "label must be a string"),
    ],
)
def test_bad_slider_specs_are_rejected_with_the_reason(args, kwargs, error, words):
    with pytest.raises(error, match=words):
        Slider(*args, **kwargs)


def test_value_off_every_round_grid_asks_for_steps():
    with pytest.raises(ValueError, match="steps="):
        Slider(0, 1, value=1 / 3 + 1e-4).grid()


@pytest.mark.parametrize(
    "options, kwargs, error, words",
    [
        ([1], {}, ValueError, "at least two options"),
        ([], {}, ValueError, "at least two options"),
        ([0, 1, 0], {}, ValueError, "distinct"),
        ("ab", {}, TypeError, "list or tuple"),
        ({0, 1}, {}, TypeError, "list or tuple"),
        ([0, 1], {"value": 2}, ValueError, "not one of the options"),
        ([0, 1], {"label": ["y"]}, TypeError, "label must be a string"),
    ],
)
def test_bad_choice_specs_are_rejected_with_the_reason(options, kwargs, error, words):
    with pytest.raises(error, match=words):
        Choice(options, **kwargs)


def test_bad_figure_specs_are_rejected_with_the_reason():
    with pytest.raises(TypeError, match="plot function"):
        slider_figure("not callable", z=Slider(0, 1))
    with pytest.raises(ValueError, match="at least one"):
        slider_figure(marker_plot)
    with pytest.raises(TypeError, match="'z' must be a Slider or a Choice"):
        slider_figure(marker_plot, z=(0, 1))
    with pytest.raises(ValueError, match="'fig'"):
        slider_figure(marker_plot, fig=Slider(0, 1))
    with pytest.raises(ValueError, match="figsize"):
        slider_figure(marker_plot, z=Slider(0, 1), figsize=(6, -1))
    with pytest.raises(ValueError, match="colors"):
        slider_figure(marker_plot, z=Slider(0, 1), colors=1)
    with pytest.raises(ValueError, match="more than 400"):
        slider_figure(
            marker_plot, z=Slider(0, 1, steps=61), y=Slider(0, 1, steps=61)
        )
    sf = slider_figure(marker_plot, z=Slider(-8, 8), y=Choice([0, 1]))
    with pytest.raises(TypeError, match="unknown slider parameter"):
        sf.render(w=1.0)


# -- static HTML --------------------------------------------------------------


@pytest.fixture(scope="module")
def color_figure():
    return slider_figure(
        color_plot, z=Slider(-8, 8, value=2.0), y=Choice([0, 1], value=1), figsize=(1.0, 0.5)
    )


def test_static_html_has_one_frame_per_state_in_grid_order(color_figure):
    sf = color_figure
    parser, data = parse(sf.static_html())
    assert data["shape"] == [17, 2]
    # One panel: one image, one frame index per state.
    assert len(data["index"]) == 1 and len(data["index"][0]) == 17 * 2
    # Every state has its own colour, so no two frames coincide.
    assert len(data["frames"]) == 17 * 2
    # Lossless WebP frames, named so for the page's script.
    assert data["mime"] == "image/webp"
    assert all(base64.b64decode(f)[8:16] == b"WEBPVP8L" for f in data["frames"])
    for flat, (z, y) in enumerate(itertools.product(sf.grids[0], sf.grids[1])):
        frame = base64.b64decode(data["frames"][data["index"][0][flat]])
        pixels = png_pixels(frame)
        expected = 255 * np.array([(z + 8) / 16, 0.5 * y, 0.25])
        np.testing.assert_allclose(pixels.reshape(-1, 3).mean(axis=0), expected, atol=1.5)


def test_static_html_shows_the_default_state_without_javascript(color_figure):
    sf = color_figure
    parser, data = parse(sf.static_html())
    (img,) = parser.imgs
    assert img["src"].startswith("data:image/webp;base64,")
    shown = png_pixels(base64.b64decode(img["src"].split(",", 1)[1]))
    np.testing.assert_allclose(
        shown.reshape(-1, 3).mean(axis=0), 255 * np.array([10 / 16, 0.5, 0.25]), atol=1.5
    )
    default_flat = sf.states().index({"z": 2.0, "y": 1})
    assert img["src"].split(",", 1)[1] == data["frames"][data["index"][0][default_flat]]
    assert "z = 2" in img["alt"] and "y = 1" in img["alt"]
    # The slider sits at its default position and the choice's default button
    # is pressed, all disabled until the script enables them.
    assert [(i["name"], i["value"], i["max"]) for i in parser.inputs] == [("z", "10", "16")]
    assert [o[1] for o in parser.outputs] == ["2"]
    # A screen reader announces the value (z = 2), not the position on the grid (10).
    assert [i["aria-valuetext"] for i in parser.inputs] == ["2"]
    assert 'setAttribute("aria-valuetext", data.labels[i][position[i]])' in sf.static_html()
    assert data["labels"][0][10] == "2"
    assert [(b["name"], text, b["aria-pressed"]) for b, text in parser.buttons] == [
        ("y", "0", "false"),
        ("y", "1", "true"),
    ]
    assert all("disabled" in attrs for attrs in parser.inputs + [b for b, _ in parser.buttons])
    assert [g["aria-label"] for g in parser.groups] == ["y"]


def test_static_html_is_self_contained(color_figure):
    text = color_figure.static_html()
    assert "http://" not in text and "https://" not in text
    assert "src=\"http" not in text
    parser, _ = parse(text)
    assert all("src" not in attrs for attrs, _ in parser.scripts)


def test_frames_differ_exactly_when_the_drawn_parameters_differ():
    sf = slider_figure(marker_plot, z=Slider(-8, 8), y=Choice([0, 1]), figsize=(3, 2))
    frames = sf.frames()
    assert len(set(frames)) == len(frames) == 34

    def ignores_y(fig, z, y):
        marker_plot(fig, z, 0)

    sf = slider_figure(ignores_y, z=Slider(-8, 8), y=Choice([0, 1]), figsize=(3, 2))
    frames = sf.frames()
    assert len(set(frames)) == 17
    _, data = parse(sf.static_html())
    assert len(data["frames"]) == 17
    assert data["index"][0][0] == data["index"][0][1]


def test_precomputation_is_deterministic():
    first = slider_figure(marker_plot, z=Slider(-8, 8), y=Choice([0, 1]), figsize=(3, 2))
    second = slider_figure(marker_plot, z=Slider(-8, 8), y=Choice([0, 1]), figsize=(3, 2))
    assert first.static_html() == second.static_html()


def test_frames_keep_the_axes_still():
    def tick_labels_change_width(fig, z, y):
        ax = fig.subplots()
        ax.plot([0, 1], [0, 10 ** (z + 8)])

    sf = slider_figure(tick_labels_change_width, z=Slider(-8, 8), y=Choice([0, 1]), figsize=(3, 2))
    sizes = {Image.open(io.BytesIO(f)).size for f in sf.frames()}
    assert sizes == {(240, 160)}


def test_choices_are_button_groups_with_one_button_per_option():
    sf = slider_figure(
        marker_plot,
        z=Choice([-4, 0, 4], value=4, label="logit"),
        y=Choice(["a", "b<c", "d", "e", "f", "g", "h", "i", "j"], value="d", label="label"),
    )
    parser, data = parse(sf.static_html())
    assert parser.inputs == [] and parser.outputs == []
    pressed = [(b["name"], text) for b, text in parser.buttons if b["aria-pressed"] == "true"]
    assert pressed == [("z", "4"), ("y", "d")]
    assert [text for b, text in parser.buttons if b["name"] == "y"] == sf.grids[1][:1] + [
        "b<c"
    ] + sf.grids[1][2:]
    assert all(b["type"] == "button" for b, _ in parser.buttons)
    assert data["shape"] == [3, 9]


def test_label_math_becomes_mathjax_spans_and_plain_alt_text():
    sf = slider_figure(
        marker_plot,
        z=Slider(-8, 8, value=2.0, label=r"logit $z_1$ at rate $\eta$"),
        y=Choice([0, 1], value=1, label="label $y$ (cost \\$1)"),
    )
    parser, data = parse(sf.static_html())
    math = '<span class="math notranslate nohighlight">'
    assert parser.labels == [
        rf"logit {math}\(z_1\)</span> at rate {math}\(\eta\)</span>",
        rf"label {math}\(y\)</span> (cost $1)",
    ]
    assert parser.inputs[0]["aria-label"] == "logit z1 at rate η"
    assert parser.groups[0]["aria-label"] == "label y (cost $1)"
    # What the figure shows (its title), then the controls' values.
    assert parser.imgs[0]["alt"] == (
        "Figure: z = 2, y = 1, at logit z1 at rate η = 2, label y (cost $1) = 1"
    )
    # Every state's alt text names the title that state draws.
    z_at_minus_8 = sf.states().index({"z": -8.0, "y": 0})
    assert data["texts"][data["described"][0][z_at_minus_8]] == "Figure: z = -8, y = 0, at "
    assert "$" not in "".join(data["alt"]).replace("$1", "")


@pytest.mark.parametrize(
    "label, words",
    [("cost $5", "unmatched"), ("$a$ and $b", "unmatched"), ("$$", "unmatched")],
)
def test_labels_with_an_unmatched_dollar_are_rejected(label, words):
    with pytest.raises(ValueError, match=words):
        Slider(0, 1, label=label)
    with pytest.raises(ValueError, match=words):
        Choice([0, 1], label=label)


@pytest.mark.parametrize("width", [3.0, 6.0, 7.0, 7.5])
def test_tick_labels_are_legible_on_a_phone(width):
    """Tick labels at least 12 px tall when the figure is shrunk to a 358 px column."""
    seen = {}

    def plot(fig, z):
        ax = fig.subplots()
        ax.plot([0, 1], [0, z])
        fig.canvas.draw()
        seen["size_pt"] = ax.xaxis.get_ticklabels()[0].get_fontsize()
        seen["title_pt"] = ax.set_title("t").get_fontsize()
        seen["dpi"] = fig.dpi
        seen["width_px"] = fig.canvas.get_width_height()[0]

    import matplotlib

    outside = matplotlib.rcParams["font.size"]
    sf = slider_figure(plot, z=Slider(0, 1), figsize=(width, 2))
    sf.frames()
    shown_px = seen["size_pt"] * seen["dpi"] / 72 * min(1.0, 358 / seen["width_px"])
    assert shown_px >= 12 - 0.05
    assert seen["size_pt"] >= 11
    assert seen["title_pt"] == seen["size_pt"]
    # The live widget draws with the same sizes, and the caller's settings are left alone.
    seen.clear()
    sf.render()
    assert seen["dpi"] == sf.live_dpi
    assert seen["size_pt"] == pytest.approx(sf.font_size)
    assert matplotlib.rcParams["font.size"] == outside


def test_labels_are_escaped_in_the_html():
    sf = slider_figure(
        marker_plot, z=Slider(-8, 8, label="<b>z</b>"), y=Choice([0, 1], label="y & </script>")
    )
    text = sf.static_html()
    assert "<b>z</b>" not in text
    assert "</script>\"" not in text
    assert text.count("</script>") == 2


# -- display ------------------------------------------------------------------


def test_mime_bundle_has_the_static_html_a_png_and_a_text_repr(color_figure):
    bundle = color_figure._repr_mimebundle_()
    assert bundle["text/html"] == color_figure.static_html()
    png = base64.b64decode(bundle["image/png"])
    assert png_pixels(png).reshape(-1, 3).mean(axis=0) == pytest.approx(
        255 * np.array([10 / 16, 0.5, 0.25]), abs=1.5
    )
    text = bundle["text/plain"]
    assert "color_plot" in text and "17 x 2 = 34 states" in text and "z=2" in text
    pytest.importorskip("ipywidgets")
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert view["version_major"] == 2 and view["model_id"]


def test_live_widget_recomputes_when_a_value_changes():
    pytest.importorskip("ipywidgets")
    calls = []

    def recording_plot(fig, z, y):
        calls.append((z, y))
        marker_plot(fig, z, y)

    sf = slider_figure(recording_plot, z=Slider(-8, 8, value=2.0), y=Choice([0, 1], value=1))
    box = sf.widget()
    assert calls == [(2.0, 1)]
    first = box.image.value
    assert first == sf.render(z=2.0, y=1)

    box.controls["z"].value = -5.0
    assert calls[-1] == (-5.0, 1)
    assert box.image.value != first
    assert box.image.value == sf.render(z=-5.0, y=1)

    box.controls["y"].value = 0
    assert calls[-1] == (-5.0, 0)
    assert box.image.value == sf.render(z=-5.0, y=0)


def test_live_controls_match_the_static_grid():
    pytest.importorskip("ipywidgets")
    sf = slider_figure(marker_plot, z=Slider(0, 1, value=0.3), y=Choice(["a", "b", "c"], value="b"))
    box = sf.widget()
    z, y = box.controls["z"], box.controls["y"]
    assert (z.min, z.max, z.value) == (0.0, 1.0, 0.3)
    assert z.step == pytest.approx(sf.grids[0][1] - sf.grids[0][0])
    assert type(y).__name__ == "ToggleButtons"
    assert list(y.options) == [("a", "a"), ("b", "b"), ("c", "c")] or list(y.options) == ["a", "b", "c"]
    assert y.value == "b"


def test_live_choices_are_buttons_up_to_eight_options_and_labels_keep_their_tex():
    pytest.importorskip("ipywidgets")
    sf = slider_figure(
        marker_plot,
        z=Choice(list(range(8)), label="logit $z$"),
        y=Choice(list(range(9)), label="label $y$"),
    )
    box = sf.widget()
    z, y = box.controls["z"], box.controls["y"]
    assert type(z).__name__ == "ToggleButtons" and type(y).__name__ == "Dropdown"
    # JupyterLab typesets $...$ in a widget's description.
    assert (z.description, y.description) == ("logit $z$", "label $y$")
    assert box.image.layout.width == f"{round(sf.figsize[0] * sf.dpi)}px"


def test_is_a_slider_figure(color_figure):
    assert isinstance(color_figure, SliderFigure)


def test_book_figures_are_svg_with_text_legible_on_a_phone():
    import matplotlib
    import matplotlib.pyplot as plt

    from xentlib.interactive import book_figures, phone_font_size

    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.figure import Figure

    shell = InteractiveShell.instance()
    formatters = shell.display_formatter.formatters
    with matplotlib.rc_context():
        book_figures(width=7.0)
        # the inline backend now shows a figure as SVG, not as PNG
        assert formatters["image/svg+xml"].lookup_by_type(Figure)
        with pytest.raises(KeyError):
            formatters["image/png"].lookup_by_type(Figure)
        # ... and as HTML (panels and alt text), which the site shows
        from xentlib.interactive import figure_html

        assert formatters["text/html"].lookup_by_type(Figure) is figure_html
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        ax.set_title("t")
        fig.canvas.draw()
        width_pt = fig.get_figwidth() * 72
        tick_pt = ax.xaxis.get_ticklabels()[0].get_fontsize()
        # shown in a 358 px phone column, text is at least 12 px tall
        assert tick_pt * 358 / width_pt >= 12 - 0.05
        assert ax.title.get_fontsize() == tick_pt
        plt.close(fig)
    assert phone_font_size(1.0) == 11.0  # a narrow figure shown at its own size
    with pytest.raises(ValueError, match="positive number of inches"):
        phone_font_size(0)
    with pytest.raises(ValueError, match="aspect must be positive"):
        book_figures(aspect=-1)


# -- panels side by side ------------------------------------------------------


def two_panel_plot(fig, z, y):
    """The left panel follows z only, the right one z and y."""
    left, right = fig.subplots(1, 2)
    left.plot([-8, 8], [0, 0], color="0.5")
    left.plot([z], [0], "o")
    left.set(xlim=(-8.5, 8.5), title="left", xlabel="logit $z$")
    right.plot([-8, 8], [y, y])
    right.axvline(z, color="C3")
    right.set(xlim=(-8.5, 8.5), ylim=(-0.5, 1.5), title="right", ylabel=r"label $\eta$")


@pytest.fixture(scope="module")
def two_panel_figure():
    return slider_figure(two_panel_plot, z=Slider(-8, 8), y=Choice([0, 1]), figsize=(6, 2.5))


def test_panels_side_by_side_are_one_image_each_cut_between_the_panels(two_panel_figure):
    sf = two_panel_figure
    parser, data = parse(sf.static_html())
    frames = [img for img in parser.imgs if img.get("class") == "xsf-frame"]
    assert len(frames) == 2 and len(data["index"]) == 2
    widths = [int(img["width"]) for img in frames]
    assert sum(widths) == 6 * 80 and {int(img["height"]) for img in frames} == {200}
    assert widths == sf.panel_widths()
    # The cut lies in the gap between the two axes' boxes (ticks and titles included).
    fig = sf._new_figure(sf.dpi)
    with sf._style():
        two_panel_plot(fig, **sf.default)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        left_box, right_box = (ax.get_tightbbox(renderer) for ax in fig.axes)
    assert left_box.x1 <= widths[0] <= right_box.x0
    # Side by side the panels are exactly the whole figure's pixels.
    for flat in (0, 17, 33):
        whole = png_pixels(sf.frames()[flat])
        parts = [png_pixels(sf.panel_frames()[p][flat]) for p in range(2)]
        np.testing.assert_array_equal(np.hstack(parts), whole)
    # Each panel's frames are stored once: the left one ignores y.
    assert len(set(data["index"][0])) == 17
    assert len(set(data["index"][1])) == 34
    assert len(data["frames"]) == 17 + 34


def test_each_panel_has_alt_text_saying_what_it_shows(two_panel_figure):
    sf = two_panel_figure
    parser, data = parse(sf.static_html())
    alts = [img["alt"] for img in parser.imgs]
    assert alts == [
        "Panel 1 of 2: left; x axis: logit z, at z = 0, y = 0",
        "Panel 2 of 2: right; y axis: label η, at z = 0, y = 0",
    ]
    assert '<p class="xsf-status" aria-live="polite" aria-atomic="true"></p>' in sf.static_html()
    state = sf.states().index({"z": 3.0, "y": 1})
    assert [data["texts"][d[state]] + data["alt"][state] for d in data["described"]] == [
        "Panel 1 of 2: left; x axis: logit z, at z = 3, y = 1",
        "Panel 2 of 2: right; y axis: label η, at z = 3, y = 1",
    ]


def test_panels_stack_below_a_tablet_width_and_keep_the_figure_width_above():
    from xentlib.interactive import _PANELS_STYLE

    assert ".xent-panels{display:flex;flex-wrap:nowrap" in _PANELS_STYLE
    assert "@media (max-width:640px){.xent-panels{flex-wrap:wrap}}" in _PANELS_STYLE
    assert ".xent-panels>img{min-width:0;max-width:100%;height:auto" in _PANELS_STYLE


def test_stacked_panels_have_text_of_at_least_12_pixels_on_a_phone(two_panel_figure):
    """A panel stacked in a 358 px column grows to the column (at most 1.5 times its size)."""
    sf = two_panel_figure
    text_px = sf.font_size * sf.dpi / 72
    whole_on_phone = text_px * 358 / (6 * 80)
    assert whole_on_phone == pytest.approx(12, abs=0.05)
    for width in sf.panel_widths():
        shown = min(358, 1.5 * width)
        assert text_px * shown / width >= 1.4 * whole_on_phone


# -- static figures -----------------------------------------------------------


def _svg_images(page_html):
    import urllib.parse
    import xml.etree.ElementTree as ET

    parser = _Parser()
    parser.feed(page_html)
    svgs = []
    for img in parser.imgs:
        prefix = "data:image/svg+xml,"
        assert img["src"].startswith(prefix)
        svgs.append(ET.fromstring(urllib.parse.unquote(img["src"][len(prefix):])))
    return parser.imgs, svgs


def _svg_text(svg):
    return " ".join(t for t in svg.itertext() if t.strip())


def test_figure_html_cuts_two_panels_into_two_svgs():
    import matplotlib.pyplot as plt

    from xentlib.interactive import figure_html

    def draw():
        fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
        a.plot([0, 1], [0, 1], label="first")
        a.plot([0, 1], [1, 0], label="second")
        a.set(title="Alpha", xlabel="logit $z$", ylabel="loss")
        a.legend()
        image = b.imshow(np.arange(12.0).reshape(3, 4))
        fig.colorbar(image, ax=b, label="Gamma")
        b.set_title("Beta")
        return fig

    fig = draw()
    text = figure_html(fig)
    imgs, svgs = _svg_images(text)
    assert len(imgs) == 2
    assert "Alpha" in _svg_text(svgs[0]) and "Beta" not in _svg_text(svgs[0])
    assert "Beta" in _svg_text(svgs[1]) and "Gamma" in _svg_text(svgs[1])
    assert "Alpha" not in _svg_text(svgs[1])
    for img, svg in zip(imgs, svgs):
        # The img's CSS size is the SVG's own (points are 4/3 CSS pixels).
        assert int(img["width"]) == pytest.approx(float(svg.get("width").removesuffix("pt")) * 4 / 3, abs=1)
        assert img["style"] == f"flex:1 1 {img['width']}px"
    total = sum(int(img["width"]) for img in imgs)
    assert f'style="max-width:{total}px"' in text
    assert total == pytest.approx(8 * 96, abs=0.3 * 96)
    assert [img["alt"] for img in imgs] == [
        "Panel 1 of 2: Alpha; loss against logit z; legend: “first”, “second”",
        "Panel 2 of 2: Beta; colour bar: Gamma",
    ]
    # The same drawing gives the same bytes (a re-executed notebook shows no noise).
    again = draw()
    assert figure_html(again) == text
    plt.close(fig)
    plt.close(again)


@pytest.mark.parametrize("layout", ["one", "column", "suptitle"])
def test_figure_html_keeps_other_figures_whole(layout):
    import matplotlib.pyplot as plt

    from xentlib.interactive import figure_html

    if layout == "one":
        fig, ax = plt.subplots()
        axes = [ax]
    elif layout == "column":
        fig, axes = plt.subplots(2, 1)
    else:
        fig, axes = plt.subplots(1, 2)
        fig.suptitle("both")
    for ax in axes:
        ax.plot([0, 1], [0, 1])
        ax.set_title("panel")
    imgs, svgs = _svg_images(figure_html(fig))
    assert len(imgs) == 1
    assert imgs[0]["alt"].startswith("Figure: panel")
    plt.close(fig)


def test_panels_stack_in_a_browser_at_390_pixels_and_sit_side_by_side_at_1280():
    """The HTML as a page shows it: stacked, column-wide panels on a phone."""
    import os
    from pathlib import Path

    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = Path(os.environ.get("XENT_CHROMIUM", "/usr/bin/chromium"))
    if not chromium.exists():
        pytest.skip(f"no Chromium at {chromium}")
    import matplotlib.pyplot as plt

    from xentlib.interactive import figure_html

    fig, (a, b) = plt.subplots(1, 2, figsize=(6, 3), layout="constrained")
    a.plot([0, 1], [0, 1])
    b.plot([0, 1], [1, 0])
    static = figure_html(fig)
    plt.close(fig)
    sliders = slider_figure(two_panel_plot, z=Slider(-8, 8), y=Choice([0, 1]), figsize=(6, 2.5))
    page_html = (
        "<!doctype html><meta name=viewport content='width=device-width'>"
        "<body style='margin:0;padding:0 16px'>"
        f"<div id=static>{static}</div><div id=sliders>{sliders.static_html()}</div>"
    )
    boxes = """id => Array.from(document.querySelectorAll('#' + id + ' .xent-panels > img'))
        .map(i => { const r = i.getBoundingClientRect();
                    return [r.left, r.top, r.width, r.bottom, i.naturalWidth]; })"""
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium))
        try:
            for width, stacked in ((390, True), (1280, False)):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.set_content(page_html, wait_until="load")
                for figure in ("static", "sliders"):
                    first, second = page.evaluate(boxes, figure)
                    if stacked:
                        assert second[1] >= first[3] - 0.5, (figure, first, second)
                        # As wide as the column; slider frames (pixels) at most 1.5 times their size.
                        for box, drawn in zip((first, second), sliders.panel_widths()):
                            expected = 358 if figure == "static" else min(358, round(1.5 * drawn))
                            assert box[2] == pytest.approx(expected, abs=1)
                    else:
                        assert second[1] == pytest.approx(first[1], abs=0.5)
                        assert second[0] == pytest.approx(first[0] + first[2], abs=1)
                # The slider figure's text, at its drawn size scaled to the screen.
                text_px = sliders.font_size * sliders.dpi / 72
                shown = page.evaluate(boxes, "sliders")
                scales = [box[2] / w for box, w in zip(shown, sliders.panel_widths())]
                assert min(scales) * text_px >= 12
                page.close()
        finally:
            browser.close()


def test_a_panel_too_heavy_for_svg_is_a_sharp_webp():
    """Thousands of markers: a 2x lossless WebP, far lighter than their SVG."""
    import matplotlib.pyplot as plt

    from xentlib.interactive import figure_html

    rng = np.random.default_rng(0)
    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
    a.plot(rng.normal(size=20000), rng.normal(size=20000), ".", ms=1)
    a.set_title("many points")
    b.plot([0, 1], [0, 1])
    b.set_title("one line")
    text = figure_html(fig)
    plt.close(fig)
    parser = _Parser()
    parser.feed(text)
    heavy, light = parser.imgs
    assert heavy["src"].startswith("data:image/webp;base64,")
    assert light["src"].startswith("data:image/svg+xml,")
    pixels = Image.open(io.BytesIO(base64.b64decode(heavy["src"].split(",", 1)[1])))
    # Two device pixels per CSS pixel.
    assert pixels.size[0] == pytest.approx(2 * int(heavy["width"]), abs=2)
    assert pixels.size[1] == pytest.approx(2 * int(heavy["height"]), abs=2)
    assert len(heavy["src"]) < 150_000
    assert heavy["alt"] == "Panel 1 of 2: many points"


def test_figures_that_show_values_as_colours_are_marked_to_keep_them():
    import matplotlib.pyplot as plt

    from xentlib.interactive import figure_html

    lines, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    ax.fill_between([0, 1], [0, 0], [1, 0], alpha=0.3)
    heat, bx = plt.subplots()
    bx.imshow(np.eye(3), cmap="RdBu")
    regions, cx = plt.subplots()
    cx.contourf(np.arange(4.0)[:, None] * np.arange(4.0))
    assert "xent-colour-map" not in figure_html(lines)
    assert "xent-colour-map" in figure_html(heat)
    assert "xent-colour-map" in figure_html(regions)
    for fig in (lines, heat, regions):
        plt.close(fig)

    def heat_plot(fig, t):
        fig.subplots().imshow(t * np.eye(2))

    def line_plot(fig, t):
        fig.subplots().plot([0, 1], [0, t])

    assert 'class="xent-slider-figure xent-colour-map"' in slider_figure(
        heat_plot, t=Slider(0, 1, steps=15)).static_html()
    assert 'class="xent-slider-figure"' in slider_figure(
        line_plot, t=Slider(0, 1, steps=15)).static_html()


def test_symbols_from_tex_fonts_are_drawn_as_outlines_not_as_wrong_characters():
    import matplotlib.pyplot as plt

    from xentlib.interactive import figure_html

    def texts_of(text):
        fig, ax = plt.subplots(figsize=(2, 1))
        ax.text(0.1, 0.5, text)
        ax.axis("off")
        imgs, svgs = _svg_images(figure_html(fig))
        plt.close(fig)
        return [e.text.strip() for e in svgs[0].iter()
                if e.tag.endswith(("text", "tspan")) and e.text and e.text.strip()]

    # Mathtext's prime is "0" of the cmsy10 font: as text, a browser shows a 0.
    assert texts_of(r"$\mathrm{relu}'(z)$") == []
    assert texts_of(r"$\mathrm{relu}(z)$") == ["r", "e", "l", "u", "(", ")", "z"]


def test_alt_text_quotes_legend_entries_that_hold_commas():
    import matplotlib.pyplot as plt

    from xentlib.interactive import figure_alt_texts

    fig, ax = plt.subplots()
    ax.plot([0, 1], label=r"gradient descent, $\eta = 1$")
    ax.plot([1, 0], label="Newton's method")
    ax.legend()
    assert figure_alt_texts(fig, None) == [
        "Figure: legend: “gradient descent, η = 1”, “Newton's method”"
    ]
    # A title on two lines is read as one.
    ax.set_title("naive:\n$a_1$ 0.5815")
    assert figure_alt_texts(fig, None)[0].startswith("Figure: naive: a1 0.5815; legend")
    plt.close(fig)


def growing_ticks_plot(fig, k):
    """Tick labels as wide as 10**k: much wider at k = 6 than at the default k = 0."""
    left, right = fig.subplots(1, 2)
    for ax in (left, right):
        ax.plot([0, 1], [0, 10.0**k])
        ax.ticklabel_format(style="plain", useOffset=False)
    right.set_title(f"up to {10 ** k}")


def test_every_state_keeps_its_tick_labels_inside_the_frame_and_its_panel():
    sf = slider_figure(growing_ticks_plot, k=Choice(list(range(7)), value=0), figsize=(6, 2.5))
    widths = sf.panel_widths()
    assert len(widths) == 2
    for flat in range(len(sf.states())):
        for frames in sf.panel_frames():
            pixels = png_pixels(frames[flat]).astype(float)
            dark = pixels.min(axis=-1) < 128 if pixels.ndim == 3 else pixels < 128
            # Text cut at a frame's left edge would leave dark pixels in its first column.
            assert not dark[:, 0].any(), (sf.states()[flat], dark[:, :3].sum())
            assert not dark[:, -1].any(), sf.states()[flat]


def test_alt_text_reads_tex_as_words_and_starts_with_the_figures_label():
    import matplotlib.pyplot as plt

    from xentlib.interactive import figure_alt_texts, label_text

    assert label_text(r"$\mathrm{KL}(y\,\|\,a)$") == "KL(y ‖ a)"
    assert label_text(r"$a \odot (g - \langle g, a \rangle)$") == "a ⊙ (g - ⟨ g, a ⟩)"
    fig, (a, b) = plt.subplots(1, 2, figsize=(8, 3), layout="constrained")
    a.imshow(np.eye(3))
    b.plot([0, 1], [0, 1])
    b.set_title("loss")
    fig.canvas.draw()
    from xentlib.interactive import _panel_cuts

    cuts = _panel_cuts(fig)
    assert figure_alt_texts(fig, cuts) == ["Panel 1 of 2", "Panel 2 of 2: loss"]
    fig.set_label("decision regions and the training loss")
    # The label describes the whole figure: it is said once, with the first panel.
    assert figure_alt_texts(fig, cuts) == [
        "Figure in 2 panels: decision regions and the training loss. Panel 1 of 2",
        "Panel 2 of 2: loss",
    ]
    plt.close(fig)
    fig, ax = plt.subplots()
    ax.axis("off")
    for k, word in enumerate(["$x$", "$z = Wx + b$", "$L$"]):
        ax.text(k, 0, word)
    assert figure_alt_texts(fig, None) == ["Figure: diagram with the labels x, z = Wx + b, L"]
    plt.close(fig)
