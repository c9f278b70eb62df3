"""The web page in headless Chromium: draw a digit with the mouse, see the answer."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from processes.ports import free_port
from tests.fixtures.gateway import GatewayProcess, running_gateway

pytestmark = [pytest.mark.integration, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
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
# A "1" and a "7" as strokes in canvas pixels (280×280), drawn like a person would.
STROKES = {
    1: [[(150, 50), (148, 100), (146, 160), (144, 230)]],
    7: [[(80, 60), (150, 58), (205, 60)], [(205, 60), (180, 120), (150, 180), (130, 235)]],
}


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip("Chromium is not installed (apt-get install chromium; make system-deps)")
    playwright_api = pytest.importorskip("playwright.sync_api", reason="needs playwright")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def draw(page, strokes: list[list[tuple[int, int]]]) -> None:
    box = page.locator("#pad").bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x, box["y"] + y)
        page.mouse.down()
        for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
            for t in np.linspace(0, 1, 8)[1:]:
                page.mouse.move(box["x"] + x0 + t * (x1 - x0), box["y"] + y0 + t * (y1 - y0))
        page.mouse.up()


@pytest.mark.parametrize("digit", sorted(STROKES))
def test_drawn_digit_is_recognized(
    browser, gateway: GatewayProcess, digit: int, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 900, "height": 700})
    try:
        page.goto(gateway.url + "/")
        page.wait_for_selector("#status:has-text('ready')")
        with page.expect_response(lambda r: "/predict" in r.url) as answer:
            draw(page, STROKES[digit])
        assert answer.value.status == 200
        page.wait_for_selector(f"#digit:has-text('{digit}')", timeout=10_000)
        page.wait_for_timeout(300)  # let the bars' transition finish for the screenshot
        page.screenshot(path=str(tmp_path / f"page-{digit}.png"), full_page=True)

        assert page.locator("#model").inner_text().startswith("model mnist · version 1")
        bars = page.locator("#bars li")
        assert bars.count() == 10
        assert page.locator("#bars li.top").get_attribute("data-digit") == str(digit)
        drawn_share = page.locator("#bars li.top .fill").evaluate(
            "e => e.getBoundingClientRect().width / e.parentElement.getBoundingClientRect().width"
        )
        assert drawn_share > 0.5  # the predicted digit's bar is drawn, and dominates
    finally:
        page.close()


def test_dropping_a_non_image_shows_the_error(browser, gateway: GatewayProcess) -> None:
    page = browser.new_page()
    try:
        page.goto(gateway.url + "/")
        page.set_input_files(
            "#file", files=[{"name": "notes.txt", "mimeType": "image/png", "buffer": b"hello"}]
        )
        page.wait_for_selector("#error:not([hidden])")
        assert "accepted format" in page.locator("#error").inner_text()
    finally:
        page.close()


@pytest.fixture(scope="module")
def lone_gateway() -> Iterator[GatewayProcess]:
    """A gateway whose model server is down: enough for pages that need no model."""
    with running_gateway(f"127.0.0.1:{free_port()}", wait_for="/healthz") as process:
        yield process


def offline(page, base_url: str) -> list[tuple[str, str]]:
    """Every request that leaves the gateway is refused, as on a machine without Internet;
    the list of refused (resource type, URL) fills as the page tries."""
    refused: list[tuple[str, str]] = []

    def route(request_route) -> None:
        request = request_route.request
        if request.url.startswith(base_url):
            request_route.continue_()
        else:
            refused.append((request.resource_type, request.url))
            request_route.abort()

    page.route("**/*", route)
    return refused


@pytest.mark.parametrize(
    ("path", "operation"),
    [
        ("/docs", ".opblock-summary-path[data-path='/predict']"),
        ("/redoc", "text=/predict"),
    ],
)
def test_api_docs_render_offline(
    browser, lone_gateway: GatewayProcess, path: str, operation: str, tmp_path: Path
) -> None:
    page = browser.new_page(viewport={"width": 1100, "height": 800})
    try:
        refused = offline(page, lone_gateway.url)
        page.goto(lone_gateway.url + path)
        page.wait_for_selector(operation, timeout=15_000)
        page.screenshot(path=str(tmp_path / f"{path.strip('/')}.png"))
        # No script, style, font or data from anywhere but the gateway; ReDoc's footer asks
        # for its maker's logo, an image whose absence changes nothing.
        assert {kind for kind, _ in refused} <= {"image"}, refused
        if path == "/docs":  # Swagger UI lists every operation of the API
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            assert {"/predict", "/healthz", "/readyz"} <= {p.strip() for p in paths}
    finally:
        page.close()
