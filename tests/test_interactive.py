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
        self._in = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.imgs.append(attrs)
        elif tag == "input":
            self.inputs.append(attrs)
        elif tag in ("output", "script"):
            self._in = (tag, attrs)
            (self.outputs if tag == "output" else self.scripts).append([attrs, ""])

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in is not None:
            target = self.outputs if self._in[0] == "output" else self.scripts
            target[-1][1] += data


def parse(static_html):
    parser = _Parser()
    parser.feed(static_html)
    data_scripts = [s for s in parser.scripts if s[0].get("type") == "application/json"]
    assert len(data_scripts) == 1
    return parser, json.loads(data_scripts[0][1])


def png_pixels(data: bytes) -> np.ndarray:
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
    assert len(data["index"]) == 17 * 2
    # Every state has its own colour, so no two frames coincide.
    assert len(data["frames"]) == 17 * 2
    for flat, (z, y) in enumerate(itertools.product(sf.grids[0], sf.grids[1])):
        frame = base64.b64decode(data["frames"][data["index"][flat]])
        pixels = png_pixels(frame)
        expected = 255 * np.array([(z + 8) / 16, 0.5 * y, 0.25])
        np.testing.assert_allclose(pixels.reshape(-1, 3).mean(axis=0), expected, atol=1.5)


def test_static_html_shows_the_default_state_without_javascript(color_figure):
    sf = color_figure
    parser, data = parse(sf.static_html())
    (img,) = parser.imgs
    assert img["src"].startswith("data:image/png;base64,")
    shown = png_pixels(base64.b64decode(img["src"].split(",", 1)[1]))
    np.testing.assert_allclose(
        shown.reshape(-1, 3).mean(axis=0), 255 * np.array([10 / 16, 0.5, 0.25]), atol=1.5
    )
    default_flat = sf.states().index({"z": 2.0, "y": 1})
    assert img["src"].split(",", 1)[1] == data["frames"][data["index"][default_flat]]
    assert "z = 2" in img["alt"] and "y = 1" in img["alt"]
    # The sliders sit at the default positions, disabled until the script enables them.
    assert [i["value"] for i in parser.inputs] == ["10", "1"]
    assert all("disabled" in i for i in parser.inputs)
    assert [i["max"] for i in parser.inputs] == ["16", "1"]
    assert [o[1] for o in parser.outputs] == ["2", "1"]


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
    assert data["index"][0] == data["index"][1]


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
    assert list(y.options) == [("a", "a"), ("b", "b"), ("c", "c")] or list(y.options) == ["a", "b", "c"]
    assert y.value == "b"


def test_is_a_slider_figure(color_figure):
    assert isinstance(color_figure, SliderFigure)
