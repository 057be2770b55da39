"""What a commune sent, as a reviewer reads it: its submissions of a period grouped by form, each one
answer by answer with the form's own labels, choices and units, and where each scored value came from.

Read-only: nothing here writes. Answers are shown as the form version they were filled in asks
them (labels and choices of that version, in the page's language); a value is never shown as a
raw key or JSON.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from litestar.exceptions import NotFoundException

from forms import registry as form_registry
from forms.derive import DETAILED_SOURCES
from forms.logic import evaluate
from forms.model import FormField, FormVersion
from server.core.i18n import N_, format_date, format_number, format_percent, gettext
from server.collection import intake, photos
from server.core.tables import Period, Submission, Unit, User
from server.core.templating import localized
from server.review import assessments
from server.review.indicators import ANNUAL, PARTICIPATION, PLAY_AREA, SATISFACTION

FORM_ORDER = (ANNUAL, PLAY_AREA, PARTICIPATION, SATISFACTION)
IDENTIFYING_TYPES = ("text", "date", "select_one")

STATE_LABELS = {"stored": N_("Received"), "after_approval": N_("Received after approval: not counted until reopened")}
"""Submission states a reviewer sees; "stored" is the normal one (no badge)."""
COUNTED_NOTE = N_("Replaced by a later annual form: not counted")
SOURCES = {"web": N_("phone or computer"), "api": N_("phone or computer"), "openrosa": N_("ODK Collect")}


# ---------------------------------------------------------------- loading

_COLUMNS = (Submission.id, Submission.uuid, Submission.form_id, Submission.form_version, Submission.answers,
            Submission.state, Submission.source, Submission.received_at, Submission.client_created_at,
            Submission.author.display_name.as_alias("author"))


async def period_rows(period_id: int, commune_id: int) -> list[dict[str, Any]]:
    """A commune's submissions of a period, oldest first."""
    return await Submission.select(*_COLUMNS).where(
        (Submission.period == period_id) & (Submission.commune == commune_id)).order_by(Submission.id).output(
        load_json=True).run()


def form_of(row: dict[str, Any]) -> FormVersion | None:
    try:
        return form_registry.get_form(row["form_id"], row["form_version"])
    except form_registry.FormNotAccepted:
        return None


# ---------------------------------------------------------------- one answer in words

def answer_text(item: FormField, value: Any, answers: dict[str, Any]) -> str:
    """An answer as the form asks it: choice labels, yes/no, numbers and dates in the page's language."""
    if item.type == "percent":
        part, whole = answers.get(item.numerator), answers.get(item.denominator)
        if isinstance(part, int) and isinstance(whole, int) and whole > 0:
            return format_percent(100 * part / whole, 2)
        return "–"
    if value is None or value == "" or value == []:
        return "–"
    if item.type == "yes_no":
        return gettext("Yes") if value else gettext("No")
    if item.type == "integer" and _is_year(item):
        return str(value)  # 2026, not "2.026"
    if item.type in ("integer", "decimal"):
        return format_number(value)
    if item.type == "select_one":
        return _choice(item, value)
    if item.type == "select_many":
        return "; ".join(_choice(item, key) for key in value)
    if item.type == "date":
        return format_date(value)
    if item.type == "geopoint" and isinstance(value, dict):
        return geopoint_text(value)
    return str(value)


def _is_year(item: FormField) -> bool:
    return item.min is not None and item.max is not None and 1900 <= item.min <= item.max <= 2200


def _choice(item: FormField, key: Any) -> str:
    for choice in item.choices:
        if choice.key == key:
            return localized(choice.label)
    return str(key)


def geopoint_text(point: dict[str, Any]) -> str:
    text = f"{format_number(point.get('lat'), 6)}, {format_number(point.get('lon'), 6)}"
    if isinstance(point.get("accuracy"), (int, float)):
        text += " " + gettext(N_("(within %(metres)s m)"), metres=format_number(round(point["accuracy"])))
    return text


