"""Every page of the built book, opened in headless Chromium.

For each page: it loads with no JavaScript error and no failed request (with no network:
MathJax comes from the local npm copy in place of its CDN); every formula typesets
without a MathJax error; no cell output shows a traceback, a raw widget repr or a
"not installed" message; every slider and every choice button moves its figure, and
slider labels are typeset; every link into the site reaches an existing page and
anchor; the page with everything it loads weighs at most 2.5 MB uncompressed (as a
plain static server sends it, MathJax and its fonts counted as the CDN sends them);
axe-core finds no
WCAG 2 A/AA violation in the light or the dark colour scheme; every image has alt text
that says what it shows (not a file name); no link shows raw TeX; a code cell that only
authors a derivation is folded behind "Show code" so the checked panel leads.

Layout, at a phone's 390 px and a desktop's 1280 px: the page never scrolls sideways;
a formula, table or output wider than the column scrolls inside its own box and shows
a scroll cue; code keeps its indentation (its lines scroll, they do not wrap); display
formulas fit the column (none scrolls at 1280 px, at most 10% of a page's at 390 px,
MathJax 4 breaks the rest at a relation); every reason of a derivation chain is on
screen (on a phone, under its step); the "Next" link at the page foot is on screen. Navigation: on a phone the contents button opens the contents drawer and a
chapter link in it navigates, the outline button opens the outline drawer; on a
desktop the contents button hides and shows the sidebar; the title bar of a solution
opens the solution. Search results show no raw TeX. Printed, a page shows no widget
chrome or "Click to hide" button and keeps each derivation title with its first step.

Run: `make book` (or any build, with XENT_SITE_DIR pointing at its html directory), then
`python -m pytest -m browser tests/browser`.
"""

from __future__ import annotations

import gzip
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

# A file of MathJax 4 or of its font package on any CDN, e.g.
# https://cdn.jsdelivr.net/npm/mathjax@4.1.3/startup.js or
# .../npm/@mathjax/mathjax-newcm-font@4.1.3/chtml/woff2/mjx-ncm-n.woff2
MATHJAX_URL = re.compile(r"^https?://[^/]+/(?:npm/)?((?:@mathjax/)?mathjax[\w-]*)@4[^/]*/([^?#]*)")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^-{20,}\n\w*(Error|Exception)", re.M)
WIDGET_REPR = re.compile(
    r"\b(?:interactive|VBox|HBox|Box|GridBox|Output|Image|FloatSlider|IntSlider|"
    r"FloatRangeSlider|IntRangeSlider|SelectionSlider|ToggleButtons|Dropdown|"
    r"RadioButtons|Checkbox|Button|Play|Tab|Accordion|HTML|Label)\("
    r"(?:children|value|description|options|layout)="
    r"|<slider figure |Error displaying widget|Loading widget\.\.\."
)
# Generous: a long page takes about 6 s to settle on an idle 2-core machine, but beside
# the notebook tests (a kernel and a pytest worker on the same cores) MathJax's line
# breaking on a phone-width page has taken over a minute.
PAGE_TIMEOUT_MS = 180_000
# How long a loaded page may take to fall network-quiet before the test looks at what
# is still in flight (Chromium starved of CPU reports quiet late, or not at all).
SETTLE_MS = 45_000
MAX_PAGE_BYTES = 2_500_000
# WCAG 2.0 and 2.1, levels A and AA, as axe-core tags its rules.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Share of a page's display formulas that may still scroll sideways on a phone.
PHONE_WIDE_FORMULA_SHARE = 0.10
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
NOT_INSTALLED = re.compile(r"not installed", re.I)


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
    bytes_transferred: int = 0
    heaviest: list[tuple[int, str]] = field(default_factory=list)
    loaded_files: list[str] = field(default_factory=list)
    choices: list[dict] = field(default_factory=list)
    labels: list[dict] = field(default_factory=list)
    layout: dict = field(default_factory=dict)
    axe: list[dict] = field(default_factory=list)
    content: dict = field(default_factory=dict)


def _route_offline(base: str, mathjax_dir: Path, report: PageReport):
    """Serve the site and the local MathJax; refuse every other request."""

    def handle(route):
        url = route.request.url
        if url.startswith(base + "/"):
            route.continue_()
            return
        match = MATHJAX_URL.match(url)
        if match:
            # The font package is installed beside MathJax (node_modules/@mathjax/...).
            local = mathjax_dir.parent / match.group(1) / match.group(2)
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


