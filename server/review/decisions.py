"""The signed recognition decision that makes a certification list final.

A list becomes final only with the decision's number and symbol (e.g. 123/QĐ-UBND), its date and
its signer, and the signed scan uploaded as a PDF. The scan is checked by its bytes (a PDF starts
with `%PDF-` and ends with `%%EOF`), limited in size, and kept once under
`<data dir>/decisions/<sha256>.pdf`; the list stores its hash and size.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from server.core.errors import FieldError, InputError
from server.core.i18n import N_, format_date
from server.core.settings import get_settings
from server.review import deadlines

MAX_PDF_BYTES = 10 * 1024 * 1024
"""A few scanned A4 pages at 300 dpi; the list's form accepts a little more for its other fields."""
_NUMBER = re.compile(r"[0-9]{1,6}/[^\s/]{1,40}")


@dataclass(frozen=True)
class Decision:
    number: str
    day: date
    signer: str
    pdf: bytes
    sha256: str


def _text(raw: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", raw or "").split())


def check(number: str | None, day: str | None, signer: str | None, pdf: bytes | None, *,
          posted_from: str | None) -> Decision:
    """Every field checked at once: a 422 lists all the problems, and nothing is stored."""
    problems: list[FieldError] = []
    number = _text(number)
    if not _NUMBER.fullmatch(number):
        problems.append(FieldError("decision_number", "invalid", N_("Enter the decision's number and symbol, as on "
                                                                   "the signed paper, for example 123/QĐ-UBND.")))
    signed_on = None
    try:
        signed_on = date.fromisoformat((day or "").strip())
    except ValueError:
        problems.append(FieldError("decision_date", "not_a_date", N_("Enter the date of the decision "
                                                                     "(year-month-day).")))
    if signed_on is not None and signed_on > deadlines.today():
        problems.append(FieldError("decision_date", "future", N_("The decision's date cannot be in the future.")))
    elif signed_on is not None and posted_from and signed_on < date.fromisoformat(posted_from):
        problems.append(FieldError("decision_date", "before_posting", N_(
            "The decision cannot be dated before the list was posted for comment (%(date)s)."),
            {"date": format_date(posted_from)}))
    signer = _text(signer)
    if not 5 <= len(signer) <= 200:
        problems.append(FieldError("decision_signer", "required", N_(
            "Enter who signed the decision: title and full name, for example Chủ tịch UBND tỉnh Nguyễn Văn A.")))
    content = pdf or b""
    if not content:
        problems.append(FieldError("decision_pdf", "required", N_("Upload the scan of the signed decision (PDF).")))
    elif len(content) > MAX_PDF_BYTES:
        problems.append(FieldError("decision_pdf", "too_large", N_("The scan is too large: at most %(megabytes)s MB."),
                                   {"megabytes": MAX_PDF_BYTES // 2**20}))
    elif not (content.startswith(b"%PDF-") and b"%%EOF" in content[-2048:]):
        problems.append(FieldError("decision_pdf", "not_pdf", N_("The scan must be a PDF file: this file is not a "
                                                                 "complete PDF.")))
    if problems:
        raise InputError(problems)
    assert signed_on is not None
    return Decision(number, signed_on, signer, content, hashlib.sha256(content).hexdigest())


def path_of(sha256: str) -> Path:
    return get_settings().data_dir / "decisions" / f"{sha256}.pdf"


def keep(decision: Decision) -> bool:
    """Write the scan (once per content); True when this call created the file (so a failed finalise removes it)."""
    path = path_of(decision.sha256)
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".part")
    temporary.write_bytes(decision.pdf)
    temporary.replace(path)
    return True


def forget(decision: Decision) -> None:
    path_of(decision.sha256).unlink(missing_ok=True)
