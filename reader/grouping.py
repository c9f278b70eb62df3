"""Which of a page's components make the digit, or the digits of a number, left to right.

- `main_cluster`: the seed (a large component near the middle, made of strokes: what a photo
  is aimed at) and every component near what is gathered so far (chained, so the digits of
  a number come together); what lies further away (a speck, a mark in a corner, a shadow's
  edge) is left out. `preprocess` (one digit) reads it.
- `row_cluster`: the main cluster grown along its row with the spacing people leave between
  digits (ROW_GAP), what `read` reads; every other mark bigger than a speck (LISTED_SIDE)
  comes with why it was left out, so nothing is lost silently.
- `digit_groups`: the cluster cut into digits. Components overlapping in columns are pieces
  of one digit (a 5's flag, a 7's bar, a broken stroke), and so are neighbours closer than
  JOIN_GAP (a low-resolution scan's digit in side-by-side parts); a group wider than any one digit
  (SPLIT_ASPECT × its height) is several touching digits, cut where the column profile of
  the ink is thinnest near evenly spaced positions.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from reader.boxes import Box, bounds, box_of, gaps, shared_rows
from reader.components import Component, Runs, summarise

# Gaps, in heights of the seed component, across which components join the cluster: a
# number's digits are written side by side up to about half a digit's height apart (NEAR,
# along the row); above or below, and for a small piece (under PIECE_AREA of the seed), only
# NEAR_PIECE: a mark further away is not the digit's.
NEAR = 0.75
SEED_AREA = 0.2  # of the largest component's area: the candidates for the digit's seed
SOLID_FILL = 0.8  # of its box: a blot, a sticker, a shadow's patch
SOLID_PENALTY = 0.3
NEAR_PIECE = 0.25
PIECE_AREA = 0.1
SMALL_GROUP = (
    0.45  # of the tallest digit's height: a piece of a neighbour (a 2's foot), not a digit
)
# Width over height of one digit: the 500 bundled MNIST digits reach 1.43 at the 99th
# percentile (a wide 2 or 5); two touching digits are 1.6 and more.
SPLIT_ASPECT = 1.5
DIGIT_ASPECT = 0.85  # a typical digit's width over its height, to count touching digits
SAME_DIGIT_OVERLAP = 0.5  # of the narrower one's width: components in one digit's columns
CUT_SEARCH = 0.3  # of a digit's width: how far from the even position a cut may move
# Pieces of one digit side by side (join_close), in heights of the tallest piece: the split
# parts of the bundled held-out digits scanned at 8×8 and upscaled to 64 px (bilinear) lie
# under 0.03 apart for 80% of them, 0.05 for 86%; adjacent digits of numbers rendered from
# them (reader/styles.py's number styles and benchmarks.spaced_numbers' spacing) are 0.056 apart at
# the least (1st percentile 0.086): 0.04 joins most pieces and no digits. Together they are
# no wider than JOIN_ASPECT × their height, the bundled digits' 95th percentile (1.18), so
# two whole digits touching (two 0s: 1.44) stay two: 1.1 to 1.3 join as many pieces (64 px
# renders read as one digit: 90.5% of 200, 78.5% with no join).
JOIN_GAP = 0.04
JOIN_ASPECT = 1.2
# Along the row (row_cluster), in heights of the tallest piece of the cluster: a mark joins a
# number's row when it shares ROW_SHARED of its height with the row's rows, is at least
# ROW_PIECE tall (a digit, not a dot) and stands within ROW_GAP of the row. Two narrow 1s in
# 28 px cells a quarter of a cell apart have 31 px of paper between them for 20 px digits
# (1.55). On 280 numbers of benchmarks.spaced_numbers' spacing made of the bundled held-out digits
# (seed 11), the digits were all found from 1.5 (1.0: 70% of the numbers, 1.3: 98%), and no
# single digit of 500 in reader/styles.py's styles gained a second one up to 1.7: 1.7 leaves
# a margin over the narrow 1s' 1.55.
ROW_GAP = 1.7
ROW_SHARED = 0.5
ROW_PIECE = 0.45
# Marks left out are listed when their longer side is at least this share of the tallest
# piece's height (a quarter of a digit: a 5's flag, a dot of an i); smaller ones are specks.
LISTED_SIDE = 0.25
# At most this many are listed, the largest: more marks than reader.judge.MAX_STRAYS make the
# page no digit at all (a photo of things, noise), and the list stays short.
MAX_LISTED = 12

Group = list[Component]
LeftOut = list[tuple[Component, str]]  # a component and why it is not read


def gap(box: Box, component: Component) -> int:
    """Chebyshev gap between a box and a component, 0 if touching."""
    return max(gaps(box, box_of(component)))


def centrality(component: Component, shape: tuple[int, int]) -> float:
    """1 at the page's centre, 0 at its corners."""
    row, col = component.centre
    half_height, half_width = shape[0] / 2, shape[1] / 2
    distance = math.hypot((row - half_height) / half_height, (col - half_width) / half_width)
    return max(0.0, 1.0 - distance / math.sqrt(2))


