"""Certification lists: revisions per (period, area), draft → posted (comment dates) → final.

A list is built from the approved assessments of its area with their latest stored Score.
Nothing is edited in place: a new list (after a correction, or to refresh a draft) is a new
revision that supersedes the previous one; a final revision never changes. Posting moves the
listed assessments to "posted"; finalising moves them to "recognised" or "not_recognised".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from litestar.exceptions import NotFoundException

from server.core import audit
from server.accounts.auth import unit_of
from server.core.db import write_transaction
from server.core.i18n import N_
from server.registry.units import is_within
from server.review.collation import sort_key
from server.review.errors import Conflict, NotAllowed, invalid
from server.review.states import LISTABLE
from server.core.tables import Assessment, CertificationEntry, CertificationList, Period, Score, Unit, User

LIST_STATES = ("draft", "posted", "final")
LIST_STATE_LABELS = {"draft": N_("Draft"), "posted": N_("Posted for comment"), "final": N_("Final")}


def check_list_area(user: User, area: Unit) -> None:
    """Lists of an area are made by its reviewers (or inside it) and by admins."""
    if user.role == "admin":
        return
    own = unit_of(user)
    if user.role == "reviewer" and own is not None and own.unit_set == area.unit_set and is_within(area.path, own.path):
        return
    raise NotAllowed(N_("This list is outside your area."))


async def get_list(list_id: int) -> CertificationList:
    row = await CertificationList.objects(CertificationList.area).where(CertificationList.id == list_id).first().run()
    if row is None:
        raise NotFoundException(N_("There is no such certification list."))
    return row


async def lists_of(period: Period, area: Unit | None) -> list[dict[str, Any]]:
    """Every revision of the period's lists in an area (all areas for None), newest first, with counts."""
    query = CertificationList.select(
        CertificationList.id, CertificationList.revision, CertificationList.state, CertificationList.comment_from,
        CertificationList.comment_to, CertificationList.created_at, CertificationList.area.id.as_alias("area_id"),
        CertificationList.area.name.as_alias("area_name"), CertificationList.area.code.as_alias("area_code"),
    ).where(CertificationList.period == period.id)
    if area is not None:
        query = query.where((CertificationList.area.path == area.path)
                            | CertificationList.area.path.like(f"{area.path}/%"))
    rows = await query.order_by(CertificationList.id, ascending=False).run()
    latest: dict[int, int] = {}
    for row in rows:
        latest.setdefault(row["area_id"], row["revision"])
        row["superseded"] = row["revision"] != latest[row["area_id"]]
    return rows


async def _next_revision(period: Period, area: Unit) -> int:
    rows = await CertificationList.select(CertificationList.revision).where(
        (CertificationList.period == period.id) & (CertificationList.area == area.id)).run()
    return max((row["revision"] for row in rows), default=0) + 1


async def _candidates(period: Period, area: Unit) -> list[dict[str, Any]]:
    """The listable assessments of the area, each with its latest score."""
    assessments = await Assessment.select(
        Assessment.id, Assessment.commune, Assessment.commune.commune_type.as_alias("commune_type"),
    ).where((Assessment.period == period.id) & Assessment.state.is_in(list(LISTABLE))
            & ((Assessment.commune.path == area.path) | Assessment.commune.path.like(f"{area.path}/%"))).run()
    if not assessments:
        return []
    scores: dict[int, dict[str, Any]] = {}
    for row in await Score.select(Score.id, Score.assessment, Score.total, Score.certified, Score.provisional,
                                  Score.result).where(
            Score.assessment.is_in([a["id"] for a in assessments])).order_by(Score.id).output(load_json=True).run():
        scores[row["assessment"]] = row
    out = []
    for assessment in assessments:
        score = scores.get(assessment["id"])
        if score is not None:
            out.append({**assessment, "score": score})
    return out


async def create(period: Period, area: Unit, user: User, note: str = "", ip: str | None = None) -> CertificationList:
    """A new draft revision from the approved assessments of the area (it supersedes earlier revisions)."""
    check_list_area(user, area)
    if area.unit_set != period.unit_set:
        raise invalid("area", "wrong_set", N_("This area is not in the registry of the period."))
    candidates = await _candidates(period, area)
    if not candidates:
        raise invalid("area", "empty", N_("No approved commune in this area yet: approve assessments first."))
    note = (note or "").strip()[:2000]
    async with write_transaction():
        revision = await _next_revision(period, area)
        row = CertificationList(key=f"{period.id}:{area.id}:{revision}", period=period.id, area=area.id,
                                revision=revision, state="draft", note=note, created_by=user.id)
        await row.save().run()
        await CertificationEntry.insert(*[CertificationEntry(
            certification_list=row.id, commune=c["commune"], score=c["score"]["id"],
            commune_type=c["score"]["result"]["commune_type"], total=c["score"]["total"],
            threshold=c["score"]["result"]["threshold"], certified=c["score"]["certified"],
            provisional=c["score"]["provisional"]) for c in candidates]).run()
        await audit.record("list_created", "certification_list", row.id, user=user, ip=ip, reason=note or None,
                           after={"period": period.id, "area": area.code, "revision": revision,
                                  "entries": len(candidates),
                                  "certified": sum(1 for c in candidates if c["score"]["certified"])})
    return row


async def _latest_revision(row: CertificationList) -> int:
    rows = await CertificationList.select(CertificationList.revision).where(
        (CertificationList.period == row.period) & (CertificationList.area == _id(row.area))).run()
    return max(r["revision"] for r in rows)


def _id(value: Any) -> int:
    return value.id if isinstance(value, Unit) else value


def _parse_date(field: str, raw: str) -> date:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        raise invalid(field, "not_a_date", N_("Enter a date (year-month-day).")) from None


