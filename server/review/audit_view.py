"""The audit log as people read it: translated action names, objects named as people name them
("Hồ sơ của Xã Cảnh Lý, kỳ Đánh giá năm 2026") and a labelled before → after.

The log itself stays machine data (action codes, entity ids, JSON before/after: `server.core.audit`);
this module only explains it, with a few batch queries per page. An action or a field added later
without a label here is shown by its code (in a `<code>` element), never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from markupsafe import Markup

from forms import registry as form_registry
from scoring import COMMUNE_TYPE_LABELS
from server.core.strict import parse_int
from server.core.i18n import N_, format_date, format_datetime, format_number, format_percent, gettext
from server.core.tables import Assessment, CertificationList, DeviceToken, Period, Submission, Unit, User
from server.core.templating import localized
from server.history import imports as history_imports
from server.history import targets
from server.review.flags import check_title
from server.review.indicators import indicator_labels
from server.review.lists import LIST_STATE_LABELS
from server.review.states import STATE_LABELS
from server.registry.units import UNIT_SET_LABELS
from server.rules.assign import REVIEW_LEVEL_LABELS

ACTIONS: dict[str, str] = {
    "login": N_("Logged in"),
    "login_failed": N_("Failed login"),
    "user_created": N_("Account created"),
    "submission_stored": N_("Form received"),
    "submission_attachments_stored": N_("Photos received"),
    "assessment_created": N_("Assessment opened"),
    "assessments_created": N_("Assessments opened"),
    "assessment_send": N_("Sent for review"),
    "assessment_start_review": N_("Review started"),
    "assessment_return": N_("Returned to the commune"),
    "assessment_approve": N_("Approved"),
    "assessment_reopen": N_("Reopened"),
    "value_corrected": N_("Value corrected"),
    "correction_withdrawn": N_("Correction withdrawn"),
    "flag_checked": N_("Value checked"),
    "rescored": N_("Re-scored"),
    "period_scored": N_("Whole area re-scored"),
    "period_opened": N_("Period opened"),
    "period_saved": N_("Period changed"),
    "list_created": N_("Draft list made"),
    "list_posted": N_("List posted for comment"),
    "list_finalised": N_("List made final"),
    "exported": N_("Exported"),
    "registry_imported": N_("Registry imported"),
    "commune_type_set": N_("Commune type set"),
    "commune_types_imported": N_("Commune types imported from a list"),
    "boundaries_uploaded": N_("Boundaries uploaded"),
    "device_token_created": N_("Device token created"),
    "device_token_revoked": N_("Device token revoked"),
    "form_draft_imported": N_("Form draft imported"),
    "closing_extended": N_("Closing date extended for the commune"),
    "crosswalk_imported": N_("2025 merger crosswalk imported"),
    "history_imported": N_("Spreadsheet of past results imported"),
    "history_row_resolved": N_("Row of an imported spreadsheet resolved"),
    "list_comment_recorded": N_("Comment on a posted list recorded"),
    "list_comment_answered": N_("Comment on a posted list answered"),
    "submission_photo_stored": N_("Photo received"),
    "submission_edited": N_("Form edited after sending (replaces the copy sent before)"),
    "login_throttle_cleared": N_("Failed logins forgotten (sign-in unlocked)"),
    "sessions_ended": N_("Sessions ended"),
    "password_changed": N_("Password changed"),
    "user_activated": N_("Account activated"),
    "user_deactivated": N_("Account deactivated"),
    "user_changed": N_("Account changed"),
    "password_reset": N_("Temporary password made by an administrator"),
    "user_unlocked": N_("Account unlocked"),
    "users_imported": N_("Accounts imported from a spreadsheet"),
    "rules_registered": N_("Rule set shipped with phuhop registered"),
    "rules_draft_created": N_("Draft of a rule set entered"),
    "rules_draft_saved": N_("Draft of a rule set changed"),
    "rules_draft_discarded": N_("Draft of a rule set discarded"),
    "rules_item_checked": N_("Line checked against the paper source"),
    "rules_published": N_("Rule set version published"),
    "rules_applied": N_("Rule set version applied to the period"),
    "period_area_saved": N_("A province's own rules in the period saved"),
    "period_area_removed": N_("A province's own rules in the period removed"),
    "registration_register": N_("Registration recorded"),
    "registration_withdraw": N_("Registration withdrawn"),
    "progress_target_changed": N_("Target changed"),
    "progress_targets_seeded": N_("National targets stored"),
}

ENTITIES: dict[str, str] = {
    "assessment": N_("Assessment"), "certification_list": N_("Certification list"), "period": N_("Period"),
    "user": N_("Account"), "submission": N_("Form"), "unit": N_("Administrative unit"),
    "unit_set": N_("Registry"), "boundary": N_("Commune boundaries"), "device_token": N_("Device token"),
    "form_version": N_("Form version"), "audit_log": N_("Audit log"),
    "history_import": N_("Imported spreadsheet"), "history_row": N_("Row of an imported spreadsheet"),
    "unit_link": N_("Merger crosswalk"), "rule_version": N_("Rule set version"),
    "registration": N_("Registration"), "progress_target": N_("Target"),
}

FIELDS: dict[str, str] = {
    "state": N_("State"), "indicator": N_("Indicator"), "value": N_("Value"), "score": N_("Score"),
    "comment_from": N_("Comments from"), "comment_to": N_("Comments until"), "communes": N_("Communes"),
    "entries": N_("Communes"), "certified": N_("Meet the standard"), "recognised": N_("Recognised"),
    "not_recognised": N_("Not recognised"), "revision": N_("Revision"), "format": N_("Format"), "rows": N_("Rows"),
    "filters": N_("Filters"), "scored": N_("Scored"), "not_scorable": N_("Cannot be scored"), "count": N_("Count"),
    "rules": N_("Rule set"), "area": N_("Area"), "name": N_("Name"), "year": N_("Year"), "rule_set": N_("Rule set"),
    "unit_set": N_("Registry"), "form_versions": N_("Form versions accepted"), "opens_on": N_("Opens on"),
    "closes_on": N_("Closes on"), "role": N_("Role"), "unit": N_("Unit"),
    "username": N_("User name"), "user": N_("User name"), "label": N_("Phone"), "revoked_at": N_("Revoked"),
    "commune_type": N_("Commune type"), "commune": N_("Commune"), "form": N_("Form"), "files": N_("Files"),
    "features": N_("Boundaries in the file"), "inserted": N_("New"), "replaced": N_("Replaced"),
    "updated": N_("Updated"), "unmatched": N_("Codes without a commune"), "province": N_("Province"),
    "counts": N_("Units"), "file": N_("File"), "path": N_("Saved as"), "warnings": N_("Warnings"),
    "period": N_("Period"),
    "check": N_("Check"), "indicators": N_("Indicators"), "changed": N_("Changed"),
    "extended_until": N_("Closing date for the commune"), "period_closes_on": N_("Closing date of the period"),
    "received_on": N_("Received on"), "sender": N_("From"), "text": N_("Comment"), "answer": N_("Answer"),
    "decision": N_("Recognition decision"), "number": N_("Number"), "date": N_("Date"), "signer": N_("Signer"),
    "pdf_bytes": N_("Size of the scan (bytes)"), "before_end_of_comment_period": N_("Before the end of the comment period"),
    "kind": N_("Kind"), "registered": N_("Registrations"), "status": N_("Status"), "source": N_("What the row said"),
    "skipped": N_("Skipped"),
    "original_name": N_("File name on the phone"), "size": N_("Size (bytes)"), "sessions": N_("Sessions"),
    "display_name": N_("Full name"), "active": N_("Active"), "attempts": N_("Failed logins counted"),
    "valid_until": N_("Valid until"), "accounts": N_("Accounts"), "temporary_password": N_("Temporary password"),
    "rule_version": N_("Version"), "base": N_("Made from"), "origin": N_("Entered from"), "item": N_("Line"),
    "document_number": N_("Document number"), "document_date": N_("Date of the document"), "page": N_("Page"),
    "checked": N_("Lines checked"), "verified_by": N_("Checked by"),
    "provisional_numbers": N_("Numbers still PROVISIONAL"), "review_level": N_("Who reviews the communes"),
    "status_changed": N_("Communes whose result changes"), "now_recognised": N_("Become recognised"),
    "no_longer": N_("No longer meet the standard"), "total_changed": N_("Communes whose total changes"),
    "areas": N_("Areas"), "frozen": N_("Approved, kept as approved"),
    "registered_on": N_("Registered on"), "withdrawn_on": N_("Withdrawn on"), "percent": N_("Target"),
    "target_source": N_("Source (the decision or programme)"), "targets": N_("Targets"),
}
HIDDEN = {"version", "correction", "key", "comment", "sha256", "pdf_sha256"}
"""Bookkeeping that says nothing to a reader (page versions, row ids, registry keys)."""
IN_THE_NAME = {"assessment": {"period", "commune"}, "certification_list": {"period", "area", "revision"},
               "device_token": {"user", "label"}, "user": {"username"}, "registration": {"commune", "year"}}
"""Fields already said by the object's name."""
CONTEXT = {"indicator"}
"""Shown once, without an arrow, when before and after are the same."""

