"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server."""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Playwright's defaults plus the system Chromium (never a downloaded browser build)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            *browser_type_launch_args.get("args", []),
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-gpu",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A laptop-sized window: the layout must read well at 1280×720."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 720}}


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    """$ATRIUM_VAR_DIR/screenshots, or var/screenshots (kept by CI as artifacts); under xdist the
    var dir all test processes share, not the process's own."""
    base = (
        os.environ.get("ATRIUM_SHARED_VAR_DIR")
        or os.environ.get("ATRIUM_VAR_DIR")
        or str(Path(__file__).resolve().parents[2] / "var")
    )
    folder = Path(base) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def shoot(page, screenshot_dir):
    """Save a full-page screenshot named after the step."""

    def take(name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        # Grow the viewport to the whole page first, so the fixed sidebar spans it in the picture.
        viewport = page.viewport_size
        page.evaluate("window.scrollTo(0, 0)")  # else the fixed sidebar is drawn where the page was scrolled
        height = page.evaluate("document.documentElement.scrollHeight")
        page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
        page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size(viewport)
        return path

    return take


def pytest_collection_modifyitems(config, items):
    if not Path(CHROMIUM).exists():
        skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: apt-get install -y chromium")
        for item in items:
            if "browser" in item.keywords:
                item.add_marker(skip)
