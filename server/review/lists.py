"""Certification lists: revisions per (period, area), draft → posted (comment dates) → final.

A list is built from the approved assessments of its area with their latest stored Score.
Nothing is edited in place: a new list (after a correction, or to refresh a draft) is a new
revision that supersedes the previous one; a final revision never changes. Posting moves the
listed assessments to "posted"; finalising moves them to "recognised" or "not_recognised".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from litestar.exceptions import NotFoundException

from server.core import audit
from server.accounts.auth import unit_of
from server.core.db import write_transaction
from server.core.errors import FieldError, InputError
from server.core.i18n import N_, format_date, format_number, gettext
from server.registry.units import is_within
from server.review import deadlines, decisions, list_comments
from server.review.collation import sort_key
from server.review.errors import Conflict, NotAllowed, invalid
from server.review.states import LISTABLE, STATE_LABELS
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


async def _same_draft(period: Period, area: Unit, candidates: list[dict[str, Any]]) -> CertificationList | None:
    """The area's latest revision if it is a draft with exactly these communes and scores."""
    latest = await CertificationList.objects().where(
        (CertificationList.period == period.id) & (CertificationList.area == area.id)).order_by(
        CertificationList.revision, ascending=False).first().run()
    if latest is None or latest.state != "draft":
        return None
    listed = await CertificationEntry.select(CertificationEntry.commune, CertificationEntry.score).where(
        CertificationEntry.certification_list == latest.id).run()
    wanted = {(c["commune"], c["score"]["id"]) for c in candidates}
    return latest if {(e["commune"], e["score"]) for e in listed} == wanted else None


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
        same = await _same_draft(period, area, candidates)
        if same is not None:  # a double click, or two tabs: the draft that already says exactly this
            return same
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


STALE = N_("This list no longer matches its communes: make a new revision, which takes their current scores.")
STALE_STATE = N_("%(commune)s: reopened after the list was made; it is now “%(state)s”.")
STALE_SCORE = N_("%(commune)s: its score changed from %(listed)s to %(now)s after the list was made.")
ON_LIST = frozenset({"posted", "recognised", "not_recognised"})
"""States of a commune on a posted list that nobody reopened since (recognised ones are from an earlier final revision)."""


async def stale_entries(row: CertificationList, allowed: frozenset[str]) -> list[FieldError]:
    """Entries whose commune changed since the list took it: its state left `allowed`, or it has a newer score.

    Empty when the list still tells the truth; otherwise one error per commune saying why, after a first
    error saying what to do.
    """
    listed = await CertificationEntry.select(
        CertificationEntry.commune, CertificationEntry.commune.name.as_alias("name"), CertificationEntry.score,
        CertificationEntry.total,
    ).where(CertificationEntry.certification_list == row.id).run()
    rows = await Assessment.select(Assessment.id, Assessment.commune, Assessment.state).where(
        (Assessment.period == row.period) & Assessment.commune.is_in([e["commune"] for e in listed] or [-1])).run()
    by_commune = {a["commune"]: a for a in rows}
    latest: dict[int, dict[str, Any]] = {}
    for score in await Score.select(Score.id, Score.assessment, Score.total).where(
            Score.assessment.is_in([a["id"] for a in rows] or [-1])).order_by(Score.id).run():
        latest[score["assessment"]] = score
    problems = []
    for entry in sorted(listed, key=lambda e: sort_key(e["name"])):
        found = by_commune.get(entry["commune"])
        state = found["state"] if found else "not_started"
        if state not in allowed:
            problems.append(FieldError("entries", "reopened", STALE_STATE,
                                       {"commune": entry["name"], "state": gettext(STATE_LABELS[state])}))
            continue
        now = latest.get(found["id"]) if found else None
        if now is None or now["id"] != entry["score"]:
            problems.append(FieldError("entries", "rescored", STALE_SCORE, {
                "commune": entry["name"], "listed": format_number(entry["total"]),
                "now": format_number(now["total"]) if now else "–"}))
    return [FieldError("entries", "stale", STALE), *problems] if problems else []


