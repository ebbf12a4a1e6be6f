"""Fixtures for the browser tests: the built site served on 127.0.0.1, headless Chromium.

Environment variables:
  XENT_SITE_DIR     the built site (default: _build/html of the repository)
  XENT_CHROMIUM     the Chromium executable (default: /usr/bin/chromium)
  XENT_MATHJAX_DIR  the local MathJax 4 package, its font package beside it
                    (default: ~/.cache/xent/mathjax-4.1.3/node_modules/mathjax, where
                    setup.sh puts them)
  XENT_AXE          axe-core's axe.min.js (default: tests/browser/node_modules/axe-core/,
                    where setup.sh installs the version pinned in package-lock.json)

Install Chromium and MathJax with `bash tests/browser/setup.sh`; build the site with
`make book`.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SITE_DIR = Path(os.environ.get("XENT_SITE_DIR", REPO / "_build" / "html")).resolve()
CHROMIUM = Path(os.environ.get("XENT_CHROMIUM", "/usr/bin/chromium"))
_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
MATHJAX_DIR = Path(
    os.environ.get(
        "XENT_MATHJAX_DIR",
        Path(os.environ.get("XENT_MATHJAX_PREFIX", _CACHE / "xent" / "mathjax-4.1.3"))
        / "node_modules"
        / "mathjax",
    )
)
AXE_JS = Path(
    os.environ.get("XENT_AXE", Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js")
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generated pages that are not chapters of the book.
SKIPPED_PAGES = {"search.html", "genindex.html", "py-modindex.html"}
SKIPPED_DIRS = {"_static", "_sources", "_images", "_downloads"}


def site_pages(site: Path = SITE_DIR) -> list[str]:
    """Every HTML page of the built book, as paths relative to the site root."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site)
        if rel.parts[0] in SKIPPED_DIRS or rel.as_posix() in SKIPPED_PAGES:
            continue
        pages.append(rel.as_posix())
    return pages


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "page_path" in metafunc.fixturenames:
        pages = site_pages() if SITE_DIR.is_dir() else []
        # Without a built site one test stands for all pages and fails with the fix.
        metafunc.parametrize("page_path", pages or ["<no site>"])


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def _missing(message: str) -> None:
    # In CI a missing browser is a broken set-up, not a reason to skip.
    if os.environ.get("CI") == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        _missing(
            f"Chromium not found at {CHROMIUM}; install it (and the local MathJax copy) "
            "with: bash tests/browser/setup.sh"
        )
    if not (MATHJAX_DIR / "startup.js").is_file():
        _missing(
            f"the local MathJax 4 copy is missing ({MATHJAX_DIR}); install it with: "
            "bash tests/browser/setup.sh"
        )
    return CHROMIUM


@pytest.fixture(scope="session")
def mathjax_dir(chromium_path: Path) -> Path:
    return MATHJAX_DIR


@pytest.fixture(scope="session")
def axe_source(chromium_path: Path) -> str:
    if not AXE_JS.is_file():
        _missing(f"axe-core is missing ({AXE_JS}); install it with: bash tests/browser/setup.sh")
    return AXE_JS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def all_pages(site_dir: Path) -> list[str]:
    return site_pages(site_dir)


@pytest.fixture(scope="session")
def site_dir() -> Path:
    if not (SITE_DIR / "index.html").is_file():
        pytest.fail(f"no built site at {SITE_DIR}: run make book first")
    return SITE_DIR


@pytest.fixture(scope="session")
def server(site_dir: Path):
    handler = functools.partial(_QuietHandler, directory=str(site_dir))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser_context(chromium_path: Path, site_dir: Path):
    from playwright.sync_api import sync_playwright

    user_data_dir = tempfile.mkdtemp(prefix="xent-chromium-")
    playwright = sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir,
            executable_path=str(chromium_path),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()
    finally:
        playwright.stop()
        shutil.rmtree(user_data_dir, ignore_errors=True)
