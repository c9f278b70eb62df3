"""Damaged digits: the same digit as noise, lines, blur, a low resolution or a broken pen
leave it, so that the model learns to read it anyway.

Each corruption takes one float image [28, 28] in 0..1 (white ink on black, as MNIST) and a
numpy Generator and returns a damaged copy, same shape and range:

- noise: `impulse` (pixels set to full ink or to paper), `gaussian` (added normal noise),
  `shot` (ink counted in few photons: Poisson noise where the ink is);
- lines across the digit: `lines` (straight strokes across the whole field), `bands` (wide
  bands in which ink and paper swap), `zigzag` (a folded line), `dotted_line` (a row of dots);
- blur: `blur` (Gaussian), `motion` (smeared along one direction), `glass` (every pixel read
  from a random neighbour, as through frosted glass, lightly blurred);
- `edges`: only the outline of the strokes, hollow inside;
- `low_res`: reduced to 7 to 14 pixels a side and enlarged back (blocky or smooth);
- `broken`: gaps cut out of the strokes; `dotted`: strokes drawn as dots;
- `fog`: a smooth cloud over the paper; `spatter`: drops of ink round the digit.

The model never sees the raw image: it sees the field the reader makes of an upload
(`reader.reading.read_array`: noise floor, polarity, centring). `read_fields` turns damaged
images into those fields, exactly as a 28×28 upload is read; training/train.py mixes them
into the training stream (the corrupted pool).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from reader.image_errors import ImageError
from reader.reading import read_array
from training.augment import augment

SIDE = 28
FINE = 4  # lines are drawn at FINE × the field's side and averaged down: smooth edges
Corruption = Callable[[np.ndarray, np.random.Generator], np.ndarray]

# Strengths: ranges wide enough that a digit still readable by a person is inside them
# (looked at on the bundled digits: at the top of each range the digit is hard to make out).
IMPULSE_SHARE = (0.02, 0.3)  # share of the pixels replaced
GAUSSIAN_SIGMA = (0.08, 0.45)
SHOT_PHOTONS = (2.0, 30.0)  # photons counted for full ink: fewer is noisier
LINE_WIDTH = (1.0, 2.5)  # pixels of the field
BAND_WIDTH = (2.0, 5.0)
BLUR_SIGMA = (0.6, 1.8)
MOTION_LENGTH = (3.0, 10.0)  # pixels
GLASS_REACH = (1, 2)  # pixels a pixel may be read from, each axis (2: a third of the time)
LOW_SIDE = (7, 14)  # the reduced side, pixels
EDGE_LEVEL = (0.3, 0.6)  # ink level whose outline is kept


def impulse(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random share of the pixels set to full ink or to paper (salt and pepper)."""
    hit = rng.random(image.shape) < rng.uniform(*IMPULSE_SHARE)
    salt = rng.random(image.shape) < rng.uniform(0.3, 0.7)
    return np.where(hit, salt.astype(np.float32), image)


