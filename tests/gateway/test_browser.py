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


# --- the page's behaviour, on a gateway without model server; answers are stubbed in the
# browser where a test needs a particular one ----------------------------------------------

PHONE = {"width": 375, "height": 667}
NARROWEST = {"width": 320, "height": 568}
DESKTOP = {"width": 1280, "height": 800}


def seen_one() -> list[list[float]]:
    """A 28×28 model input: a vertical stroke of 16 white pixels."""
    model_input = [[0.0] * 28 for _ in range(28)]
    for row in range(6, 22):
        model_input[row][14] = 1.0
    return model_input


def read_digit(digit: int, box: list[int], status: str = "digit", confidence: float = 0.91):
    return {"digit": digit, "confidence": confidence, "status": status,
            "candidates": [{"digit": digit, "probability": confidence},
                           {"digit": (digit + 1) % 10, "probability": 0.01}],
            "box": box, "reasons": [], "model_input": seen_one()}  # fmt: skip


def answer(digit: int) -> dict:
    """A /predict answer as the gateway gives it (include_input=true): one digit."""
    probabilities = [0.01] * 10
    probabilities[digit] = 0.91
    return answered({
        "status": "digit", "digit": digit, "confidence": 0.91, "probabilities": probabilities,
        "candidates": [{"digit": digit, "probability": 0.91},
                       {"digit": (digit + 1) % 10, "probability": 0.01}],
        "number": None, "digits": [read_digit(digit, [60, 20, 141, 111])], "reasons": [],
        "model_input": seen_one(),
    })  # fmt: skip


def answered(prediction: dict) -> dict:
    return {
        "model_name": "mnist",
        "model_version": 3,
        "request_id": "r",
        "timings": {"preprocess_ms": 1.0, "inference_ms": 2.0},
        "predictions": [prediction],
    }


# Boxes in the pixels of digit_file's 200×120 image.
NUMBER = answered({
    "status": "number", "digit": None, "confidence": None, "probabilities": None,
    "candidates": [], "number": "2026", "reasons": [], "model_input": None,
    "digits": [read_digit(d, [10 + 46 * i, 30, 46 + 46 * i, 90])
               for i, d in enumerate([2, 0, 2, 6])],
})  # fmt: skip
UNCERTAIN = answered({
    "status": "uncertain", "digit": 4, "confidence": 0.48,
    "probabilities": [0.01] * 4 + [0.48] + [0.01] * 4 + [0.44],
    "candidates": [{"digit": 4, "probability": 0.48}, {"digit": 9, "probability": 0.44}],
    "number": None, "reasons": ["4 or 9"], "model_input": seen_one(),
    "digits": [read_digit(4, [60, 20, 141, 111], "uncertain", 0.48)],
})  # fmt: skip
NOT_A_DIGIT = answered({
    "status": "not_a_digit", "digit": None, "confidence": None,
    "probabilities": [0.1] * 10, "candidates": [], "number": None,
    "reasons": ["ink covers 49% of the image"], "model_input": seen_one(),
    "digits": [read_digit(3, [5, 5, 195, 115], "not_a_digit", 0.1)],
})  # fmt: skip


def stub(page, path: str, replies: list[tuple[int, dict]]) -> list[str]:
    """Answer `path` with the replies in turn (the last one again and again); the list of
    request URLs fills as the page asks."""
    asked: list[str] = []

    def route(request_route) -> None:
        status, body = replies[min(len(asked), len(replies) - 1)]
        asked.append(request_route.request.url)
        request_route.fulfill(status=status, json=body)

    page.route(f"**{path}*", route)
    return asked


READY = (200, {"status": "ready", "model_name": "mnist", "available_versions": [3]})
NOT_READY = (503, {"error": {"code": "not_ready", "message": "the model server is unavailable"}})
REFUSED = (415, {"error": {"code": "unsupported_media_type", "message": "not an image"}})


