"""Certification lists (draft → posted → final), their exports, and the dashboard of an area."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import anyio
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Template

from scoring import COMMUNE_TYPE_LABELS
from server.accounts.auth import current_user, requires_role
from server.core.templating import render_off_loop
from server.core.errors import InputError
from server.core.filenames import attachment, export_name, export_stem
from server.core.i18n import N_, gettext, use_language
from server.maps import pictures
from server.maps.public_pages import picture_response
from server.review.pages import area_for, choose_period, client_ip, error_list, form_data, reviewers
from server.review import (assessments, dashboard, deadlines, decisions, docx_writer, documents, exports, list_comments,
                           lists)
from server.review.errors import invalid
from server.review.states import LISTABLE, STATE_LABELS, STATES
from server.core.tables import CertificationList, Period, User

UNFINISHED_SUFFIX = {"draft": "dự thảo", "posted": "niêm yết lấy ý kiến"}
"""Exports are annexes in Vietnamese (see `exports`): so are their file names."""
EXPORT_TYPES = {"csv": "text/csv",  # Litestar adds "; charset=utf-8" to text types
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


async def _lists_page(request: Request, period: Period, *, errors: list | None = None, status: int = 200,
                      form: dict[str, str] | None = None) -> Template:
    user = current_user(request)
    area = assessments.area_of(user)
    rows = await lists.lists_of(period, area)
    return Template("review_lists.html", status_code=status, context={
        "period": period, "area": area, "lists": rows, "errors": errors or [], "form": form or {},
        "list_state_labels": lists.LIST_STATE_LABELS, "user": user})


@get("/review/{period_id:int}/lists", name="review_lists", guards=[reviewers], include_in_schema=False)
async def lists_page(request: Request, period_id: FromPath[int]) -> Template:
    period, _ = await choose_period(current_user(request), period_id)
    return await _lists_page(request, period)


@post("/review/{period_id:int}/lists", guards=[reviewers], include_in_schema=False, status_code=303)
async def create_list(request: Request, period_id: FromPath[int]) -> Template | Redirect:
    user = current_user(request)
    period, _ = await choose_period(user, period_id)
    data = await form_data(request)
    try:
        area = await area_for(user, period, data.get("area", "")) if user.role == "admin" else assessments.area_of(user)
        if area is None:
            raise invalid("area", "unknown", N_("Give the official code of a province or district."))
        row = await lists.create(period, area, user, data.get("note", ""), ip=client_ip(request))
    except InputError as refused:
        return await _lists_page(request, period, errors=error_list(refused), status=refused.status_code, form=data)
    return Redirect(f"/review/lists/{row.id}", status_code=303)


async def _list(request: Request, list_id: int) -> tuple[CertificationList, Period]:
    row = await lists.get_list(list_id)
    lists.check_list_area(current_user(request), row.area)
    return row, await assessments.get_period(row.period)


async def _list_page(request: Request, row: CertificationList, period: Period, *, errors: list | None = None,
                     status: int = 200, form: dict[str, str] | None = None) -> Template:
    entries = await lists.entries([row.id])
    revisions = await lists.lists_of(period, row.area)
    newer = [r for r in revisions if r["area_id"] == row.area.id and r["revision"] > row.revision]
    today = deadlines.today()
    return Template("review_list.html", status_code=status, context={
        "row": row, "period": period, "entries": entries, "errors": errors or [], "form": form or {},
        "superseded_by": newer[-1] if newer else None, "list_state_labels": lists.LIST_STATE_LABELS,
        "type_labels": COMMUNE_TYPE_LABELS, "today": today.isoformat(), "user": current_user(request),
        "provisional": any(e.provisional for e in entries), "rule_sets": await lists.rule_sets_of([row.id]),
        "stale": [e.render() for e in await lists.stale_entries(row, lists.ON_LIST if row.state == "posted"
                                                                else LISTABLE)] if row.state != "final" else [],
        "comments": await list_comments.of_list(row.id),
        "in_comment_period": bool(row.comment_to) and today <= date.fromisoformat(row.comment_to),
        "max_pdf_mb": decisions.MAX_PDF_BYTES // 2**20, "documents": documents.NAMES,
        "default_body": _default_body(row)})


def _default_body(row: CertificationList) -> str:
    with use_language(documents.LANGUAGE):
        return documents.default_body(row.area)


@get("/review/lists/{list_id:int}", name="review_list", guards=[reviewers], include_in_schema=False)
async def list_page(request: Request, list_id: FromPath[int]) -> Template:
    row, period = await _list(request, list_id)
    return await _list_page(request, row, period)


@post("/review/lists/{list_id:int}/{step:str}", guards=[reviewers], include_in_schema=False, status_code=303,
      request_max_body_size=decisions.MAX_PDF_BYTES + 256 * 1024)
async def list_step(request: Request, list_id: FromPath[int], step: FromPath[str]) -> Template | Redirect:
    """Post a draft for comment (with its dates), record a comment received or its answer, or make a
    posted list final (with the signed decision and its PDF)."""
    if step not in ("post", "comment", "finalise"):
        raise NotFoundException()
    row, period = await _list(request, list_id)
    form = await request.form()
    data = {key: value for key, value in form.items() if isinstance(value, str)}
    user = current_user(request)
    try:
        if step == "post":
            await lists.post(row, user, data.get("comment_from", ""), data.get("comment_to", ""), ip=client_ip(request))
        elif step == "comment":
            await list_comments.record(row, user, data, ip=client_ip(request))
        else:
            upload = form.get("decision_pdf")
            pdf = await upload.read(decisions.MAX_PDF_BYTES + 1) if isinstance(upload, UploadFile) else None
            await lists.finalise(row, user, {"number": data.get("decision_number"), "date": data.get("decision_date"),
                                             "signer": data.get("decision_signer")}, pdf,
                                 early=data.get("early") == "1", reason=data.get("early_reason"),
                                 ip=client_ip(request))
    except InputError as refused:
        return await _list_page(request, row, period, errors=error_list(refused), status=refused.status_code,
                                form=data)
    return Redirect(f"/review/lists/{row.id}" + ("#comments" if step == "comment" else ""), status_code=303)


async def _document(row: CertificationList, period: Period) -> exports.Document:
    rules = await lists.rule_sets_of([row.id]) or period.rule_set
    with use_language(exports.EXPORT_LANGUAGE):
        subtitle = gettext(N_("%(period)s · rule set %(rules)s · revision %(revision)s · %(state)s"),
                           period=period.name, rules=rules, revision=row.revision,
                           state=gettext(lists.LIST_STATE_LABELS[row.state]))
    return exports.Document(scope=row.area.name, subtitle=subtitle, public=row.state == "final")


@get("/review/lists/{list_id:int}/export/{fmt:str}", name="review_list_export", guards=[reviewers],
     include_in_schema=False)
async def export_list(request: Request, list_id: FromPath[int], fmt: FromPath[str]) -> Response | Template:
    row, period = await _list(request, list_id)
    entries = await lists.entries([row.id])
    document = await _document(row, period)
    user = current_user(request)
    if fmt not in ("csv", "xlsx", "html"):
        raise NotFoundException()
    await exports.record_export(document, user, "certification_list", row.id, fmt, len(entries), client_ip(request))
    if fmt == "html":
        return _print_page(document, entries)
    body = exports.to_csv(document, entries) if fmt == "csv" else exports.to_xlsx(document, entries)
    return Response(body, media_type=EXPORT_TYPES[fmt],
                    headers={"content-disposition": attachment(list_file_name(row, period, fmt))})


def list_file_name(row: CertificationList, period: Period, fmt: str) -> str:
    """`danh-sach-cong-nhan_tinh-bac-ninh_2026_lan-2.xlsx`; a list not final yet says so at the end."""
    return export_name("danh sách công nhận", row.area.name, period.year, f"lần {row.revision}",
                       UNFINISHED_SUFFIX.get(row.state, ""), ext=fmt)


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@get("/review/lists/{list_id:int}/documents/{name:str}", name="review_list_document", guards=[reviewers],
     include_in_schema=False)
async def list_document(request: Request, list_id: FromPath[int], name: FromPath[str],
                        office: Annotated[str, QueryParameter(name="body", required=False, max_length=200)] = "",
                        ) -> Response | Template:
    """The list's official documents (DOCX or a page to print; `body` names the reviewing office) and the signed scan."""
    row, period = await _list(request, list_id)
    if name == "signed-decision.pdf":
        if not row.decision_pdf_sha256 or not decisions.path_of(row.decision_pdf_sha256).exists():
            raise NotFoundException(N_("No signed decision was uploaded for this list."))
        content = await anyio.Path(decisions.path_of(row.decision_pdf_sha256)).read_bytes()
        filename = export_name("quyết định công nhận đã ký", row.area.name, period.year, f"lần {row.revision}", ext="pdf")
        return Response(content, media_type="application/pdf", headers={"content-disposition": attachment(filename)})
    stem, _, fmt = name.rpartition(".")
    source = await documents.load(row, period, office)
    papers = documents.build(source, stem) if fmt in ("docx", "html") else []
    if not papers:
        raise NotFoundException(N_("This page does not exist."))
    document = exports.Document(scope=row.area.name, subtitle=stem, public=row.state == "final")
    await exports.record_export(document, current_user(request), "certification_list", row.id, f"{stem}.{fmt}",
                                len(source.entries), client_ip(request))
    if fmt == "html":
        with use_language(documents.LANGUAGE):
            texts = {"nation": gettext(N_("SOCIALIST REPUBLIC OF VIET NAM")),
                     "motto": gettext(N_("Independence - Freedom - Happiness")),
                     "recipients": gettext(N_("Recipients:"))}
        return Template("document_print.html", context={"papers": papers, "lang": documents.LANGUAGE,
                                                        "title": f"{papers[0].kind} – {row.area.name}", **texts})
    content = await anyio.to_thread.run_sync(docx_writer.write, papers)
    filename = papers[0].filename if len(papers) == 1 else export_stem("phiếu đánh giá", row.area.name, period.year,
                                                                         f"lần {row.revision}")
    return Response(content, media_type=DOCX, headers={"content-disposition": attachment(f"{filename}.docx")})


