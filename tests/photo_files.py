"""Real photo files for tests, made with Pillow: a camera-sized JPEG with EXIF location and camera data."""

from __future__ import annotations

import io
import random

from PIL import Image

GPS_IFD = 0x8825
"""EXIF pointer to the GPS block (latitude, longitude…)."""


def photo_bytes(width: int = 64, height: int = 48, kind: str = "JPEG", gps: bool = False, noise: bool = False) -> bytes:
    """An image as a phone's camera writes it; `noise` gives it detail like a photo's (a file of a few MB at
    camera size), `gps` adds EXIF latitude/longitude and the camera's make and model."""
    if noise:
        small = (max(1, width // 12), max(1, height // 12))
        detail = Image.frombytes("RGB", small, random.Random(7).randbytes(small[0] * small[1] * 3))
        image = detail.resize((width, height), Image.BICUBIC)
    else:
        image = Image.new("RGB", (width, height), (40, 120, 60))
    buffer = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "Cheap Phone A1"  # Model
        exif[GPS_IFD] = {1: "N", 2: (21.0, 1.0, 59.88), 3: "E", 4: (105.0, 50.0, 0.0)}
    image.save(buffer, kind, exif=exif.tobytes() if gps else b"", quality=95)
    return buffer.getvalue()
