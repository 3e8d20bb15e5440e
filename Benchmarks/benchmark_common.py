"""What the Python benchmarks share: 8-bit RGB images as float arrays on the 0-255 scale, PSNR,
and `dip` runs whose reports are kept, so that an interrupted benchmark resumes where it stopped.

The scripts in the folders beside this file import it with
`sys.path.insert(0, <this folder>)`; it needs numpy and Pillow.
"""
import json
import os
import subprocess
import time

import numpy as np
from PIL import Image


def load(path):
    """An image file as an H×W×3 float64 array of 0-255 values."""
    return np.asarray(Image.open(path).convert("RGB")).astype(np.float64)


def save(a, path):
    """Rounds and clips to 8 bits and writes a PNG (or what the path's extension says)."""
    Image.fromarray(np.clip(np.round(a), 0, 255).astype(np.uint8)).save(path)


def psnr(a, b):
    """PSNR in dB of two images on the 0-255 scale."""
    return 10 * np.log10(255.0 ** 2 / np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def kept_run(dip, task, args, report, threads):
    """Runs `dip TASK ARGS` quietly on `threads` threads with `--report` writing `report`, unless
    that report exists from an earlier run. Returns the report and the run's wall seconds (None
    when it was kept)."""
    if os.path.exists(report):
        with open(report) as f:
            return json.load(f), None
    command = [dip, task] + args + ["--threads", str(threads), "-q", "--report", report + ".tmp"]
    start = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - start
    os.replace(report + ".tmp", report)
    with open(report) as f:
        return json.load(f), wall