ROLES = {"collaborator": N_("Collaborator"), "reviewer": N_("Reviewer"), "admin": N_("Administrator")}
UNIT_KINDS = {"province": N_("provinces"), "district": N_("districts"), "commune": N_("communes")}


@dataclass
class Change:
    label: str
    before: str | None  # None: the field was not there before
    after: str | None
    code: str = ""  # the field's key when it has no label


@dataclass
class Line:
    """One entry of the log, explained."""

    id: int
    at: datetime
    who: str
    username: str
    action: str  # translated name ("" if unknown: then `action_code` is shown)
    action_code: str
    entity: str  # the entity's code
    entity_id: str | None
    object: str  # the object as people name it
    link: str | None
    changes: list[Change] = field(default_factory=list)
    reason: str = ""
    ip: str = ""
    raw_before: Any = None
    raw_after: Any = None


def action_label(code: str) -> str:
    return gettext(ACTIONS[code]) if code in ACTIONS else ""


def entity_label(code: str) -> str:
    return gettext(ENTITIES[code]) if code in ENTITIES else code


@dataclass
class _Names:
    """What a page of entries refers to, loaded in one query per kind."""

    assessments: dict[str, dict[str, Any]] = field(default_factory=dict)
    lists: dict[str, dict[str, Any]] = field(default_factory=dict)
    periods: dict[int, str] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    display: dict[str, str] = field(default_factory=dict)  # username → display name
    submissions: dict[str, dict[str, Any]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)  # unit id → name
    codes: dict[str, str] = field(default_factory=dict)  # unit code → name (2025 set first)
    paths: dict[str, str] = field(default_factory=dict)  # unit path → name
    registered: dict[str, str] = field(default_factory=dict)  # registration key "set:code:year" → commune name
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)


