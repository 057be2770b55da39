"""File names for downloads that people can read and file: words of the content, not database ids.

`danh-sach-cong-nhan_tinh-bac-ninh_2026_lan-2.xlsx`: each part is folded to lower-case ASCII
(no diacritics, "đ" → "d") with hyphens between words, and parts are joined by underscores, so the
name survives every e-mail client, USB stick and office file server.
"""

from __future__ import annotations

import re

from server.registry.units import fold

_NOT_WORD = re.compile(r"[^0-9a-z]+")


def slug(text: object) -> str:
    """"Tỉnh Bắc Ninh" → "tinh-bac-ninh"; empty when nothing readable is left."""
    return _NOT_WORD.sub("-", fold(str(text))).strip("-")


def export_stem(*parts: object) -> str:
    """The parts' slugs joined by "_" (empty parts dropped): a file name without its extension."""
    return ("_".join(filter(None, (slug(part) for part in parts))) or "phuhop")[:150]


def export_name(*parts: object, ext: str) -> str:
    """`export_stem` with the extension."""
    return f"{export_stem(*parts)}.{ext}"


def attachment(name: str) -> str:
    """A Content-Disposition value for a download (the name is plain ASCII: see `export_name`)."""
    return f'attachment; filename="{name}"'
