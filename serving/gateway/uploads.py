"""The images of a /predict request: multipart `file` fields or a raw image/* body.

Multipart files are read into memory as they stream in (the upload limit bounds the body),
so an upload never becomes a file on disk, let alone one named by the client.
"""

from __future__ import annotations

from starlette.requests import Request

from reader.preprocessing import UnsupportedImage
from serving.gateway.errors import MissingImage
from serving.gateway.multipart import MultipartError, read_file_fields
from serving.gateway.settings import Settings

FILE_FIELD = "file"


async def read_images(request: Request, settings: Settings) -> list[bytes]:
    content_type = request.headers.get("content-type", "")
    media_type = content_type.split(";")[0].strip().lower()
    if media_type == "multipart/form-data":
        images = await _read_multipart(request, settings)
    elif media_type.startswith("image/"):
        images = [await request.body()]
    else:
        raise UnsupportedImage(
            f"send the image as a multipart field {FILE_FIELD!r} or as the body with an "
            f"image/* content type (got {media_type or 'no content type'!r})"
        )
    if not images or not any(images):
        raise MissingImage(f"no image: the request has no {FILE_FIELD!r} field or an empty body")
    return images


async def _read_multipart(request: Request, settings: Settings) -> list[bytes]:
    try:
        return await read_file_fields(
            request.headers.get("content-type", ""),
            request.stream(),
            FILE_FIELD,
            settings.max_images,
        )
    except MultipartError as exc:
        raise MissingImage(f"malformed multipart body: {exc}") from exc
