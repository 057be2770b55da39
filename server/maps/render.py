"""Figures to bytes: one lock around matplotlib, run in a worker thread.

matplotlib is not thread-safe (font caches, rcParams, the text layout cache are global), so every
render holds `RENDER_LOCK`. Renders run through `anyio.to_thread.run_sync` so that a slow map
never blocks the event loop: other requests are served while a map is drawn.
Only the object API is used (Figure + FigureCanvasAgg); pyplot keeps global figures alive.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Literal

import anyio.to_thread
import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from server.maps import fonts

Format = Literal["png", "svg"]
FORMATS: tuple[str, ...] = ("png", "svg")
MEDIA_TYPES = {"png": "image/png", "svg": "image/svg+xml", "geojson": "application/geo+json",
               "csv": "text/csv",  # Litestar adds "; charset=utf-8" to text types
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
RENDER_LOCK = threading.Lock()
# No dates or versions in the files: the same data gives the same bytes (and ETag).
_METADATA = {"png": {"Software": None}, "svg": {"Date": None, "Creator": None}}


def figure_bytes(draw: Callable[[], Figure], fmt: Format, dpi: int = 100) -> bytes:
    """Build the figure with `draw` and save it, holding the render lock throughout."""
    with RENDER_LOCK, matplotlib.rc_context(fonts.rc()):
        figure = draw()
        FigureCanvasAgg(figure)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, dpi=dpi, metadata=_METADATA[fmt])
        return buffer.getvalue()


async def render(draw: Callable[[], Figure], fmt: Format, dpi: int = 100) -> bytes:
    """`figure_bytes` in a worker thread, so that the event loop goes on serving."""
    return await anyio.to_thread.run_sync(figure_bytes, draw, fmt, dpi)
