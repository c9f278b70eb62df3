"""MNIST digits rendered as the image files people upload, and generated images that are not
digits.

Used by the `samples` command and by the upload-accuracy tests and benchmark, which check
that preprocessing (and the reader and judge) recover what the model expects from each style.
Every render is deterministic for a given numpy Generator; sizes are in pixels.

Single digits, `render(digit, style, rng)`; STYLES are the first five (what `samples` offers),
DIGIT_STYLES all of them:

- plain:          the 28×28 grey PNG, light digit on black, exactly as in MNIST;
- paper:          black ink on white paper with texture, 5× larger, off-centre (PNG);
- canvas:         a large 400×300 white canvas with the digit small and off-centre (PNG);
- photo:          a photo-like JPEG: tinted paper, uneven light, coloured pen, sensor noise;
- transparent:    a 280×280 RGBA PNG like a browser canvas export (ink in the alpha channel);
- phone:          a phone photo (320×240 JPEG) of the digit written on tinted paper: ink a few
                  times thicker than one pixel, mild blur, sensor noise, the digit in the middle;
- phone_gradient: the same with strong uneven lighting (one side up to half as bright);
- phone_shadow:   the same with a soft-edged shadow falling across the digit;
- phone_noisy:    the same in dim light: heavy sensor noise, stronger JPEG compression;
- phone_blurry:   the same out of focus (Gaussian blur of several pixels);
- phone_small:    the same with the digit small (50–80 px) in a 640×480 photo;
- pen_thick:      a felt pen: strokes about twice MNIST's width, black on white (PNG);
- pen_thin:       a fine pen: strokes about a third of MNIST's width (PNG);
- lined:          written on ruled notebook paper (blue lines, a red margin), as a photo;
- squared:        written on squared (graph) paper, as a photo;
- coloured_ink:   red, green, blue or purple ink on white or tinted paper (PNG);
- scan:           a scanned form: the digit 100–300 px tall, light scanner blur (grey PNG);
- scan_bilevel:   a scanned form thresholded to black and white (1-bit PNG);
- upscaled:       the 28×28 digit enlarged 3–10× by a nearest, bilinear, bicubic or Lanczos
                  filter, dark on white (PNG);
- downscaled:     the digit reduced to 12–20 px by a box, bilinear or nearest filter on a small
                  white image (PNG).

Numbers, `render_number(digits, style, rng)`: 2 to 6 test digits side by side with the
spacing, size and baseline jitter of handwriting; the expected string is their labels in
order. NUMBER_STYLES: number_paper (ink on white, PNG) and number_photo (a phone photo).

Not digits, `render_non_digit(kind, rng)`; NON_DIGITS:

- scribble:     random smooth pen strokes, tangled, on paper;
- noise:        random noise: grey or colour, uniform, Gaussian or salt-and-pepper;
- letter_font:  a letter in a font (DejaVu when Debian's fonts are installed, else Pillow's
                default), letters shaped like digits (O, I, l, Z, S, B, G, g, q, ...) left out;
- letter_hand:  a letter drawn in jittered, slanted pen strokes (A, E, F, H, K, M, N, R, ...);
- texture:      a photo of a textured surface (fabric, wood grain, blotches);
- gradient:     a photo of a smooth gradient with a few soft blobs;
- shapes:       a photo of several coloured shapes on a coloured background.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

STYLES = ("plain", "paper", "canvas", "photo", "transparent")
DIGIT_STYLES = (
    *STYLES,
    "phone",
    "phone_gradient",
    "phone_shadow",
    "phone_noisy",
    "phone_blurry",
    "phone_small",
    "pen_thick",
    "pen_thin",
    "lined",
    "squared",
    "coloured_ink",
    "scan",
    "scan_bilevel",
    "upscaled",
    "downscaled",
)
NUMBER_STYLES = ("number_paper", "number_photo")
NON_DIGITS = ("scribble", "noise", "letter_font", "letter_hand", "texture", "gradient", "shapes")
JPEG_STYLES = {"photo", "lined", "squared", "number_photo"} | {
    s for s in DIGIT_STYLES if s.startswith("phone")
}
EXTENSIONS = {style: "jpg" if style in JPEG_STYLES else "png" for style in DIGIT_STYLES}
NUMBER_LENGTHS = range(2, 7)
PHOTO_SIZE = (240, 320)  # height, width of the phone photos: 10,000 of each render quickly

Render = Callable[[np.ndarray, np.random.Generator], bytes]
RGB = np.ndarray  # float [3] colour, 0..255


# --- shared steps ------------------------------------------------------------------------------


def _encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    if fmt == "PNG":
        options.setdefault("compress_level", 1)  # fast; the size of a file is not under test
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _upscaled_ink(
    digit: np.ndarray, side: int, resample: int = Image.Resampling.BICUBIC
) -> np.ndarray:
    """The digit as ink coverage 0..1 at side×side pixels (bicubic, smooth strokes)."""
    image = Image.fromarray(digit).resize((side, side), resample)
    return np.asarray(image, dtype=np.float32) / 255.0


def _place(ink: np.ndarray, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """Put the ink patch at a random position of a height×width page."""
    page = np.zeros((height, width), dtype=np.float32)
    top = int(rng.integers(0, height - ink.shape[0] + 1))
    left = int(rng.integers(0, width - ink.shape[1] + 1))
    page[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    return page


def _place_middle(
    ink: np.ndarray, height: int, width: int, rng: np.random.Generator, wander: float = 0.1
) -> np.ndarray:
    """Put the ink patch near the middle of the page (a photo is aimed at the digit)."""
    page = np.zeros((height, width), dtype=np.float32)
    top = (height - ink.shape[0]) // 2 + int(rng.normal(0, wander * height / 2))
    left = (width - ink.shape[1]) // 2 + int(rng.normal(0, wander * width / 2))
    top = min(max(top, 0), height - ink.shape[0])
    left = min(max(left, 0), width - ink.shape[1])
    page[top : top + ink.shape[0], left : left + ink.shape[1]] = ink
    return page


def _grid(height: int, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Row and column coordinates that broadcast to height×width (float32)."""
    return (
        np.arange(height, dtype=np.float32)[:, np.newaxis],
        np.arange(width, dtype=np.float32)[np.newaxis, :],
    )


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(values + 0.5, 0, 255).astype(np.uint8)  # rounded (values are >= -0.5)


