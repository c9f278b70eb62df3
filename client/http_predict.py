"""`python -m client predict IMG ...`: send images to the gateway and print its answers.

Each row says what the image is: a digit (with its confidence), `uncertain: 4 or 9`, a
number (`2026`, each digit's confidence in the status), or `not a digit` with the reasons.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
from pathlib import Path
from typing import Any

import httpx

from client.answers import COLUMNS, cells
from client.errors import Unreachable, read_files
from client.report import format_table
from contract.ports import GATEWAY_PORT


class RequestFailed(Exception):
    """One image got no answer: the gateway refused it, did not answer in time, or the file
    cannot be read; the message says which."""


class GatewayUnreachable(RequestFailed):
    """No gateway answers at the URL: no point in sending the other files."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("images", nargs="+", type=Path, metavar="IMG")
    parser.add_argument(
        "--url", default=f"http://localhost:{GATEWAY_PORT}", help="gateway base URL"
    )
    pin = parser.add_mutually_exclusive_group()
    pin.add_argument("--version", type=int, help="ask this model version")
    pin.add_argument("--label", help="ask the version with this label (e.g. stable)")
    parser.add_argument("--json", action="store_true", help="print the raw JSON answers")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per request")


def run(args: argparse.Namespace) -> int:
    params = {"version": args.version} if args.version is not None else {}
    if args.label:
        params = {"label": args.label}
    answers: list[dict[str, Any]] = []
    rows: list[list[str]] = []
    failed = False
    files = read_files(args.images)  # a missing file is said before anything is sent
    with httpx.Client(base_url=args.url, timeout=args.timeout) as http:
        for image, content in files:
            try:
                answer = predict_content(http, image.name, content, params)
            except GatewayUnreachable as exc:
                raise Unreachable(str(exc)) from exc
            except RequestFailed as exc:
                failed = True
                answers.append({"file": str(image), "error": str(exc)})
                rows.append([str(image), "-", "-", "-", "-", f"error: {exc}"])
                continue
            answers.append({"file": str(image), **answer})
            rows.append([str(image), *_summary(answer), ""])
    if args.json:
        print(json.dumps(answers, indent=2))
    else:
        print(format_table(COLUMNS, rows))
    return 1 if failed else 0


def predict_content(
    http: httpx.Client, name: str, content: bytes, params: dict[str, Any]
) -> dict[str, Any]:
    """POST one image's bytes as the multipart field `file`; the gateway's JSON answer."""
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    try:
        response = http.post("/predict", params=params, files={"file": (name, content, mime)})
    except httpx.TimeoutException as exc:
        raise RequestFailed(f"no answer from {http.base_url} within {http.timeout.read} s") from exc
    except httpx.TransportError as exc:
        raise GatewayUnreachable(
            f"cannot reach the gateway at {http.base_url} ({type(exc).__name__}: {exc}); "
            "is it running? `make demo` starts it"
        ) from exc
    if response.is_success:
        answer: dict[str, Any] = response.json()
        return answer
    raise RequestFailed(f"gateway answered {response.status_code}: {error_message(response)}")


def error_message(response: httpx.Response) -> str:
    """The gateway's `{"error": {"code", "message"}}`, or the start of whatever came back."""
    try:
        error = response.json()["error"]
        return f"{error['message']} ({error['code']})"
    except (ValueError, KeyError, TypeError):
        return response.text[:200] or response.reason_phrase


def _summary(answer: dict[str, Any]) -> list[str]:
    return cells(answer["predictions"][0], answer["model_version"])