def digit_file(tmp_path: Path) -> Path:
    from PIL import Image, ImageDraw

    path = tmp_path / "seven.png"
    image = Image.new("L", (200, 120), 255)  # wider than tall: fitted on the square pad
    ImageDraw.Draw(image).line([(60, 20), (140, 20), (100, 110)], fill=0, width=12)
    image.save(path)
    return path


def open_page(
    browser, gateway: GatewayProcess, viewport: dict, ready: bool = True, clock: bool = False
):
    """The page, ready (or not); with `clock`, its timers run on a clock the test moves."""
    page = browser.new_page(viewport=viewport)
    if clock:
        page.clock.install()
    stub(page, "/readyz", [READY if ready else NOT_READY])
    page.goto(gateway.url + "/")
    page.wait_for_selector("#status:has-text('ready')" if ready else "#status.down")
    return page


def layout(page) -> dict:
    return page.evaluate(
        """() => {
          const box = document.getElementById("answer").getBoundingClientRect();
          const root = document.documentElement;
          return {top: box.top, bottom: box.bottom, left: box.left, right: box.right,
                  scrollWidth: root.scrollWidth, clientWidth: root.clientWidth};
        }"""
    )


@pytest.mark.parametrize(("name", "viewport"), [("phone", PHONE), ("desktop", DESKTOP)])
def test_the_answer_is_on_screen_without_scrolling(
    browser, lone_gateway: GatewayProcess, name: str, viewport: dict, tmp_path: Path
) -> None:
    page = open_page(browser, lone_gateway, viewport)
    try:
        stub(page, "/predict", [(200, answer(7))])
        page.set_input_files("#file", str(digit_file(tmp_path)))
        page.wait_for_selector("#digit:has-text('7')")
        page.wait_for_timeout(300)  # the bars' transition, for the screenshot
        page.screenshot(path=str(tmp_path / f"{name}.png"))
        box = layout(page)
        assert box["top"] >= 0 and box["bottom"] <= viewport["height"]
        assert page.evaluate("window.scrollY") == 0
        assert box["scrollWidth"] <= viewport["width"]
    finally:
        page.close()


SIX_DIGITS = answered({**NUMBER["predictions"][0], "number": "202612",
    "digits": [read_digit(d, [5 + 30 * i, 30, 30 + 30 * i, 90])
               for i, d in enumerate([2, 0, 2, 6, 1, 2])]})  # fmt: skip


@pytest.mark.parametrize(("reply", "shown"), [(answer(4), "4"), (SIX_DIGITS, "202612")])
def test_nothing_overflows_at_320_pixels(
    browser, lone_gateway: GatewayProcess, tmp_path: Path, reply: dict, shown: str
) -> None:
    page = open_page(browser, lone_gateway, NARROWEST)
    try:
        stub(page, "/predict", [(200, reply)])
        page.set_input_files("#file", str(digit_file(tmp_path)))
        page.wait_for_selector(f"#digit:has-text('{shown}')")
        page.screenshot(path=str(tmp_path / f"narrowest-{shown}.png"), full_page=True)
        panel = page.locator("#eyes").bounding_box() if len(shown) > 1 else None
        assert panel is None or panel["x"] + panel["width"] <= NARROWEST["width"]
        box = layout(page)
        assert box["scrollWidth"] <= NARROWEST["width"]
        assert box["left"] >= 0 and box["right"] <= NARROWEST["width"]
        pad = page.locator("#pad").bounding_box()
        assert pad["x"] >= 0 and pad["x"] + pad["width"] <= NARROWEST["width"]
        assert pad["width"] == pytest.approx(pad["height"], abs=1)  # square, not squeezed
    finally:
        page.close()