def _ids(rows: list[dict[str, Any]], entity: str, numeric: bool = True) -> list[Any]:
    out = {row["entity_id"] for row in rows if row["entity"] == entity and row["entity_id"]}
    return [number for number in map(parse_int, out) if number is not None] if numeric else list(out)


def _walk(value: Any, key: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _walk(v, k)]
    return [(key, value)]


async def _names(rows: list[dict[str, Any]]) -> _Names:
    names = _Names()
    ids = _ids(rows, "assessment")
    if ids:
        for row in await Assessment.select(
                Assessment.id, Assessment.period, Assessment.period.name.as_alias("period_name"),
                Assessment.commune.name.as_alias("commune"), Assessment.commune.code.as_alias("code")).where(
                Assessment.id.is_in(ids)).run():
            names.assessments[str(row["id"])] = row
    ids = _ids(rows, "certification_list")
    if ids:
        for row in await CertificationList.select(
                CertificationList.id, CertificationList.revision, CertificationList.area.name.as_alias("area"),
                CertificationList.period.name.as_alias("period")).where(CertificationList.id.is_in(ids)).run():
            names.lists[str(row["id"])] = row
    names.periods = {row["id"]: row["name"] for row in await Period.select(Period.id, Period.name).run()}
    ids = _ids(rows, "user")
    usernames = {row["username"] for row in rows if row["username"]}
    for row in await User.select(User.id, User.username, User.display_name).where(
            User.id.is_in(ids or [-1]) | User.username.is_in(list(usernames) or [""])).run():
        names.users[str(row["id"])] = row
        names.display[row["username"]] = row["display_name"]
    uuids = _ids(rows, "submission", numeric=False)
    if uuids:
        for row in await Submission.select(
                Submission.uuid, Submission.form_id, Submission.form_version,
                Submission.commune.name.as_alias("commune")).where(Submission.uuid.is_in(uuids)).run():
            names.submissions[str(row["uuid"])] = row
    ids = _ids(rows, "device_token")
    if ids:
        for row in await DeviceToken.select(DeviceToken.id, DeviceToken.label,
                                            DeviceToken.user.username.as_alias("username")).where(
                DeviceToken.id.is_in(ids)).run():
            names.tokens[str(row["id"])] = row
    keys = [key.split(":") for key in _ids(rows, "registration", numeric=False) if key.count(":") == 2]
    if keys:
        for row in await Unit.select(Unit.code, Unit.name, Unit.unit_set).where(
                Unit.code.is_in([code for _, code, _ in keys]) & (Unit.kind == "commune")).run():
            for unit_set, code, year in keys:
                if (row["unit_set"], row["code"]) == (unit_set, code):
                    names.registered[f"{unit_set}:{code}:{year}"] = row["name"]
    unit_ids = _ids(rows, "unit")
    codes, paths = set(), set()
    for row in rows:
        for key, value in _walk({"b": row["before"], "a": row["after"]}):
            if key in ("commune", "unit") and isinstance(value, str):
                codes.add(value)
            elif key == "area" and isinstance(value, str):
                (paths if value.startswith("/") else codes).add(value)
    if unit_ids or codes or paths:
        query = Unit.select(Unit.id, Unit.code, Unit.path, Unit.name, Unit.unit_set).where(
            Unit.id.is_in(unit_ids or [-1]) | Unit.code.is_in(list(codes) or [""]) | Unit.path.is_in(list(paths) or [""]))
        for row in sorted(await query.run(), key=lambda r: r["unit_set"] != "2025"):
            names.units[str(row["id"])] = row["name"]
            names.codes.setdefault(row["code"], row["name"])
            names.paths[row["path"]] = row["name"]
    return names


