#!/usr/bin/env python3
"""Writes the PNG and JPEG seed corpora (Fuzz/corpus/png, Fuzz/corpus/jpeg) from crops of a
demo image in Tests/Data. PNGs are written here chunk by chunk so that every colour type, bit
depth, filter, interlacing and the ancillary chunks the decoder meets are covered; JPEGs go
through the system's TurboJPEG (baseline, progressive, arithmetic, restart markers, gray, CMYK)
plus EXIF, ICC and comment segments. Seeds stay small so the fuzzer runs fast.

    Fuzz/make-image-seeds.py
"""
import ctypes
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
PNG_DIR = os.path.join(ROOT, "Fuzz", "corpus", "png")
JPEG_DIR = os.path.join(ROOT, "Fuzz", "corpus", "jpeg")
SOURCE = os.path.join(ROOT, "Tests", "Data", "dip", "denoising", "snail.jpg")

tj = ctypes.CDLL("libturbojpeg.so.0")
tj.tjInitDecompress.restype = ctypes.c_void_p
tj.tjInitCompress.restype = ctypes.c_void_p
TJPF_RGB, TJPF_GRAY, TJPF_CMYK = 0, 6, 11
TJSAMP_444, TJSAMP_422, TJSAMP_420, TJSAMP_GRAY = 0, 1, 2, 3
TJFLAG_PROGRESSIVE = 16384


def decode_jpeg(data):
    h = ctypes.c_void_p(tj.tjInitDecompress())
    w, hh, ss, cs = (ctypes.c_int() for _ in range(4))
    assert tj.tjDecompressHeader3(h, data, ctypes.c_ulong(len(data)), ctypes.byref(w), ctypes.byref(hh),
                                  ctypes.byref(ss), ctypes.byref(cs)) == 0
    out = ctypes.create_string_buffer(w.value * hh.value * 3)
    assert tj.tjDecompress2(h, data, ctypes.c_ulong(len(data)), out, w, 0, hh, TJPF_RGB, 0) == 0
    tj.tjDestroy(h)
    return w.value, hh.value, out.raw


def encode_jpeg(pixels, w, h, pf, samp, quality=75, flags=0, env=None):
    saved = dict(os.environ)
    os.environ.update(env or {})
    handle = ctypes.c_void_p(tj.tjInitCompress())
    buf = ctypes.POINTER(ctypes.c_ubyte)()
    size = ctypes.c_ulong(0)
    rc = tj.tjCompress2(handle, pixels, w, 0, h, pf, ctypes.byref(buf), ctypes.byref(size), samp, quality, flags)
    os.environ.clear()
    os.environ.update(saved)
    assert rc == 0, ctypes.string_at(tj.tjGetErrorStr2(handle))
    data = ctypes.string_at(buf, size.value)
    tj.tjFree(buf)
    tj.tjDestroy(handle)
    return data


W, H, RGB = decode_jpeg(open(SOURCE, "rb").read())


def crop(x0, y0, w, h):
    """RGB rows of a crop of the demo image."""
    return [[RGB[((y0 + y) * W + x0 + x) * 3:((y0 + y) * W + x0 + x) * 3 + 3] for x in range(w)] for y in range(h)]


def gray(rgb):
    r, g, b = rgb
    return (r * 299 + g * 587 + b * 114) // 1000


# ---- PNG ----

def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def pack_row(samples, depth):
    if depth == 8:
        return bytes(samples)
    if depth == 16:
        return b"".join(struct.pack(">H", s) for s in samples)
    out, acc, bits = bytearray(), 0, 0
    for s in samples:
        acc = acc << depth | s
        bits += depth
        if bits == 8:
            out.append(acc)
            acc, bits = 0, 0
    if bits:
        out.append(acc << (8 - bits))
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def filter_row(kind, row, prev, bpp):
    out = bytearray([kind])
    for i, x in enumerate(row):
        a = row[i - bpp] if i >= bpp else 0
        b = prev[i] if prev else 0
        c = prev[i - bpp] if prev and i >= bpp else 0
        pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][kind]
        out.append((x - pred) & 0xFF)
    return bytes(out)


