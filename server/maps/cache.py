"""Rendered bytes cached on disk under PHUHOP_DATA_DIR/cache.

A file's name is a hash of what it shows — (kind, scope, period, language, format) — and of a
*fingerprint* of the data it was drawn from (counts, sums and highest ids of the rows used,
computed by a cheap aggregate query). When results change, the fingerprint changes and the next
request renders a new file; nothing has to remember to delete anything. Files are written to a
temporary name and renamed, so a reader never sees half a file and several workers may share
the directory.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from server.core.settings import get_settings

# Bump when the drawing code changes what a file looks like: old files are then never served.
DRAWING_VERSION = "4"  # 3: numbers in the page language; 4: phone layout, goals, Vietnam's map


@dataclass(frozen=True)
class CacheKey:
    kind: str  # "results-map", "criteria-chart", "share", ...
    scope: str  # an area or commune code, or "national"
    period: str  # a period id, or "all"
    language: str
    format: str

    def digest(self, fingerprint: str) -> str:
        parts = (DRAWING_VERSION, self.kind, self.scope, self.period, self.language, self.format, fingerprint)
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def cache_dir() -> Path:
    return get_settings().data_dir / "cache"


def path_for(key: CacheKey, fingerprint: str) -> Path:
    return cache_dir() / key.kind / f"{key.digest(fingerprint)}.{key.format}"


def read(key: CacheKey, fingerprint: str) -> bytes | None:
    try:
        return path_for(key, fingerprint).read_bytes()
    except FileNotFoundError:
        return None


def write(key: CacheKey, fingerprint: str, content: bytes) -> None:
    path = path_for(key, fingerprint)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


async def get_or_make(key: CacheKey, fingerprint: str, make: Callable[[], Awaitable[bytes]]) -> tuple[bytes, bool]:
    """The cached bytes (and True), or freshly made and stored ones (and False)."""
    content = read(key, fingerprint)
    if content is not None:
        return content, True
    content = await make()
    write(key, fingerprint, content)
    return content, False