def test_the_status_says_when_the_model_server_is_down(
    browser, lone_gateway: GatewayProcess, tmp_path: Path
) -> None:
    """The real gateway, whose model server is not running: its /readyz answers 503, and a
    drawing gets the gateway's 503 too."""
    page = browser.new_page(viewport=PHONE)
    try:
        page.goto(lone_gateway.url + "/")
        page.wait_for_selector("#status.down")
        draw(page, STROKES[1])
        page.wait_for_selector("#error:not([hidden])")
        page.screenshot(path=str(tmp_path / "down.png"))
        assert "model server is not answering" in page.locator("#error").inner_text()
        text = page.locator("#status").inner_text()
        assert "model server is down" in text
        assert "127.0.0.1" not in text and "localhost" not in text  # no internal address
    finally:
        page.close()


def test_the_status_follows_the_service(browser, lone_gateway: GatewayProcess) -> None:
    page = browser.new_page(viewport=DESKTOP)
    try:
        asked = stub(page, "/readyz", [NOT_READY, READY])
        page.goto(lone_gateway.url + "/")
        page.wait_for_selector("#status.down")
        # Polled again while down: the model server came back.
        page.wait_for_selector("#status:not(.down):has-text('ready')", timeout=10_000)
        assert "version 3" in page.locator("#status").inner_text() and len(asked) == 2
    finally:
        page.close()


def test_an_error_clears_the_previous_answer(
    browser, lone_gateway: GatewayProcess, tmp_path: Path
) -> None:
    page = open_page(browser, lone_gateway, DESKTOP)
    try:
        stub(page, "/predict", [(200, answer(7)), REFUSED])
        image = str(digit_file(tmp_path))
        page.set_input_files("#file", image)
        page.wait_for_selector("#digit:has-text('7')")
        assert "Prediction: 7" in page.locator("#announce").inner_text()
        page.set_input_files("#file", image)  # the same file again: sent again
        page.wait_for_selector("#error:not([hidden])")
        assert page.locator("#error").inner_text() == "not an image"
        assert page.locator("#digit").inner_text() == "–"
        assert page.locator("#bars li.top").count() == 0
        assert page.locator("#announce").inner_text() == ""
    finally:
        page.close()


def test_an_uploaded_image_is_shown_on_the_pad(
    browser, lone_gateway: GatewayProcess, tmp_path: Path
) -> None:
    page = open_page(browser, lone_gateway, DESKTOP)
    try:
        asked = stub(page, "/predict", [(200, answer(7))])
        page.set_input_files("#file", str(digit_file(tmp_path)))
        page.wait_for_selector("#digit:has-text('7')")
        dark = page.evaluate(
            """() => {
              const pad = document.getElementById("pad");
              const data = pad.getContext("2d").getImageData(0, 0, pad.width, pad.height).data;
              let dark = 0;
              for (let i = 0; i < data.length; i += 4) if (data[i] < 128) dark += 1;
              return dark;
            }"""
        )
        assert dark > 500  # the file's stroke, scaled onto the pad
        assert len(asked) == 1
    finally:
        page.close()


def test_a_pause_between_strokes_sends_one_request(browser, lone_gateway: GatewayProcess) -> None:
    """A 7 drawn in two strokes with a short lift of the pen: no answer for half a digit.

    The page's clock is paused and moved by hand, so a slow machine cannot stretch the lift.
    """
    page = open_page(browser, lone_gateway, DESKTOP, clock=True)
    try:
        asked = stub(page, "/predict", [(200, answer(7))])
        page.clock.pause_at(page.evaluate("Date.now()") + 1000)
        first, second = STROKES[7]
        draw(page, [first])
        page.clock.run_for(200)  # the pen lifted, shorter than the page's delay
        draw(page, [second])
        page.clock.run_for(2000)
        # Chromium encodes canvases when idle, in order: once a new encoding is done, every
        # request the page meant to send is on its way.
        page.evaluate("new Promise((done) => pad.toBlob(done))")
        page.wait_for_selector("#digit:has-text('7')")
        page.wait_for_timeout(200)
        assert len(asked) == 1
    finally:
        page.close()