def scanlines(rows, depth, per_pixel, first_filter):
    """Filtered scanlines of one (sub)image; the filter type cycles from row to row."""
    bpp = max(1, depth * per_pixel // 8)
    out, prev = b"", None
    for y, samples in enumerate(rows):
        packed = pack_row(samples, depth)
        out += filter_row((first_filter + y) % 5, packed, prev, bpp)
        prev = packed
    return out


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png(pixels, depth, color, *, interlace=False, plte=None, trns=None, extra=(), idat_parts=1, first_filter=0):
    """`pixels`: rows of per-pixel sample tuples (already at `depth`)."""
    h, w = len(pixels), len(pixels[0])
    per_pixel = len(pixels[0][0])
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ADAM7:
            sub = [[s for x in range(x0, w, dx) for s in pixels[y][x]] for y in range(y0, h, dy)]
            if sub and sub[0]:
                raw += scanlines(sub, depth, per_pixel, first_filter)
    else:
        raw = scanlines([[s for p in row for s in p] for row in pixels], depth, per_pixel, first_filter)
    data = zlib.compress(raw, 9)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color, 0, 0, int(interlace)))
    for kind, body in extra:
        out += chunk(kind, body)
    if plte is not None:
        out += chunk(b"PLTE", plte)
    if trns is not None:
        out += chunk(b"tRNS", trns)
    step = max(1, -(-len(data) // idat_parts))
    for i in range(0, len(data), step):
        out += chunk(b"IDAT", data[i:i + step])
    return out + chunk(b"IEND", b"")


def write(directory, name, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data)


def png_seeds():
    c = crop(60, 40, 16, 12)
    rgb8 = [[tuple(p) for p in row] for row in c]
    g8 = [[(gray(p),) for p in row] for row in c]
    alpha = [[(x * 16 + y * 5) & 0xFF for x in range(16)] for y in range(12)]
    write(PNG_DIR, "rgb8", png(rgb8, 8, 2))
    write(PNG_DIR, "rgb8-interlaced", png(rgb8, 8, 2, interlace=True, first_filter=2))
    write(PNG_DIR, "rgba8", png([[p + (alpha[y][x],) for x, p in enumerate(row)] for y, row in enumerate(rgb8)], 8, 6,
                                first_filter=4))
    write(PNG_DIR, "gray8", png(g8, 8, 0, idat_parts=3))
    write(PNG_DIR, "ga8", png([[p + (alpha[y][x],) for x, p in enumerate(row)] for y, row in enumerate(g8)], 8, 4))
    write(PNG_DIR, "gray16", png([[(v[0] * 256 + x * 7,) for x, v in enumerate(row)] for row in g8], 16, 0, first_filter=1))
    write(PNG_DIR, "rgb16-interlaced", png([[tuple(s * 257 for s in p) for p in row] for row in rgb8], 16, 2, interlace=True))
    write(PNG_DIR, "rgba16", png([[tuple(s * 256 for s in p) + (alpha[y][x] * 257,) for x, p in enumerate(row)]
                                  for y, row in enumerate(rgb8)], 16, 6))
    write(PNG_DIR, "ga16", png([[(p[0] * 257, alpha[y][x] * 256) for x, p in enumerate(row)] for y, row in enumerate(g8)], 16, 4))
    for depth in (1, 2, 4):
        levels = (1 << depth) - 1
        rows = [[(p[0] * levels // 255,) for p in row] for row in g8]
        write(PNG_DIR, f"gray{depth}", png(rows, depth, 0, interlace=depth == 2))
    write(PNG_DIR, "gray8-trns", png(g8, 8, 0, trns=struct.pack(">H", g8[0][0][0])))
    write(PNG_DIR, "rgb8-trns", png(rgb8, 8, 2, trns=struct.pack(">HHH", *rgb8[0][0])))
    # Palette images: the first 2^depth colours of the crop.
    colours = []
    for row in rgb8:
        for p in row:
            if p not in colours:
                colours.append(p)
    for depth in (1, 2, 4, 8):
        pal = colours[:1 << depth]
        rows = [[(min(range(len(pal)), key=lambda i: sum((a - b) ** 2 for a, b in zip(pal[i], p))),) for p in row]
                for row in rgb8]
        plte = b"".join(bytes(p) for p in pal)
        write(PNG_DIR, f"palette{depth}", png(rows, depth, 3, plte=plte))
        if depth in (2, 8):
            write(PNG_DIR, f"palette{depth}-trns", png(rows, depth, 3, plte=plte, trns=bytes([0, 128, 255])[:len(pal)],
                                                       interlace=depth == 8))
    icc = zlib.compress(b"fake ICC profile " * 8)
    extra = [(b"gAMA", struct.pack(">I", 45455)), (b"sRGB", b"\x00"), (b"iCCP", b"icc\x00\x00" + icc),
             (b"tEXt", b"Comment\x00seed"), (b"zTXt", b"Title\x00\x00" + zlib.compress(b"a seed")),
             (b"pHYs", struct.pack(">IIB", 2835, 2835, 1))]
    write(PNG_DIR, "rgb8-ancillary", png(rgb8[:4], 8, 2, extra=extra))
    # One image just within the tighter limits the target also decodes under (64×31), one beyond them.
    wide = [[tuple(p) for p in row] for row in crop(0, 0, 64, 31)]
    write(PNG_DIR, "rgb8-64x31", png(wide, 8, 2))
    write(PNG_DIR, "gray8-70x3", png([[(gray(p),) for p in row] for row in crop(0, 0, 70, 3)], 8, 0))


def jpeg_seeds():
    def flat(rows):
        return bytes(s for row in rows for p in row for s in p)
    c = crop(100, 60, 24, 16)
    rgb = flat(c)
    g = bytes(gray(p) for row in c for p in row)
    cmyk = bytes(v for row in c for p in row for v in (255 - p[0], 255 - p[1], 255 - p[2], 0))
    write(JPEG_DIR, "rgb-444", encode_jpeg(rgb, 24, 16, TJPF_RGB, TJSAMP_444))
    write(JPEG_DIR, "rgb-420", encode_jpeg(rgb, 24, 16, TJPF_RGB, TJSAMP_420, quality=50))
    write(JPEG_DIR, "rgb-422-progressive", encode_jpeg(rgb, 24, 16, TJPF_RGB, TJSAMP_422, flags=TJFLAG_PROGRESSIVE))
    write(JPEG_DIR, "gray", encode_jpeg(g, 24, 16, TJPF_GRAY, TJSAMP_GRAY))
    write(JPEG_DIR, "gray-progressive", encode_jpeg(g, 24, 16, TJPF_GRAY, TJSAMP_GRAY, flags=TJFLAG_PROGRESSIVE))
    write(JPEG_DIR, "rgb-arithmetic", encode_jpeg(rgb, 24, 16, TJPF_RGB, TJSAMP_420, env={"TJ_ARITHMETIC": "1"}))
    write(JPEG_DIR, "rgb-restart", encode_jpeg(rgb, 24, 16, TJPF_RGB, TJSAMP_420, env={"TJ_RESTART": "1B"}))
    write(JPEG_DIR, "cmyk", encode_jpeg(cmyk, 24, 16, TJPF_CMYK, TJSAMP_444))
    odd = crop(10, 10, 13, 7)
    write(JPEG_DIR, "rgb-13x7", encode_jpeg(flat(odd), 13, 7, TJPF_RGB, TJSAMP_420))
    # EXIF orientation (a little-endian TIFF with one Orientation entry), an ICC profile and a comment.
    base = encode_jpeg(rgb, 24, 16, TJPF_RGB, TJSAMP_444)
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1) + struct.pack("<HHII", 0x0112, 3, 1, 6) + b"\x00" * 4
    app1 = b"Exif\x00\x00" + tiff
    app2 = b"ICC_PROFILE\x00\x01\x01" + b"fake ICC profile" * 4
    com = b"a comment"
    segs = b"".join(b"\xff" + m + struct.pack(">H", len(p) + 2) + p for m, p in ((b"\xe1", app1), (b"\xe2", app2), (b"\xfe", com)))
    write(JPEG_DIR, "rgb-exif-icc", base[:2] + segs + base[2:])
    # A big-endian EXIF with the Orientation entry among others (a transposing one, 5), on a
    # YCCK file (CMYK data behind an Adobe segment).
    ifd = struct.pack(">H", 3) + struct.pack(">HHII", 0x010F, 2, 4, 0x4142_4300) \
        + struct.pack(">HHIHH", 0x0112, 3, 1, 5, 0) + struct.pack(">HHII", 0x0132, 2, 4, 0x3230_3000) + b"\x00" * 4
    app1 = b"Exif\x00\x00" + b"MM\x00*" + struct.pack(">I", 8) + ifd
    ycck = encode_jpeg(cmyk, 24, 16, TJPF_CMYK, TJSAMP_444)
    write(JPEG_DIR, "ycck-exif-be", ycck[:2] + b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1 + ycck[2:])
    # A whole demo image from the test data, as it is (under 8 KB).
    write(JPEG_DIR, "snail", open(SOURCE, "rb").read())


png_seeds()
jpeg_seeds()