async def _refuse_if_stale(row: CertificationList, allowed: frozenset[str]) -> None:
    problems = await stale_entries(row, allowed)
    if problems:
        raise InputError(problems, detail=STALE, status_code=409)


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
    await _check_comment_period(row, start, end)
    await _refuse_if_stale(row, LISTABLE)
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


async def decision_note(period_id: int, commune_id: int, state: str) -> str | None:
    """What the latest final list of the period says of a commune, and that a reopen cannot undo it.

    A commune reopened after the signed decision is "under review" again, while the decision (and the public
    list) still say it is recognised: reviewers and the commune are told both, in one sentence each.
    """
    entry = await CertificationEntry.select(
        CertificationEntry.certified, CertificationEntry.certification_list.revision.as_alias("revision"),
        CertificationEntry.certification_list.decision_number.as_alias("number"),
        CertificationEntry.certification_list.decision_date.as_alias("day"),
    ).where((CertificationEntry.commune == commune_id) & (CertificationEntry.certification_list.period == period_id)
            & (CertificationEntry.certification_list.state == "final")).order_by(
        CertificationEntry.certification_list.finalized_at, ascending=False).first().run()
    if entry is None:
        return None
    result = gettext(N_("is recognised as fit for children") if entry["certified"] else
                     N_("is not recognised as fit for children"))
    said = gettext(N_("Under Decision No. %(number)s of %(date)s (the list's revision %(revision)s), this commune "
                      "%(result)s."), number=entry["number"], date=format_date(entry["day"]),
                   revision=format_number(entry["revision"]), result=result) if entry["number"] else \
        gettext(N_("Under the final list (revision %(revision)s), this commune %(result)s."),
                revision=format_number(entry["revision"]), result=result)
    if state in ("recognised", "not_recognised"):
        return said + " " + gettext(N_("Reopening the assessment does not change the signed decision: a new result "
                                       "counts only once a new revision of the list is made final."))
    return said + " " + gettext(N_("The assessment was reopened after that; the decision stays in force until a new "
                                   "revision of the list is made final."))


POSTING_AHEAD_DAYS = 60  # a posting can be planned this far ahead
POSTING_LONGEST_DAYS = 90  # a comment period longer than this is a typing mistake, not a procedure


async def _check_comment_period(row: CertificationList, start: date, end: date) -> None:
    """Dates a posting can really have: within the period's assessment (not 01/01/0001, which would skip the
    posting step) and not absurdly far ahead or long. A past start records a posting already done at the office;
    the dates are shown on the public list."""
    period = await Period.select(Period.year, Period.opens_on).where(Period.id == row.period).first().run()
    earliest = date.fromisoformat(period["opens_on"]) if period and period["opens_on"] else \
        date(period["year"] if period else start.year, 1, 1)
    if start < earliest:
        raise invalid("comment_from", "before_period", N_(
            "The comment period cannot start before the assessment period (%(date)s)."),
            date=format_date(earliest.isoformat()))
    latest = deadlines.today() + timedelta(days=POSTING_AHEAD_DAYS)
    if start > latest:
        raise invalid("comment_from", "too_far", N_("The comment period must start by %(date)s (at most %(days)s days "
                                                    "from today)."), date=format_date(latest.isoformat()),
                      days=format_number(POSTING_AHEAD_DAYS))
    if (end - start).days > POSTING_LONGEST_DAYS:
        raise invalid("comment_to", "too_long", N_("A comment period of more than %(days)s days is not expected: check "
                                                   "the end date."), days=format_number(POSTING_LONGEST_DAYS))


def early_reason(row: CertificationList, early: bool, reason: str | None) -> str | None:
    """None once the comment period is over; before, an explicit override with a reason, or a refusal."""
    if row.comment_to is None or deadlines.today() > date.fromisoformat(row.comment_to):
        return None
    reason = " ".join((reason or "").split())
    if not early:
        raise invalid("early", "comment_period", N_(
            "The comment period runs until %(date)s: the list can be made final after that day. To make it final "
            "now, tick the override and give the reason."), date=format_date(row.comment_to))
    if len(reason) < 10:
        raise invalid("early_reason", "required", N_("Say why the list must be made final before the end of its "
                                                     "comment period (at least 10 characters)."))
    return reason[:2000]