# What a reader sees of the page's width, formulas, tables, outputs and derivations.
_COLLECT_LAYOUT = """() => {
  const root = document.scrollingElement;
  const vw = window.innerWidth;
  const describe = e => (e.className || e.tagName).toString().slice(0, 60) + ": "
                        + (e.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 80);
  // Boxes that scroll sideways: they must scroll (overflow-x auto or scroll) and,
  // scrolled to the start, show a cue on the right edge.
  const boxes = Array.from(document.querySelectorAll(
    '.bd-article mjx-container[display="true"], .bd-article .pst-scrollable-table-container, ' +
    '.bd-article .cell_output .output pre, .bd-article .xent-derivation .xent-expr, ' +
    '.bd-article .cell_input pre, .bd-article div.highlight pre'));
  // An inline formula wider than its paragraph must scroll too.
  for (const span of document.querySelectorAll(".bd-article span.math")) {
    const math = span.querySelector("mjx-container > mjx-math");
    if (!math || !span.parentElement || span.closest(".xent-derivation")) continue;
    if (math.getBoundingClientRect().width > span.parentElement.clientWidth + 1) boxes.push(span);
  }
  const uncued = [];
  for (const box of boxes) {
    if (box.scrollWidth <= box.clientWidth + 1) continue;
    const overflow = getComputedStyle(box).overflowX;
    const cue = box.classList.contains("xent-scroll-right") || box.scrollLeft > 0;
    if (!["auto", "scroll"].includes(overflow) || !cue) uncued.push(describe(box));
  }
  // Anything of the article reaching past the right edge of the screen must be
  // inside a box that scrolls (and ends on screen); cut off by a box that hides
  // its overflow, or sticking out of the page, it is lost to the reader.
  const sticking = [];
  for (const e of document.querySelectorAll(".bd-article *")) {
    const r = e.getBoundingClientRect();
    if (r.width === 0 || r.right <= vw + 1) continue;
    // MathJax's copy of each formula for screen readers is clipped to nothing on purpose.
    if (e.closest("mjx-assistive-mml")) continue;
    // Follow the element's right edge outwards through the boxes that contain it.
    let right = r.right, scrolls = false;
    for (let a = e.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX === "visible" || style.display === "inline") continue;
      const edge = a.getBoundingClientRect().right;
      if (right <= edge + 2) continue;
      if (!["auto", "scroll"].includes(style.overflowX)) break;
      if (edge <= vw + 1) { scrolls = true; break; }
      right = edge;
    }
    if (!scrolls) sticking.push(describe(e));
    if (sticking.length > 5) break;
  }
  const reasons = [];
  for (const reason of document.querySelectorAll(".xent-derivation .xent-reason")) {
    const r = reason.getBoundingClientRect();
    const box = reason.closest(".xent-derivation").getBoundingClientRect();
    const step = reason.closest(".xent-step");
    const expr = step && step.querySelector(".xent-expr");
    const e = expr ? expr.getBoundingClientRect() : null;
    reasons.push({
      text: reason.textContent.trim().slice(0, 80),
      on_screen: r.left >= -1 && r.right <= vw + 1 && r.left >= box.left - 1
                 && r.right <= box.right + 1 && r.width > 0,
      fits: reason.scrollWidth <= reason.clientWidth + 1,
      under_step: e !== null && r.top >= e.bottom - 2 && r.left < e.left + 40,
      mark: (reason.querySelector(".xent-mark") || {}).textContent || "",
      mark_color: reason.querySelector(".xent-mark")
                  ? getComputedStyle(reason.querySelector(".xent-mark")).color : "",
      verdict: step ? ["proved", "tested", "failed"].find(v => step.classList.contains("xent-" + v)) : null,
      method: (reason.querySelector(".xent-method") || {}).textContent || "",
    });
  }
  // Display formulas (and a derivation's steps, typeset in display style) wider
  // than their box: the reader has to scroll them.
  const formulas = Array.from(document.querySelectorAll(
    '.bd-article mjx-container[display="true"], .bd-article .xent-derivation .xent-expr'));
  const wide = formulas.filter(f => f.scrollWidth > f.clientWidth + 1)
    .map(f => (f.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60));
  // Code keeps its indentation: its lines do not wrap.
  const wrapped = Array.from(document.querySelectorAll(".bd-article .cell_input pre, .bd-article div.highlight pre"))
    .filter(pre => !["pre", "nowrap"].includes(getComputedStyle(pre).whiteSpace)).length;
  const next = document.querySelector(".prev-next-area a.right-next");
  let next_box = null;
  if (next) {
    const r = next.getBoundingClientRect();
    next_box = {left: r.left, right: r.right, width: r.width, visible: next.checkVisibility()};
  }
  return {
    scroll_width: root.scrollWidth,
    client_width: root.clientWidth,
    uncued: uncued,
    sticking: sticking,
    reasons: reasons,
    formulas: formulas.length,
    wide_formulas: wide,
    wrapped_code: wrapped,
    next: next_box,
  };
}"""


# What the page says to a reader who cannot see it, or reads it in pieces.
_COLLECT_CONTENT = r"""() => {
  const images = Array.from(document.querySelectorAll(".bd-article img")).map(img => ({
    src: (img.getAttribute("src") || "").slice(0, 80),
    alt: img.getAttribute("alt"),
  }));
  // Link text as shown: typeset formulas count as their symbols, raw TeX as itself.
  const links = Array.from(document.querySelectorAll(".bd-article a[href], .prev-next-area a[href]"))
    .map(a => {
      const copy = a.cloneNode(true);
      copy.querySelectorAll("mjx-container").forEach(m => m.replaceWith("∎"));
      return (copy.textContent || "").trim().replace(/\s+/g, " ");
    });
  // Cells whose one output is a derivation chain and whose code only builds it.
  const authoring = [];
  for (const cell of document.querySelectorAll(".bd-article .cell")) {
    const input = cell.querySelector(".cell_input");
    const outputs = cell.querySelectorAll(".cell_output > .output");
    if (!input || outputs.length !== 1 || !outputs[0].querySelector(":scope > .xent-derivation")) continue;
    // A solution's code is the answer the reader opened the solution for.
    if (cell.closest(".solution")) continue;
    const source = input.textContent;
    if (!/Derivation\(/.test(source) || /\b(print|display)\(/.test(source)) continue;
    const code = input.querySelector("pre");
    authoring.push({
      source: source.trim().slice(0, 80),
      folded: !!cell.querySelector("details.hide:not([open]) .cell_input, details.above-input:not([open])")
              || !(code && code.checkVisibility()),
    });
  }
  return {images, links, authoring};
}"""


_SLIDER_LABELS = """() => Array.from(document.querySelectorAll(".xent-slider-figure .xsf-label"))
  .map(label => ({
    text: label.innerText,
    math: label.querySelectorAll(".math").length,
    typeset: label.querySelectorAll(".math mjx-container").length,
  }))"""


