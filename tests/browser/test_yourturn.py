"""The static "your turn" forms, in headless Chromium, with no kernel.

For every exercise of xentlib.yourturn's catalog, on the page of the built book that
shows it: the right answers (two forms at least) are accepted and labelled as tested, not
proved; each typical wrong answer is refuted at a point, with both values and its
intended hint; an equal form that is not finite in floating point is refused where the
exercise asks for a stable one; bad input (empty, unbalanced brackets, unknown names, `import os`, an
assignment) gets a plain message and nothing else (no echo, no verdict, no error in the
console). The formula is echoed back typeset by MathJax. Every chapter from 01 to 08 has
a form; the pages with one stay within 2.5 MB and the others load none of its scripts.

The answers are those of tests/test_yourturn.py, checked there in Python.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.browser.conftest import site_pages
from tests.browser.test_browser_site import (
    DESKTOP,
    PAGE_TIMEOUT_MS,
    PHONE,
    PageReport,
    _route_offline,
    _wait_for_math,
)
from tests.test_yourturn import CASES

pytestmark = pytest.mark.browser

MAX_FORM_ASSET_BYTES = 250_000
FORM = '<div class="xent-yourturn" data-key="([^"]+)"'

# Bad input in the static form, and a phrase of its message.
BAD_INPUT = [
    ("", "empty"),
    ("(a - y", "never closed"),
    ("a - y)", "never opened"),
    ("(a - y]", "it needs ')'"),
    ("foo + a", "unknown name 'foo'"),
    ("import os", "keyword"),
    ("__import__('os')", "'__' is not part of a formula"),
    ("a = 3", "'=' is not part of a formula"),
    ("a; y", "';' is not part of a formula"),
    ("2 a", "write * between factors"),
    ("a +", "could not read"),
    ("sigma(a, y)", "sigma takes 1 argument"),
]


@pytest.fixture(scope="module")
def exercise_pages(site_dir):
    """``{exercise key: page path}`` for every static form of the built site."""
    found = {}
    for page in site_pages(site_dir):
        for key in re.findall(FORM, (site_dir / page).read_text(encoding="utf-8")):
            found[key] = page
    return found


def _open(browser_context, server, mathjax_dir, path, viewport=DESKTOP):
    report = PageReport(url=f"{server}/{path}")
    page = browser_context.new_page()
    page.set_viewport_size(viewport)
    page.on("console", lambda m: report.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: report.console_errors.append(f"uncaught: {e}"))

    def on_response(response):
        if 200 <= response.status < 300:
            report.bytes_loaded += len(response.body())

    page.on("response", on_response)
    page.route("**/*", _route_offline(server, mathjax_dir, report))
    page.goto(report.url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
    _wait_for_math(page)
    try:
        # MathJax fetches its font files as formulas need them: wait for them to settle.
        page.wait_for_load_state("networkidle", timeout=20_000)
    except PlaywrightTimeoutError:
        pass
    return page, report


def _submit(page, key, text, press_enter=False):
    """Type ``text`` in the form of exercise ``key``, check it; the result's text and echo."""
    form = page.locator(f'.xent-yourturn[data-key="{key}"]')
    field = form.locator(".xent-yourturn-input")
    field.fill(text)
    # A marker tells this check's result from the previous one's.
    form.locator(".xent-yourturn-result").evaluate("e => { e.textContent = ''; }")
    if press_enter:
        field.press("Enter")
    else:
        form.locator(".xent-yourturn-check").click()
    page.wait_for_function(
        "k => document.querySelector(`.xent-yourturn[data-key=\"${k}\"] .xent-yourturn-result`)"
        ".textContent.length > 0", arg=key, timeout=PAGE_TIMEOUT_MS)
    # MathJax typesets the echo asynchronously.
    page.evaluate("() => window.MathJax && MathJax.startup ? MathJax.startup.promise : null")
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    result = form.locator(".xent-yourturn-result")
    echo = form.locator(".xent-yourturn-echo")
    return {
        "text": result.inner_text(),
        "class": result.get_attribute("class"),
        "echo": echo.inner_text(),
        "echo_typeset": echo.locator("mjx-container").count(),
        "echo_errors": echo.locator("mjx-merror").count(),
    }


def test_every_chapter_from_01_to_08_has_a_static_form(exercise_pages):
    chapters = {re.match(r"chapters/(\d\d)_", p).group(1) for p in exercise_pages.values()
                if re.match(r"chapters/\d\d_", p)}
    missing = {f"{n:02d}" for n in range(1, 9)} - chapters
    assert not missing, f"chapters without a 'your turn' form: {sorted(missing)}"