async def finalise(row: CertificationList, user: User, decision: dict[str, Any], pdf: bytes | None,
                   early: bool = False, reason: str | None = None, ip: str | None = None) -> None:
    """Posted → final (immutable from now on); listed communes become recognised or not recognised.

    Refused while any listed commune was reopened or re-scored since the list was made (the way
    forward is a new revision), while a recorded comment has no answer, before the end of the comment
    period unless overridden with a reason, and without the signed decision (number, date, signer, PDF).
    """
    check_list_area(user, row.area)
    if row.state != "posted":
        raise invalid("state", "not_posted", N_("Only a list posted for comment can be made final."))
    if row.revision != await _latest_revision(row):
        raise invalid("state", "superseded", N_("A newer revision of this list exists: post that one."))
    await _refuse_if_stale(row, ON_LIST)
    waiting = await list_comments.unanswered(row.id)
    if waiting:
        raise invalid("comments", "unanswered", N_("%(count)s comments received on this list have no answer yet: "
                                                   "record the answers first."), count=format_number(waiting))
    early_why = early_reason(row, early, reason)
    signed = decisions.check(decision.get("number"), decision.get("date"), decision.get("signer"), pdf,
                             posted_from=row.comment_from)
    entries = await CertificationEntry.select(CertificationEntry.commune, CertificationEntry.certified).where(
        CertificationEntry.certification_list == row.id).run()
    now = datetime.now(timezone.utc)
    created = decisions.keep(signed)
    try:
        await _make_final(row, user, signed, early_why, entries, now, ip)
    except BaseException:
        if created:
            decisions.forget(signed)
        raise
    row.state, row.finalized_at, row.early_reason = "final", now, early_why
    row.decision_number, row.decision_date, row.decision_signer = signed.number, signed.day.isoformat(), signed.signer
    row.decision_pdf_sha256, row.decision_pdf_bytes = signed.sha256, len(signed.pdf)


async def _make_final(row: CertificationList, user: User, signed: decisions.Decision, early_why: str | None,
                      entries: list[dict[str, Any]], now: datetime, ip: str | None) -> None:
    async with write_transaction():
        await _move(row, "posted", {
            CertificationList.state: "final", CertificationList.finalized_at: now,
            CertificationList.decision_number: signed.number, CertificationList.decision_date: signed.day.isoformat(),
            CertificationList.decision_signer: signed.signer, CertificationList.decision_pdf_sha256: signed.sha256,
            CertificationList.decision_pdf_bytes: len(signed.pdf), CertificationList.early_reason: early_why})
        await _refuse_if_stale(row, ON_LIST)  # again inside the write: a reopen in another tab meanwhile
        for certified, state in ((True, "recognised"), (False, "not_recognised")):
            communes = [e["commune"] for e in entries if e["certified"] is certified]
            if communes:
                await Assessment.update({Assessment.state: state, Assessment.version: Assessment.version + 1,
                                         Assessment.updated_by: user.id, Assessment.updated_at: now}).where(
                    (Assessment.period == row.period) & Assessment.commune.is_in(communes)
                    & Assessment.state.is_in(list(LISTABLE))).run()
        await audit.record("list_finalised", "certification_list", row.id, user=user, ip=ip, reason=early_why,
                           before={"state": "posted"},
                           after={"state": "final", "recognised": sum(1 for e in entries if e["certified"]),
                                  "not_recognised": sum(1 for e in entries if not e["certified"]),
                                  "decision": {"number": signed.number, "date": signed.day.isoformat(),
                                               "signer": signed.signer, "pdf_sha256": signed.sha256,
                                               "pdf_bytes": len(signed.pdf)},
                                  "before_end_of_comment_period": early_why is not None})


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


async def rule_sets_of(list_ids: list[int]) -> str:
    """The rule set versions the lists' scores were computed with ("vn-2019 2019.1.1, vn-2014 2014.1"): a list
    keeps the version it was made with, even after a new version is applied to its period."""
    rows = await CertificationEntry.select(CertificationEntry.score.rules_id.as_alias("rules"),
                                           CertificationEntry.score.rules_version.as_alias("version")).where(
        CertificationEntry.certification_list.is_in(list_ids or [-1])).distinct().run()
    return ", ".join(sorted({f"{row['rules']} {row['version']}" for row in rows}))


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