async def post(row: CertificationList, user: User, comment_from: str, comment_to: str,
               ip: str | None = None) -> None:
    """Draft → posted for public comment between two dates; its communes become "posted"."""
    check_list_area(user, row.area)
    if row.state != "draft":
        raise invalid("state", "not_draft", N_("Only a draft list can be posted."))
    if row.revision != await _latest_revision(row):
        raise invalid("state", "superseded", N_("A newer revision of this list exists: post that one."))
    start, end = _parse_date("comment_from", comment_from), _parse_date("comment_to", comment_to)
    if end < start:
        raise invalid("comment_to", "before_start", N_("The end of the comment period must not be before its start."))
    communes = [e["commune"] for e in await CertificationEntry.select(CertificationEntry.commune).where(
        CertificationEntry.certification_list == row.id).run()]
    async with write_transaction():
        await _move(row, "draft", {CertificationList.state: "posted", CertificationList.comment_from: start.isoformat(),
                                   CertificationList.comment_to: end.isoformat(),
                                   CertificationList.posted_at: datetime.now(timezone.utc)})
        await Assessment.update({Assessment.state: "posted", Assessment.version: Assessment.version + 1,
                                 Assessment.updated_by: user.id, Assessment.updated_at: datetime.now(timezone.utc)}).where(
            (Assessment.period == row.period) & Assessment.commune.is_in(communes or [-1])
            & (Assessment.state == "approved")).run()
        await audit.record("list_posted", "certification_list", row.id, user=user, ip=ip,
                           before={"state": "draft"},
                           after={"state": "posted", "comment_from": start.isoformat(), "comment_to": end.isoformat(),
                                  "communes": len(communes)})
    row.state, row.comment_from, row.comment_to = "posted", start.isoformat(), end.isoformat()


async def finalise(row: CertificationList, user: User, ip: str | None = None) -> None:
    """Posted → final (immutable from now on); listed communes become recognised or not recognised."""
    check_list_area(user, row.area)
    if row.state != "posted":
        raise invalid("state", "not_posted", N_("Only a list posted for comment can be made final."))
    if row.revision != await _latest_revision(row):
        raise invalid("state", "superseded", N_("A newer revision of this list exists: post that one."))
    entries = await CertificationEntry.select(CertificationEntry.commune, CertificationEntry.certified).where(
        CertificationEntry.certification_list == row.id).run()
    now = datetime.now(timezone.utc)
    async with write_transaction():
        await _move(row, "posted", {CertificationList.state: "final", CertificationList.finalized_at: now})
        for certified, state in ((True, "recognised"), (False, "not_recognised")):
            communes = [e["commune"] for e in entries if e["certified"] is certified]
            if communes:
                await Assessment.update({Assessment.state: state, Assessment.version: Assessment.version + 1,
                                         Assessment.updated_by: user.id, Assessment.updated_at: now}).where(
                    (Assessment.period == row.period) & Assessment.commune.is_in(communes)
                    & Assessment.state.is_in(list(LISTABLE))).run()
        await audit.record("list_finalised", "certification_list", row.id, user=user, ip=ip,
                           before={"state": "posted"},
                           after={"state": "final", "recognised": sum(1 for e in entries if e["certified"]),
                                  "not_recognised": sum(1 for e in entries if not e["certified"])})
    row.state, row.finalized_at = "final", now


async def _move(row: CertificationList, expected: str, change: dict[Any, Any]) -> None:
    """Change a list's state only from the expected one (a double click cannot post or finalise twice)."""
    updated = await CertificationList.update(change).where(
        (CertificationList.id == row.id) & (CertificationList.state == expected)).returning(CertificationList.id).run()
    if not updated:
        raise Conflict()


@dataclass
class EntryRow:
    number: int
    code: str
    name: str
    parent: str
    commune_type: str
    total: int
    threshold: int
    certified: bool
    provisional: bool


async def entries(list_ids: list[int]) -> list[EntryRow]:
    """The entries of one or more lists, in Vietnamese alphabetical order within each parent unit.

    A commune on several of the lists (a province's and a district's) is shown once, from the newest list.
    """
    rows = await CertificationEntry.select(
        CertificationEntry.certification_list,
        CertificationEntry.commune.code.as_alias("code"), CertificationEntry.commune.name.as_alias("name"),
        CertificationEntry.commune.parent.name.as_alias("parent"), CertificationEntry.commune.path.as_alias("path"),
        CertificationEntry.commune_type, CertificationEntry.total, CertificationEntry.threshold,
        CertificationEntry.certified, CertificationEntry.provisional,
    ).where(CertificationEntry.certification_list.is_in(list_ids or [-1])).run()
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["code"] not in newest or row["certification_list"] > newest[row["code"]]["certification_list"]:
            newest[row["code"]] = row
    rows = list(newest.values())
    rows.sort(key=lambda r: (r["path"].rsplit("/", 1)[0], sort_key(r["name"])))
    return [EntryRow(number=index, code=r["code"], name=r["name"], parent=r["parent"] or "",
                     commune_type=r["commune_type"], total=r["total"], threshold=r["threshold"],
                     certified=r["certified"], provisional=r["provisional"])
            for index, r in enumerate(rows, start=1)]


async def national_list_ids(period: Period, final_only: bool = False) -> list[int]:
    """The latest revision of every area's list in a period (the final ones only, if asked)."""
    rows = await CertificationList.select(CertificationList.id, CertificationList.area, CertificationList.revision,
                                          CertificationList.state).where(CertificationList.period == period.id).run()
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:
        if final_only and row["state"] != "final":
            continue
        if row["area"] not in latest or row["revision"] > latest[row["area"]]["revision"]:
            latest[row["area"]] = row
    return [row["id"] for row in latest.values()]