def gaussian(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(image + rng.normal(0.0, rng.uniform(*GAUSSIAN_SIGMA), image.shape), 0, 1)


def shot(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each pixel's ink counted in photons (Poisson): grainy strokes, paper left dark."""
    photons = rng.uniform(*SHOT_PHOTONS)
    return np.clip(rng.poisson(image * photons) / photons, 0, 1)


def _drawn(paint: Callable[[ImageDraw.ImageDraw, float], None]) -> np.ndarray:
    """Marks painted at FINE × the side (coordinates in field pixels), averaged down: 0..1."""
    sheet = Image.new("L", (SIDE * FINE, SIDE * FINE), 0)
    paint(ImageDraw.Draw(sheet), FINE)
    small = sheet.resize((SIDE, SIDE), Image.Resampling.BOX)
    return np.asarray(small, np.float32) / 255.0


def _across(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, float]:
    """A line across the whole field: a point near the middle, a direction, an angle."""
    angle = rng.uniform(0, np.pi)
    through = rng.uniform(4, SIDE - 4, 2)
    step = np.array([np.cos(angle), np.sin(angle)]) * SIDE * 1.5
    return through - step, through + step, angle


def lines(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """1 to 4 straight strokes across the whole field (parallel or not), over the digit."""
    parallel = rng.random() < 0.5
    count = int(rng.integers(1, 5))
    width = rng.uniform(*LINE_WIDTH)
    start, end, angle = _across(rng)
    normal = np.array([-np.sin(angle), np.cos(angle)])
    gap = rng.uniform(4, 9)

    def paint(draw: ImageDraw.ImageDraw, k: float) -> None:
        for i in range(count):
            a, b = (
                (start + i * gap * normal, end + i * gap * normal) if parallel else _across(rng)[:2]
            )
            draw.line([tuple(a * k), tuple(b * k)], fill=255, width=round(width * k))

    return np.maximum(image, rng.uniform(0.5, 1.0) * _drawn(paint))


def bands(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """1 or 2 wide bands across the field inside which ink and paper swap."""
    count = int(rng.integers(1, 3))

    def paint(draw: ImageDraw.ImageDraw, k: float) -> None:
        for _ in range(count):
            a, b, _ = _across(rng)
            draw.line(
                [tuple(a * k), tuple(b * k)], fill=255, width=round(rng.uniform(*BAND_WIDTH) * k)
            )

    inside = _drawn(paint)
    return image + inside * (1.0 - 2.0 * image)


def zigzag(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A line folded 3 to 8 times across the field, over the digit."""
    turns = int(rng.integers(4, 10))
    along = np.linspace(rng.uniform(-2, 4), rng.uniform(SIDE - 4, SIDE + 2), turns)
    low, high = sorted(rng.uniform(0, SIDE, 2))
    high = max(high, low + 6)
    across = np.where(np.arange(turns) % 2 == 0, low, high) + rng.normal(0, 1.5, turns)
    points = np.stack([along, across], axis=1)
    if rng.random() < 0.5:
        points = points[:, ::-1]  # folds running down rather than across
    width = rng.uniform(*LINE_WIDTH)

    def paint(draw: ImageDraw.ImageDraw, k: float) -> None:
        draw.line([tuple(p) for p in (points * k).tolist()], fill=255, width=round(width * k))

    return np.maximum(image, rng.uniform(0.5, 1.0) * _drawn(paint))


def dotted_line(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """1 to 3 rows of dots across the field, over the digit."""
    count = int(rng.integers(1, 4))

    def paint(draw: ImageDraw.ImageDraw, k: float) -> None:
        for _ in range(count):
            a, b, _ = _across(rng)
            spacing, radius = rng.uniform(2.0, 4.5), rng.uniform(0.5, 1.2)
            steps = int(np.linalg.norm(b - a) / spacing)
            for t in np.linspace(0, 1, steps):
                x, y = (a + t * (b - a)) * k
                draw.ellipse((x - radius * k, y - radius * k, x + radius * k, y + radius * k), 255)

    return np.maximum(image, rng.uniform(0.6, 1.0) * _drawn(paint))


def _gaussian_kernel(sigma: float) -> np.ndarray:
    reach = max(1, int(np.ceil(3 * sigma)))
    kernel = np.exp(-0.5 * (np.arange(-reach, reach + 1) / sigma) ** 2)
    return kernel / kernel.sum()


def _smooth(image: np.ndarray, sigma: float) -> np.ndarray:
    """Separable Gaussian blur, zero outside the field."""
    kernel = _gaussian_kernel(sigma)
    rows = np.apply_along_axis(np.convolve, 0, image, kernel, mode="same")
    return np.apply_along_axis(np.convolve, 1, rows, kernel, mode="same")


def blur(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(_smooth(image, rng.uniform(*BLUR_SIGMA)), 0, 1)


def _sample(image: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Bilinear reading of the image at (rows, cols); outside it is paper."""
    padded = np.pad(image, 1)
    r = np.clip(rows + 1, 0, SIDE)
    c = np.clip(cols + 1, 0, SIDE)
    top, left = np.floor(r).astype(int), np.floor(c).astype(int)
    down, right = r - top, c - left
    bottom, rightmost = np.minimum(top + 1, SIDE + 1), np.minimum(left + 1, SIDE + 1)
    upper = padded[top, left] * (1 - right) + padded[top, rightmost] * right
    lower = padded[bottom, left] * (1 - right) + padded[bottom, rightmost] * right
    return upper * (1 - down) + lower * down


def motion(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The image smeared along one direction: the mean of copies shifted along it."""
    length, angle = rng.uniform(*MOTION_LENGTH), rng.uniform(0, np.pi)
    rows, cols = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
    steps = np.linspace(-length / 2, length / 2, int(np.ceil(length)) + 1)
    if rng.random() < 0.5:
        steps = steps - steps[0]  # smeared one way only, as a hand moving
    copies = [_sample(image, rows + s * np.sin(angle), cols + s * np.cos(angle)) for s in steps]
    smeared = np.mean(copies, axis=0)
    return np.clip(smeared / max(float(smeared.max()), 1e-6) * float(image.max()), 0, 1)


def glass(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Every pixel read from a random neighbour (1 or 2 rounds), between light blurs."""
    reach = GLASS_REACH[1] if rng.random() < 1 / 3 else GLASS_REACH[0]
    out = _smooth(image, rng.uniform(0.4, 0.9)) if rng.random() < 0.7 else image
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    for _ in range(int(rng.integers(1, 3))):
        r = np.clip(rows + rng.integers(-reach, reach + 1, image.shape), 0, SIDE - 1)
        c = np.clip(cols + rng.integers(-reach, reach + 1, image.shape), 0, SIDE - 1)
        out = out[r, c]
    if rng.random() < 0.5:
        out = _smooth(out, rng.uniform(0.4, 0.8))
    return np.clip(out / max(float(out.max()), 1e-6), 0, 1)


def _grow(solid: np.ndarray) -> np.ndarray:
    """Binary 3×3 dilation."""
    padded = np.pad(solid, 1)
    return np.any([padded[r : r + SIDE, c : c + SIDE] for r in range(3) for c in range(3)], axis=0)


def edges(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Only the outline of the strokes: a one-pixel ring round the ink, hollow inside (the
    ink itself is left out; a thicker pen first, sometimes, so the hollow is wider)."""
    solid = image > rng.uniform(*EDGE_LEVEL)
    if rng.random() < 0.4:
        solid = _grow(solid)
    ring = _grow(solid) & ~solid
    return ring.astype(np.float32) * rng.uniform(0.7, 1.0)


def low_res(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Reduced to 7 to 14 pixels a side (averaged) and enlarged back: blocky or smooth."""
    side = int(rng.integers(LOW_SIDE[0], LOW_SIDE[1] + 1))
    small = Image.fromarray(image.astype(np.float32), mode="F").resize(
        (side, side), Image.Resampling.BOX
    )
    method = Image.Resampling.NEAREST if rng.random() < 0.5 else Image.Resampling.BILINEAR
    big = np.asarray(small.resize((SIDE, SIDE), method), np.float32)
    return np.clip(big / max(float(big.max()), 1e-6), 0, 1)


def broken(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """2 to 6 gaps cut out of the strokes (round erasures centred on ink)."""
    inked = np.argwhere(image > 0.5)
    if len(inked) == 0:
        return image
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    keep = np.ones_like(image)
    for row, col in inked[rng.choice(len(inked), int(rng.integers(2, 7)))]:
        radius = rng.uniform(1.0, 2.2)
        keep[(rows - row) ** 2 + (cols - col) ** 2 <= radius**2] = 0.0
    return image * keep


def dotted(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The strokes drawn as dots: ink kept on a lattice of spots (period 2 to 4 pixels)."""
    period = rng.uniform(2.0, 4.0)
    angle = rng.uniform(0, np.pi / 2)
    rows, cols = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32)
    u = (cols * np.cos(angle) + rows * np.sin(angle)) / period + rng.random()
    v = (rows * np.cos(angle) - cols * np.sin(angle)) / period + rng.random()
    spot = (np.abs(u - np.round(u)) < 0.3) & (np.abs(v - np.round(v)) < 0.3)
    return image * spot


def fog(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A smooth cloud of light over everything (coarse random grids enlarged), ink kept."""
    cloud = np.zeros_like(image)
    for side, weight in ((3, 1.0), (6, 0.5), (12, 0.25)):
        coarse = rng.random((side, side)).astype(np.float32)
        grid = Image.fromarray(coarse, mode="F").resize((SIDE, SIDE), Image.Resampling.BILINEAR)
        cloud += weight * np.asarray(grid, np.float32)
    cloud = cloud / cloud.max() * rng.uniform(0.2, 0.6)
    return np.clip(np.maximum(image, cloud) if rng.random() < 0.5 else image + cloud, 0, 1)


def spatter(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """3 to 15 drops of ink (light ones on the paper, dark ones on the strokes)."""
    rows, cols = np.mgrid[0:SIDE, 0:SIDE]
    out = image.copy()
    for _ in range(int(rng.integers(3, 16))):
        row, col = rng.uniform(0, SIDE, 2)
        drop = (rows - row) ** 2 + (cols - col) ** 2 <= rng.uniform(0.5, 2.0) ** 2
        out[drop] = rng.uniform(0.5, 1.0) if rng.random() < 0.6 else 0.0
    return out


CORRUPTIONS: dict[str, Corruption] = {
    "impulse": impulse,
    "gaussian": gaussian,
    "shot": shot,
    "lines": lines,
    "bands": bands,
    "zigzag": zigzag,
    "dotted_line": dotted_line,
    "blur": blur,
    "motion": motion,
    "glass": glass,
    "edges": edges,
    "low_res": low_res,
    "broken": broken,
    "dotted": dotted,
    "fog": fog,
    "spatter": spatter,
}
KINDS = tuple(CORRUPTIONS)


def corrupt(image: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """One float image [28, 28] in 0..1 damaged by `kind`, float32 in 0..1."""
    if kind not in CORRUPTIONS:
        raise ValueError(f"unknown corruption {kind!r}: choose one of {', '.join(KINDS)}")
    image = np.asarray(image, np.float32)
    if image.shape != (SIDE, SIDE):
        raise ValueError(f"expected an image [28, 28], got {list(image.shape)}")
    return np.clip(CORRUPTIONS[kind](image, rng), 0, 1).astype(np.float32)


def read_field(image: np.ndarray) -> np.ndarray | None:
    """The 28×28 field (0..1) the reader makes of an image uploaded as 8-bit grey levels; None
    when it reads as blank (a 28×28 upload is read as one digit, whatever is on it)."""
    try:
        reading = read_array(np.rint(255 * image).astype(np.float32))
    except ImageError:
        return None
    return reading.digits[0].image[..., 0]


def corrupted_fields(
    images: np.ndarray, labels: np.ndarray, count: int, seed: int, vary: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`count` damaged copies of random `images` (uint8 [n, 28, 28], MNIST's polarity), each
    by a corruption picked in turn from KINDS and read as an upload: (fields uint8
    [m, 28, 28], their labels [m], the index in KINDS of each); copies read as blank are left
    out, so m <= count. `vary`: each copy is first drawn anew by training/augment.py (another
    hand and pen), so no two copies of a digit are alike."""
    rng = np.random.default_rng([seed, 22])
    if count <= 0:
        return np.zeros((0, SIDE, SIDE), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64)
    picked = rng.choice(len(images), count, replace=count > len(images))
    clean = np.asarray(images, np.float32)[picked] / 255.0
    if vary:
        clean = augment(clean, rng)
    fields, kept, kinds = [], [], []
    for i, index in enumerate(picked):
        kind = i % len(KINDS)
        damaged = corrupt(clean[i], KINDS[kind], rng)
        if (field := read_field(damaged)) is not None:
            fields.append(field)
            kept.append(index)
            kinds.append(kind)
    out = np.stack(fields) if fields else np.zeros((0, SIDE, SIDE), np.float32)
    return (
        np.rint(255 * np.clip(out, 0, 1)).astype(np.uint8),
        np.asarray(labels)[kept].astype(np.int64),
        np.asarray(kinds, np.int64),
    )
