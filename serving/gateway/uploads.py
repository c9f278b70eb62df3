"""The images of a /predict request: multipart `file` fields or a raw image/* body.

Multipart files are spooled in memory up to the upload limit (the body limit bounds them),
so an upload never becomes a file on disk, let alone one named by the client.
"""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from serving.gateway.errors import NoImage, TooManyImages, UnsupportedImage
from serving.gateway.settings import Settings

FILE_FIELD = "file"
MAX_TEXT_FIELDS = 16


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
        raise NoImage(f"no image: the request has no {FILE_FIELD!r} field or an empty body")
    return images


async def _read_multipart(request: Request, settings: Settings) -> list[bytes]:
    parser = MultiPartParser(
        request.headers,
        request.stream(),
        max_files=settings.max_images,
        max_fields=MAX_TEXT_FIELDS,
    )
    parser.spool_max_size = settings.max_upload_bytes  # keep every upload in memory
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        if "Too many files" in exc.message:
            raise TooManyImages(
                f"more than {settings.max_images} images in one request (GATEWAY_MAX_IMAGES)"
            ) from exc
        raise NoImage(f"malformed multipart body: {exc.message}") from exc
    try:
        parts = form.getlist(FILE_FIELD)
        if any(not isinstance(part, UploadFile) for part in parts):
            raise NoImage(f"the {FILE_FIELD!r} field must be a file upload, not text")
        return [await part.read() for part in parts if isinstance(part, UploadFile)]
    finally:
        await form.close()
