"""Every page of the built book, opened in headless Chromium.

For each page: it loads with no JavaScript error and no failed request (with no network:
MathJax comes from the local npm copy in place of its CDN); every formula typesets
without a MathJax error; no cell output shows a traceback or a raw widget repr; every
slider moves its figure; every link into the site reaches an existing page and anchor;
the page with everything it loads weighs at most 5 MB.

Run: `make book` (or any build, with XENT_SITE_DIR pointing at its html directory), then
`python -m pytest -m browser tests/browser`.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

# A MathJax 3 URL on any CDN, e.g. https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js
MATHJAX_URL = re.compile(r"^https?://[^/]+/(?:npm/)?mathjax@3[^/]*/([^?#]*)")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^-{20,}\n\w*(Error|Exception)", re.M)
WIDGET_REPR = re.compile(
    r"\b(?:interactive|VBox|HBox|Box|GridBox|Output|Image|FloatSlider|IntSlider|"
    r"FloatRangeSlider|IntRangeSlider|SelectionSlider|ToggleButtons|Dropdown|"
    r"RadioButtons|Checkbox|Button|Play|Tab|Accordion|HTML|Label)\("
    r"(?:children|value|description|options|layout)="
    r"|<slider figure |Error displaying widget|Loading widget\.\.\."
)
PAGE_TIMEOUT_MS = 30_000
MAX_PAGE_BYTES = 5_000_000


@dataclass
class PageReport:
    url: str
    final_url: str = ""
    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    math: dict = field(default_factory=dict)
    output_texts: list[str] = field(default_factory=list)
    traceback_nodes: int = 0
    sliders: list[dict] = field(default_factory=list)
    stray_ranges: int = 0
    hrefs: list[str] = field(default_factory=list)
    bytes_loaded: int = 0


def _route_offline(base: str, mathjax_dir: Path, report: PageReport):
    """Serve the site and the local MathJax; refuse every other request."""

    def handle(route):
        url = route.request.url
        if url.startswith(base + "/"):
            route.continue_()
            return
        match = MATHJAX_URL.match(url)
        if match:
            local = mathjax_dir / match.group(1)
            if local.is_file():
                route.fulfill(path=str(local))
            else:
                report.failed_requests.append(f"{url} (not in the local MathJax copy)")
                route.abort()
            return
        report.blocked_requests.append(url)
        route.abort()

    return handle


_COLLECT_MATH = """() => {
  const math = Array.from(document.querySelectorAll(".math"));
  return {
    nodes: math.length,
    containers: document.querySelectorAll("mjx-container").length,
    untypeset: math.filter(e => !e.querySelector("mjx-container"))
                   .map(e => e.textContent.trim().slice(0, 120)),
    errors: Array.from(document.querySelectorAll("mjx-merror, [data-mjx-error]"))
                 .map(e => e.getAttribute("data-mjx-error") || e.textContent.slice(0, 120))
                 .concat(window.MathJax && MathJax.startup && MathJax.startup.document
                         ? internalErrors(MathJax.startup.document.math) : []),
  };
  // MathJax shows an undefined macro as red text (its noundefined extension), not as
  // an error node: look for both in the typeset trees.
  function internalErrors(list) {
    const found = [];
    for (const item of list) {
      let problem = null;
      item.root.walkTree(node => {
        if (problem) return;
        if (node.isKind("merror")) problem = "error";
        else if (node.isKind("mtext") && node.attributes.get("mathcolor") === "red")
          problem = "undefined macro";
      });
      if (problem) found.push(problem + " in " + item.math.slice(0, 120));
    }
    return found;
  }
}"""

_SET_RANGE = """(input, value) => {
  input.value = value;
  input.dispatchEvent(new Event("input", {bubbles: true}));
}"""


def _exercise_sliders(page) -> tuple[list[dict], int]:
    results = []
    figures = page.locator(".xent-slider-figure")
    for i in range(figures.count()):
        figure = figures.nth(i)
        img = figure.locator("img.xsf-frame")
        inputs = figure.locator("input.xsf-input")
        for j in range(inputs.count()):
            control = inputs.nth(j)
            name = control.get_attribute("name")
            before_value = control.input_value()
            static_src = img.get_attribute("src")
            result = {"figure": i, "slider": name, "enabled": control.is_enabled()}
            if result["enabled"]:
                # The script's frame for the initial position is the no-JavaScript view.
                control.evaluate(_SET_RANGE, before_value)
                before_src = img.get_attribute("src")
                result["default_consistent"] = before_src == static_src
                key = "Home" if before_value == control.get_attribute("max") else "End"
                control.scroll_into_view_if_needed()
                control.focus()
                control.press(key)
                result["moved"] = control.input_value() != before_value
                result["figure_changed"] = img.get_attribute("src") != before_src
                result["image_ok"] = img.evaluate(
                    "i => new Promise(r => i.decode().then(() => r(i.naturalWidth > 0), () => r(false)))"
                )
                control.evaluate(_SET_RANGE, before_value)
                result["restored"] = img.get_attribute("src") == before_src
            results.append(result)
    stray = page.evaluate(
        "() => Array.from(document.querySelectorAll('input[type=range]'))"
        ".filter(e => !e.closest('.xent-slider-figure')).length"
    )
    return results, stray


def _visit(context, base: str, mathjax_dir: Path, page_path: str) -> PageReport:
    report = PageReport(url=f"{base}/{page_path}")
    page = context.new_page()
    page.on("console", lambda m: report.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: report.console_errors.append(f"uncaught: {e}"))
    page.on(
        "requestfailed",
        lambda r: report.failed_requests.append(f"{r.url} ({r.failure})"),
    )

    def on_response(response):
        if response.status >= 400:
            report.failed_requests.append(f"{response.url} (HTTP {response.status})")
        elif not 300 <= response.status < 400:
            report.bytes_loaded += len(response.body())

    page.on("response", on_response)
    page.route("**/*", _route_offline(base, mathjax_dir, report))
    try:
        page.goto(report.url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
        # A redirect page (the book's index.html) navigates on: check where it lands.
        page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
        page.wait_for_load_state("load", timeout=PAGE_TIMEOUT_MS)
        report.final_url = page.url
        if page.evaluate("() => !!document.querySelector('script[src*=\"mathjax\"]')"):
            page.wait_for_function(
                "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                timeout=PAGE_TIMEOUT_MS,
            )
            page.evaluate("() => MathJax.startup.promise.then(() => true)")
            report.math = {"loaded": True, **page.evaluate(_COLLECT_MATH)}
        else:
            report.math = {"loaded": False, **page.evaluate(_COLLECT_MATH)}
        report.output_texts = page.evaluate(
            "() => Array.from(document.querySelectorAll('.cell_output, .output'))"
            ".map(e => e.innerText)"
        )
        report.traceback_nodes = page.locator(".cell_output .traceback, .output.traceback").count()
        report.sliders, report.stray_ranges = _exercise_sliders(page)
        report.hrefs = page.evaluate(
            "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
        )
        page.wait_for_load_state("networkidle", timeout=PAGE_TIMEOUT_MS)
        if page.url != report.final_url:
            report.console_errors.append(f"left the page for {page.url} while being tested")
    finally:
        page.close()
    return report


@pytest.fixture(scope="session")
def visit(browser_context, server, mathjax_dir):
    reports: dict[str, PageReport] = {}

    def get(page_path: str) -> PageReport:
        if page_path not in reports:
            reports[page_path] = _visit(browser_context, server, mathjax_dir, page_path)
        return reports[page_path]

    return get


_ids_cache: dict[Path, set[str]] = {}


def _ids(path: Path) -> set[str]:
    if path not in _ids_cache:
        text = path.read_text(encoding="utf-8", errors="replace")
        _ids_cache[path] = set(re.findall(r'\b(?:id|name)="([^"]+)"', text))
    return _ids_cache[path]


def test_site_has_the_book(site_dir, all_pages):
    pages = all_pages
    assert pages, f"no HTML pages found under {site_dir}"
    assert "index.html" in pages


def test_page_loads_without_errors(page_path, visit):
    report = visit(page_path)
    assert not report.blocked_requests, f"{page_path} requests outside the site: {report.blocked_requests}"
    assert not report.failed_requests, f"{page_path} has failed requests: {report.failed_requests}"
    assert not report.console_errors, f"{page_path} logs console errors: {report.console_errors}"


def test_page_weighs_at_most_5_mb(page_path, visit):
    report = visit(page_path)
    assert 0 < report.bytes_loaded <= MAX_PAGE_BYTES, (
        f"{page_path} loads {report.bytes_loaded / 1e6:.2f} MB (page, scripts, styles, fonts, MathJax)"
    )


def test_math_typesets(page_path, visit):
    math = visit(page_path).math
    if math["nodes"]:
        assert math["loaded"], f"{page_path} has {math['nodes']} formulas but does not load MathJax"
    assert not math["errors"], f"{page_path}: MathJax errors {math['errors']}"
    assert not math["untypeset"], f"{page_path}: formulas left untypeset {math['untypeset']}"
    assert math["containers"] >= math["nodes"]


def test_outputs_have_no_traceback_or_widget_repr(page_path, visit):
    report = visit(page_path)
    assert report.traceback_nodes == 0, f"{page_path} shows a traceback output"
    for text in report.output_texts:
        assert not TRACEBACK.search(text), f"{page_path} shows a traceback:\n{text[:500]}"
        match = WIDGET_REPR.search(text)
        assert not match, f"{page_path} shows a raw widget repr {match.group(0)!r}:\n{text[:300]}"


def test_every_slider_moves_its_figure(page_path, visit):
    report = visit(page_path)
    assert report.stray_ranges == 0, f"{page_path} has sliders outside a slider figure"
    for s in report.sliders:
        where = f"{page_path}, figure {s['figure']}, slider {s['slider']!r}"
        assert s["enabled"], f"{where}: the slider stayed disabled (its script did not run)"
        assert s["default_consistent"], f"{where}: the page's initial figure is not the default frame"
        assert s["moved"], f"{where}: the slider did not move"
        assert s["figure_changed"], f"{where}: the figure did not change"
        assert s["image_ok"], f"{where}: the new frame does not decode"
        assert s["restored"], f"{where}: moving back did not restore the figure"


def test_internal_links_resolve(page_path, visit, server, site_dir):
    report = visit(page_path)
    broken = []
    for href in report.hrefs:
        if not href.startswith(server + "/"):
            continue
        parsed = urllib.parse.urlsplit(href)
        rel = urllib.parse.unquote(parsed.path).lstrip("/")
        target = site_dir / rel
        if rel == "" or rel.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{href} (no file {rel})")
            continue
        fragment = urllib.parse.unquote(parsed.fragment)
        if fragment and target.suffix == ".html" and fragment not in _ids(target):
            broken.append(f"{href} (no anchor #{fragment})")
    assert not broken, f"{page_path} has broken links: {broken}"
