"""Rule set versions in the database: the shipped files, drafts, two-person checks and publication.

- The files shipped with phuhop (`scoring/rules/*.yaml`) are registered as published versions the
  first time they are needed ("shipped"), so every version a score names stays readable even
  after an upgrade ships a newer file.
- An administrator makes a **draft** from a spreadsheet or by editing numbers on the web. Only
  they edit it. Its PROVISIONAL marks follow `items.settle_marks`: a changed item is PROVISIONAL.
- A **second** administrator (never the one who entered it) checks items against the paper
  source (document number, date, page). A check names the item's content; editing the item
  afterwards voids it.
- When every changed item is checked, the draft can be **published**: checked items lose their
  PROVISIONAL marks, and the version is immutable from then on. It names who entered it, who
  checked it, and the sources. A published version changes no period by itself: it is applied to
  a period after a what-if (`server.rules.apply`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from litestar.exceptions import NotFoundException

from forms.indicators import KNOWN as COLLECTED
from scoring.ruleset import RuleSet, check_document, list_rules, load_rules
from server.core import audit
from server.core.db import write_transaction
from server.core.i18n import N_
from server.core.tables import RuleCheck, RuleVersion, User
from server.core.errors import FieldError, InputError
from server.review.errors import NotAllowed, invalid
from server.rules import items
from server.rules.messages import as_msgid
from server.rules.spreadsheet import SheetRead, read_workbook

STATES = ("draft", "published", "discarded")
STATE_LABELS = {"draft": N_("Draft"), "published": N_("Published"), "discarded": N_("Discarded")}
ORIGIN_LABELS = {"shipped": N_("Shipped with phuhop"), "spreadsheet": N_("Spreadsheet"), "web": N_("Entered on the web")}


BASE_MOVED = N_("Another version of this rule set was published after this draft was made. Make a new draft from "
                "the version in force.")
STALE_CHECK = N_("The author changed this line after you opened the page: nothing was checked. Its new numbers are "
                 "shown below; check them against the paper again.")
STALE_DRAFT = N_("Someone changed this draft after you opened it. Reload the page to see the changes, then try again.")


class RulesConflict(InputError):
    """The draft changed (or was published) since the page was opened: nothing was changed (HTTP 409)."""

    def __init__(self, message: str = STALE_DRAFT) -> None:
        super().__init__([FieldError("revision", "stale", message)], detail=message, status_code=409)


_parsed: dict[str, RuleSet] = {}


def rules_of(row: RuleVersion) -> RuleSet:
    """The checked rule set of a stored version (parsed once per content)."""
    document = row.document if isinstance(row.document, dict) else {}
    cache_key = f"{row.sha256}:{row.version}:{document.get('status', '')}"
    found = _parsed.get(cache_key)
    if found is None:
        found, problems = check_document(document)
        if found is None:  # stored versions were checked when written: this is a damaged row
            raise RuntimeError(f"rule version {row.key} does not pass the rule checks: {problems[:3]}")
        _parsed[cache_key] = found
    return found


async def _row(query: Any) -> RuleVersion | None:
    return await query.first().output(load_json=True).run()


async def get(version_id: int) -> RuleVersion:
    row = await _row(RuleVersion.objects().where(RuleVersion.id == version_id))
    if row is None:
        raise NotFoundException(N_("There is no such version of a rule set."))
    return row


async def by_name(rule_set: str, version: str) -> RuleVersion | None:
    return await _row(RuleVersion.objects().where(RuleVersion.key == f"{rule_set}:{version}"))


async def shipped(rule_set: str) -> RuleVersion:
    """The file shipped with phuhop as a stored, published version (registered on first use)."""
    rules = load_rules(rule_set)
    existing = await by_name(rule_set, rules.version)
    if existing is not None and existing.sha256 == rules.sha256:
        return existing
    version = rules.version if existing is None else f"{rules.version}+{rules.sha256[:8]}"  # a file edited in place
    found = await by_name(rule_set, version)
    if found is not None:
        return found
    row = RuleVersion(key=f"{rule_set}:{version}", rule_set=rule_set, version=version, state="published",
                      origin="shipped", document={**items.document_of(rules), "version": version}, sha256=rules.sha256,
                      note=rules.status, published_at=datetime.now(timezone.utc))
    try:
        async with write_transaction():
            await row.save().run()
            await audit.record("rules_registered", "rule_version", row.id, username="system",
                               after={"rule_set": rule_set, "rule_version": version, "sha256": rules.sha256})
    except Exception:  # another request registered it first (unique key)
        found = await by_name(rule_set, version)
        if found is None:
            raise
        return found
    return await get(row.id)


async def rule_set_ids() -> list[str]:
    """Every rule set a period can use: the shipped ones and those with a published version."""
    rows = await RuleVersion.select(RuleVersion.rule_set).where(RuleVersion.state == "published").distinct().run()
    return sorted(set(list_rules()) | {row["rule_set"] for row in rows})


async def in_force(rule_set: str) -> RuleVersion | None:
    """The newest published version of a rule set (what a new period uses and a new draft starts from)."""
    if rule_set in list_rules():
        await shipped(rule_set)
    return await _row(RuleVersion.objects().where((RuleVersion.rule_set == rule_set)
                                                  & (RuleVersion.state == "published")).order_by(
        RuleVersion.published_at, ascending=False).order_by(RuleVersion.id, ascending=False))


async def rules_for(rule_set: str, version: str | None) -> RuleSet:
    """The rules a period (or a province of it) names: a stored version, or the shipped file (None)."""
    if version is None:
        return load_rules(rule_set)
    row = await by_name(rule_set, version)
    if row is None:
        if rule_set in list_rules() and load_rules(rule_set).version == version:
            return load_rules(rule_set)
        raise NotFoundException(N_("There is no such version of a rule set."))
    return rules_of(row)


async def listing(rule_set: str | None = None) -> list[dict[str, Any]]:
    """Versions (newest first) with who entered and published them."""
    for shipped_id in list_rules():
        if rule_set in (None, shipped_id):
            await shipped(shipped_id)
    query = RuleVersion.select(
        RuleVersion.id, RuleVersion.key, RuleVersion.rule_set, RuleVersion.version, RuleVersion.state,
        RuleVersion.origin, RuleVersion.sha256, RuleVersion.created_at, RuleVersion.published_at,
        RuleVersion.source_name, RuleVersion.entered_by.display_name.as_alias("entered_by"),
        RuleVersion.published_by.display_name.as_alias("published_by"))
    if rule_set is not None:
        query = query.where(RuleVersion.rule_set == rule_set)
    return await query.order_by(RuleVersion.rule_set).order_by(RuleVersion.id, ascending=False).run()


# ---------------------------------------------------------------- drafts

@dataclass
class DraftReport:
    row: RuleVersion
    changes: list[items.Change]
    marks_not_taken: list[str]  # items whose PROVISIONAL cells were typed otherwise than the draft keeps them


def known_indicators(base: RuleSet | None) -> set[str]:
    """Keys a new line may read: those a form collects, the shipped rule sets', the base version's."""
    keys = set(COLLECTED)
    for rule_id in list_rules():
        keys.update(load_rules(rule_id).indicators)
    if base is not None:
        keys.update(base.indicators)
    return keys


def check_admin(user: User) -> None:
    if user is None or user.role != "admin":
        raise NotAllowed(N_("Only administrators can change rule sets."))


def problems_as_errors(problems: list[tuple[tuple, str]]) -> list[tuple[str, str, dict[str, str]]]:
    """Rule-check problems as (where, msgid, params) for a page or the command line."""
    out = []
    for loc, message in problems:
        msgid, params = as_msgid(message)
        out.append((".".join(str(part) for part in loc), msgid, params))
    return out


async def _next_version(rule_set: str, base: RuleVersion | None, wanted: str) -> str:
    """An unused version name: the typed one if free and new, else the base's stem and the next number.

    Versions entered here extend the shipped version they come from ("2019.1" → "2019.1.1", "2019.1.2"),
    so that a newer file shipped by the developers ("2019.2") never takes a name already used here.
    """
    taken = {row["version"] for row in await RuleVersion.select(RuleVersion.version).where(
        RuleVersion.rule_set == rule_set).run()}
    if base is None and wanted and wanted not in taken:
        return wanted
    stem = (base.version if base.origin == "shipped" else base.version.rsplit(".", 1)[0]) if base else (wanted or "1")
    number = 1
    while f"{stem}.{number}" in taken:
        number += 1
    return f"{stem}.{number}"


def _status(version: str, base: RuleVersion | None, note: str) -> str:
    """The `status` text of a draft (the rule file's free description; English, like the shipped files')."""
    text = f"Version {version}" + (f", made from {base.version}." if base else ".")
    return f"{text} {note}" if note else text


async def create_draft(document: dict[str, Any], user: User, *, origin: str, source_name: str = "", note: str = "",
                       ip: str | None = None) -> DraftReport:
    """A new draft of the document's rule set, made from the version in force (its diff's other side)."""
    check_admin(user)
    rules, problems = check_document(document)
    if rules is None:
        raise invalid("file", "invalid", N_("The rule set has errors."))
    base = await in_force(rules.id)
    base_document = base.document if base is not None else None
    unknown = set(rules.indicators) - known_indicators(rules_of(base) if base else None)
    if unknown:
        raise invalid("file", "unknown_indicator", N_("No form collects the indicator %(keys)s: a new indicator "
                                                      "needs a new form version first."), keys=", ".join(sorted(unknown)))
    settled, different = items.settle_marks(items.document_of(rules), base_document)
    note = " ".join(note.split())[:2000]
    changes = items.diff(base_document, settled)
    async with write_transaction():
        if base is not None:  # drafts made at once from one version: each waits here, then takes the next number
            await RuleVersion.update({RuleVersion.revision: RuleVersion.revision}).where(RuleVersion.id == base.id).run()
        version = await _next_version(rules.id, base, rules.version)
        settled.update(version=version, status=_status(version, base, note))
        final, problems = check_document(settled)
        assert final is not None, problems
        row = RuleVersion(key=f"{rules.id}:{version}", rule_set=rules.id, version=version, state="draft",
                          origin=origin, document=settled, sha256=final.sha256, base=base.id if base else None,
                          source_name=source_name[:200], note=note, entered_by=user.id)
        await row.save().run()
        await audit.record("rules_draft_created", "rule_version", row.id, user=user, ip=ip, reason=note or None,
                           after={"rule_set": rules.id, "rule_version": version, "base": base.version if base else None,
                                  "origin": origin, "file": source_name or None, "sha256": final.sha256,
                                  "changed": [change.key for change in changes]})
    return DraftReport(await get(row.id), changes, different)


async def draft_from_workbook(content: bytes, user: User, *, source_name: str, note: str = "",
                              ip: str | None = None) -> tuple[SheetRead, DraftReport | None]:
    """Read a spreadsheet, check it as a rule file and against the indicators forms collect, and store it
    as a draft; nothing is stored when any cell or check fails (the problems are in the SheetRead)."""
    check_admin(user)
    read = read_workbook(content)
    if read.rules is not None:
        base = await in_force(read.rules.id)
        read.refuse_unknown_indicators(known_indicators(rules_of(base) if base else None))
    if read.document is None:
        return read, None
    return read, await create_draft(read.document, user, origin="spreadsheet", source_name=source_name, note=note,
                                    ip=ip)


def check_editable(row: RuleVersion, user: User) -> None:
    """Only the administrator who entered a draft changes its numbers (the others check them)."""
    check_admin(user)
    if row.state != "draft":
        raise invalid("state", "not_draft", N_("Only a draft can be changed; a published version never changes."))
    if row.entered_by != user.id:
        raise NotAllowed(N_("Only the administrator who entered this draft can change its numbers; you can check "
                            "them."))


async def save_draft(row: RuleVersion, document: dict[str, Any], user: User, seen_revision: int | None,
                     ip: str | None = None) -> list[str]:
    """Store edited numbers; edited items become PROVISIONAL (their earlier checks no longer hold).

    Returns the keys of the items that changed in this edit.
    """
    check_editable(row, user)
    if seen_revision != row.revision:
        raise RulesConflict()
    rules, problems = check_document(document)
    if rules is None:
        raise InputError([FieldError(where or "document", "invalid", msgid, params)
                          for where, msgid, params in problems_as_errors(problems)])
    before = items.items_of(row.document)
    edited = {key for key, item in items.items_of(document).items()
              if key not in before or before[key].content != item.content}
    edited |= {key for key in before if key not in items.items_of(document)}
    if not edited:
        raise invalid("document", "unchanged", N_("Nothing was changed."))
    document = items.mark_all(document, edited)
    document.update(version=row.version, status=row.document["status"])
    final, problems = check_document(document)
    assert final is not None, problems
    async with write_transaction():
        updated = await RuleVersion.update({RuleVersion.document: document, RuleVersion.sha256: final.sha256,
                                            RuleVersion.revision: row.revision + 1}).where(
            (RuleVersion.id == row.id) & (RuleVersion.revision == row.revision)
            & (RuleVersion.state == "draft")).returning(RuleVersion.id).run()
        if not updated:
            raise RulesConflict()
        await audit.record("rules_draft_saved", "rule_version", row.id, user=user, ip=ip,
                           before={key: before[key].content for key in sorted(edited) if key in before},
                           after={key: item.content for key, item in items.items_of(document).items()
                                  if key in edited})
    return sorted(edited)


async def discard(row: RuleVersion, user: User, reason: str, ip: str | None = None) -> None:
    check_admin(user)
    if row.state != "draft":
        raise invalid("state", "not_draft", N_("Only a draft can be discarded."))
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise invalid("reason", "required", N_("Give the reason for this change."))
    async with write_transaction():
        updated = await RuleVersion.update({RuleVersion.state: "discarded"}).where(
            (RuleVersion.id == row.id) & (RuleVersion.state == "draft")).returning(RuleVersion.id).run()
        if not updated:
            raise RulesConflict()
        await audit.record("rules_draft_discarded", "rule_version", row.id, user=user, ip=ip, reason=reason,
                           before={"state": "draft"}, after={"state": "discarded"})


# ---------------------------------------------------------------- checks by a second administrator

@dataclass
class Source:
    number: str
    date: str
    page: str
    note: str


_PAGE = re.compile(r"^[0-9]{1,4}(?:\s*[-–]\s*[0-9]{1,4})?$")


def parse_source(number: str, when: str, page: str, note: str = "") -> Source:
    """The paper source of a check: every field named in the errors, all at once."""
    errors = []
    number = " ".join((number or "").split())
    if not 3 <= len(number) <= 100:
        errors.append(FieldError("document_number", "required", N_("Give the document's number (for example "
                                                                   "06/QĐ-TTg or 123/LĐTBXH-TE).")))
    when = (when or "").strip()
    try:
        parsed = date.fromisoformat(when)
        if not date(1990, 1, 1) <= parsed <= date.today():
            raise ValueError
    except ValueError:
        errors.append(FieldError("document_date", "not_a_date", N_("Enter the document's date (year-month-day), "
                                                                   "not in the future.")))
    page = " ".join((page or "").split())
    if not _PAGE.match(page):
        errors.append(FieldError("page", "invalid", N_("Enter the page (a number such as 12, or 12–13).")))
    if errors:
        raise InputError(errors)
    return Source(number, when, page.replace(" ", ""), " ".join((note or "").split())[:1000])


async def checks_of(row: RuleVersion) -> list[dict[str, Any]]:
    """Every check of a draft, oldest first, with who made it."""
    return await RuleCheck.select(
        RuleCheck.id, RuleCheck.item, RuleCheck.content_sha256, RuleCheck.document_number, RuleCheck.document_date,
        RuleCheck.page, RuleCheck.note, RuleCheck.checked_at, RuleCheck.verified_by.id.as_alias("verified_by_id"),
        RuleCheck.verified_by.display_name.as_alias("verified_by"),
    ).where(RuleCheck.rule_version == row.id).order_by(RuleCheck.id).run()


@dataclass
class ItemState:
    """One item of a draft as the checking page shows it."""

    change: items.Change | None  # None: unchanged
    item: items.Item | None  # None: removed
    check: dict[str, Any] | None  # the check that holds for the item's present content

    @property
    def needs_check(self) -> bool:
        return self.change is not None and self.check is None


async def item_states(row: RuleVersion) -> dict[str, ItemState]:
    """Each item of the draft (and each removed one): its change against the base and its valid check."""
    base = await get(row.base) if row.base else None
    changes = {change.key: change for change in items.diff(base.document if base else None, row.document)}
    present = items.items_of(row.document)
    valid: dict[str, dict[str, Any]] = {}
    for check in await checks_of(row):
        item = present.get(check["item"])
        content = item.sha256 if item is not None else "removed"
        if check["content_sha256"] == content:
            valid[check["item"]] = check
    states = {key: ItemState(changes.get(key), item, valid.get(key)) for key, item in present.items()}
    for key, change in changes.items():
        if change.status == "removed":
            states[key] = ItemState(change, None, valid.get(key))
    return states


async def check_item(row: RuleVersion, key: str, user: User, source: Source, ip: str | None = None,
                     seen: str | None = None) -> None:
    """A second administrator confirms one item against the paper source.

    `seen` is the item's content as the checker's page showed it (its sha256): numbers changed by the author
    after the page was opened are not confirmed by a check of the older ones (409)."""
    check_admin(user)
    if row.state != "draft":
        raise invalid("state", "not_draft", N_("Only a draft's lines are checked; a published version never changes."))
    if row.entered_by == user.id:
        raise NotAllowed(N_("You entered this draft: a second administrator must check it against the paper source."))
    states = await item_states(row)
    state = states.get(key)
    if state is None:
        raise invalid("item", "unknown", N_("This draft has no such line."))
    if state.check is not None:
        raise invalid("item", "already_checked", N_("This line is already checked."))
    if state.change is None and not (state.item and state.item.provisional and state.item.kind in items.FLAGGED):
        raise invalid("item", "nothing_to_check", N_("This line neither changed nor is provisional: there is "
                                                     "nothing to check."))
    content = state.item.sha256 if state.item is not None else "removed"
    if seen is not None and seen != content:
        raise RulesConflict(STALE_CHECK)
    async with write_transaction():
        check = RuleCheck(rule_version=row.id, item=key, content_sha256=content, verified_by=user.id,
                          document_number=source.number, document_date=source.date, page=source.page,
                          note=source.note)
        await check.save().run()
        await audit.record("rules_item_checked", "rule_version", row.id, user=user, ip=ip, reason=source.note or None,
                           after={"item": key, "document_number": source.number, "document_date": source.date,
                                  "page": source.page})


async def publish(row: RuleVersion, user: User, seen_revision: int | None, ip: str | None = None) -> RuleVersion:
    """Every changed item checked by a second administrator → a published, immutable version."""
    check_admin(user)
    if row.state != "draft":
        raise invalid("state", "not_draft", N_("Only a draft can be published."))
    if seen_revision != row.revision:
        raise RulesConflict()
    states = await item_states(row)
    missing = [key for key, state in states.items() if state.needs_check]
    if missing:
        raise invalid("state", "unchecked", N_("%(count)s changed lines are not checked yet against the paper source "
                                               "by a second administrator."), count=len(missing))
    checked = {key for key, state in states.items() if state.check is not None}
    if not checked:
        raise invalid("state", "nothing", N_("Nothing changed and nothing was checked: there is nothing to publish."))
    current = await in_force(row.rule_set)
    if current is not None and row.base != current.id:
        raise invalid("state", "base_moved", BASE_MOVED)
    document = items.lift(row.document, checked)
    verifiers = sorted({state.check["verified_by"] for state in states.values() if state.check})
    entered = await _name(row.entered_by) if row.entered_by else "?"
    document["status"] = (f"{row.document['status']} Entered by {entered}, checked by {', '.join(verifiers)} "
                          "against the paper sources.")
    final, problems = check_document(document)
    assert final is not None, problems
    now = datetime.now(timezone.utc)
    async with write_transaction():
        if row.base is not None:  # two drafts of one base published at once: the second waits here, then is refused
            await RuleVersion.update({RuleVersion.revision: RuleVersion.revision}).where(RuleVersion.id == row.base).run()
            current = await in_force(row.rule_set)
            if current is not None and row.base != current.id:
                raise invalid("state", "base_moved", BASE_MOVED)
        updated = await RuleVersion.update({
            RuleVersion.state: "published", RuleVersion.document: document, RuleVersion.sha256: final.sha256,
            RuleVersion.published_by: user.id, RuleVersion.published_at: now, RuleVersion.revision: row.revision + 1,
        }).where((RuleVersion.id == row.id) & (RuleVersion.state == "draft")
                 & (RuleVersion.revision == row.revision)).returning(RuleVersion.id).run()
        if not updated:
            raise RulesConflict()
        await audit.record("rules_published", "rule_version", row.id, user=user, ip=ip,
                           before={"state": "draft"},
                           after={"state": "published", "rule_set": row.rule_set, "rule_version": row.version,
                                  "sha256": final.sha256, "checked": sorted(checked), "verified_by": verifiers,
                                  "provisional_numbers": final.provisional_numbers()})
    return await get(row.id)


async def _name(user_id: int) -> str:
    row = await User.select(User.display_name).where(User.id == user_id).first().run()
    return row["display_name"] if row else "?"


async def people(row: RuleVersion) -> dict[str, str]:
    """Who entered and who published a version, by name."""
    names = {}
    for role, user_id in (("entered_by", row.entered_by), ("published_by", row.published_by)):
        if user_id:
            names[role] = await _name(user_id)
    return names