def _print_page(document: exports.Document, entries: list[lists.EntryRow]) -> Template:
    """Every text of the page is translated here: the template renders after this function returns."""
    return Template("review_list_print.html", context={"page": exports.print_texts(document, entries)})


@get("/review/{period_id:int}/national", name="review_national", guards=[requires_role("admin")],
     include_in_schema=False)
async def national_list(request: Request, period_id: FromPath[int],
                        final_only: Annotated[int, QueryParameter(name="final", required=False, ge=0, le=1)] = 0,
                        ) -> Template:
    """Every area's latest list of a period on one printable page (the final ones only, if asked)."""
    period = await assessments.get_period(period_id)
    ids = await lists.national_list_ids(period, final_only=bool(final_only))
    entries = await lists.entries(ids)
    rules = await lists.rule_sets_of(ids) or period.rule_set
    with use_language(exports.EXPORT_LANGUAGE):
        document = exports.Document(
            scope=gettext(N_("the whole country")),
            subtitle=gettext(N_("%(period)s · rule set %(rules)s"), period=period.name, rules=rules),
            public=bool(final_only))
    await exports.record_export(document, current_user(request), "period", period.id, "html", len(entries),
                                client_ip(request))
    return _print_page(document, entries)


@get("/review/{period_id:int}/dashboard", name="review_dashboard", guards=[reviewers], include_in_schema=False)
async def dashboard_page(request: Request, period_id: FromPath[int],
                         area_code: Annotated[str, QueryParameter(name="area", required=False, max_length=16)] = "",
                         ) -> Response:
    user: User = current_user(request)
    period, _ = await choose_period(user, period_id)
    area = await area_for(user, period, area_code)
    board = await dashboard.build(period, area)
    return await render_off_loop(request, Template("review_dashboard.html", context={
        "period": period, "board": board, "area": area, "states": STATES, "state_labels": STATE_LABELS, "user": user,
        "area_code": area_code}))


@get("/review/{period_id:int}/map/{fmt:str}", name="review_state_map", guards=[reviewers], include_in_schema=False)
async def state_map(request: Request, period_id: FromPath[int], fmt: FromPath[str],
                    area_code: Annotated[str, QueryParameter(name="area", required=False, max_length=16)] = "",
                    ) -> Response:
    """The reviewer's area (or, for an admin, any area or the country) coloured by assessment state."""
    user: User = current_user(request)
    period, _ = await choose_period(user, period_id)
    if period is None or fmt not in ("png", "svg"):
        raise NotFoundException(N_("This page does not exist."))
    area = await area_for(user, period, area_code)
    picture = await pictures.state_map(period, area, fmt)
    return picture_response(request, picture, cache_control="private, max-age=60")


ROUTES = [lists_page, create_list, list_page, list_step, export_list, list_document, national_list, dashboard_page,
          state_map]
