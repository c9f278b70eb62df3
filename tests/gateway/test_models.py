"""GET /v1/models (api/routes/models.py): versions, states, labels, public signatures."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_models_lists_versions_labels_and_signatures(client: TestClient) -> None:
    response = client.get("/v1/models")
    assert response.status_code == 200, response.text
    versions = {v["version"]: v for v in response.json()["versions"]}
    assert versions[1]["labels"] == ["stable"] and versions[2]["labels"] == []
    assert set(versions[2]["signatures"]) == {"serving_default"}  # no SavedModel internals
    images = versions[2]["signatures"]["serving_default"]["inputs"]["images"]
    assert images == {"dtype": "float", "shape": [-1, 28, 28, 1]}