def test_the_controls_are_reachable_with_the_keyboard(
    browser, lone_gateway: GatewayProcess
) -> None:
    page = open_page(browser, lone_gateway, DESKTOP)
    try:
        focused = []
        for _ in range(5):  # from the top of the page: the buttons, then the links
            page.keyboard.press("Tab")
            focused.append(
                page.evaluate("document.activeElement.id || document.activeElement.textContent")
            )
        assert focused[:3] == ["clear", "open", "API documentation"]
        with page.expect_file_chooser(timeout=5000) as chooser:
            page.locator("#open").press("Enter")  # "Open an image…" works from the keyboard
        assert not chooser.value.is_multiple()
    finally:
        page.close()


def test_wrong_it_was_a_posts_the_true_digit(browser, gateway: GatewayProcess) -> None:
    """The real gateway: after an answer, "Wrong? It was a 7" reaches POST /feedback."""
    page = browser.new_page(viewport=DESKTOP)
    try:
        page.goto(gateway.url + "/")
        page.wait_for_selector("#status:has-text('ready')")
        assert page.locator("#feedback").is_hidden()  # nothing to judge yet
        with page.expect_response(lambda r: "/predict" in r.url) as predicted:
            draw(page, STROKES[1])
        request_id = predicted.value.json()["request_id"]
        page.wait_for_selector("#feedback:not([hidden])")
        with page.expect_response(lambda r: r.url.endswith("/feedback")) as reported:
            page.get_by_role("button", name="it was a 7").click()
        assert reported.value.status == 200
        assert reported.value.request.post_data_json == {"request_id": request_id, "digit": 7}
        page.wait_for_selector("#feedback-result:has-text('noted as a 7')")
    finally:
        page.close()


def disagreement(stable: int, candidate: int, request_id: str) -> dict:
    pixels = [[0] * 28 for _ in range(28)]
    for row in range(6, 22):
        pixels[row][14] = 255
    return {
        "request_id": request_id,
        "index": 0,
        "time": "2026-01-01T00:00:00+00:00",
        "pixels": pixels,
        "stable": {"version": 1, "digit": stable, "confidence": 0.91},
        "candidate": {"version": 2, "digit": candidate, "confidence": 0.55},
    }


SHADOW_STATE = {"stable": 1, "candidate": 2, "mode": "shadow", "percent": 0.0,
                "generation": 4, "updated": ""}  # fmt: skip


def test_the_rollout_gallery_draws_each_disagreement(
    browser, lone_gateway: GatewayProcess, tmp_path: Path
) -> None:
    page = browser.new_page(viewport=DESKTOP)
    try:
        refused = offline(page, lone_gateway.url)
        figures = {
            "generation": 4,
            "window_seconds": 60,
            "state": SHADOW_STATE,
            "versions": [
                {"version": 2, "role": "shadow", "requests": 40, "errors": 0, "p50_ms": 12.5,
                 "p99_ms": 30.0, "mean_confidence": 0.9, "shadow_compared": 40,
                 "shadow_agreed": 38, "shadow_dropped": 1, "feedback": 0, "feedback_correct": 0}
            ],
        }  # fmt: skip
        found = [disagreement(3, 5, "req-b"), disagreement(1, 7, "req-a")]
        kept = {"kept": 2, "capacity": 200, "seen": 2, "state": SHADOW_STATE}
        stub(page, "/v1/rollout/disagreements", [(200, {**kept, "disagreements": found})])
        stub(page, "/v1/rollout", [(200, figures)])
        page.goto(lone_gateway.url + "/rollout")
        page.wait_for_selector("#gallery li >> nth=1")
        page.screenshot(path=str(tmp_path / "rollout.png"), full_page=True)
        cards = page.locator("#gallery li").all_inner_texts()
        assert "stable said 3 (0.91)" in cards[0] and "candidate said 5 (0.55)" in cards[0]
        assert "req-a" in cards[1]
        lit = page.locator("#gallery canvas").first.evaluate(
            "c => Array.from(c.getContext('2d').getImageData(0, 0, 28, 28).data)"
            ".filter((v, i) => i % 4 === 0 && v > 128).length"
        )
        assert lit == 16  # the input's 16 white pixels, drawn
        assert "candidate: version 2 (shadow" in page.locator("#state").inner_text()
        assert "95.0% of 40" in page.locator("#figures tbody").inner_text()
        assert refused == []  # no CDN: everything from the gateway
    finally:
        page.close()