def identity(form: FormVersion | None, answers: dict[str, Any]) -> str:
    """What tells this submission from the others of its form: the place's name, the activity's date and kind…

    The required text, date or single-choice answers of the form's first screen (at most two).
    """
    if form is None:
        return ""
    first = form.groups[0].fields
    chosen = [item for item in first if item.required and item.type in IDENTIFYING_TYPES][:2]
    if not chosen:
        chosen = [item for item in first if item.required][:1]
    parts = []
    for item in chosen:
        text = answer_text(item, answers.get(item.key), answers)
        parts.append(text if item.type in IDENTIFYING_TYPES else f"{localized(item.label)}: {text}")
    return " · ".join(parts)


# ---------------------------------------------------------------- the list on the commune's page

@dataclass
class Entry:
    uuid: str
    number: int  # within its form, in the order received
    identity: str
    version: int
    received_at: datetime
    author: str
    source: str
    state: str  # "" for a normal one
    counted: bool = True
    completed_on: date | None = None  # taken in the grace days after the closing date: completed on this day


@dataclass
class FormGroup:
    form_id: str
    title: str
    entries: list[Entry] = field(default_factory=list)

    @property
    def counted(self) -> int:
        return sum(1 for entry in self.entries if entry.counted)


def grouped(rows: list[dict[str, Any]], closing: date | None = None) -> list[FormGroup]:
    """Submissions grouped by form (annual first), each with what identifies it and its state, and whether
    it arrived after the commune's closing date (`closing`), completed before it (server/collection/intake.py)."""
    groups: dict[str, FormGroup] = {}
    last_annual = max((row["id"] for row in rows if row["form_id"] == ANNUAL and _counts(row)), default=None)
    for row in rows:
        form = form_of(row)
        group = groups.get(row["form_id"])
        if group is None:
            title = localized(form.title) if form else row["form_id"]
            group = groups[row["form_id"]] = FormGroup(row["form_id"], title)
        state = row["state"] if row["state"] != "stored" else ""
        counted = _counts(row) and (row["form_id"] != ANNUAL or row["id"] == last_annual)
        group.entries.append(Entry(
            uuid=str(row["uuid"]), number=len(group.entries) + 1, identity=identity(form, row["answers"] or {}),
            version=row["form_version"], received_at=row["received_at"], author=row["author"] or "",
            source=gettext(SOURCES.get(row["source"], N_("phone or computer"))),
            state=gettext(STATE_LABELS[state]) if state in STATE_LABELS else state,
            counted=counted, completed_on=intake.arrived_late(closing, row["received_at"], row["client_created_at"])))
    if last_annual is not None:
        for entry in groups[ANNUAL].entries:
            if not entry.counted and not entry.state:
                entry.state = gettext(COUNTED_NOTE)
    order = {form_id: index for index, form_id in enumerate(FORM_ORDER)}
    return sorted(groups.values(), key=lambda g: (order.get(g.form_id, len(order)), g.title))


def _counts(row: dict[str, Any]) -> bool:
    """Whether a submission counts for the score (a replaced or late one does not)."""
    return row["state"] in ("stored", None)


# ---------------------------------------------------------------- where a scored value came from


@dataclass
class Source:
    """One submission (and the field of it) that an indicator's value came from."""

    uuid: str
    text: str  # "Số liệu hằng năm của xã — «Số trẻ em sinh ra trong kỳ»"
    anchor: str  # "#f-c2_births_total" on the submission's page


@dataclass
class Sources:
    links: list[Source] = field(default_factory=list)
    more: int = 0  # further submissions of the same form, not linked one by one
    form_id: str = ""  # the detailed form, for "all N forms" (its anchor on the commune page)


