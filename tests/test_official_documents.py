"""Official documents of a list (issue 13, item 5): the tờ trình with the lists, the quyết định công nhận with
its annex, and one phiếu đánh giá per commune, as DOCX opened here with python-docx and checked for the
parts Decree 30/2020/NĐ-CP requires and for the list's communes; the same papers as pages to print."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import date, timedelta

import list_steps
from conftest import login
from docx import Document
from public_data import failing_indicators, make_list, recognised_indicators

from scoring import load_rules

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"


def _open(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert response.headers["content-disposition"].endswith('.docx"')
    assert re.search(r'filename="(to-trinh|quyet-dinh-cong-nhan|phieu-danh-gia)_[a-z0-9-]+_\d{4}(_lan-\d+)?\.docx"',
                     response.headers["content-disposition"])  # named for people (server/core/filenames.py)
    return Document(io.BytesIO(response.content))


def _texts(document) -> list[str]:
    """Every paragraph's text, in the body and inside tables (the heading and signature are tables)."""
    texts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                texts += [p.text for p in cell.paragraphs]
    return texts


def _decree30_parts(document, *, issuer: str, kind: str, numbered: bool = True) -> list[str]:
    """The parts Decree 30 requires, found in their places; returns all texts for further checks."""
    texts = _texts(document)
    heading = document.tables[0].rows[0].cells
    left, right = [p.text for p in heading[0].paragraphs], [p.text for p in heading[1].paragraphs]
    assert issuer in left, left  # issuing body, upper case, in the left column
    assert (any(t.startswith("Số: ") and "/" in t for t in left)) is numbered  # number and symbol
    assert right[0] == NATION and right[1] == MOTTO  # national title and motto
    assert any(", ngày " in t and " tháng " in t and " năm " in t for t in right)  # place and date
    assert right[0] == right[0].upper() and heading[1].paragraphs[0].runs[0].bold
    assert kind in texts  # the kind of document, then its subject (trích yếu)
    footers = [t.rows[0].cells for t in document.tables if t.rows[0].cells[0].paragraphs[0].text == "Nơi nhận:"]
    footer = footers[0]  # recipients | signature block, after the body
    assert len(footer[0].paragraphs) >= 2 and footer[0].paragraphs[1].text.startswith("- ")
    assert footer[1].paragraphs[0].runs[0].bold
    section = document.sections[0]
    assert round(section.page_width.cm, 1) == 21.0 and round(section.page_height.cm, 1) == 29.7
    assert round(section.left_margin.cm) == 3
    paragraphs = list(document.paragraphs) + [p for table in document.tables for r in table.rows for cell in r.cells
                                              for p in cell.paragraphs]
    runs = [(p, run) for p in paragraphs for run in p.runs if run.text.strip()]

    def effective(paragraph, run, attribute: str):
        """A run's own font setting, else its paragraph style's, else the style that one is based on."""
        style = paragraph.style
        value = getattr(run.font, attribute)
        while value is None and style is not None:
            value, style = getattr(style.font, attribute), style.base_style
        return value

    fonts = {effective(p, run, "name") for p, run in runs}
    sizes = {effective(p, run, "size").pt for p, run in runs}
    assert fonts <= {"Times New Roman"} and document.styles["Normal"].font.name == "Times New Roman"
    assert sizes and all(11 <= size <= 14 for size in sizes)
    assert {13, 14} & sizes
    return texts


def _final_list(client, world) -> str:
    from test_list_procedure import _approve_both, _new_list

    _approve_both(client, world)
    url = _new_list(client, world)
    list_steps.post(client, url)
    assert list_steps.finalise(client, url, number="27/QĐ-UBND", day=list_steps.days_ago(2),
                               signer="Nguyễn Văn An").status_code == 303
    return url


def test_the_decision_with_its_annex_names_the_recognised_communes(client, world) -> None:
    url = _final_list(client, world)
    from server.core.tables import CertificationEntry
    entries = asyncio.run(CertificationEntry.select(CertificationEntry.commune.name.as_alias("name"),
                                                    CertificationEntry.certified).run())
    decision = _open(client, f"{url}/documents/decision.docx")
    texts = _decree30_parts(decision, issuer="ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI", kind="QUYẾT ĐỊNH")
    assert "Số: 27/QĐ-UBND" in texts and "DỰ THẢO" not in texts
    assert any(t.startswith("Hà Nội, ngày ") for t in texts)
    assert "Về việc công nhận xã, phường, thị trấn phù hợp với trẻ em năm 2026" in texts
    assert "QUYẾT ĐỊNH:" in texts and any(t.startswith("Điều 1. Công nhận") for t in texts)
    assert any(t.startswith("Căn cứ Quyết định 06/QĐ-TTg") for t in texts)
    assert "CHỦ TỊCH" in texts and "Nguyễn Văn An" in texts and "- Như Điều 3;" in texts
    annex = decision.tables[-1]
    names = [row.cells[1].text for row in annex.rows[1:]]
    assert names == [e["name"] for e in entries if e["certified"]]
    assert any("Kèm theo Quyết định số 27/QĐ-UBND" in t for t in texts)