def box_pixels(page) -> int:
    """Coloured pixels on the overlay that draws the digits' boxes over the pad."""
    return page.locator("#boxes").evaluate(
        "c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)"
        ".filter((v, i) => i % 4 === 3 && v > 0).length"
    )


def painted_at(page, x: float, y: float) -> bool:
    """Whether the overlay has paint within 2 px of (x, y), in the pad's pixels."""
    return page.locator("#boxes").evaluate(
        """(c, [x, y]) => {
          const data = c.getContext("2d").getImageData(x - 2, y - 2, 5, 5).data;
          return data.some((v, i) => i % 4 === 3 && v > 0);
        }""",
        [x, y],
    )


@pytest.mark.parametrize(
    ("reply", "verdict", "headline"),
    [(NUMBER, "Number: 2026", "2026"), (UNCERTAIN, "Uncertain: 4 or 9", "4"),
     (NOT_A_DIGIT, "Not a digit", "?"), (answer(7), "Digit: 7", "7")],
    ids=["number", "uncertain", "not_a_digit", "digit"],
)  # fmt: skip
def test_the_answer_says_what_it_is(
    browser, lone_gateway: GatewayProcess, tmp_path: Path, reply: dict, verdict: str,
    headline: str,
) -> None:  # fmt: skip
    page = open_page(browser, lone_gateway, DESKTOP)
    try:
        stub(page, "/predict", [(200, reply)])
        page.set_input_files("#file", str(digit_file(tmp_path)))
        page.wait_for_selector(f"#verdict:has-text('{verdict}')")
        page.screenshot(path=str(tmp_path / f"{verdict.split(':')[0]}.png"))
        assert page.locator("#digit").inner_text() == headline
        prediction = reply["predictions"][0]
        reasons = page.locator("#reasons")
        if prediction["status"] == "not_a_digit":
            assert "ink covers 49% of the image" in reasons.inner_text()
            assert "Not a digit" in page.locator("#announce").inner_text()
        else:
            assert reasons.is_hidden()
        # One box per digit, where the upload's pixels land on the pad: the 200×120 file is
        # fitted 280 wide (scale 1.4) and centred (offset 56 from the top).
        for digit in prediction["digits"]:
            left, top, right, bottom = digit["box"]
            assert painted_at(page, left * 1.4, 56 + top * 1.4)
            assert painted_at(page, right * 1.4, 56 + (top + bottom) / 2 * 1.4)
        assert not painted_at(page, 275, 5)  # the corner: no box there
        several = len(prediction["digits"]) > 1
        eyes = page.locator("#eye-list li")
        assert eyes.count() == (len(prediction["digits"]) if several else 0)
        if several:  # each digit's 28×28 input drawn, captioned with the digit read
            assert eyes.all_inner_texts() == [str(d["digit"]) for d in prediction["digits"]]
            assert page.locator("#seen").is_hidden()
        one_digit = prediction["status"] in ("digit", "uncertain")
        assert page.locator("#feedback").is_hidden() != one_digit  # feedback: one digit only
    finally:
        page.close()


def test_a_new_stroke_clears_the_boxes(
    browser, lone_gateway: GatewayProcess, tmp_path: Path
) -> None:
    page = open_page(browser, lone_gateway, DESKTOP)
    try:
        stub(page, "/predict", [(200, NUMBER)])
        page.set_input_files("#file", str(digit_file(tmp_path)))
        page.wait_for_selector("#verdict:has-text('Number: 2026')")
        assert box_pixels(page) > 100
        page.locator("#clear").click()
        assert box_pixels(page) == 0 and page.locator("#verdict").inner_text().strip() == ""
    finally:
        page.close()