def seed(components: list[Component], shape: tuple[int, int]) -> Component:
    """The component a digit is most likely to be: large, near where the photo is aimed (the
    middle), made of strokes rather than a solid blot."""

    def score(c: Component) -> float:
        solid = c.area > SOLID_FILL * c.height * c.width
        return c.area * (0.5 + centrality(c, shape)) * (SOLID_PENALTY if solid else 1.0)

    candidates = [c for c in components if c.area >= SEED_AREA * components[0].area]
    return max(candidates, key=score)


def main_cluster(components: list[Component], shape: tuple[int, int]) -> Group:
    """The seed component and those chained to it (NEAR, NEAR_PIECE); `shape` is the mask's."""
    largest = seed(components, shape)
    cluster = [largest]
    rest = [c for c in components if c is not largest]

    def joins(box: Box, c: Component) -> bool:
        cols, rows = gaps(box, box_of(c))
        small = c.area < PIECE_AREA * largest.area
        across = (NEAR_PIECE if small else NEAR) * largest.height  # along the row
        return cols <= across and rows <= NEAR_PIECE * largest.height

    grown = True
    while grown and rest:
        box = bounds(cluster)
        near = [c for c in rest if joins(box, c)]
        rest = [c for c in rest if not joins(box, c)]
        cluster += near
        grown = bool(near)
    return cluster


def row_cluster(components: list[Component], shape: tuple[int, int]) -> tuple[Group, LeftOut]:
    """The main cluster grown along its row: a number's digits with the spacing people use
    (ROW_GAP), each joining what is gathered so far; and every other component big enough to
    be a digit's (LISTED_SIDE), with why it was left out, largest first."""
    cluster = main_cluster(components, shape)
    unit = max(c.height for c in cluster)
    rest = [c for c in components if all(c is not k for k in cluster)]
    grown = True
    while grown and rest:
        box = bounds(cluster)
        near = [c for c in rest if not why_apart(box, unit, c)]
        rest = [c for c in rest if why_apart(box, unit, c)]
        cluster += near
        grown = bool(near)
    box = bounds(cluster)
    listed = [c for c in rest if max(c.height, c.width) >= LISTED_SIDE * unit]
    return cluster, [(c, why_apart(box, unit, c)) for c in listed]


def why_apart(box: Box, unit: int, component: Component) -> str:
    """Why a component stays out of the row of digits in `box` ("" when it joins it); `unit`
    is the tallest piece's height."""
    columns, rows = gaps(box, box_of(component))
    if rows > 0 or shared_rows(box, box_of(component)) < ROW_SHARED * component.height:
        return "above or below the row of digits"
    if component.height < ROW_PIECE * unit:
        return "a small mark apart from the digits"
    if columns > ROW_GAP * unit:
        return f"too far from the digits ({columns / unit:.1f} digit heights along the row)"
    return ""


