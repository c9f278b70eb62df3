"""GET / and its static files (api/routes/web.py); the page itself is driven in test_browser.py."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_web_page_and_its_static_files(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<canvas" in page.text
    assert client.get("/static/app.js").status_code == 200
