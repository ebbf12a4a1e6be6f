"""The build steps that trim what a page loads (_ext/xent_lean_css.py, _ext/xent_icons.py).

No browser needed: each step is a function of text, checked on small stylesheets whose
right answer is known, and on the theme's own files as installed.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

EXT = Path(__file__).resolve().parents[2] / "_ext"
sys.path.insert(0, str(EXT))

import xent_icons  # noqa: E402
import xent_lean_css  # noqa: E402


def test_prune_keeps_rules_whose_classes_appear_and_drops_the_rest():
    css = (".used{color:red}.unused{color:blue}.used,.unused{margin:0}"
           "@media (min-width:576px){.unused{padding:0}.used .inner{padding:1px}}"
           "@font-face{font-family:x;src:url(x.woff2)}a:hover{color:green}")
    lean = xent_lean_css.prune(css, {"used", "inner"})
    assert lean == (".used{color:red}.used{margin:0}"
                    "@media (min-width:576px){.used .inner{padding:1px}}"
                    "@font-face{font-family:x;src:url(x.woff2)}a:hover{color:green}")


def test_prune_counts_only_classes_a_selector_requires():
    words = {"btn"}
    # :not(.x) matches without .x; attribute values and comments are not classes;
    # a class a script completes at run time (bs-tooltip-top) is kept.
    for selector in (".btn:not(.disabled)", '.btn[href$=".pdf"]', "/*! v1.2 (getbootstrap.com) */.btn",
                     ".bs-tooltip-top .tooltip-arrow"):
        assert xent_lean_css.selector_can_match(selector, words), selector
    assert not xent_lean_css.selector_can_match(".btn .card-body", words)
    assert xent_lean_css.split_selectors(".a:not(.b,.c),.d") == [".a:not(.b,.c)", ".d"]


LIBRARY = '''var p={"pencil":[512,512,[9999,"pencil-alt"],"f303","M1 2Z"],"share":[512,512,[],"f064","M3 4Z"]};d("fas",p);'''


def test_admonition_glyphs_become_masks_with_the_theme_selectors():
    theme = (":root{--pst-icon-share:\"\uf064\";--pst-icon-admonition-seealso:var(--pst-icon-share)}"
             ".admonition.seealso>.admonition-title:after{color:green;content:var(--pst-icon-admonition-seealso)}")
    exercise = 'div.exercise p.admonition-title::after{content:"\\f303"}'
    solution = "div.solution p.admonition-title::after{content:none}"
    css = xent_icons.admonition_icon_css([theme, exercise, solution], LIBRARY)
    rules = css.strip().splitlines()[1:]
    assert [r.split("{")[0] for r in rules] == [".admonition.seealso>.admonition-title:after",
                                                "div.exercise p.admonition-title::after"]
    assert "M3%204Z" in rules[0] and "M1%202Z" in rules[1]  # share, then pencil
    assert all('content:"";font:inherit;background-color:currentColor' in r for r in rules)


def test_glyph_class_rules_are_dropped_and_the_rest_kept():
    css = '.x{color:red}\n.fa-bars:before{content:"\\f0c9"}.fa-pen:before,.fa-pencil:before{content:"\\f303"}.y{margin:0}'
    assert xent_icons._GLYPH_CLASS_RULE.sub("", css) == ".x{color:red}\n.y{margin:0}"


def test_the_installed_theme_yields_a_mask_for_every_admonition_kind():
    import pydata_sphinx_theme

    static = Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"
    library = static / "scripts" / "fontawesome.js"
    if not library.is_file():
        pytest.skip("pydata-sphinx-theme without its Font Awesome build")
    theme = (static / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    css = xent_icons.admonition_icon_css([theme], library.read_text(encoding="utf-8"))
    for kind in ("note", "tip", "warning", "seealso", "danger"):
        assert f".admonition.{kind}>.admonition-title:after" in css, kind
    # The generic rule, which every admonition without its own icon falls back to.
    assert ".admonition>.admonition-title:after," in css