def overlap(a: Group, b: Component) -> float:
    left, right = min(c.left for c in a), max(c.right for c in a)
    shared = min(right, b.right) - max(left, b.left)
    return shared / max(1, min(right - left, b.width))


def digit_groups(cluster: Group) -> list[Group]:
    """The cluster's digits, left to right, each a list of components."""
    groups: list[Group] = []
    for component in sorted(cluster, key=lambda c: c.left):
        joining = [g for g in groups if overlap(g, component) >= SAME_DIGIT_OVERLAP]
        if joining:
            target = max(joining, key=lambda g: overlap(g, component))
            target.append(component)
        else:
            groups.append([component])
    joined = join_close(sorted(groups, key=lambda g: bounds(g)[0]))
    digits = [piece for group in joined for piece in split_touching(group)]
    return merge_small(sorted(digits, key=lambda g: bounds(g)[0]))


def join_close(groups: list[Group]) -> list[Group]:
    """Neighbours (left to right) side by side, closer than JOIN_GAP and together no wider
    than a digit, are one digit in pieces (a low-resolution scan's faint pixels cut it into
    side-by-side parts); neighbours whose columns overlap stay apart (touching digits)."""
    if not groups:
        return []
    unit = max(c.height for g in groups for c in g)
    joined = [list(groups[0])]
    for group in groups[1:]:
        left, top, right, bottom = bounds(joined[-1] + group)
        apart = bounds(group)[0] - bounds(joined[-1])[2]
        if apart <= JOIN_GAP * unit and right - left <= JOIN_ASPECT * (bottom - top):
            joined[-1] += group
        else:
            joined.append(list(group))
    return joined


def height(group: Group) -> int:
    _, top, _, bottom = bounds(group)
    return bottom - top


def merge_small(groups: list[Group]) -> list[Group]:
    """The shortest group, while much shorter than the tallest, joins its nearest neighbour
    (a 2's foot that the mask cut off, a 7's bar drawn apart)."""
    merged = [list(g) for g in groups]
    while len(merged) > 1:
        shortest = min(merged, key=height)
        if height(shortest) >= SMALL_GROUP * max(height(g) for g in merged):
            break
        others = [g for g in merged if g is not shortest]
        nearest = min(others, key=lambda g: min(gap(bounds(g), c) for c in shortest))
        nearest.extend(shortest)
        merged = [g for g in merged if g is not shortest]
    return sorted(merged, key=lambda g: bounds(g)[0])


def split_touching(group: Group) -> list[Group]:
    left, top, right, bottom = bounds(group)
    height, width = bottom - top, right - left
    if width <= SPLIT_ASPECT * height:
        return [group]
    count = max(2, round(width / (DIGIT_ASPECT * height)))
    profile = column_profile(group, left, right)
    step = width / count
    reach = max(1, round(CUT_SEARCH * step))
    cuts = []
    for k in range(1, count):
        centre = round(k * step)
        low, high = max(1, centre - reach), min(width - 1, centre + reach)
        cuts.append(left + low + int(np.argmin(profile[low : high + 1])))
    edges = [left, *cuts, right]
    pieces = [clip_group(group, a, b) for a, b in itertools.pairwise(edges)]
    return [p for p in pieces if p]


def column_profile(group: Group, left: int, right: int) -> np.ndarray:
    """Mask pixels per column of the group, from `left` to `right`."""
    profile = np.zeros(right - left, dtype=np.int64)
    for component in group:
        runs = component.runs
        for start, end in zip(runs.starts, runs.ends, strict=True):
            profile[start - left : end - left] += 1
    return profile


def clip_group(group: Group, left: int, right: int) -> Group:
    """The group's pixels in columns left..right-1, as components."""
    pieces = []
    for component in group:
        runs = component.runs
        starts, ends = np.maximum(runs.starts, left), np.minimum(runs.ends, right)
        keep = starts < ends
        if keep.any():
            pieces.append(summarise(Runs(runs.rows[keep], starts[keep], ends[keep])))
    return pieces
