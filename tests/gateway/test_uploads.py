"""The images of a request (uploads.py): what is refused, with which status and message.

The image errors themselves are the contract's (reader.preprocessing); this checks that
the gateway answers each with its status and code.
"""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.fixtures.images import encode, synthetic_digit
from tests.gateway.helpers import error_of


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"data": {"other": "x"}, "files": {"unrelated": ("a.txt", b"x")}}, 422, "no_image"),
        ({"content": b"", "headers": {"content-type": "image/png"}}, 422, "no_image"),
        (
            {"content": b"hello", "headers": {"content-type": "text/plain"}},
            415,
            "unsupported_image",
        ),
        ({"files": {"file": ("a.txt", b"just some text", "image/png")}}, 415, "unsupported_image"),
        ({"files": {"file": ("a.png", encode(synthetic_digit())[:60])}}, 422, "corrupt_image"),
        ({"files": {"file": ("a.png", encode(np.zeros((40, 40), np.uint8)))}}, 422, "no_ink"),
        (
            {"files": {"file": ("a.png", encode(np.zeros((1100, 1000), np.uint8)))}},
            413,
            "image_too_large",
        ),
    ],
    ids=[
        "no-file-field",
        "empty-body",
        "not-image-type",
        "not-an-image",
        "truncated",
        "blank",
        "pixels",
    ],
)
def test_bad_uploads_are_refused_with_a_clear_error(
    client: TestClient, kwargs: dict, status: int, code: str
) -> None:
    response = client.post("/predict", **kwargs)
    assert response.status_code == status, response.text
    assert error_of(response)["code"] == code
    assert error_of(response)["message"]


def test_pixel_limit_message_names_the_limit(client: TestClient) -> None:
    response = client.post(
        "/predict", files={"file": ("a.png", encode(np.zeros((1100, 1000), np.uint8)))}
    )
    assert "1,100,000 pixels" in error_of(response)["message"]
    assert "1,000,000" in error_of(response)["message"]