def test_the_submission_lists_both_kinds_and_the_comment_period(client, world) -> None:
    url = _final_list(client, world)
    submission = _open(client, f"{url}/documents/submission.docx?body=Sở Y tế thành phố Hà Nội")
    texts = _decree30_parts(submission, issuer="SỞ Y TẾ THÀNH PHỐ HÀ NỘI", kind="TỜ TRÌNH")
    assert any(t.startswith("Số: ") and t.endswith("/TTr-SYTTPHN") for t in texts)
    assert "Kính gửi: Ủy ban nhân dân thành phố Hà Nội." in texts
    assert any("đã được niêm yết công khai để lấy ý kiến từ ngày" in t for t in texts)
    assert "GIÁM ĐỐC" in texts
    recognised, others = submission.tables[-2], submission.tables[-1]
    listed = [row.cells[1].text for table in (recognised, others) for row in table.rows[1:]]
    assert sorted(listed) == sorted([world["commune_a"].name, world["commune_b"].name])


def test_one_assessment_record_per_commune_with_every_criterion_line_and_provisional_mark(client, world) -> None:
    period, area, admin = world["period"], world["province"], world["users"]["admin"]
    a, b = world["commune_a"], world["commune_b"]
    row = asyncio.run(make_list(period, area, admin, [(a, recognised_indicators()), (b, failing_indicators())],
                                state="posted"))
    login(client, "reviewer_x")
    record = _open(client, f"/review/lists/{row.id}/documents/record-{a.code}.docx")
    texts = _decree30_parts(record, issuer="SỞ Y TẾ", kind="PHIẾU ĐÁNH GIÁ", numbered=False)
    assert "DỰ THẢO" in texts  # the list is not final yet
    grid = record.tables[1]
    ids = [r.cells[0].text for r in grid.rows[1:]]
    rules = load_rules("vn-2019")
    expected = [str(c.id) for c in rules.criteria]
    lines = [line.id for c in rules.criteria for line in c.lines]
    assert [i for i in ids if "." not in i] == expected and [i for i in ids if "." in i] == lines
    marks = [r.cells[6].text for r in grid.rows[1:]]
    assert "TẠM TÍNH" in marks and any(t.startswith("(*) TẠM TÍNH") for t in texts)
    assert any(t.startswith("Tổng điểm: ") for t in texts) and any(t.startswith("Kết quả: Đạt chuẩn") for t in texts)
    every = _open(client, f"/review/lists/{row.id}/documents/records.docx")
    assert sum(1 for t in _texts(every) if t == "PHIẾU ĐÁNH GIÁ") == 2
    assert any(t.startswith("Kết quả: Chưa đạt chuẩn") for t in _texts(every))
    assert client.get(f"/review/lists/{row.id}/documents/record-99999.docx").status_code == 404
    assert client.get(f"/review/lists/{row.id}/documents/decision.pdf").status_code == 404
    assert client.get(f"/review/lists/{row.id}/documents/signed-decision.pdf").status_code == 404

    page = client.get(f"/review/lists/{row.id}/documents/records.html")
    assert page.status_code == 200 and "document_print.css" in page.text
    assert page.text.count('<h1 class="kind">PHIẾU ĐÁNH GIÁ</h1>') == 2 and NATION in page.text and "Nơi nhận:" in page.text
    client.cookies.clear()
    login(client, "reviewer_y")
    assert client.get(f"/review/lists/{row.id}/documents/records.docx").status_code == 403


def test_a_draft_decision_has_the_right_symbol_and_a_place_for_its_number(client, world) -> None:
    """Before it is signed: "Số:      /QĐ-UBND" (the U of "Ủy" loses its marks) and "số ……/QĐ-UBND" in the annex."""
    from test_list_procedure import _approve_both, _new_list

    _approve_both(client, world)
    url = _new_list(client, world)
    texts = _decree30_parts(_open(client, f"{url}/documents/decision.docx"),
                            issuer="ỦY BAN NHÂN DÂN THÀNH PHỐ HÀ NỘI", kind="QUYẾT ĐỊNH")
    assert not any("ỦBND" in t for t in texts)
    assert any(t.startswith("Số:") and t.endswith(" /QĐ-UBND") for t in texts)
    assert any("Kèm theo Quyết định số ……/QĐ-UBND của Chủ tịch" in t for t in texts)


def test_a_list_made_final_early_says_so_in_its_submission(client, world) -> None:
    """The tờ trình of a list made final inside its comment period does not claim the posting was over."""
    from test_list_procedure import _approve_both, _new_list

    from server.review.deadlines import today

    _approve_both(client, world)
    url = _new_list(client, world)
    end = (today() + timedelta(days=14)).isoformat()
    assert list_steps.post(client, url, start=today().isoformat(), end=end).status_code == 303
    while_posted = _open(client, f"{url}/documents/submission.docx")
    assert any("chưa hết thời gian lấy ý kiến" in p.text for p in while_posted.paragraphs)
    reason = "UBND tỉnh họp phiên cuối năm, cần ký trước ngày nghỉ lễ"
    assert list_steps.finalise(client, url, day=today().isoformat(), early="1", reason=reason).status_code == 303
    texts = [p.text for p in _open(client, f"{url}/documents/submission.docx").paragraphs]
    said = next(t for t in texts if "niêm yết công khai" in t)
    assert f"dự kiến đến hết ngày {date.fromisoformat(end):%d/%m/%Y}" in said and reason in said
