#!/usr/bin/env python3
"""Writes the JPEG fixtures of the image codec's tests into this folder with Pillow
(`pip install Pillow`), and checks each against Pillow's own reading of it.

    python3 Tests/Data/codec/make-fixtures.py
"""
import os

from PIL import Image, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))

# The upright picture: 3 × 2 blocks of 8 × 8 pixels, each of one colour, so that every flip or
# turn of it is told apart and JPEG keeps the colours within a few levels.
BLOCKS = [
    [(220, 40, 40), (40, 200, 60), (40, 60, 220)],
    [(230, 210, 50), (245, 245, 245), (30, 30, 30)],
]

# How Pillow's exif_transpose turns each orientation upright; the stored picture is the upright
# one turned the opposite way.
UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
INVERSE = {
    Image.Transpose.ROTATE_90: Image.Transpose.ROTATE_270,
    Image.Transpose.ROTATE_270: Image.Transpose.ROTATE_90,
}

# CMYK ink amounts (0 = none, 255 = full) of 4 × 2 blocks of 8 × 8 pixels; the top row is what
# Pillow's RGB → CMYK gives for four colours (K = 0), the bottom row uses black ink.
CMYK_BLOCKS = [
    [(55, 205, 205, 0), (205, 75, 185, 0), (195, 185, 45, 0), (15, 35, 195, 0)],
    [(0, 0, 0, 128), (100, 0, 50, 64), (0, 150, 200, 30), (255, 255, 255, 255)],
]


def blocks(rows, mode):
    image = Image.new(mode, (8 * len(rows[0]), 8 * len(rows)))
    for by, row in enumerate(rows):
        for bx, colour in enumerate(row):
            image.paste(colour, (8 * bx, 8 * by, 8 * bx + 8, 8 * by + 8))
    return image


def max_difference(a, b):
    return max(abs(x - y) for x, y in zip(a.tobytes(), b.tobytes()))


def orientation_fixtures():
    upright = blocks(BLOCKS, "RGB")
    for orientation in range(1, 9):
        method = UPRIGHT.get(orientation)
        stored = upright.transpose(INVERSE.get(method, method)) if method is not None else upright.copy()
        exif = Image.Exif()
        exif[0x010F] = "Example"   # Make
        exif[0x0112] = orientation
        path = os.path.join(HERE, f"orientation-{orientation}.jpg")
        stored.save(path, quality=95, subsampling=0, exif=exif.tobytes())
        check = ImageOps.exif_transpose(Image.open(path))
        assert check.size == upright.size and max_difference(check, upright) <= 4, orientation


def cmyk_fixture():
    path = os.path.join(HERE, "cmyk.jpg")
    blocks(CMYK_BLOCKS, "CMYK").save(path, quality=95)
    # Pillow stores CMYK inverted behind an Adobe APP14 segment and converts R = (255 − C)(255 − K)/255.
    data = open(path, "rb").read()
    assert b"\xff\xee\x00\x0eAdobe" in data
    rgb = Image.open(path).convert("RGB")
    expected = blocks([[tuple(round((255 - c) * (255 - ink[3]) / 255) for c in ink[:3]) for ink in row]
                       for row in CMYK_BLOCKS], "RGB")
    assert max_difference(rgb, expected) <= 4


orientation_fixtures()
cmyk_fixture()
