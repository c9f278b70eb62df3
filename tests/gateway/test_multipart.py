"""The streaming multipart reader (multipart.py): file fields in order and in memory, the
image-count limit, and malformed bodies named."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient

from serving.gateway.main import create_app
from serving.gateway.settings import Settings
from tests.fixtures.images import encode, synthetic_digit
from tests.gateway.fakes import FakePredictor
from tests.gateway.helpers import error_of, post_png


def test_multipart_keeps_file_fields_in_order_and_ignores_other_fields(
    client: TestClient, fake_predictor: FakePredictor
) -> None:
    digits = [encode(synthetic_digit(width=w)) for w in (5, 11)]
    files = [("note", (None, "hello")), ("file", ("a.png", digits[0])), ("file", ("b", digits[1]))]
    response = client.post("/predict", files=files)
    assert response.status_code == 200, response.text
    one_by_one = [post_png(client, d).json() for d in digits]
    expected = [answer["predictions"][0]["digit"] for answer in one_by_one]
    assert expected[0] != expected[1]  # else the order would go unchecked
    assert [p["digit"] for p in response.json()["predictions"]] == expected
    assert fake_predictor.calls[0] == ("Predict", 2)


def test_too_many_images(client: TestClient, digit_png: bytes) -> None:
    files = [("file", (f"{i}.png", digit_png, "image/png")) for i in range(5)]
    response = client.post("/predict", files=files)
    assert response.status_code == 413
    assert "4 images" in error_of(response)["message"]


def test_large_multipart_upload_stays_in_memory(
    fake_predictor: FakePredictor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def no_disk(*args: object, **kwargs: object) -> None:
        raise AssertionError("an upload was spooled to a file on disk")

    noise = np.random.default_rng(0).integers(0, 256, (1200, 1200), dtype=np.uint8)
    noise[400:800, 590:610] = 0  # a dark bar on noise: something to recognize
    large = encode(noise)
    assert len(large) > 1024 * 1024  # over Starlette's default in-memory spool size
    monkeypatch.setattr(tempfile, "TemporaryFile", no_disk)
    with TestClient(create_app(Settings(), fake_predictor)) as client:
        response = client.post("/predict", files={"file": ("../../etc/x.png", large)})
    assert response.status_code in (200, 422), response.text


@pytest.mark.parametrize(
    ("body", "content_type", "words"),
    [
        (
            b'--b\r\nContent-Disposition: form-data; name="file"\r\n\r\nnot a file\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
            "not text",
        ),
        (b"--b\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b", '"name"'),
        (b"anything", "multipart/form-data", "boundary"),
        (b"garbage without the boundary", "multipart/form-data; boundary=b", "invalid"),
    ],
    ids=["file-as-text", "part-without-name", "no-boundary", "not-multipart"],
)
def test_malformed_multipart_is_a_422_naming_the_problem(
    client: TestClient, body: bytes, content_type: str, words: str
) -> None:
    response = client.post("/predict", content=body, headers={"content-type": content_type})
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "no_image"
    assert words in error_of(response)["message"]