def _form_title(form_id: str, version: Any = None) -> str:
    try:
        versions = form_registry.default_registry().versions(form_id)
    except Exception:  # an unknown form id: say it as it was logged
        versions = []
    form = next((f for f in versions if version is None or f.version == version), versions[-1] if versions else None)
    if form is None:
        return str(form_id)
    title = localized(form.title)
    return gettext(N_("%(form)s (version %(version)s)"), form=title, version=version) if version else title


def _object(row: dict[str, Any], names: _Names) -> tuple[str, str | None]:
    """The entry's object as people name it, and the page that shows it (if any)."""
    entity, key = row["entity"], row["entity_id"] or ""
    if entity == "assessment" and key in names.assessments:
        found = names.assessments[key]
        return (gettext(N_("Assessment of %(commune)s, period %(period)s"), commune=found["commune"],
                        period=found["period_name"]), f"/review/{found['period']}/{found['code']}")
    if entity == "certification_list" and key in names.lists:
        found = names.lists[key]
        return (gettext(N_("Certification list of %(area)s, revision %(revision)s, period %(period)s"),
                        area=found["area"], revision=found["revision"], period=found["period"]),
                f"/review/lists/{key}")
    if entity == "period" and parse_int(key) in names.periods:
        return gettext(N_("Period %(period)s"), period=names.periods[parse_int(key)]), f"/admin/periods/{key}"
    if entity == "user":
        found = names.users.get(key)
        username = found["username"] if found else row["username"]
        if username:
            return gettext(N_("Account %(username)s"), username=username), None
    if entity == "submission" and key in names.submissions:
        found = names.submissions[key]
        return (gettext(N_("Form “%(form)s” of %(commune)s"), form=_form_title(found["form_id"]),
                        commune=found["commune"]), f"/review/submissions/{key}")
    if entity == "unit" and key in names.units:
        return names.units[key], None
    if entity in ("unit_set", "boundary") and key in UNIT_SET_LABELS:
        return f"{entity_label(entity)}: {gettext(UNIT_SET_LABELS[key])}", None
    if entity == "device_token" and key in names.tokens:
        found = names.tokens[key]
        return gettext(N_("Device token “%(label)s” of %(username)s"), label=found["label"],
                       username=found["username"]), None
    if entity == "form_version" and "/" in key:
        form_id, _, version = key.partition("/")
        return gettext(N_("Draft of the form %(form)s"), form=_form_title(form_id, parse_int(version))), None
    if entity == "registration" and key in names.registered:
        unit_set, code, year = key.split(":")
        return (gettext(N_("Registration of %(commune)s for %(year)s"), commune=names.registered[key], year=year),
                f"/progress/communes/{unit_set}/{code}")
    if entity == "progress_target" and key.count(":") == 1:
        measure, year = key.split(":")
        if measure in targets.MEASURE_LABELS:
            return gettext(N_("Target: %(measure)s, %(year)s"), measure=gettext(targets.MEASURE_LABELS[measure]),
                           year=year), "/admin/targets"
    if entity == "audit_log":
        return entity_label(entity), None
    if entity == "rule_version" and parse_int(key, minimum=1) is not None:
        return gettext(N_("Rule set version no. %(id)s"), id=key), f"/admin/rules/{key}"
    return entity_label(entity), None