def sources(rows: list[dict[str, Any]], keys: list[str], limit: int = 3) -> dict[str, Sources]:
    """For each indicator key, the submissions and fields its reported value came from (`forms.derive`'s rules)."""
    counted = [row for row in rows if _counts(row)]
    annual = next((row for row in reversed(counted) if row["form_id"] == ANNUAL), None)
    out: dict[str, Sources] = {}
    for key in keys:
        detailed = DETAILED_SOURCES.get(key)
        from_detail = [row for row in counted if row["form_id"] == detailed] if detailed else []
        if from_detail:
            form = form_of(from_detail[0])
            title = localized(form.title) if form else detailed
            links = [Source(str(row["uuid"]), f"{title} — {identity(form_of(row), row['answers'] or {})}", "")
                     for row in from_detail[:limit]]
            out[key] = Sources(links, max(0, len(from_detail) - limit), detailed)
        elif annual is not None:
            form = form_of(annual)
            item = next((f for f in form.fields if f.indicator == key), None) if form else None
            if item is not None:
                out[key] = Sources([Source(str(annual["uuid"]), localized(form.title), f"#f-{item.key}")])
    return out


# ---------------------------------------------------------------- one submission

@dataclass
class Answer:
    key: str
    label: str
    text: str
    kind: str
    photo: str | None = None  # where the stored photo is shown (reviewers of the area, admins, the commune)
    point: dict[str, Any] | None = None


@dataclass
class Screen:
    title: str
    answers: list[Answer]


@dataclass
class Shown:
    row: dict[str, Any]
    form: FormVersion | None
    period: Period
    commune: Unit
    identity: str
    screens: list[Screen]
    derived: list[Answer]
    state: str
    counted: bool
    point: dict[str, Any] | None  # the first location answered


async def load(submission_uuid: uuid_module.UUID, user: User) -> Shown:
    """One submission for its page, after checking that its commune is in the user's area (403 otherwise)."""
    row = await Submission.select(*_COLUMNS, Submission.commune, Submission.period).where(
        Submission.uuid == submission_uuid).first().output(load_json=True).run()
    if row is None or row["period"] is None:
        raise NotFoundException(N_("There is no such form."))
    commune = await Unit.objects().where(Unit.id == row["commune"]).first().run()
    assessments.check_area(user, commune)
    period = await assessments.get_period(row["period"])
    form = form_of(row)
    answers = row["answers"] or {}
    stored = {photo.name: photo.url for photo in await photos.photos_of(row["uuid"])}
    screens = [Screen(localized(group.title), [_answer(item, answers, stored) for item in group.fields
                                               if item.type != "note" and _relevant(item, answers)])
               for group in form.groups] if form else []
    derived = [Answer(d.key, localized(d.label), _derived_text(evaluate(d.expression, answers)), "derived")
               for d in form.derived] if form else []
    point = next((a.point for screen in screens for a in screen.answers if a.point), None)
    siblings = await period_rows(row["period"], row["commune"])
    entry = next((e for g in grouped(siblings) for e in g.entries if e.uuid == str(row["uuid"])), None)
    return Shown(row, form, period, commune, identity(form, answers), [s for s in screens if s.answers], derived,
                 entry.state if entry else "", entry.counted if entry else True, point)


def _relevant(item: FormField, answers: dict[str, Any]) -> bool:
    return item.relevant is None or evaluate(item.relevant, answers) is True


def _answer(item: FormField, answers: dict[str, Any], stored_photos: dict[str, str]) -> Answer:
    value = answers.get(item.key)
    shown = Answer(item.key, localized(item.label), answer_text(item, value, answers), item.type)
    if item.type == "photo" and isinstance(value, str):
        shown.photo = stored_photos.get(value)
        shown.text = "" if shown.photo else gettext(N_("The photo was named in the form but has not reached "
                                                       "the server yet."))
    if item.type == "geopoint" and isinstance(value, dict) and is_point(value):
        shown.point = value
    return shown


def is_point(value: dict[str, Any]) -> bool:
    return all(isinstance(value.get(k), (int, float)) and not isinstance(value.get(k), bool) for k in ("lat", "lon"))


def _derived_text(value: Any) -> str:
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    return "–" if value is None else format_number(value) if isinstance(value, (int, float)) else str(value)