def _morph(ink: np.ndarray, size: int, grow: bool) -> np.ndarray:
    """Dilate (grow) or erode ink coverage with a size×size square (Pillow's rank filters)."""
    image = Image.fromarray(_to_uint8(255 * ink))
    rank = ImageFilter.MaxFilter(size) if grow else ImageFilter.MinFilter(size)
    return np.asarray(image.filter(rank), dtype=np.float32) / 255.0


def _blur(values: np.ndarray, radius: float, top: float = 1.0) -> np.ndarray:
    """Gaussian blur of values in 0..top (Pillow blurs 8-bit images only)."""
    image = Image.fromarray(_to_uint8(values * (255.0 / top)))
    blurred = np.asarray(image.filter(ImageFilter.GaussianBlur(radius)), dtype=np.float32)
    return blurred * (top / 255.0)


def _pen_ink(digit: np.ndarray, side: int, thickness: float) -> np.ndarray:
    """Ink at side×side whose strokes are `thickness` times MNIST's (about 2.5 of 28 px)."""
    ink = _upscaled_ink(digit, side)
    scale = side / 28
    if thickness > 1:  # a broader pen: spread the ink by the extra width, round as a pen tip
        extra = 2.5 * scale * (thickness - 1)
        # Ink where the blurred strokes reach an eighth of their peak, with a sharp edge.
        ink = np.clip((_blur(ink, extra / 2) - 0.075) / 0.1, 0, 1)
    elif thickness < 1:  # a finer pen: keep the core of the stroke, then a soft edge
        core = np.clip((ink - 0.75) / 0.2, 0, 1)
        ink = np.clip(_blur(core, max(0.5, 0.3 * scale * thickness)) * 1.5, 0, 1)
    return ink


