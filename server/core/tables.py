"""Piccolo tables. Schema changes are additive (SQLite's auto-migrations are partial)."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    UUID,
    Boolean,
    Float,
    ForeignKey,
    Integer,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from server.core.db import DB


class Unit(Table, db=DB):
    """An administrative unit of one registry set (legacy 3-tier or 2025 2-tier).

    Depth is data: `level` 1 is a province, the deepest level holds communes (kind 'commune').
    """

    id = Serial(primary_key=True)
    unit_set = Varchar(length=16, index=True)  # "legacy" | "2025"
    key = Varchar(length=24, unique=True)  # "<unit_set>:<code>": the official code is unique per set
    code = Varchar(length=16, index=True)
    name = Varchar(length=200)
    name_ascii = Varchar(length=200, index=True)  # lower-case, no diacritics: for search
    kind = Varchar(length=16)  # province | district | commune
    level = Integer()
    parent = ForeignKey("self", null=True, on_delete=OnDelete.restrict, index=True)
    path = Varchar(length=64, index=True)  # "/01/001/00001": ancestors' codes, for area checks
    commune_type = Varchar(length=32, null=True, default=None)  # scoring type of a commune
    lat = Float(null=True, default=None)
    lon = Float(null=True, default=None)
    population = Integer(null=True, default=None)


class User(Table, db=DB, tablename="phuhop_user"):
    id = Serial(primary_key=True)
    username = Varchar(length=64, unique=True)
    password_hash = Varchar(length=200)
    display_name = Varchar(length=200)
    role = Varchar(length=16)  # collaborator | reviewer | admin
    unit = ForeignKey(Unit, null=True, on_delete=OnDelete.restrict)  # commune of a collaborator, area of a reviewer
    language = Varchar(length=8, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    must_change_password = Boolean(default=False)  # a temporary password set by an administrator


class Period(Table, db=DB):
    """An assessment period: its rule set and the form versions it accepts are data."""

    id = Serial(primary_key=True)
    name = Varchar(length=200)
    year = Integer()
    rule_set = Varchar(length=32)
    unit_set = Varchar(length=16)
    form_versions = JSON(default={})  # {"play-area": [1, 2], ...}
    opens_on = Varchar(length=10, null=True, default=None)  # ISO dates
    closes_on = Varchar(length=10, null=True, default=None)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    rule_version = Varchar(length=40, null=True, default=None)  # of `rule_set`; None: the file shipped with phuhop
    review_level = Varchar(length=16, null=True, default=None)  # district | province | commune; None: the registry's
    covers_from = Varchar(length=10, null=True, default=None)  # ISO dates: the span the figures describe
    covers_to = Varchar(length=10, null=True, default=None)


class Submission(Table, db=DB):
    """One filled form. `uuid` is made by the phone so that a resend is stored once."""

    id = Serial(primary_key=True)
    uuid = UUID(unique=True)
    form_id = Varchar(length=64, index=True)
    form_version = Integer()
    commune = ForeignKey(Unit, index=True, on_delete=OnDelete.restrict)
    period = ForeignKey(Period, null=True, index=True, on_delete=OnDelete.restrict)
    author = ForeignKey(User, on_delete=OnDelete.restrict)
    answers = JSON()
    state = Varchar(length=16, default="stored")
    source = Varchar(length=16, default="web")  # web | api | openrosa
    client_created_at = Varchar(length=40, null=True, default=None)
    received_at = Timestamptz(default=TimestamptzNow())
    # An edit (ODK Collect's meta/deprecatedID) names the submission it replaces; that one is kept as
    # history and no longer counts while the edit does (server/collection/edits.py). A submission is
    # replaced once (a unique index made by its own migration: SQLite adds no UNIQUE column).
    replaces = UUID(null=True, default=None, index=True)


class AuditLog(Table, db=DB):
    """Append-only record of every write: who, when, what, why."""

    id = Serial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    user = ForeignKey(User, null=True, on_delete=OnDelete.restrict)
    username = Varchar(length=64, null=True, default=None)
    action = Varchar(length=64, index=True)
    entity = Varchar(length=64)
    entity_id = Varchar(length=64, null=True, default=None)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    reason = Text(null=True, default=None)
    ip = Varchar(length=64, null=True, default=None)


class UserSession(Table, db=DB):
    """A login on one browser (server/accounts/sessions.py): the cookie holds a random token, this row its hash.

    Ending the row (logout, password change, deactivation, "log out everywhere") logs that browser out at once.
    """

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, index=True, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(default=TimestamptzNow())
    ended_at = Timestamptz(null=True, default=None)
    ended_by = Varchar(length=64, null=True, default=None)
    end_reason = Varchar(length=32, null=True, default=None)
    ip = Varchar(length=64, null=True, default=None)
    user_agent = Varchar(length=200, null=True, default=None)


class LoginAttempt(Table, db=DB):
    """Login attempts counted by the throttle (server/accounts/throttle.py), shared by all workers: written before
    the password is checked, removed for a name and address when it logs in."""

    id = Serial(primary_key=True)
    username = Varchar(length=64, index=True)
    ip = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)


class Assessment(Table, db=DB):
    """One commune in one period, moving through the official procedure (see server/review states).

    `key` ("<period id>:<commune id>") makes the pair unique on both engines; `version` is bumped by
    every write so that a reviewer acting on a stale page gets a conflict, not a silent overwrite.
    """

    id = Serial(primary_key=True)
    key = Varchar(length=40, unique=True)
    period = ForeignKey(Period, index=True, on_delete=OnDelete.restrict)
    commune = ForeignKey(Unit, index=True, on_delete=OnDelete.restrict)
    state = Varchar(length=24, default="not_started", index=True)
    version = Integer(default=1)
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    extended_until = Varchar(length=10, null=True, default=None)  # a reviewer's later closing date for this commune


class Correction(Table, db=DB):
    """A reviewer's correction of one indicator value; the reported value is never overwritten."""

    id = Serial(primary_key=True)
    assessment = ForeignKey(Assessment, index=True, on_delete=OnDelete.restrict)
    indicator = Varchar(length=64)
    before = JSON(null=True, default=None)
    after = JSON(null=True, default=None)
    reason = Text()
    author = ForeignKey(User, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


class Score(Table, db=DB):
    """A stored result: the rule set and form versions it used, so code or rule changes never alter it."""

    id = Serial(primary_key=True)
    assessment = ForeignKey(Assessment, index=True, on_delete=OnDelete.restrict)
    rules_id = Varchar(length=32)
    rules_version = Varchar(length=32)
    rules_sha256 = Varchar(length=64)
    form_versions = JSON(default={})
    indicators = JSON()
    result = JSON()
    total = Integer()
    certified = Boolean()
    provisional = Boolean()
    computed_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    computed_at = Timestamptz(default=TimestamptzNow())
    reason = Text(null=True, default=None)


class ReviewComment(Table, db=DB):
    """What a reviewer said when returning, approving or reopening (the collaborator sees it)."""

    id = Serial(primary_key=True)
    assessment = ForeignKey(Assessment, index=True, on_delete=OnDelete.restrict)
    author = ForeignKey(User, on_delete=OnDelete.restrict)
    action = Varchar(length=24)
    text = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class CertificationList(Table, db=DB):
    """One revision of a period's list for an area: draft → posted (comment dates) → final (immutable)."""

    id = Serial(primary_key=True)
    key = Varchar(length=60, unique=True)  # "<period id>:<area unit id>:<revision>"
    period = ForeignKey(Period, index=True, on_delete=OnDelete.restrict)
    area = ForeignKey(Unit, index=True, on_delete=OnDelete.restrict)
    revision = Integer(default=1)
    state = Varchar(length=16, default="draft")
    comment_from = Varchar(length=10, null=True, default=None)
    comment_to = Varchar(length=10, null=True, default=None)
    note = Text(default="")
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    posted_at = Timestamptz(null=True, default=None)
    finalized_at = Timestamptz(null=True, default=None)
    # The signed recognition decision, required to make a list final (server/review/decisions.py).
    decision_number = Varchar(length=60, null=True, default=None)
    decision_date = Varchar(length=10, null=True, default=None)
    decision_signer = Varchar(length=200, null=True, default=None)
    decision_pdf_sha256 = Varchar(length=64, null=True, default=None)  # <data dir>/decisions/<sha256>.pdf
    decision_pdf_bytes = Integer(null=True, default=None)
    early_reason = Text(null=True, default=None)  # why it was made final before its comment period ended


class ListComment(Table, db=DB):
    """A comment received while a list was posted, and the answer given (who, what, when)."""

    id = Serial(primary_key=True)
    certification_list = ForeignKey(CertificationList, index=True, on_delete=OnDelete.restrict)
    received_on = Varchar(length=10)
    sender = Varchar(length=200)  # a person or an office, as the comment was signed
    text = Text()
    answer = Text(default="")
    recorded_by = ForeignKey(User, on_delete=OnDelete.restrict)
    recorded_at = Timestamptz(default=TimestamptzNow())
    answered_at = Timestamptz(null=True, default=None)


class CertificationEntry(Table, db=DB):
    """A commune on a list, with the stored score it was listed with."""

    id = Serial(primary_key=True)
    certification_list = ForeignKey(CertificationList, index=True, on_delete=OnDelete.restrict)
    commune = ForeignKey(Unit, on_delete=OnDelete.restrict)
    score = ForeignKey(Score, on_delete=OnDelete.restrict)
    commune_type = Varchar(length=32)
    total = Integer()
    threshold = Integer()
    certified = Boolean()
    provisional = Boolean()


class Boundary(Table, db=DB):
    """A commune's boundary (GeoJSON geometry) uploaded by an admin, matched by official code."""

    id = Serial(primary_key=True)
    unit = ForeignKey(Unit, unique=True, on_delete=OnDelete.restrict)
    geometry = JSON()
    uploaded_by = ForeignKey(User, on_delete=OnDelete.restrict)
    uploaded_at = Timestamptz(default=TimestamptzNow())


class DeviceToken(Table, db=DB):
    """An ODK Collect token of one collaborator (only its hash is stored); an admin can revoke it."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(User, index=True, on_delete=OnDelete.restrict)
    label = Varchar(length=200, default="")
    created_by = ForeignKey(User, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class UnitLink(Table, db=DB):
    """The 2025 merger: a legacy unit and a 2025 commune that took all or part of it.

    Built from the conversion data of `vietnamadminunits` (server/history/crosswalk.py). `whole`:
    the legacy commune went entirely into this one; otherwise it was split and `main` marks the
    successor the package names as its default (the new commune holding the old one's centre).
    """

    id = Serial(primary_key=True)
    key = Varchar(length=40, unique=True)  # "<legacy code>:<2025 code>"
    legacy = ForeignKey(Unit, index=True, on_delete=OnDelete.restrict)
    successor = ForeignKey(Unit, index=True, on_delete=OnDelete.restrict)
    whole = Boolean(default=True)
    main = Boolean(default=True)


class HistoryImport(Table, db=DB):
    """One spreadsheet imported: a past round's results or a year's registrations. Read-only once stored.

    `sha256` of the file's bytes with the kind, year and set make `key`: importing the same file
    again finds this row and changes nothing.
    """

    id = Serial(primary_key=True)
    key = Varchar(length=120, unique=True)  # "<kind>:<unit set>:<year>:<sha256>"
    kind = Varchar(length=16)  # results | registrations
    year = Integer(index=True)
    unit_set = Varchar(length=16)
    rule_set = Varchar(length=32, null=True, default=None)  # the decision in force that year (thresholds)
    file_name = Varchar(length=255)
    sha256 = Varchar(length=64)
    rows = Integer(default=0)
    imported_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    imported_by_name = Varchar(length=64)  # the account, or the CLI's --by
    imported_at = Timestamptz(default=TimestamptzNow())


class HistoryRow(Table, db=DB):
    """One row of an imported spreadsheet, as read, and the commune it was matched to.

    `status`: matched | resolved (a person chose the commune) | ambiguous | unmatched | invalid |
    skipped (a person said it is no commune of the registry). Only matched and resolved rows count.
    """

    id = Serial(primary_key=True)
    history_import = ForeignKey(HistoryImport, index=True, on_delete=OnDelete.restrict)
    row_number = Integer()  # as the spreadsheet numbers it
    status = Varchar(length=16, index=True)
    commune = ForeignKey(Unit, null=True, default=None, index=True, on_delete=OnDelete.restrict)
    source = JSON(default={})  # what the row said: commune, district, province, code
    total = Float(null=True, default=None)  # points as the list gives them (half points exist)
    recognised = Boolean(null=True, default=None)
    decision_number = Varchar(length=64, null=True, default=None)
    decision_date = Varchar(length=10, null=True, default=None)  # ISO date
    registered_on = Varchar(length=10, null=True, default=None)  # ISO date (registrations)
    candidates = JSON(default=[])  # codes a person may choose from (ambiguous rows)
    note = Text(default="")  # why it is held, or how it was matched ("old name")
    resolved_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    resolved_at = Timestamptz(null=True, default=None)


class Registration(Table, db=DB):
    """A commune's registration to build a child-friendly commune in one year (one row per commune and year)."""

    id = Serial(primary_key=True)
    key = Varchar(length=40, unique=True)  # "<commune id>:<year>"
    commune = ForeignKey(Unit, index=True, on_delete=OnDelete.restrict)
    year = Integer(index=True)
    registered_on = Varchar(length=10, null=True, default=None)  # ISO date; None: an imported list gave none
    withdrawn_on = Varchar(length=10, null=True, default=None)
    note = Text(default="")
    source = Varchar(length=32, default="web")  # web | import:<id> | cli
    recorded_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    recorded_at = Timestamptz(default=TimestamptzNow())
    version = Integer(default=1)


class ProgressTarget(Table, db=DB):
    """A national target as data: the share of communes `measure` (registered | meeting) by `year`."""

    id = Serial(primary_key=True)
    key = Varchar(length=40, unique=True)  # "<measure>:<year>"
    measure = Varchar(length=16)
    year = Integer()
    percent = Integer()
    source = Text(default="")  # the programme that sets it
    updated_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    updated_at = Timestamptz(default=TimestamptzNow())


class RuleVersion(Table, db=DB):
    """One edition of a rule set: shipped with phuhop, or entered by an admin (draft → published, then immutable).

    `document` is the rule file's content as data (checked by `scoring.ruleset.check_document`);
    `sha256` is that of its canonical form, the one a score names.
    """

    id = Serial(primary_key=True)
    key = Varchar(length=80, unique=True)  # "<rule_set>:<version>"
    rule_set = Varchar(length=32, index=True)
    version = Varchar(length=40)
    state = Varchar(length=16, default="draft")  # draft | published | discarded
    origin = Varchar(length=16, default="web")  # shipped | spreadsheet | web
    document = JSON()
    sha256 = Varchar(length=64)
    base = ForeignKey("self", null=True, default=None, on_delete=OnDelete.restrict)  # what it was made from
    source_name = Varchar(length=200, default="")  # the uploaded file's name
    note = Text(default="")
    entered_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())
    revision = Integer(default=1)  # bumped by every edit of a draft: a stale page gets a conflict
    published_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    published_at = Timestamptz(null=True, default=None)


class RuleCheck(Table, db=DB):
    """A second administrator's check of one item of a draft (a line, a criterion, a threshold) against paper.

    `content_sha256` is the item as it was checked: editing the item afterwards voids the check.
    """

    id = Serial(primary_key=True)
    rule_version = ForeignKey(RuleVersion, index=True, on_delete=OnDelete.restrict)
    item = Varchar(length=60)  # "line:2.1", "criterion:2", "threshold:other", "source", ...
    content_sha256 = Varchar(length=64)
    verified_by = ForeignKey(User, on_delete=OnDelete.restrict)
    document_number = Varchar(length=100)
    document_date = Varchar(length=10)
    page = Varchar(length=20)
    note = Text(default="")
    checked_at = Timestamptz(default=TimestamptzNow())


class PeriodArea(Table, db=DB):
    """A province's (or, in the legacy registry, a district's) own settings in one period.

    The period's rule set and reviewing level apply everywhere else; the deepest area holding a
    commune decides for it.
    """

    id = Serial(primary_key=True)
    key = Varchar(length=40, unique=True)  # "<period id>:<unit id>"
    period = ForeignKey(Period, index=True, on_delete=OnDelete.restrict)
    unit = ForeignKey(Unit, on_delete=OnDelete.restrict)
    rule_set = Varchar(length=32, null=True, default=None)  # None: the period's
    rule_version = Varchar(length=40, null=True, default=None)
    review_level = Varchar(length=16, null=True, default=None)  # None: the period's


class SubmissionPhoto(Table, db=DB):
    """A photo of a submission, kept on disk at `<data dir>/attachments/<submission uuid>/<stored_name>`.

    `name` is what the answers say (the photo question's value); `stored_name` is made by the server
    from the bytes (never from what the phone sent); `original_name` is the phone's file name, kept as
    data only. See server/collection/photos.py.
    """

    id = Serial(primary_key=True)
    key = Varchar(length=240, unique=True)  # "<submission id>:<name>": one file per photo answer
    submission = ForeignKey(Submission, index=True, on_delete=OnDelete.restrict)
    name = Varchar(length=200)
    stored_name = Varchar(length=80)
    original_name = Varchar(length=500, default="")
    content_type = Varchar(length=32)
    size = Integer()
    width = Integer()
    height = Integer()
    sha256 = Varchar(length=64)
    source = Varchar(length=16, default="web")  # web | openrosa
    uploaded_by = ForeignKey(User, null=True, default=None, on_delete=OnDelete.restrict)
    received_at = Timestamptz(default=TimestamptzNow())


class CheckedFlag(Table, db=DB):
    """A reviewer looked at a plausibility flag and found the value right (server/review/plausibility.py).

    `fingerprint` is of the values the check saw: if they change, the flag is raised again. `key`
    ("<assessment>:<check>:<fingerprint>") keeps one mark per flag on both engines.
    """

    id = Serial(primary_key=True)
    key = Varchar(length=120, unique=True)
    assessment = ForeignKey(Assessment, index=True, on_delete=OnDelete.restrict)
    check = Varchar(length=64)
    fingerprint = Varchar(length=32)
    comment = Text()
    author = ForeignKey(User, on_delete=OnDelete.restrict)
    created_at = Timestamptz(default=TimestamptzNow())


ALL_TABLES: list[type[Table]] = [Unit, User, Period, Submission, AuditLog, LoginAttempt, Assessment, Correction,
                                 Score, ReviewComment, CertificationList, CertificationEntry, Boundary,
                                 DeviceToken, ListComment, UnitLink, HistoryImport, HistoryRow, Registration,
                                 ProgressTarget, SubmissionPhoto, CheckedFlag, RuleVersion, RuleCheck, PeriodArea,
                                 UserSession]
