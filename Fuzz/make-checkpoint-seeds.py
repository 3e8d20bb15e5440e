#!/usr/bin/env python3
"""Writes the checkpoint target's seeds (Fuzz/corpus/checkpoint): small valid checkpoints in
the format FitCheckpoint.encoded() writes, each behind the target's first byte (0: the file as
it is; 1: the body only, which the target seals with the magic and a checksum; 2: a recipe; 3: an
ensemble's body, sealed likewise with the ensemble's magic).

    Fuzz/make-checkpoint-seeds.py
"""
import os
import random
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "checkpoint")
MAGIC = b"DIPFIT01"
ENSEMBLE_MAGIC = b"DIPFITE1"


def fnv1a(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def i64(v):
    return struct.pack("<q", v)


def f64(v):
    return struct.pack("<d", v)


def floats(values):
    return i64(len(values)) + b"".join(struct.pack("<f", v) for v in values)


def arrays(lists):
    return i64(len(lists)) + b"".join(floats(a) for a in lists)


def body(rng, sizes, pixels, detector, best, backtracking, iteration=120, seconds=3.25):
    def rand(n):
        return [round(rng.uniform(-1, 1), 3) for _ in range(n)]
    out = i64(iteration) + f64(seconds) + arrays([rand(n) for n in sizes])
    out += i64(iteration) + arrays([rand(n) for n in sizes]) + arrays([rand(n) for n in sizes])
    out += floats(rand(pixels)) + floats(rand(pixels))
    out += arrays([rand(n) for n in sizes] if backtracking else []) + f64(27.5)
    if detector == 0:
        out += i64(0)
    elif detector == 1:
        out += i64(1) + floats(rand(pixels)) + i64(1) + f64(0.002) + f64(0.001) + i64(90) + i64(50) + f64(0.01)
    else:
        out += i64(2) + f64(0.003) + f64(0.002) + i64(100)
    out += i64(1) + floats(rand(pixels)) if best else i64(0)
    out += i64(100 if best else -1) + i64(105 if best else -1)
    return out


def write(name, data):
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


rng = random.Random(1)
cases = {
    "plain": ([4, 3], 6, 0, False, False),
    "variance": ([8, 2, 5], 12, 1, True, True),
    "held-out": ([3], 9, 2, True, False),
    "empty": ([], 0, 0, False, False),
}
for name, (sizes, pixels, detector, best, backtracking) in cases.items():
    b = body(rng, sizes, pixels, detector, best, backtracking)
    whole = MAGIC + b
    whole += struct.pack("<Q", fnv1a(whole))
    write(f"file-{name}", b"\x00" + whole)
    write(f"body-{name}", b"\x01" + b)
# An ensemble of the first two: the member count, then each member's bytes, length first.
members = []
for name in ("plain", "held-out"):
    sizes, pixels, detector, best, backtracking = cases[name]
    m = MAGIC + body(rng, sizes, pixels, detector, best, backtracking)
    members.append(m + struct.pack("<Q", fnv1a(m)))
ensemble_body = i64(len(members)) + b"".join(i64(len(m)) + m for m in members)
whole = ENSEMBLE_MAGIC + ensemble_body
write("file-ensemble", b"\x00" + whole + struct.pack("<Q", fnv1a(whole)))
write("body-ensemble", b"\x03" + ensemble_body)
write("recipe-1", b"\x02" + bytes(rng.randrange(256) for _ in range(300)))
write("recipe-2", b"\x02\x03\x05\x01" + bytes(rng.randrange(256) for _ in range(900)))
