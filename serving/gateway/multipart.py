"""A streaming multipart/form-data reader that keeps only the image fields, in memory.

Starlette's form parser wraps every file in an UploadFile over a SpooledTemporaryFile and
builds a FormData; for a small image that bookkeeping costs more CPU than decoding it. This
reader drives python-multipart's parser directly and collects the parts named FILE_FIELD
as bytes. The body is bounded by the upload limit (BodySizeLimitMiddleware), so nothing is
written to disk, and client file names are never used at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from serving.gateway.errors import MissingImage, TooManyImages

MAX_TEXT_FIELDS = 16
MAX_TEXT_FIELD_BYTES = 64 * 1024  # text fields are ignored; this only bounds their memory


class MultipartError(ValueError):
    """A malformed body; the message says what is wrong."""


class _FilePartCollector:
    """python-multipart callbacks gathering the bytes of the `field` file parts."""

    def __init__(self, field: str, max_files: int) -> None:
        self.field = field.encode()
        self.max_files = max_files
        self.files: list[bytes] = []
        self._files = 0
        self._texts = 0
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._data = bytearray()
        self._is_file = False
        self._wanted = False

    def on_part_begin(self) -> None:
        self._disposition = b""
        self._data = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name")
        if name is None:
            raise MultipartError('a part has no Content-Disposition "name"')
        self._is_file = b"filename" in options
        self._wanted = name == self.field
        if self._is_file:
            self._files += 1
            if self._files > self.max_files:
                raise TooManyImages(
                    f"more than {self.max_files} images in one request (GATEWAY_MAX_IMAGES)"
                )
        else:
            self._texts += 1
            if self._texts > MAX_TEXT_FIELDS:
                raise MultipartError(f"more than {MAX_TEXT_FIELDS} text fields")
            if self._wanted:
                raise MissingImage(
                    f"the {self.field.decode()!r} field must be a file upload, not text"
                )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._wanted:
            self._data += data[start:end]
        elif not self._is_file:
            self._data += data[start:end]
            if len(self._data) > MAX_TEXT_FIELD_BYTES:
                raise MultipartError(f"a text field is over {MAX_TEXT_FIELD_BYTES:,} bytes")

    def on_part_end(self) -> None:
        if self._wanted:
            self.files.append(bytes(self._data))
        self._data = bytearray()


async def read_file_fields(
    content_type: str, body: AsyncIterator[bytes], field: str, max_files: int
) -> list[bytes]:
    """The contents of the `field` file parts, in order; at most `max_files` file parts."""
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise MultipartError("no boundary in the multipart content type")
    collector = _FilePartCollector(field, max_files)
    callbacks = {
        name: getattr(collector, name)
        for name in (
            "on_part_begin",
            "on_part_data",
            "on_part_end",
            "on_header_field",
            "on_header_value",
            "on_header_end",
            "on_headers_finished",
        )
    }
    parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except FormParserError as exc:
        raise MultipartError(f"invalid multipart data ({exc})") from exc
    return collector.files