_EXPECTED_FRAME = """figure => {
  // The frame the data says belongs to the controls' current positions.
  const data = JSON.parse(figure.querySelector("script.xsf-data").textContent);
  let state = 0;
  figure.querySelectorAll(".xsf-control").forEach((control, d) => {
    const input = control.querySelector("input.xsf-input");
    const buttons = Array.from(control.querySelectorAll("button.xsf-option"));
    const k = input ? Number(input.value)
                    : buttons.findIndex(b => b.getAttribute("aria-pressed") === "true");
    state = state * data.shape[d] + k;
  });
  // One frame per panel: a figure with panels side by side shows one image each.
  return data.index.map(
    panel => "data:" + (data.mime || "image/png") + ";base64," + data.frames[panel[state]]);
}"""

_CHOICE_MATTERS = """(figure, d) => {
  // Does this control change the picture in some state of the other controls?
  const data = JSON.parse(figure.querySelector("script.xsf-data").textContent);
  const shape = data.shape;
  const stride = shape.slice(d + 1).reduce((a, b) => a * b, 1);
  for (const panel of data.index) {
    for (let flat = 0; flat < panel.length; flat++) {
      const k = Math.floor(flat / stride) % shape[d];
      if (k + 1 < shape[d] && panel[flat] !== panel[flat + stride]) return true;
    }
  }
  return false;
}"""


_FRAMES_DECODE = """figure => Promise.all(
  Array.from(figure.querySelectorAll("img.xsf-frame")).map(
    i => i.decode().then(() => i.naturalWidth > 0, () => false))
).then(ok => ok.length > 0 && ok.every(Boolean))"""


def _frame_sources(figure) -> list[str]:
    """The figure's frame images, one per panel, in the order of the data's panels."""
    return figure.evaluate(
        "f => Array.from(f.querySelectorAll('img.xsf-frame')).map(i => i.getAttribute('src'))"
    )


def _exercise_choices(page) -> list[dict]:
    """Press every button of every choice; the figure must follow and come back."""
    results = []
    figures = page.locator(".xent-slider-figure")
    for i in range(figures.count()):
        figure = figures.nth(i)
        controls = figure.locator(".xsf-control")
        for d in range(controls.count()):
            buttons = controls.nth(d).locator("button.xsf-option")
            n = buttons.count()
            if n == 0:
                continue
            pressed = [k for k in range(n) if buttons.nth(k).get_attribute("aria-pressed") == "true"]
            result = {"figure": i, "choice": d, "options": n, "pressed": pressed,
                      "enabled": all(buttons.nth(k).is_enabled() for k in range(n))}
            if result["enabled"] and len(pressed) == 1:
                default_src = _frame_sources(figure)
                result["default_consistent"] = figure.evaluate(_EXPECTED_FRAME) == default_src
                sources = {}
                result["pressed_follows"] = result["frame_follows"] = True
                for k in range(n):
                    buttons.nth(k).click()
                    sources[k] = _frame_sources(figure)
                    now = [m for m in range(n) if buttons.nth(m).get_attribute("aria-pressed") == "true"]
                    result["pressed_follows"] &= now == [k]
                    result["frame_follows"] &= figure.evaluate(_EXPECTED_FRAME) == sources[k]
                # A choice that draws the same picture in the default state (a float64
                # curve equal to the float32 one at a small shift) must still change it
                # somewhere else on the grid.
                result["figure_changed"] = len({tuple(v) for v in sources.values()}) > 1 or figure.evaluate(
                    _CHOICE_MATTERS, d
                )
                buttons.nth(pressed[0]).click()
                result["restored"] = _frame_sources(figure) == default_src
            results.append(result)
    return results


def _panel_descriptions(figure) -> list[str]:
    """What each panel of a slider figure shows, by its alt text without the values."""
    alts = figure.locator("img.xsf-frame").evaluate_all("imgs => imgs.map(i => i.alt)")
    return [_without_values(a) for a in alts]


def _without_values(alt: str) -> str:
    head, sep, _ = alt.rpartition(" at ")
    return head.removesuffix(",") if sep else alt


def _exercise_sliders(page) -> tuple[list[dict], int]:
    results = []
    figures = page.locator(".xent-slider-figure")
    for i in range(figures.count()):
        figure = figures.nth(i)
        inputs = figure.locator("input.xsf-input")
        for j in range(inputs.count()):
            control = inputs.nth(j)
            name = control.get_attribute("name")
            before_value = control.input_value()
            static_src = _frame_sources(figure)
            result = {"figure": i, "slider": name, "enabled": control.is_enabled()}
            if result["enabled"]:
                # The script's frame for the initial position is the no-JavaScript view.
                control.evaluate(_SET_RANGE, before_value)
                before_src = _frame_sources(figure)
                result["default_consistent"] = before_src == static_src
                key = "Home" if before_value == control.get_attribute("max") else "End"
                control.scroll_into_view_if_needed()
                control.focus()
                before_said = _panel_descriptions(figure)
                control.press(key)
                result["moved"] = control.input_value() != before_value
                result["figure_changed"] = _frame_sources(figure) != before_src
                result["image_ok"] = figure.evaluate(_FRAMES_DECODE)
                # What the figure now shows differently is said by the live region.
                changed = [d for d, b in zip(_panel_descriptions(figure), before_said) if d != b]
                status = figure.locator(".xsf-status")
                result["announced"] = status.get_attribute("aria-live") == "polite"
                if changed and result["announced"]:
                    from playwright.sync_api import expect

                    try:
                        # Said once the control rests (a 0.4 s pause), later on a busy machine.
                        expect(status).to_have_text(". ".join(changed), timeout=15_000)
                    except AssertionError:
                        result["announced"] = False
                control.evaluate(_SET_RANGE, before_value)
                result["restored"] = _frame_sources(figure) == before_src
            results.append(result)
    stray = page.evaluate(
        "() => Array.from(document.querySelectorAll('input[type=range]'))"
        ".filter(e => !e.closest('.xent-slider-figure')).length"
    )
    return results, stray