@pytest.mark.parametrize("key", sorted(CASES))
def test_the_static_form_checks_answers_in_the_browser(browser_context, server, mathjax_dir,
                                                       exercise_pages, key):
    if key not in exercise_pages:
        pytest.fail(f"no page of the built site shows the exercise {key}")
    page, report = _open(browser_context, server, mathjax_dir, exercise_pages[key])
    try:
        form = page.locator(f'.xent-yourturn[data-key="{key}"]')
        assert form.locator(".xent-yourturn-static").is_visible(), "the form stays hidden"
        case = CASES[key]
        for n, text in enumerate(case["right"]):
            got = _submit(page, key, text, press_enter=n == 1)
            assert got["text"].startswith("✓ Agrees with the book's result at all 200"), (text, got)
            assert "tested, not proved" in got["text"]
            assert "xent-yourturn-right" in got["class"]
            assert got["echo"].startswith("read as") and got["echo_typeset"] == 1, got
            assert got["echo_errors"] == 0
        hints = set()
        for text, phrase in case["wrong"]:
            got = _submit(page, key, text)
            assert got["text"].startswith("✗ Differs at "), (text, got)
            assert re.search(r"yours is \S+, the book's result is \S+", got["text"]), got
            assert "Hint: " in got["text"], (text, got)
            hint = got["text"].split("Hint: ", 1)[1]
            hints.add(hint)
            plain = re.sub(r"\$", "", phrase)
            # The hint's math is typeset: compare its words outside the formulas.
            words = [w for w in re.split(r"\$[^$]*\$", phrase) if w.strip()]
            assert all(w.strip() in hint for w in words) or plain in hint, (text, phrase, hint)
            assert "xent-yourturn-wrong" in got["class"]
        assert len(hints) == len(case["wrong"])
        for text in case.get("overflow", []):
            got = _submit(page, key, text)
            assert "not finite in floating point (overflow or underflow)" in got["text"], (text, got)
        assert not report.console_errors, report.console_errors
        assert not report.failed_requests and not report.blocked_requests
    finally:
        page.close()


def test_bad_input_gets_a_plain_message_and_nothing_else(browser_context, server, mathjax_dir,
                                                         exercise_pages):
    key = "02-bce-gradient"
    if key not in exercise_pages:
        pytest.fail(f"no page of the built site shows the exercise {key}")
    page, report = _open(browser_context, server, mathjax_dir, exercise_pages[key])
    try:
        for text, phrase in BAD_INPUT:
            got = _submit(page, key, text)
            assert got["text"].startswith("Not read: "), (text, got)
            assert phrase in got["text"], (text, got)
            assert got["echo"] == "" and "Hint" not in got["text"] and "Differs" not in got["text"]
            assert "xent-yourturn-error" in got["class"]
        assert page.evaluate("() => typeof os === 'undefined'")
        assert not report.console_errors, report.console_errors
    finally:
        page.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_the_form_fits_the_column(browser_context, server, mathjax_dir, exercise_pages, viewport):
    key = "04-softmax-jacobian"
    if key not in exercise_pages:
        pytest.fail(f"no page of the built site shows the exercise {key}")
    page, report = _open(browser_context, server, mathjax_dir, exercise_pages[key], viewport)
    try:
        _submit(page, key, "a[i]*(1 - a[j])")
        box = page.locator(f'.xent-yourturn[data-key="{key}"]').bounding_box()
        width = page.evaluate("() => document.documentElement.clientWidth")
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, (box, width)
        assert page.evaluate(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    finally:
        page.close()


def test_pages_with_a_form_stay_within_the_budget(site_dir, exercise_pages):
    # Every page's whole transfer is held to 2.5 MB by test_browser_site; what the form
    # adds to a page (its script, styles and the math.js bundle) stays a small part of it.
    assert exercise_pages, "no page of the built site has a 'your turn' form"
    for path in sorted(set(exercise_pages.values())):
        html = (site_dir / path).read_text(encoding="utf-8")
        assets = set(re.findall(r'(?:src|href)="([^"]*yourturn[^"]*)"', html))
        assert assets, f"{path} has a form but loads none of its files"
        added = sum((site_dir / path).parent.joinpath(a.split("?")[0]).stat().st_size
                    for a in assets)
        assert added <= MAX_FORM_ASSET_BYTES, (path, added)


def test_pages_without_a_form_load_none_of_its_files(site_dir, exercise_pages):
    with_form = set(exercise_pages.values())
    for path in site_pages(site_dir):
        if path in with_form:
            continue
        assert "_static/yourturn" not in (site_dir / path).read_text(encoding="utf-8"), path
