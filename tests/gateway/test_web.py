"""GET / and its static files (api/routes/web.py); the page itself is driven in test_browser.py."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_web_page_and_its_static_files(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and "<canvas" in page.text
    assert client.get("/static/app.js").status_code == 200


def test_api_docs_pages_load_their_files_from_the_gateway(client: TestClient) -> None:
    for path, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        page = client.get(path)
        assert page.status_code == 200
        assert f'src="/docs-assets/{asset}"' in page.text
        assert "https://" not in page.text  # no CDN, no web fonts
        script = client.get(f"/docs-assets/{asset}")
        assert script.status_code == 200 and len(script.content) > 100_000
    assert client.get("/docs-assets/swagger-ui.css").headers["content-type"].startswith("text/css")
