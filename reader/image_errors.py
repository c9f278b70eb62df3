"""What can be wrong with an upload: the ImageError tree (re-exported by reader.preprocessing).

Its own module so that every step of the preprocessing (the decode, the page analysis, the
reading of digits) raises the same errors without importing one another.
"""

from __future__ import annotations


class ImageError(Exception):
    """An upload that cannot become the model's input; the message names the limit or cause.

        ImageError
        ├── NoImage           the image is empty (0 bytes)
        ├── ImageTooLarge     over the pixel or decoded-bytes limit (checked before the decode)
        ├── UnsupportedImage  not an image, or a format not accepted
        ├── CorruptImage      truncated or damaged image data
        └── NoInk             a blank image: nothing to recognize

    `code` is the stable name that the gateway's error bodies carry.
    """

    code = "bad_image"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NoImage(ImageError):
    code = "no_image"


class ImageTooLarge(ImageError):
    code = "image_too_large"


class UnsupportedImage(ImageError):
    code = "unsupported_image"


class CorruptImage(ImageError):
    code = "corrupt_image"


class NoInk(ImageError):
    code = "no_ink"