def _paper(tint: RGB, height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """RGB float paper with a little grain (photos get theirs from the sensor's noise)."""
    grain = 3.0 * rng.standard_normal((height, width, 1), dtype=np.float32)
    return tint.astype(np.float32) + grain


def _plain_paper(tint: RGB, height: int, width: int) -> np.ndarray:
    """Paper of one colour as RGB planes [3, height, width] (photos are built plane by plane:
    numpy is several times faster on them than on [height, width, 3])."""
    return np.broadcast_to(tint.astype(np.float32)[:, np.newaxis, np.newaxis], (3, height, width))


def _rgb(planes: np.ndarray) -> Image.Image:
    return Image.merge("RGB", [Image.fromarray(plane) for plane in _to_uint8(planes)])


def _tinted_paper_colour(rng: np.random.Generator) -> RGB:
    return rng.uniform([205, 195, 160], [250, 245, 235])  # white, cream, grey, bluish


def _dark_pen_colour(rng: np.random.Generator) -> RGB:
    return rng.uniform([10, 10, 30], [70, 70, 140])  # black to dark blue


def _ink_on(paper: np.ndarray, ink: np.ndarray, pen: RGB) -> np.ndarray:
    coverage = ink[..., np.newaxis]
    return paper + coverage * (pen.astype(np.float32) - paper)


def _lighting(height: int, width: int, strength: float, rng: np.random.Generator) -> np.ndarray:
    """A gain field from 1 down to 1 - strength along a random direction (uneven light)."""
    angle = rng.uniform(0, 2 * np.pi)
    sin, cos = np.sin(angle) / height, np.cos(angle) / width
    corners = (0.0, sin * (height - 1), cos * (width - 1), sin * (height - 1) + cos * (width - 1))
    slope = strength / max(max(corners) - min(corners), 1e-6)
    rows, cols = _grid(height, width)
    # 1 - slope·(ramp - its lowest value), with ramp = rows·sin + cols·cos.
    return (
        np.float32(1 + slope * min(corners))
        - rows * np.float32(slope * sin)
        - cols * np.float32(slope * cos)
    )


def _shadow(height: int, width: int, depth: float, rng: np.random.Generator) -> np.ndarray:
    """A gain field darkened by `depth` beyond a soft edge passing near the middle (a hand's
    or the phone's shadow)."""
    angle = rng.uniform(0, 2 * np.pi)
    rows, cols = _grid(height, width)
    distance = (rows - height / 2) * np.float32(np.sin(angle)) + (cols - width / 2) * np.float32(
        np.cos(angle)
    )
    offset = rng.uniform(-0.15, 0.15) * min(height, width)
    softness = rng.uniform(0.01, 0.05) * min(height, width)
    inside = 0.5 + 0.5 * np.tanh((distance - offset) / (2 * softness))  # a logistic edge
    return 1.0 - depth * inside


def _camera(
    scene: np.ndarray,
    rng: np.random.Generator,
    noise: float,
    quality: int,
    blur: float = 0.0,
) -> bytes:
    """What a phone makes of a scene (RGB planes): optical blur, sensor noise (luminance), JPEG."""
    if blur > 0:
        blurred = _rgb(scene).filter(ImageFilter.GaussianBlur(blur))
        scene = np.asarray(blurred, dtype=np.float32).transpose(2, 0, 1)
    scene = scene + noise * rng.standard_normal(scene.shape[1:], dtype=np.float32)
    return _encode(_rgb(scene), "JPEG", quality=quality)


def _phone_photo(
    ink: np.ndarray,
    rng: np.random.Generator,
    size: tuple[int, int] = PHOTO_SIZE,
    light: float = 0.15,
    shadow: float = 0.0,
    blur: float = 0.8,
    noise: float = 3.0,
    quality: int = 85,
    paper: np.ndarray | None = None,
) -> bytes:
    """Ink (coverage, its own size) photographed near the middle of a height×width photo.
    The blur is the lens's on the ink (the paper is smooth), cheaper than on the whole photo."""
    height, width = size
    if blur > 0:
        pad = int(3 * blur) + 1
        ink = _blur(np.pad(ink, pad), blur)
    page = _place_middle(ink, height, width, rng)
    colour = _plain_paper(_tinted_paper_colour(rng), 1, 1) if paper is None else paper
    pen = _plain_paper(_dark_pen_colour(rng), 1, 1)
    gain = _lighting(height, width, light, rng)
    if shadow > 0:
        gain *= _shadow(height, width, shadow, rng)
    # (paper·(1 − ink) + pen·ink)·gain, in as few passes over the photo as possible.
    on_ink = page * gain
    scene = colour * (gain - on_ink)
    scene += pen * on_ink
    return _camera(scene, rng, noise, quality)


def _phone_ink(
    digit: np.ndarray, rng: np.random.Generator, low: int = 70, high: int = 121
) -> np.ndarray:
    """The digit as written with a ball-point or gel pen, sized for a phone photo."""
    side = int(rng.integers(low, high))
    return _pen_ink(digit, side, thickness=float(rng.uniform(1.0, 1.6)))


# --- single digits -----------------------------------------------------------------------------


def render_plain(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    return _encode(Image.fromarray(digit), "PNG")


def render_paper(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = _place(_upscaled_ink(digit, 140), 180, 180, rng)
    paper = 238.0 + rng.normal(0.0, 6.0, ink.shape)  # paper grain
    page = paper * (1.0 - ink) + 25.0 * ink
    return _encode(Image.fromarray(_to_uint8(page)), "PNG")


def render_canvas(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    side = int(rng.integers(90, 200))
    ink = _place(_upscaled_ink(digit, side), 300, 400, rng)
    return _encode(Image.fromarray(_to_uint8(255.0 * (1.0 - ink))), "PNG")


def render_photo(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = _place(_upscaled_ink(digit, 168), 240, 240, rng)[..., np.newaxis]
    tint = rng.uniform([200, 190, 150], [250, 240, 225])  # cream, yellowish, bluish paper
    pen = rng.uniform([10, 10, 40], [60, 60, 120])  # dark blue to black
    rows = np.linspace(0.85, 1.05, ink.shape[0])[:, np.newaxis, np.newaxis]  # uneven light
    page = (tint * (1.0 - ink) + pen * ink) * rows + rng.normal(0.0, 4.0, (*ink.shape[:2], 3))
    return _encode(Image.fromarray(_to_uint8(page), mode="RGB"), "JPEG", quality=80)


def render_transparent(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    alpha = _to_uint8(255.0 * _upscaled_ink(digit, 280))
    rgba = np.zeros((280, 280, 4), dtype=np.uint8)
    rgba[..., 3] = alpha  # black strokes; colour only where alpha > 0
    return _encode(Image.fromarray(rgba, mode="RGBA"), "PNG")


def render_phone(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    return _phone_photo(_phone_ink(digit, rng), rng, light=float(rng.uniform(0.05, 0.2)))


def render_phone_gradient(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    return _phone_photo(_phone_ink(digit, rng), rng, light=float(rng.uniform(0.3, 0.5)))


def render_phone_shadow(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = _phone_ink(digit, rng)
    return _phone_photo(ink, rng, light=0.1, shadow=float(rng.uniform(0.3, 0.55)))


def render_phone_noisy(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    noise = float(rng.uniform(8.0, 14.0))
    return _phone_photo(_phone_ink(digit, rng), rng, noise=noise, quality=70)


def render_phone_blurry(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    blur = float(rng.uniform(2.0, 3.5))
    return _phone_photo(_phone_ink(digit, rng), rng, blur=blur)


def render_phone_small(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = _pen_ink(digit, int(rng.integers(50, 81)), thickness=float(rng.uniform(1.0, 1.5)))
    return _phone_photo(ink, rng, size=(480, 640), blur=0.6)


def _on_white(ink: np.ndarray, pen: RGB | float = 20.0) -> bytes:
    paper = 245.0 * np.ones(ink.shape)
    return _encode(Image.fromarray(_to_uint8(paper * (1 - ink) + np.mean(pen) * ink)), "PNG")


def pen_size(rng: np.random.Generator) -> int:
    """The side of a digit written with a pen on white (pen_thick, pen_thin)."""
    return int(rng.integers(100, 161))


def render_pen(digit: np.ndarray, side: int, thickness: float, rng: np.random.Generator) -> bytes:
    """Black ink on white, strokes `thickness` times MNIST's (benchmarks/pen_widths.py)."""
    ink = _pen_ink(digit, side, thickness)
    return _on_white(_place(ink, ink.shape[0] + 40, ink.shape[1] + 40, rng))


def render_pen_thick(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    return render_pen(digit, pen_size(rng), float(rng.uniform(1.8, 2.4)), rng)


def render_pen_thin(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    return render_pen(digit, pen_size(rng), float(rng.uniform(0.3, 0.45)), rng)


def _ruled_paper(
    height: int, width: int, spacing: float, rng: np.random.Generator, grid: bool
) -> np.ndarray:
    """White paper (RGB planes) with light blue rules every `spacing` px (and columns for
    squared paper)."""
    paper = _plain_paper(rng.uniform([235, 235, 225], [252, 250, 245]), height, width).copy()
    line = rng.uniform([120, 160, 200], [175, 200, 235])[:, np.newaxis, np.newaxis]
    offset = rng.uniform(0, spacing)
    rows = np.abs(((np.arange(height) - offset) % spacing) - spacing / 2) > spacing / 2 - 1.0
    paper[:, rows, :] = line
    if grid:
        columns = np.abs(((np.arange(width) - offset) % spacing) - spacing / 2) > spacing / 2 - 1
        paper[:, :, columns] = line
    else:  # a red margin on the left
        margin = int(rng.integers(20, 60))
        paper[:, :, margin : margin + 2] = np.array([220, 90, 90])[:, np.newaxis, np.newaxis]
    return paper


def render_lined(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = _phone_ink(digit, rng)
    spacing = ink.shape[0] * 20 / 28 * rng.uniform(1.0, 1.3)  # a digit fills one ruled line
    paper = _ruled_paper(*PHOTO_SIZE, spacing, rng, grid=False)
    return _phone_photo(ink, rng, light=0.1, paper=paper)


def render_squared(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = _phone_ink(digit, rng)
    spacing = ink.shape[0] * 20 / 28 / rng.uniform(1.6, 2.2)  # a digit spans two squares
    paper = _ruled_paper(*PHOTO_SIZE, spacing, rng, grid=True)
    return _phone_photo(ink, rng, light=0.1, paper=paper)


INK_COLOURS = np.array([[200, 30, 40], [30, 140, 60], [30, 60, 210], [120, 40, 160]], float)


def render_coloured_ink(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    ink = _pen_ink(digit, int(rng.integers(90, 150)), thickness=float(rng.uniform(1.0, 1.6)))
    page = _place(ink, ink.shape[0] + 60, ink.shape[1] + 60, rng)
    pen = INK_COLOURS[rng.integers(len(INK_COLOURS))] + rng.normal(0, 10, 3)
    height, width = page.shape
    scene = _ink_on(_paper(_tinted_paper_colour(rng), height, width, rng), page, pen)
    return _encode(Image.fromarray(_to_uint8(scene), mode="RGB"), "PNG")


def _scanned(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Grey levels of a scanned form: the digit's box 100–300 px tall, scanner blur and noise."""
    side = int(int(rng.integers(100, 301)) * 28 / 20)
    ink = _pen_ink(digit, side, thickness=float(rng.uniform(0.8, 1.4)))
    margin = side // 4
    page = _place(ink, side + margin, side + margin, rng)
    paper = float(rng.uniform(225, 250))
    grey = paper * (1 - page) + float(rng.uniform(10, 60)) * page
    return _blur(grey, float(rng.uniform(0.5, 1.2)), 255.0) + rng.normal(0, 2.0, grey.shape)


def render_scan(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    return _encode(Image.fromarray(_to_uint8(_scanned(digit, rng))), "PNG")


def render_scan_bilevel(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    grey = _scanned(digit, rng)
    threshold = float(rng.uniform(110, 160))
    return _encode(Image.fromarray(grey > threshold), "PNG")  # mode "1"


UPSCALE_FILTERS = (
    Image.Resampling.NEAREST,
    Image.Resampling.BILINEAR,
    Image.Resampling.BICUBIC,
    Image.Resampling.LANCZOS,
)
DOWNSCALE_FILTERS = (Image.Resampling.BOX, Image.Resampling.BILINEAR, Image.Resampling.NEAREST)


def render_upscaled(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    side = 28 * int(rng.integers(3, 11))
    resample = UPSCALE_FILTERS[rng.integers(len(UPSCALE_FILTERS))]
    ink = _upscaled_ink(digit, side, resample)
    return _encode(Image.fromarray(_to_uint8(255 * (1 - ink))), "PNG")


def render_downscaled(digit: np.ndarray, rng: np.random.Generator) -> bytes:
    side = int(rng.integers(17, 29))  # the digit's 20 px box becomes 12–20 px
    resample = DOWNSCALE_FILTERS[rng.integers(len(DOWNSCALE_FILTERS))]
    ink = np.asarray(Image.fromarray(digit).resize((side, side), resample), np.float32) / 255
    page = _place(ink, side + 8, side + 8, rng)
    return _encode(Image.fromarray(_to_uint8(250 * (1 - page))), "PNG")


RENDERERS: dict[str, Render] = {
    "plain": render_plain,
    "paper": render_paper,
    "canvas": render_canvas,
    "photo": render_photo,
    "transparent": render_transparent,
    "phone": render_phone,
    "phone_gradient": render_phone_gradient,
    "phone_shadow": render_phone_shadow,
    "phone_noisy": render_phone_noisy,
    "phone_blurry": render_phone_blurry,
    "phone_small": render_phone_small,
    "pen_thick": render_pen_thick,
    "pen_thin": render_pen_thin,
    "lined": render_lined,
    "squared": render_squared,
    "coloured_ink": render_coloured_ink,
    "scan": render_scan,
    "scan_bilevel": render_scan_bilevel,
    "upscaled": render_upscaled,
    "downscaled": render_downscaled,
}


def _check_digit(digit: np.ndarray) -> None:
    if digit.shape != (28, 28) or digit.dtype != np.uint8:
        raise ValueError(f"expected a uint8 28×28 digit, got {digit.dtype} {digit.shape}")


def render(digit: np.ndarray, style: str, rng: np.random.Generator) -> bytes:
    """A uint8 [28, 28] MNIST digit (light on dark) as an image file in the given style."""
    if style not in RENDERERS:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(DIGIT_STYLES)}")
    _check_digit(digit)
    return RENDERERS[style](digit, rng)


# --- numbers -----------------------------------------------------------------------------------


def _number_ink(digits: Sequence[np.ndarray], scale: float, rng: np.random.Generator) -> np.ndarray:
    """Digits side by side as one ink patch: each cut to its ink's columns, 2–6 MNIST pixels
    apart, with a little jitter of size and baseline, as one writes a number."""
    side = round(28 * scale)
    pieces, tops = [], []
    for digit in digits:
        ink = _upscaled_ink(digit, round(side * rng.uniform(0.92, 1.08)))
        columns = np.flatnonzero(ink.max(axis=0) > 0.05)
        pieces.append(ink[:, columns[0] : columns[-1] + 1] if columns.size else ink)
        tops.append(int(rng.normal(0, 1.2 * scale)))
    gaps = [round(rng.uniform(2.0, 6.0) * scale) for _ in pieces[1:]]
    height = max(p.shape[0] for p in pieces) + 2 * round(4 * scale)
    width = sum(p.shape[1] for p in pieces) + sum(gaps) + 2 * round(6 * scale)
    page = np.zeros((height, width), np.float32)
    left = round(6 * scale)
    for index, piece in enumerate(pieces):
        top = min(max(round(4 * scale) + tops[index], 0), height - piece.shape[0])
        area = page[top : top + piece.shape[0], left : left + piece.shape[1]]
        np.maximum(area, piece, out=area)
        left += piece.shape[1] + (gaps[index] if index < len(gaps) else 0)
    return page


def render_number_paper(digits: Sequence[np.ndarray], rng: np.random.Generator) -> bytes:
    ink = _number_ink(digits, float(rng.uniform(2.5, 4.0)), rng)
    return _on_white(ink)


def render_number_photo(digits: Sequence[np.ndarray], rng: np.random.Generator) -> bytes:
    ink = _number_ink(digits, float(rng.uniform(2.0, 3.0)), rng)
    ink = _morph(ink, 3, grow=True) if rng.random() < 0.5 else ink  # a broader pen
    height = max(PHOTO_SIZE[0], ink.shape[0] + 60)
    width = max(PHOTO_SIZE[1], ink.shape[1] + 80)
    return _phone_photo(ink, rng, size=(height, width), light=float(rng.uniform(0.05, 0.3)))


NUMBER_RENDERERS: dict[str, Callable[[Sequence[np.ndarray], np.random.Generator], bytes]] = {
    "number_paper": render_number_paper,
    "number_photo": render_number_photo,
}


def render_number(digits: Sequence[np.ndarray], style: str, rng: np.random.Generator) -> bytes:
    """2 to 6 uint8 [28, 28] MNIST digits written side by side as one image file; the number
    it shows is the digits' labels in order."""
    if style not in NUMBER_RENDERERS:
        raise ValueError(f"unknown number style {style!r}; choose from {', '.join(NUMBER_STYLES)}")
    if len(digits) not in NUMBER_LENGTHS:
        raise ValueError(f"a number has 2 to 6 digits, got {len(digits)}")
    for digit in digits:
        _check_digit(digit)
    return NUMBER_RENDERERS[style](digits, rng)


# --- not digits --------------------------------------------------------------------------------


def _stroke(rng: np.random.Generator, size: int) -> list[tuple[float, float]]:
    """A smooth random pen path: steps of constant length, the heading turning at random."""
    steps = int(rng.integers(40, 90))
    turns = np.cumsum(rng.normal(0, 0.35, steps)) + rng.uniform(0, 2 * np.pi)
    step = size * rng.uniform(0.02, 0.04)
    xs = np.cumsum(step * np.cos(turns))
    ys = np.cumsum(step * np.sin(turns))
    # Fit the path into the middle 80% of the sheet.
    span = max(float(np.ptp(xs)), float(np.ptp(ys)), 1.0)
    xs = (xs - xs.min()) / span * 0.8 * size + 0.1 * size
    ys = (ys - ys.min()) / span * 0.8 * size + 0.1 * size
    return list(zip(xs.tolist(), ys.tolist(), strict=True))


def render_scribble(rng: np.random.Generator) -> bytes:
    size = int(rng.integers(150, 301))
    sheet = Image.new("L", (size, size), int(rng.integers(225, 256)))
    draw = ImageDraw.Draw(sheet)
    width = int(rng.integers(2, max(3, size // 25)))
    for _ in range(int(rng.integers(2, 5))):
        draw.line(_stroke(rng, size), fill=int(rng.integers(0, 60)), width=width, joint="curve")
    return _encode(sheet, "PNG")


def render_noise(rng: np.random.Generator) -> bytes:
    side = int(rng.integers(28, 257))
    kind = int(rng.integers(3))
    shape = (side, side, 3) if rng.random() < 0.5 else (side, side)
    if kind == 0:
        values = rng.uniform(0, 255, shape)
    elif kind == 1:
        values = rng.normal(128, 50, shape)
    else:  # salt and pepper on grey
        values = np.full(shape[:2], float(rng.uniform(60, 200)))
        flips = rng.random(shape[:2]) < rng.uniform(0.05, 0.3)
        values[flips] = 255.0 * (rng.random(int(flips.sum())) < 0.5)
    return _encode(Image.fromarray(_to_uint8(values)), "PNG")


# Letters that do not look like a digit in most hands (O/0, I/l/1, Z/2, S/5, B/8, G/b/6, g/q/9
# are left out: a reader calling them digits is not wrong).
FONT_LETTERS = "ACEFHKLMNPRTUVWXYacdefhkmnprtuvwxy"
FONT_NAMES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSerif-Italic.ttf",
)


def _font(index: int, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """A Debian DejaVu font by name (Pillow searches the system's font folders), else
    Pillow's own default font."""
    try:
        return ImageFont.truetype(FONT_NAMES[index % len(FONT_NAMES)], size)
    except OSError:
        return ImageFont.load_default(size)


def render_letter_font(rng: np.random.Generator) -> bytes:
    letter = FONT_LETTERS[rng.integers(len(FONT_LETTERS))]
    size = int(rng.integers(60, 200))
    font = _font(int(rng.integers(len(FONT_NAMES))), size)
    sheet = Image.new("L", (2 * size, 2 * size), int(rng.integers(225, 256)))
    ImageDraw.Draw(sheet).text(
        (size, size), letter, fill=int(rng.integers(0, 60)), font=font, anchor="mm"
    )
    sheet = sheet.rotate(float(rng.uniform(-10, 10)), fillcolor=int(np.asarray(sheet)[0, 0]))
    return _encode(sheet, "PNG")


# Hand-drawn capitals as pen strokes in a unit box (x right, y down).
HAND_LETTERS: dict[str, list[list[tuple[float, float]]]] = {
    "A": [[(0, 1), (0.5, 0), (1, 1)], [(0.25, 0.55), (0.75, 0.55)]],
    "E": [[(1, 0), (0, 0), (0, 1), (1, 1)], [(0, 0.5), (0.7, 0.5)]],
    "F": [[(1, 0), (0, 0), (0, 1)], [(0, 0.5), (0.7, 0.5)]],
    "H": [[(0, 0), (0, 1)], [(1, 0), (1, 1)], [(0, 0.5), (1, 0.5)]],
    "K": [[(0, 0), (0, 1)], [(1, 0), (0, 0.55), (1, 1)]],
    "M": [[(0, 1), (0, 0), (0.5, 0.6), (1, 0), (1, 1)]],
    "N": [[(0, 1), (0, 0), (1, 1), (1, 0)]],
    "R": [[(0, 1), (0, 0), (0.8, 0), (1, 0.25), (0.8, 0.5), (0, 0.5), (1, 1)]],
    "W": [[(0, 0), (0.25, 1), (0.5, 0.4), (0.75, 1), (1, 0)]],
    "X": [[(0, 0), (1, 1)], [(1, 0), (0, 1)]],
    "Y": [[(0, 0), (0.5, 0.5), (1, 0)], [(0.5, 0.5), (0.5, 1)]],
    "#": [[(0.3, 0), (0.2, 1)], [(0.8, 0), (0.7, 1)], [(0, 0.3), (1, 0.3)], [(0, 0.7), (1, 0.7)]],
}


def render_letter_hand(rng: np.random.Generator) -> bytes:
    letter = list(HAND_LETTERS)[rng.integers(len(HAND_LETTERS))]
    size = int(rng.integers(100, 250))
    height = 0.7 * size
    width = height * rng.uniform(0.55, 0.95)
    slant = rng.uniform(-0.3, 0.3)
    sheet = Image.new("L", (size, size), int(rng.integers(225, 256)))
    draw = ImageDraw.Draw(sheet)
    pen = int(rng.integers(2, max(3, size // 18)))
    for stroke in HAND_LETTERS[letter]:
        points = np.array(stroke) + rng.normal(0, 0.04, (len(stroke), 2))
        xs = (size - width) / 2 + points[:, 0] * width + slant * (0.5 - points[:, 1]) * height
        ys = (size - height) / 2 + points[:, 1] * height
        path = list(zip(xs.tolist(), ys.tolist(), strict=True))
        draw.line(path, fill=int(rng.integers(0, 60)), width=pen, joint="curve")
    return _encode(sheet, "PNG")


def _smooth_noise(height: int, width: int, cells: int, rng: np.random.Generator) -> np.ndarray:
    """Low-frequency noise 0..1: a cells×cells random grid enlarged bicubically."""
    grid = rng.uniform(0, 255, (cells, cells)).astype(np.uint8)
    big = Image.fromarray(grid).resize((width, height), Image.Resampling.BICUBIC)
    return np.asarray(big, np.float32) / 255.0


def _photo_of(scene: np.ndarray, rng: np.random.Generator) -> bytes:
    """A photo of an RGB scene [height, width, 3]."""
    planes = np.ascontiguousarray(scene.transpose(2, 0, 1), dtype=np.float32)
    return _camera(planes, rng, noise=3.0, quality=85, blur=float(rng.uniform(0.3, 1.2)))


def render_texture(rng: np.random.Generator) -> bytes:
    height, width = 300, 400
    base, other = rng.uniform(40, 220, 3), rng.uniform(40, 220, 3)
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    kind = int(rng.integers(3))
    if kind == 0:  # fabric: two crossing weaves
        period = rng.uniform(4, 12)
        mix = 0.5 + 0.25 * (np.sin(rows / period) + np.sin(cols / period))
    elif kind == 1:  # wood grain: rings warped by smooth noise
        warp = 40 * _smooth_noise(height, width, 4, rng)
        mix = 0.5 + 0.5 * np.sin((rows + warp) / rng.uniform(3, 8))
    else:  # blotches
        mix = _smooth_noise(height, width, int(rng.integers(6, 20)), rng)
    scene = base * mix[..., np.newaxis] + other * (1 - mix[..., np.newaxis])
    return _photo_of(scene, rng)


def render_gradient(rng: np.random.Generator) -> bytes:
    height, width = 300, 400
    start, end = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    ramp = 1.0 - _lighting(height, width, 1.0, rng)
    blobs = _smooth_noise(height, width, int(rng.integers(3, 6)), rng) - 0.5
    mix = np.clip(ramp + 0.4 * blobs, 0, 1)[..., np.newaxis]
    return _photo_of(start * (1 - mix) + end * mix, rng)


def render_shapes(rng: np.random.Generator) -> bytes:
    height, width = 300, 400
    image = Image.new("RGB", (width, height), tuple(int(c) for c in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(3, 8))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        x0, y0 = rng.uniform(0, width - 40), rng.uniform(0, height - 40)
        x1, y1 = x0 + rng.uniform(30, 200), y0 + rng.uniform(30, 160)
        kind = int(rng.integers(3))
        if kind == 0:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        elif kind == 1:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        else:
            corners = rng.uniform([x0, y0], [x1, y1], (int(rng.integers(3, 6)), 2))
            draw.polygon([tuple(p) for p in corners.tolist()], fill=colour)
    return _photo_of(np.asarray(image, np.float32), rng)


NON_DIGIT_RENDERERS: dict[str, Callable[[np.random.Generator], bytes]] = {
    "scribble": render_scribble,
    "noise": render_noise,
    "letter_font": render_letter_font,
    "letter_hand": render_letter_hand,
    "texture": render_texture,
    "gradient": render_gradient,
    "shapes": render_shapes,
}


def render_non_digit(kind: str, rng: np.random.Generator) -> bytes:
    """A generated image that shows no digit, as a file."""
    if kind not in NON_DIGIT_RENDERERS:
        raise ValueError(f"unknown non-digit {kind!r}; choose from {', '.join(NON_DIGITS)}")
    return NON_DIGIT_RENDERERS[kind](rng)