def _wait_for_math(page) -> bool:
    if page.evaluate("() => !!document.querySelector('script[src*=\"mathjax\"]')"):
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise",
            timeout=PAGE_TIMEOUT_MS,
        )
        page.evaluate("() => MathJax.startup.promise.then(() => true)")
        # xent.js lays out derivations and scroll cues in the next animation frame.
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        return True
    return False


def _run_axe(page, axe_source: str) -> list[dict]:
    """axe-core's WCAG 2 A/AA violations in the page as it is now."""
    page.add_script_tag(content=axe_source)
    return page.evaluate(
        # Only violations are read: axe then checks one node of each passing rule
        # instead of collecting every pass (a page of formulas has thousands).
        """tags => axe.run(document, {runOnly: {type: "tag", values: tags},
                                      resultTypes: ["violations"]})
          .then(r => r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": "
                                               + (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 200)),
            count: v.nodes.length})))""",
        AXE_TAGS,
    )


# Files a static host sends compressed.
COMPRESSED_SUFFIXES = {".html", ".js", ".css", ".json", ".svg", ".txt", ".map"}
_weights: dict[Path, tuple[int, int]] = {}


def _file_weight(path: Path) -> tuple[int, int]:
    """(bytes stored, bytes sent) of one file."""
    if path not in _weights:
        data = path.read_bytes()
        sent = len(gzip.compress(data, 6)) if path.suffix in COMPRESSED_SUFFIXES else len(data)
        _weights[path] = (len(data), sent)
    return _weights[path]


def _served_file(url: str, base: str, site_dir: Path, mathjax_dir: Path) -> Path | None:
    """The local file behind a request of the page (the site, or MathJax in place of its CDN)."""
    if url.startswith(base + "/"):
        rel = urllib.parse.unquote(urllib.parse.urlsplit(url).path).lstrip("/")
        path = site_dir / rel
        if rel == "" or rel.endswith("/"):
            path = path / "index.html"
        return path if path.is_file() else None
    match = MATHJAX_URL.match(url)
    if match:
        path = mathjax_dir.parent / match.group(1) / match.group(2)
        return path if path.is_file() else None
    return None