def _value(key: str, value: Any, row: dict[str, Any], names: _Names) -> str:
    """One logged value in words."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return gettext("Yes") if value else gettext("No")
    if key == "state":
        labels = LIST_STATE_LABELS if row["entity"] == "certification_list" else STATE_LABELS
        return gettext(labels[value]) if value in labels else str(value)
    if key == "indicator":
        label = indicator_labels().get(value)
        return localized(label) if label else str(value)
    if key == "indicators" and isinstance(value, list):
        return "; ".join(_value("indicator", item, row, names) for item in value)
    if key == "check" and isinstance(value, str):
        return check_title(value)
    if key == "score" and isinstance(value, dict):
        verdict = gettext("Meets the standard") if value.get("certified") else gettext("Does not meet the standard")
        return gettext(N_("%(total)s points, %(verdict)s"), total=format_number(value.get("total")),
                       verdict=verdict.lower() if verdict else "")
    if key in ("commune", "unit") and isinstance(value, str):
        return names.codes.get(value, value)
    if key == "area" and isinstance(value, str):
        return names.paths.get(value) or names.codes.get(value) or value
    if key == "period" and isinstance(value, int):
        return names.periods.get(value, str(value))
    if key in ("comment_from", "comment_to", "opens_on", "closes_on", "extended_until", "period_closes_on",
               "received_on", "date", "registered_on", "withdrawn_on"):
        return format_date(value)
    if key in ("revoked_at", "valid_until"):
        try:
            return format_datetime(datetime.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    if key == "role":
        return gettext(ROLES[value]) if value in ROLES else str(value)
    if key == "review_level":
        return gettext(REVIEW_LEVEL_LABELS[value]) if value in REVIEW_LEVEL_LABELS else str(value)
    if key in ("rule_version", "base", "rules"):  # identifiers ("2019.1.1"), not decimals
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        return Markup('<span translate="no">{}</span>').format(shown)
    if key == "unit_set":
        return gettext(UNIT_SET_LABELS[value]) if value in UNIT_SET_LABELS else str(value)
    if key in ("commune_type",):
        return gettext(COMMUNE_TYPE_LABELS[value]) if value in COMMUNE_TYPE_LABELS else str(value)
    if key == "form" and isinstance(value, str):  # a submission's form: its version is part of its name
        version = row["after"].get("version") if isinstance(row["after"], dict) else None
        return _form_title(value, version if isinstance(version, int) else None)
    if key == "form_versions" and isinstance(value, dict):
        return "; ".join(f"{_form_title(form_id)}: {', '.join(str(v) for v in versions)}"
                         for form_id, versions in value.items()) or "–"
    if key == "filters" and isinstance(value, dict):
        shown = [f"{gettext(FIELDS.get(k, k))}: {action_label(v) or v if k == 'action' else v}"
                 for k, v in value.items() if v]
        return "; ".join(shown) or gettext(N_("none"))
    if key == "counts" and isinstance(value, dict):
        named = {**UNIT_KINDS, **history_imports.STATUS_LABELS}
        return ", ".join(f"{format_number(count)} {gettext(named[kind]) if kind in named else kind}"
                         for kind, count in value.items())
    if key == "kind" and isinstance(value, str):
        return gettext(history_imports.KIND_LABELS[value]) if value in history_imports.KIND_LABELS else value
    if key == "status" and isinstance(value, str):
        return gettext(history_imports.STATUS_LABELS[value]) if value in history_imports.STATUS_LABELS else value
    if key == "percent" and isinstance(value, int):
        return format_percent(value, 0)
    if key == "targets" and isinstance(value, list):
        return "; ".join(f"{gettext(targets.MEASURE_LABELS.get(t['measure'], t['measure']))} {t['year']}: "
                         f"{format_percent(t['percent'], 0)}" for t in value if isinstance(t, dict))
    if key == "format" and isinstance(value, str):
        return value.upper()
    if isinstance(value, int):
        return format_number(value)
    if isinstance(value, (date, datetime)):
        return format_date(value)
    if isinstance(value, list):
        shown = ", ".join(str(item) for item in value[:10])
        return shown + (f" … (+{format_number(len(value) - 10)})" if len(value) > 10 else "")
    if isinstance(value, dict):  # Markup-aware: an identifier inside stays marked, the rest is escaped
        return Markup("; ").join(Markup("{}: {}").format(gettext(FIELDS[k]) if k in FIELDS else k,
                                                         _value(k, v, row, names))
                                 for k, v in value.items() if k not in HIDDEN)
    return str(value)


def _changes(row: dict[str, Any], names: _Names) -> list[Change]:
    before = row["before"] if isinstance(row["before"], dict) else \
        ({} if row["before"] is None else {"value": row["before"]})
    after = row["after"] if isinstance(row["after"], dict) else ({} if row["after"] is None else {"value": row["after"]})
    out = []
    for key in [*before, *[k for k in after if k not in before]]:
        if key in HIDDEN or key in IN_THE_NAME.get(row["entity"], ()):
            continue
        label = gettext(FIELDS[key]) if key in FIELDS else ""
        old = _value(key, before[key], row, names) if key in before else None
        new = _value(key, after[key], row, names) if key in after else None
        if key in before and key in after and old == new:
            if key in CONTEXT:
                out.append(Change(label, None, new, "" if label else key))
            continue
        out.append(Change(label, old, new, "" if label else key))
    return out


async def explain(rows: list[dict[str, Any]]) -> list[Line]:
    """Rows of `audit_log.entries` (newest first) as people read them."""
    names = await _names(rows)
    out = []
    for row in rows:
        username = row["username"] or ""
        obj, link = _object(row, names)
        out.append(Line(
            id=row["id"], at=row["at"], who=names.display.get(username, username) or gettext(N_("the system")),
            username=username, action=action_label(row["action"]), action_code=row["action"], entity=row["entity"],
            entity_id=row["entity_id"], object=obj, link=link, changes=_changes(row, names),
            reason=row["reason"] or "", ip=row["ip"] or "", raw_before=row["before"], raw_after=row["after"]))
    return out


def _plain(value: str | None) -> str | None:
    """A value as text: an identifier marked for pages (`translate="no"`) loses its tag."""
    return value.striptags() if isinstance(value, Markup) else value


def changes_text(line: Line) -> str:
    """The changes of one entry on one line (for the CSV)."""
    parts = []
    for change in line.changes:
        label = change.label or change.code
        change = Change(label, _plain(change.before), _plain(change.after))
        if change.before is None:
            parts.append(f"{label}: {change.after}")
        elif change.after is None:
            parts.append(f"{label}: {change.before} → –")
        else:
            parts.append(f"{label}: {change.before} → {change.after}")
    return "; ".join(parts)
