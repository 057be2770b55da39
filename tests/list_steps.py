"""The steps of a certification list as a reviewer's browser sends them (post, comments, make final)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from conftest import csrf_header


@lru_cache(maxsize=1)
def scan() -> bytes:
    """A real one-page PDF (drawn by matplotlib) standing in for the signed decision's scan."""
    from server.demo import sample_scan

    return sample_scan("15/QĐ-UBND", date(2026, 6, 20), "Chủ tịch UBND tỉnh Nguyễn Văn A")


def days_ago(days: int) -> str:
    from server.review.deadlines import today

    return (today() - timedelta(days=days)).isoformat()


def post(client, list_url: str, start: str | None = None, end: str | None = None):
    """Posted for comment; by default a period that is already over (30 to 16 days ago)."""
    return client.post(f"{list_url}/post", headers=csrf_header(client), follow_redirects=False,
                       data={"comment_from": start or days_ago(30), "comment_to": end or days_ago(16)})


def finalise(client, list_url: str, *, number: str = "15/QĐ-UBND", day: str | None = None,
             signer: str = "Chủ tịch UBND tỉnh Nguyễn Văn A", pdf: bytes | None = None, early: str = "",
             reason: str = "", filename: str = "quyet-dinh.pdf"):
    """Made final with the signed decision: number, date, signer and the PDF, as the page's form sends them."""
    data = {"decision_number": number, "decision_date": day or days_ago(1), "decision_signer": signer}
    if early:
        data.update({"early": early, "early_reason": reason})
    content = scan() if pdf is None else pdf
    files = {"decision_pdf": (filename, content, "application/pdf")} if content else None
    return client.post(f"{list_url}/finalise", headers=csrf_header(client), data=data, files=files,
                       follow_redirects=False)