def _settle(page, in_flight: dict, report: PageReport) -> None:
    """Wait until the page's network falls quiet (no request for 0.5 s). If it has
    not after SETTLE_MS, a request still unanswered is a failed request of the page;
    with none, the page is settled and Chromium late to say so."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_load_state("networkidle", timeout=SETTLE_MS)
    except PlaywrightTimeoutError:
        report.failed_requests.extend(
            f"{url} (unanswered after {SETTLE_MS // 1000} s)" for url in in_flight.values()
        )


def _visit(context, base: str, mathjax_dir: Path, page_path: str, viewport=DESKTOP,
           scheme: str = "light", axe_source: str | None = None,
           site_dir: Path | None = None) -> PageReport:
    report = PageReport(url=f"{base}/{page_path}")
    page = context.new_page()
    page.set_viewport_size(viewport)
    # The theme follows the system's colour scheme (html_context default_mode auto).
    page.emulate_media(color_scheme=scheme)
    page.on("console", lambda m: report.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: report.console_errors.append(f"uncaught: {e}"))
    page.on(
        "requestfailed",
        lambda r: report.failed_requests.append(f"{r.url} ({r.failure})"),
    )

    def on_response(response):
        if response.status >= 400:
            report.failed_requests.append(f"{response.url} (HTTP {response.status})")

    def on_finished(request):
        # Weighed from the files served (the browser's events miss bodies it
        # takes from its cache): as stored, and as a static host sends them,
        # text compressed with gzip.
        local = _served_file(request.url, base, site_dir, mathjax_dir)
        if local is not None:
            raw, sent = _file_weight(local)
            report.bytes_loaded += raw
            report.bytes_transferred += sent
            name = urllib.parse.urlsplit(request.url).path.rsplit("/", 1)[-1]
            report.loaded_files.append(name)
            report.heaviest = sorted(report.heaviest + [(raw, name)], reverse=True)[:6]

    in_flight: dict[object, str] = {}
    page.on("request", lambda r: in_flight.__setitem__(r, r.url))
    page.on("requestfailed", lambda r: in_flight.pop(r, None))
    page.on("requestfinished", lambda r: in_flight.pop(r, None))
    page.on("response", on_response)
    page.on("requestfinished", on_finished)
    page.route("**/*", _route_offline(base, mathjax_dir, report))
    try:
        page.goto(report.url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
        # A redirect page (the book's index.html) navigates on: check where it lands.
        _settle(page, in_flight, report)
        page.wait_for_load_state("load", timeout=PAGE_TIMEOUT_MS)
        report.final_url = page.url
        loaded = _wait_for_math(page)
        report.math = {"loaded": loaded, **page.evaluate(_COLLECT_MATH)}
        report.layout = page.evaluate(_COLLECT_LAYOUT)
        report.output_texts = page.evaluate(
            "() => Array.from(document.querySelectorAll('.cell_output, .output'))"
            ".map(e => e.innerText)"
        )
        if axe_source is not None and viewport == DESKTOP:
            report.axe = _run_axe(page, axe_source)
        if viewport != DESKTOP or scheme != "light":
            return report
        report.content = page.evaluate(_COLLECT_CONTENT)
        report.traceback_nodes = page.locator(".cell_output .traceback, .output.traceback").count()
        report.labels = page.evaluate(_SLIDER_LABELS)
        report.sliders, report.stray_ranges = _exercise_sliders(page)
        report.choices = _exercise_choices(page)
        report.hrefs = page.evaluate(
            "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
        )
        _settle(page, in_flight, report)
        if page.url != report.final_url:
            report.console_errors.append(f"left the page for {page.url} while being tested")
    finally:
        page.close()
    return report


@pytest.fixture(scope="session")
def visit(browser_context, server, mathjax_dir, axe_source, site_dir):
    """The report of a page at desktop width (1280 px), or at `viewport`, in the light
    colour scheme or in `scheme`."""
    reports: dict[tuple[str, int, str], PageReport] = {}

    def get(page_path: str, viewport=DESKTOP, scheme: str = "light") -> PageReport:
        key = (page_path, viewport["width"], scheme)
        if key not in reports:
            from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

            args = (browser_context, server, mathjax_dir, page_path, viewport, scheme, axe_source,
                    site_dir)
            try:
                report = _visit(*args)
                stalled = any("unanswered after" in r for r in report.failed_requests)
            except PlaywrightTimeoutError:
                stalled = True
            if stalled:
                # On a machine busy with the notebook tests beside these, Chromium can
                # stall for a minute; a page that fails to settle twice is a defect.
                report = _visit(*args)
            reports[key] = report
        return reports[key]

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


def test_page_weighs_at_most_2_5_mb(page_path, visit):
    # Counted uncompressed: a plain static server (python -m http.server, many
    # hosts' defaults) sends files as stored, so that is what a reader may download.
    report = visit(page_path)
    heaviest = ", ".join(f"{name} {size / 1e3:.0f} kB" for size, name in report.heaviest)
    assert 0 < report.bytes_loaded <= MAX_PAGE_BYTES, (
        f"{page_path} loads {report.bytes_loaded / 1e6:.2f} MB uncompressed "
        f"({report.bytes_transferred / 1e6:.2f} MB with text gzip-compressed); "
        f"heaviest: {heaviest}"
    )


# Files a page needs only for a feature the site does not use: the icon webfonts
# (icons are inline SVG, _ext/xent_icons.py), MathJax's combined file with MathML
# input and its speech explorer (the explorer and the speech engine load from the
# formula menu when a reader asks for them), sphinx-design's assets (no page has its
# components), and the search index outside the search page (no search-as-you-type).
UNNEEDED_FILES = re.compile(r"^(?:fa-[\w-]+\.(?:woff2?|ttf)|tex-mml-chtml\.js|explorer\.js|"
                            r"speech-worker\.js|sphinx-design\.[\w.]*css|design-tabs\.js)$")


def test_page_loads_nothing_it_does_not_use(page_path, visit):
    loaded = visit(page_path).loaded_files
    unneeded = sorted({f for f in loaded if UNNEEDED_FILES.match(f)})
    if page_path != "search.html":
        unneeded += sorted({f for f in loaded if f == "searchindex.js"})
    assert not unneeded, f"{page_path} loads files it does not use: {unneeded}"


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


def test_no_not_installed_message(page_path, visit):
    # The published book shows every comparison: no cell output may report a
    # missing package (the prose may say what a learner without it will see).
    report = visit(page_path)
    for text in report.output_texts:
        match = NOT_INSTALLED.search(text)
        assert not match, f"{page_path} shows an output saying 'not installed':\n{text[:300]}"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_page_does_not_scroll_sideways(page_path, visit, viewport):
    layout = visit(page_path, viewport).layout
    assert layout["scroll_width"] <= layout["client_width"] + 1, (
        f"{page_path} at {viewport['width']} px scrolls sideways: content "
        f"{layout['scroll_width']} px wide; sticking out: {layout['sticking']}"
    )
    assert not layout["sticking"], f"{page_path} at {viewport['width']} px: cut off {layout['sticking']}"


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_wide_boxes_scroll_with_a_cue(page_path, visit, viewport):
    layout = visit(page_path, viewport).layout
    assert not layout["uncued"], (
        f"{page_path} at {viewport['width']} px: wider than the column, without a "
        f"scroll box and cue: {layout['uncued']}"
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_display_formulas_fit_the_column(page_path, visit, viewport):
    layout = visit(page_path, viewport).layout
    allowed = int(PHONE_WIDE_FORMULA_SHARE * layout["formulas"]) if viewport == PHONE else 0
    assert len(layout["wide_formulas"]) <= allowed, (
        f"{page_path} at {viewport['width']} px: {len(layout['wide_formulas'])} of "
        f"{layout['formulas']} display formulas scroll (at most {allowed}): {layout['wide_formulas'][:5]}"
    )


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_code_keeps_its_indentation(page_path, visit, viewport):
    layout = visit(page_path, viewport).layout
    assert layout["wrapped_code"] == 0, (
        f"{page_path} at {viewport['width']} px: {layout['wrapped_code']} code blocks wrap their lines"
    )


def test_phone_next_link_is_on_screen(page_path, visit):
    nxt = visit(page_path, PHONE).layout["next"]
    if nxt is None:
        return  # the last page has no next page
    assert nxt["visible"] and nxt["width"] > 0, f"{page_path}: the Next link is hidden on a phone"
    assert nxt["left"] >= 0 and nxt["right"] <= PHONE["width"] + 1, (
        f"{page_path}: the Next link reaches past the phone's screen ({nxt})"
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_accessibility_violations(page_path, visit, scheme):
    violations = visit(page_path, DESKTOP, scheme).axe
    assert not violations, (
        f"{page_path} ({scheme}): axe-core finds {sum(v['count'] for v in violations)} failing "
        f"nodes: " + "; ".join(f"{v['id']} x{v['count']} ({v['help']}): {v['nodes'][:2]}" for v in violations)
    )


# Alt text that names a file, or says nothing, tells a screen-reader user nothing.
FILE_LIKE_ALT = re.compile(r"^\S*\.(?:png|svg|jpe?g|gif|webp)$|^[\w./-]*/[\w./-]*$|^(?:image|figure|png|img)$", re.I)


def test_images_have_descriptive_alt_text(page_path, visit):
    bad = [
        img for img in visit(page_path).content["images"]
        if not img["alt"] or FILE_LIKE_ALT.match(img["alt"].strip()) or len(img["alt"].split()) < 3
    ]
    assert not bad, f"{page_path}: images without alt text that says what they show: {bad[:5]}"


RAW_TEX = re.compile(r"\\[A-Za-z]+|\\[()\[\]]|\$[^$]+\$")


def test_link_text_has_no_raw_tex(page_path, visit):
    raw = [text for text in visit(page_path).content["links"] if RAW_TEX.search(text)]
    assert not raw, f"{page_path}: links show raw TeX: {raw[:5]}"


def test_derivation_authoring_code_is_folded(page_path, visit):
    open_cells = [c["source"] for c in visit(page_path).content["authoring"] if not c["folded"]]
    assert not open_cells, (
        f"{page_path}: {len(open_cells)} cells that only author a derivation show their code "
        f"before the checked panel (tag them hide-input: make normalize): {open_cells[:3]}"
    )


# Colours of the marks (xentlib.symbolic): proved green, tested amber, failed red.
MARKS = {"proved": ("✓", "rgb(26, 127, 55)"), "tested": ("≈", "rgb(154, 103, 0)"),
         "failed": ("✗", "rgb(207, 34, 46)")}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1280px"])
def test_derivation_reasons_are_on_screen(page_path, visit, viewport):
    layout = visit(page_path, viewport).layout
    for reason in layout["reasons"]:
        where = f"{page_path} at {viewport['width']} px, reason {reason['text']!r}"
        assert reason["on_screen"], f"{where} is off-screen"
        assert reason["fits"], f"{where} is wider than its box"
        if viewport == PHONE:
            assert reason["under_step"], f"{where} is not under its step"
        if reason["verdict"]:
            mark, colour = MARKS[reason["verdict"]]
            assert reason["mark"] == mark and reason["mark_color"] == colour, (
                f"{where}: a {reason['verdict']} step is marked {reason['mark']!r} in {reason['mark_color']}"
            )
        if reason["verdict"] == "tested":
            assert reason["method"].startswith("tested at"), f"{where} does not say where it was tested"


def test_slider_labels_are_typeset(page_path, visit):
    for label in visit(page_path).labels:
        assert "$" not in label["text"], f"{page_path}: slider label shows raw TeX {label['text']!r}"
        assert label["typeset"] == label["math"], f"{page_path}: label {label['text']!r} not typeset"


def test_every_choice_button_changes_its_figure(page_path, visit):
    for c in visit(page_path).choices:
        where = f"{page_path}, figure {c['figure']}, choice {c['choice']}"
        assert c["enabled"], f"{where}: the buttons stayed disabled (its script did not run)"
        assert len(c["pressed"]) == 1, f"{where}: {len(c['pressed'])} buttons pressed, not one"
        assert c["pressed_follows"], f"{where}: the pressed button does not follow the clicks"
        assert c["frame_follows"], f"{where}: the figure is not the frame of the pressed button"
        assert c["default_consistent"], f"{where}: the page's initial figure is not the default frame"
        assert c["figure_changed"], f"{where}: a button did not change the figure"
        assert c["restored"], f"{where}: pressing the default again did not restore the figure"


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
        assert s["announced"], f"{where}: the live region did not say what changed"
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


# -- navigation and search ------------------------------------------------------

CHAPTER = "chapters/02_logistic_regression.html"


def _open(browser_context, server, mathjax_dir, path, viewport):
    report = PageReport(url=f"{server}/{path}")
    page = browser_context.new_page()
    page.set_viewport_size(viewport)
    page.on("pageerror", lambda e: report.console_errors.append(f"uncaught: {e}"))
    page.route("**/*", _route_offline(server, mathjax_dir, report))
    page.goto(report.url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
    _wait_for_math(page)
    return page, report


def _article_button(page, kind):
    # The buttons a reader sees: in the article header, not the theme's hidden navbar copy.
    return page.locator(f".bd-header-article button.sidebar-toggle.{kind}-toggle")


def test_phone_contents_drawer_opens_and_follows_a_chapter_link(browser_context, server, mathjax_dir):
    page, report = _open(browser_context, server, mathjax_dir, CHAPTER, PHONE)
    try:
        drawer = page.locator("#pst-primary-sidebar-modal")
        assert not drawer.evaluate("d => d.open")
        button = _article_button(page, "primary")
        assert button.is_visible(), "no visible contents button on a phone"
        button.click()
        page.wait_for_function("() => document.getElementById('pst-primary-sidebar-modal').open")
        link = drawer.locator("a.reference.internal[href*='04_softmax_jacobian']").first
        assert link.is_visible(), "the contents drawer does not show the chapter list"
        box = link.bounding_box()
        assert box and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"] + 1
        link.click()
        page.wait_for_url("**/04_softmax_jacobian.html*", timeout=PAGE_TIMEOUT_MS)
        assert page.locator("h1").first.inner_text().strip().startswith("Softmax")
        assert not report.console_errors, report.console_errors
    finally:
        page.close()


def test_phone_contents_drawer_closes_on_escape_and_backdrop(browser_context, server, mathjax_dir):
    page, report = _open(browser_context, server, mathjax_dir, CHAPTER, PHONE)
    try:
        is_open = "() => document.getElementById('pst-primary-sidebar-modal').open"
        for close in ("Escape", "backdrop"):
            _article_button(page, "primary").click()
            page.wait_for_function(is_open)
            if close == "Escape":
                page.keyboard.press("Escape")
            else:
                page.mouse.click(PHONE["width"] - 10, PHONE["height"] // 2)
            page.wait_for_function(f"() => !({is_open})()")
            # The contents went back where they came from, ready for the next opening.
            assert page.locator("#pst-primary-sidebar a.reference.internal").count() > 0
        assert not report.console_errors, report.console_errors
    finally:
        page.close()


def test_phone_outline_drawer_opens_and_jumps_to_a_section(browser_context, server, mathjax_dir):
    page, report = _open(browser_context, server, mathjax_dir, CHAPTER, PHONE)
    try:
        button = _article_button(page, "secondary")
        assert button.is_visible(), "no visible outline button on a phone"
        button.click()
        page.wait_for_function("() => document.getElementById('pst-secondary-sidebar-modal').open")
        links = page.locator("#pst-secondary-sidebar-modal nav a[href^='#']:visible")
        assert links.count() >= 3, "the outline drawer lists no sections"
        target = links.nth(2)
        anchor = target.get_attribute("href")
        assert target.is_visible()
        target.click()
        page.wait_for_function("() => !document.getElementById('pst-secondary-sidebar-modal').open")
        assert page.url.endswith(anchor)
        top = page.evaluate(
            "id => document.getElementById(id).getBoundingClientRect().top", anchor[1:]
        )
        assert 0 <= top < PHONE["height"] / 2, f"section {anchor} is not in view (top {top})"
        assert not report.console_errors, report.console_errors
    finally:
        page.close()


def test_desktop_sidebar_toggle_hides_and_shows_the_contents(browser_context, server, mathjax_dir):
    page, report = _open(browser_context, server, mathjax_dir, CHAPTER, DESKTOP)
    try:
        sidebar = page.locator("#pst-primary-sidebar")
        article = page.locator(".bd-article")
        assert sidebar.is_visible()
        left = article.bounding_box()["x"]
        button = _article_button(page, "primary")
        button.click()
        page.wait_for_timeout(500)
        assert not sidebar.is_visible(), "the sidebar toggle did not hide the sidebar"
        assert article.bounding_box()["x"] < left, "the article did not take the freed width"
        assert not page.evaluate("() => document.getElementById('pst-primary-sidebar-modal').open")
        button.click()
        page.wait_for_timeout(500)
        assert sidebar.is_visible(), "the sidebar toggle did not show the sidebar again"
        assert not report.console_errors, report.console_errors
    finally:
        page.close()


def test_search_results_show_no_raw_tex(browser_context, server, mathjax_dir, site_dir):
    if not (site_dir / "search.html").is_file():
        pytest.fail("the site has no search page")
    page, report = _open(
        browser_context, server, mathjax_dir, "search.html?q=softmax+gradient", DESKTOP
    )
    try:
        # Sphinx lists the results one by one, then says how many it found; each
        # summary arrives with its page.
        page.wait_for_function(
            "() => /found/.test((document.querySelector('#search-results .search-summary')"
            "                    || {}).textContent || '')"
            " && document.querySelectorAll('#search-results li p.context').length"
            "    === document.querySelectorAll('#search-results li').length",
            timeout=PAGE_TIMEOUT_MS,
        )
        results = page.locator("#search-results li")
        texts = results.all_inner_texts()
        assert texts
        # The teachers' page shows, as code, the LaTeX strings a teacher types into an
        # exercise definition: TeX there is the content, not a rendering failure.
        links = [results.nth(i).locator("a").first.get_attribute("href") or ""
                 for i in range(results.count())]
        raw = [t for t, href in zip(texts, links)
               if "teaching_your_turn" not in href
               and re.search(r"\\[()\[\]]|\\[A-Za-z]+|\$", t)]
        assert not raw, f"search results show raw TeX: {raw[:3]}"
        # Chapter titles are plain words, in the results and in the contents sidebar
        # (this page loads no MathJax).
        assert any(t.startswith("Cross-entropy with softmax") for t in texts), texts[:5]
        sidebar = page.locator("#pst-primary-sidebar").inner_text()
        assert not re.search(r"\\[()\[\]]|\\[A-Za-z]+", sidebar), f"the sidebar shows raw TeX: {sidebar[:300]}"
        assert not report.console_errors, report.console_errors
    finally:
        page.close()


@pytest.mark.parametrize(
    "path", ["chapters/04_softmax_jacobian.html", "chapters/07_backprop_mlp.html", "chapters/08_curvature.html"]
)
def test_print_never_clips_a_formula(browser_context, server, mathjax_dir, site_dir, path):
    """Printed, the widest formulas of the book shrink to the page and reasons stack."""
    if not (site_dir / path).is_file():
        pytest.fail(f"the site has no {path}")
    page, report = _open(browser_context, server, mathjax_dir, path, {"width": 794, "height": 1123})
    try:
        page.emulate_media(media="print")
        page.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
        result = page.evaluate(
            """() => {
              const column = document.querySelector(".bd-article").getBoundingClientRect();
              const clipped = [];
              for (const box of document.querySelectorAll(
                  '.bd-article mjx-container[display="true"], .bd-article .xent-expr')) {
                const math = box.querySelector("mjx-math");
                if (!math) continue;
                const r = math.getBoundingClientRect();
                if (r.right > column.right + 1 || r.left < column.left - 1)
                  clipped.push(Math.round(r.width) + " px: " + box.textContent.slice(0, 60));
              }
              const grids = Array.from(document.querySelectorAll(".xent-derivation"))
                .filter(d => getComputedStyle(d).display !== "block").length;
              return {clipped, grids, derivations: document.querySelectorAll(".xent-derivation").length};
            }"""
        )
        assert not result["clipped"], f"{path} printed: formulas wider than the page {result['clipped'][:5]}"
        assert result["grids"] == 0, f"{path} printed: derivations not stacked"
        page.evaluate("() => window.dispatchEvent(new Event('afterprint'))")
        assert page.evaluate("() => document.querySelectorAll('[data-xent-print-zoom]').length") == 0
        assert not report.console_errors, report.console_errors
    finally:
        page.close()


def test_solution_bar_opens_the_solution(browser_context, server, mathjax_dir, site_dir):
    path = "chapters/05_softmax_cross_entropy.html"
    if not (site_dir / path).is_file():
        pytest.fail(f"the site has no {path}")
    page, report = _open(browser_context, server, mathjax_dir, path, DESKTOP)
    try:
        solutions = page.locator(".solution.dropdown")
        assert solutions.count() > 0, f"{path} has no solution dropdowns"
        solution = solutions.first
        body = solution.locator("section").first
        assert not body.is_visible(), "a solution is open before it is asked for"
        url = page.url
        # Where a reader clicks: the words of the bar, "Solution to Exercise N (...)".
        solution.locator(".admonition-title").first.click(position={"x": 40, "y": 10})
        page.wait_for_timeout(300)
        assert page.url == url, f"the solution bar navigated to {page.url}"
        assert body.is_visible(), "the solution bar did not open the solution"
        assert not report.console_errors, report.console_errors
    finally:
        page.close()


@pytest.mark.parametrize("path", ["chapters/05_softmax_cross_entropy.html", "chapters/00_showcase.html"])
def test_print_shows_no_widget_chrome_and_keeps_titles_with_steps(
    browser_context, server, mathjax_dir, site_dir, path
):
    if not (site_dir / path).is_file():
        pytest.fail(f"the site has no {path}")
    page, report = _open(browser_context, server, mathjax_dir, path, {"width": 794, "height": 1123})
    try:
        page.emulate_media(media="print")
        result = page.evaluate(
            """() => {
              const shown = e => e.checkVisibility() && e.getBoundingClientRect().height > 0;
              const chrome = Array.from(document.querySelectorAll(
                  "button, .xsf-controls, details.hide > summary, .copybtn, .prev-next-area, "
                  + "input[type=range]"))
                .filter(shown).map(e => (e.className || e.tagName).toString().slice(0, 40)
                                        + ": " + (e.textContent || "").trim().slice(0, 30));
              const hints = Array.from(document.querySelectorAll(".bd-article *"))
                .filter(e => e.children.length === 0 && /Click to (hide|show)/.test(e.textContent) && shown(e))
                .length;
              const titles = Array.from(document.querySelectorAll(".xent-derivation .xent-title"))
                .filter(t => getComputedStyle(t).breakAfter !== "avoid").length;
              // A code frame printed empty: a box that scrolls is cut at the page
              // foot, and a frame that may split leaves its lines for the next page.
              const emptyCode = Array.from(document.querySelectorAll(
                  ".bd-article .cell_input, .bd-article .cell_input pre, .bd-article .cell_output pre"))
                .filter(c => shown(c) && (getComputedStyle(c).overflowX !== "visible"
                  || (c.classList.contains("cell_input") && getComputedStyle(c).breakInside !== "avoid")))
                .length;
              // Solutions, folded on screen, print with their text.
              const foldedSolutions = Array.from(document.querySelectorAll(
                  ".bd-article .solution.dropdown > .admonition-title ~ *"))
                .filter(e => !shown(e)).length;
              return {chrome, hints, titles, emptyCode, foldedSolutions};
            }"""
        )
        assert not result["chrome"], f"{path} printed shows controls: {result['chrome'][:5]}"
        assert result["hints"] == 0, f"{path} printed shows 'Click to hide/show'"
        assert result["titles"] == 0, f"{path} printed: derivation titles may end a page alone"
        assert result["emptyCode"] == 0, f"{path} printed shows empty code frames"
        assert result["foldedSolutions"] == 0, f"{path} prints solutions folded, without their text"
        assert not report.console_errors, report.console_errors
    finally:
        page.close()


def test_formula_menu_turns_speech_on(browser_context, server, mathjax_dir, site_dir):
    """Screen readers read each formula's hidden MathML; MathJax's own speech is one
    menu choice away and is loaded only then."""
    path = "chapters/intro.html"
    if not (site_dir / path).is_file():
        pytest.fail(f"the site has no {path}")
    page, report = _open(browser_context, server, mathjax_dir, path, DESKTOP)
    try:
        state = page.evaluate(
            """() => ({containers: document.querySelectorAll("mjx-container").length,
                       mathml: document.querySelectorAll("mjx-container > mjx-assistive-mml > math").length,
                       explorer: !!(MathJax._.a11y && MathJax._.a11y.explorer)})"""
        )
        assert state["containers"] > 0 and state["mathml"] == state["containers"], (
            f"{path}: {state['mathml']} of {state['containers']} formulas carry hidden MathML"
        )
        assert not state["explorer"], f"{path} loads the speech explorer before it is asked for"
        formula = page.locator(".bd-article mjx-container").first
        formula.scroll_into_view_if_needed()

        def choose(submenu, item):
            formula.click(button="right")
            page.locator(".CtxtMenu_MenuItem", has_text=submenu).first.hover()
            page.locator(".CtxtMenu_MenuItem:visible", has_text=item).first.click()

        choose("Options", "Semantic Enrichment")
        choose("Speech", "Generate")
        page.wait_for_function(
            "() => document.querySelector('.bd-article mjx-container[data-semantic-speech-none], "
            ".bd-article mjx-container [data-semantic-speech]')",
            timeout=PAGE_TIMEOUT_MS,
        )
        speech = page.evaluate(
            """() => { const c = document.querySelector(".bd-article mjx-container");
                       return c.getAttribute("data-semantic-speech-none")
                              || c.querySelector("[data-semantic-speech]").getAttribute("data-semantic-speech"); }"""
        )
        # The first formula of the introduction is dL/dz = a - y.
        assert "equals" in speech and "minus" in speech, f"{path}: unexpected speech {speech!r}"
        assert not report.failed_requests and not report.console_errors, (
            report.failed_requests, report.console_errors)
    finally:
        page.close()
