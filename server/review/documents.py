"""The official documents of a certification list, in the layout of Decree 30/2020/NĐ-CP.

Three kinds, filled from the list: the reviewing body's submission (tờ trình) with the proposed list,
the recognition decision (quyết định công nhận) with its annex list, and one assessment record
(phiếu đánh giá) per commune with every criterion, line, value and point. Each is built once as a
`Paper` (what it says, in order) and then written either as an editable Word file
(`server/review/docx_writer.py`) or as a page ready to print (`document_print.html`), so both say
the same. They are administrative documents, hence always in Vietnamese. What only the office knows
(its number, the date, who signs) is left blank to write in, except on a final list, whose decision
number, date and signer were recorded; a document of a list that is not final is marked DRAFT.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from scoring import COMMUNE_TYPE_LABELS
from server.core.filenames import export_stem
from server.core.i18n import N_, format_number, gettext, use_language
from server.core.tables import CertificationEntry, CertificationList, Period, Unit
from server.review import deadlines, indicators, list_comments, lists
from server.review.pages import reason_text
from server.rules import assign, versions

LANGUAGE = "vi"
NAMES: list[tuple[str, str]] = [
    ("submission", N_("Submission (tờ trình) proposing the recognised communes, with the lists")),
    ("decision", N_("Recognition decision (quyết định công nhận) with its annex list")),
    ("records", N_("Assessment records (phiếu đánh giá) of every commune on the list")),
]
RECORD = re.compile(r"record-([0-9]{1,16})")


@dataclass
class Para:
    """One paragraph: body text is justified with a first-line indent, headings are centred."""

    text: str
    align: str = "justify"  # left | center | right | justify
    bold: bool = False
    italic: bool = False
    size: int = 14
    indent: bool = False


@dataclass
class Grid:
    """A table: header, rows of text, column widths in cm; `strong` rows in bold, `marked` rows PROVISIONAL."""

    header: list[str]
    rows: list[list[str]]
    widths: list[float]
    strong: set[int] = field(default_factory=set)
    marked: set[int] = field(default_factory=set)
    size: int = 13


Block = Para | Grid


@dataclass
class Paper:
    """One document as Decree 30 lays it out: heading, title and subject, body, recipients and signature."""

    authority: str  # the governing body above the issuer ("" when the issuer is a People's Committee)
    issuer: str
    number: str  # "Số: 12/QĐ-UBND", blanks where unknown; "" for a document without a number
    place_date: str
    draft: str  # "DỰ THẢO" on a list that is not final yet, else ""
    kind: str
    subject: str
    body: list[Block]
    recipients: list[str]
    sign_title: list[str]
    signer: str
    annexes: list[list[Block]] = field(default_factory=list)
    filename: str = "document"


# ---------------------------------------------------------------- words of the heading

PREFIXES = ("Thành phố ", "Tỉnh ", "Thị xã ", "Huyện ", "Quận ", "Thành Phố ")
BLANK = "      "
DOTS = "……"  # a number to write in, inside a sentence (where spaces would close up)


def place_name(area: Unit) -> str:
    """Địa danh: the unit's proper name, without "Tỉnh", "Thành phố", "Huyện"… in front."""
    for prefix in PREFIXES:
        if area.name.startswith(prefix):
            return area.name[len(prefix):]
    return area.name


def in_sentence(area: Unit) -> str:
    """"tỉnh Bắc Ninh": the unit's name as written inside a sentence."""
    return area.name[:1].lower() + area.name[1:]


def committee(area: Unit) -> str:
    """"Ủy ban nhân dân tỉnh Bắc Ninh": the People's Committee of the area."""
    return gettext(N_("People's Committee of %(area)s"), area=in_sentence(area))


def default_body(area: Unit) -> str:
    """The office that reviews for the area: the province's Department of Health (in charge of children since
    2025), or the district's Office of Culture and Society. The page lets the reviewer type another."""
    return gettext(N_("Department of Health") if area.kind == "province" else N_("Office of Culture and Society"))


def symbol(body: str) -> str:
    """"Sở Y tế" → "SYT": the initials an office uses in the symbol of its documents."""
    return "".join(_initial(word) for word in re.split(r"[\s\-–]+", body) if word and word[0].isalpha()).upper()


def _initial(word: str) -> str:
    """A word's first letter without its tone or vowel marks ("Ủy" → "U", as in UBND); Đ stays Đ (SLĐTBXH)."""
    return unicodedata.normalize("NFD", word[0])[0]


def vn_date(day: date | None, place: str, year: int | None = None) -> str:
    """"Bắc Ninh, ngày 05 tháng 01 năm 2026" (Decree 30: a 0 before days under 10 and months 1 and 2);
    blanks to write in when the date is not known yet."""
    if day is None:
        return gettext(N_("%(place)s, day %(day)s month %(month)s year %(year)s"), place=place, day=BLANK,
                       month=BLANK, year=year or deadlines.today().year)
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return gettext(N_("%(place)s, day %(day)s month %(month)s year %(year)s"), place=place, day=f"{day.day:02d}",
                   month=month, year=day.year)


def number_line(number: str | None, kind: str, issuer_symbol: str) -> str:
    return gettext(N_("No.: %(number)s"), number=number or f"{BLANK}/{kind}-{issuer_symbol}")


# ---------------------------------------------------------------- what a list holds

@dataclass
class Listed:
    code: str
    name: str
    parent: str
    commune_type: str
    total: int
    threshold: int
    certified: bool
    provisional: bool
    result: dict[str, Any]
    rules: str


@dataclass
class Source:
    """Everything the documents of one list are made from, read once."""

    row: CertificationList
    period: Period
    area: Unit
    body: str
    entries: list[Listed]
    comments: int
    unanswered: int
    decisions: list[Any]  # the decisions (rule sets' sources) the list's scores were computed under
    rules_used: str  # "vn-2014 2014.1": the rule set versions of those scores

    @property
    def final(self) -> bool:
        return self.row.state == "final"

    @property
    def certified(self) -> list[Listed]:
        return [e for e in self.entries if e.certified]

    @property
    def others(self) -> list[Listed]:
        return [e for e in self.entries if not e.certified]

    @property
    def decision_day(self) -> date | None:
        return date.fromisoformat(self.row.decision_date) if self.final and self.row.decision_date else None


async def load(row: CertificationList, period: Period, body: str | None) -> Source:
    """The list's entries in their official order, each with its stored result, and its comments."""
    rows = await CertificationEntry.select(
        CertificationEntry.commune.code.as_alias("code"), CertificationEntry.score.result.as_alias("result"),
        CertificationEntry.score.rules_id.as_alias("rules_id"),
        CertificationEntry.score.rules_version.as_alias("rules_version"),
    ).where(CertificationEntry.certification_list == row.id).output(load_json=True).run()
    scores = {r["code"]: r for r in rows}
    listed = [Listed(code=e.code, name=e.name, parent=e.parent, commune_type=e.commune_type, total=e.total,
                     threshold=e.threshold, certified=e.certified, provisional=e.provisional,
                     result=scores[e.code]["result"],
                     rules=f'{scores[e.code]["rules_id"]} {scores[e.code]["rules_version"]}')
              for e in await lists.entries([row.id])]
    comments = await list_comments.of_list(row.id)
    used = sorted({(scores[e.code]["rules_id"], scores[e.code]["rules_version"]) for e in listed})
    if not used:  # an empty list: the rules its area is assessed under in the period
        setting = await assign.setting_for(period, row.area.path)
        used = [(setting.rule_set, setting.version)]
    decisions = [(await versions.rules_for(rule_set, version)).source for rule_set, version in used]
    office = " ".join((body or "").split())[:200] or None
    with use_language(LANGUAGE):
        office = office or default_body(row.area)
    return Source(row=row, period=period, area=row.area, body=office, entries=listed, comments=len(comments),
                  unanswered=sum(1 for c in comments if not c["answer"]), decisions=decisions,
                  rules_used=", ".join(f"{rule_set} {version or ''}".strip() for rule_set, version in used))


# ---------------------------------------------------------------- the three documents

def _provisional_note(entries: list[Listed]) -> str:
    if not any(e.provisional for e in entries):
        return ""
    return gettext(N_("(*) PROVISIONAL: some points or thresholds used are placeholders until the official scoring "
                      "annex is transcribed; they are not official figures."))


def _total(entry: Listed) -> str:
    return format_number(entry.total) + (" (*)" if entry.provisional else "")


def _list_grid(entries: list[Listed], with_reasons: bool = False) -> Grid:
    """STT, name, code, (the district, when the list spans several), type, total, threshold (, why not)."""
    with_parent = len({e.parent for e in entries}) > 1
    header = [gettext(N_("No.")), gettext(N_("Commune, ward or township")), gettext(N_("Code"))]
    header += [gettext(N_("Belongs to"))] if with_parent else []
    header += [gettext(N_("Commune type")), gettext(N_("Total points")), gettext(N_("Threshold"))]
    header += [gettext(N_("Why it does not meet the standard"))] if with_reasons else []
    widths = [1.1, 4.6, 1.7] + ([3.0] if with_parent else []) + [3.2, 1.9, 1.9] + ([4.0] if with_reasons else [])
    rows = []
    for number, entry in enumerate(entries, start=1):
        cells = [str(number), entry.name, entry.code] + ([entry.parent] if with_parent else [])
        cells += [gettext(COMMUNE_TYPE_LABELS.get(entry.commune_type, entry.commune_type)), _total(entry),
                  format_number(entry.threshold)]
        if with_reasons:
            cells.append(_reasons(entry.result))
        rows.append(cells)
    return Grid(header, rows, widths)  # provisional totals carry "(*)" and the note under the table


def _annex(title: str, attached: str, entries: list[Listed], with_reasons: bool = False) -> list[Block]:
    blocks: list[Block] = [Para(title.upper(), align="center", bold=True),
                           Para(attached, align="center", italic=True)]
    if entries:
        blocks.append(_list_grid(entries, with_reasons))
    else:
        blocks.append(Para(gettext(N_("(none)")), align="center", italic=True))
    note = _provisional_note(entries)
    if note:
        blocks.append(Para(note, italic=True, size=12))
    return blocks


def _reasons(result: dict[str, Any]) -> str:
    """Why a commune does not meet the standard, as one sentence: "…; …" (each reason's own full stop dropped)."""
    return "; ".join(reason_text(r).rstrip(". ") for r in result.get("reasons", []))


def _legal_bases(source: Source) -> list[Para]:
    """"Căn cứ Quyết định …;" for each decision the list's scores were computed under: a province assessed under
    the 2014 rules cites Decision 34/2014, whatever the period's own rule set."""
    titles = dict.fromkeys(decision.title.vi if LANGUAGE == "vi" else decision.title.en for decision in source.decisions)
    return [Para(gettext(N_("Pursuant to %(decision)s;"), decision=title), indent=True, italic=True) for title in titles]


def _comment_period(source: Source) -> str:
    row = source.row
    if not row.comment_from:
        return gettext(N_("The list has not been posted for public comment yet."))
    counts = {"start": _short(row.comment_from), "end": _short(row.comment_to),
              "count": format_number(source.comments), "answered": format_number(source.comments - source.unanswered)}
    if row.early_reason:  # made final before the end: the document says so, and why
        return gettext(N_("The list was posted publicly for comment from %(start)s, for a period planned to end on "
                          "%(end)s; it is proposed before that day for this reason: %(reason)s. %(count)s comments "
                          "were received and %(answered)s of them were answered."), reason=row.early_reason, **counts)
    if not source.final and deadlines.today() <= date.fromisoformat(row.comment_to):
        return gettext(N_("The list is posted publicly for comment from %(start)s to %(end)s (the period has not "
                          "ended yet); so far %(count)s comments were received and %(answered)s of them were "
                          "answered."), **counts)
    return gettext(N_("The list was posted publicly for comment from %(start)s to %(end)s; %(count)s comments were "
                      "received and %(answered)s of them were answered."), **counts)


def _short(value: str | None) -> str:
    return date.fromisoformat(value).strftime("%d/%m/%Y") if value else BLANK


def _heading(source: Source, issuer_is_committee: bool) -> dict[str, Any]:
    area_committee = committee(source.area)
    issuer = area_committee if issuer_is_committee else source.body
    return {"authority": "" if issuer_is_committee else area_committee.upper(), "issuer": issuer.upper(),
            "draft": "" if source.final else gettext(N_("DRAFT")),
            "_symbol": symbol(gettext(N_("People's Committee")) if issuer_is_committee else source.body)}


def submission(source: Source) -> Paper:
    """Tờ trình: the reviewing body proposes to the People's Committee the communes that meet the standard."""
    head = _heading(source, issuer_is_committee=False)
    year = source.period.year
    place = place_name(source.area)
    ours = gettext(N_("Submission No. %(number)s"), number=f"{BLANK}/TTr-{head['_symbol']}")
    body = [
        *_legal_bases(source),
        Para(gettext(N_("Pursuant to the communes' self-assessments and to the review by %(body)s;"), body=source.body),
             indent=True, italic=True),
        Para(gettext(N_("%(body)s reviewed the dossiers of %(count)s communes, wards and townships of %(area)s for "
                        "the period %(period)s, with the rule set %(rules)s: %(certified)s meet the standard of a "
                        "commune fit for children and %(others)s do not yet meet it."),
                     body=source.body, count=format_number(len(source.entries)), area=in_sentence(source.area),
                     period=source.period.name, rules=source.rules_used,
                     certified=format_number(len(source.certified)), others=format_number(len(source.others))),
             indent=True),
        Para(_comment_period(source), indent=True),
        Para(gettext(N_("%(body)s respectfully submits to the Chairman of the %(committee)s for consideration and "
                        "decision the recognition of %(count)s communes, wards and townships as fit for children in "
                        "%(year)s (list attached)."),
                     body=source.body, committee=committee(source.area), count=format_number(len(source.certified)),
                     year=year), indent=True),
    ]
    annexes = [
        _annex(gettext(N_("List of communes, wards and townships proposed for recognition as fit for children in "
                          "%(year)s"), year=year),
               gettext(N_("(Attached to %(document)s of %(body)s)"), document=ours, body=source.body),
               source.certified),
        _annex(gettext(N_("List of communes, wards and townships that do not yet meet the standard of a commune fit "
                          "for children in %(year)s"), year=year),
               gettext(N_("(Attached to %(document)s of %(body)s)"), document=ours, body=source.body),
               source.others, with_reasons=True),
    ]
    return Paper(
        authority=head["authority"], issuer=head["issuer"], draft=head["draft"],
        number=number_line(None, "TTr", head["_symbol"]), place_date=vn_date(None, place, year),
        kind=gettext(N_("SUBMISSION")),
        subject=gettext(N_("Proposing the recognition of communes, wards and townships fit for children in %(year)s"),
                        year=year),
        body=[Para(gettext(N_("To: the %(committee)s."), committee=committee(source.area)), align="center"), *body],
        recipients=[gettext(N_("As above;")), gettext(N_("Filed: Archives."))],
        sign_title=[gettext(N_("DIRECTOR")) if source.area.kind == "province" else gettext(N_("HEAD OF OFFICE"))],
        signer="", annexes=annexes, filename=export_stem("tờ trình", source.area.name, source.period.year,
                                                       f"lần {source.row.revision}"))


def decision(source: Source) -> Paper:
    """Quyết định công nhận: the Chairman of the People's Committee recognises the communes of the annex."""
    head = _heading(source, issuer_is_committee=True)
    year = source.period.year
    place = place_name(source.area)
    number = source.row.decision_number if source.final else None
    signed_on = source.decision_day
    area_committee = committee(source.area)
    body = [
        Para(gettext(N_("CHAIRMAN OF THE %(committee)s"), committee=area_committee.upper()), align="center", bold=True),
        Para(gettext(N_("Pursuant to the Law on the Organisation of Local Government;")), indent=True, italic=True),
        Para(gettext(N_("Pursuant to the Law on Children of 5 April 2016;")), indent=True, italic=True),
        *_legal_bases(source),
        Para(gettext(N_("At the proposal of %(body)s in its Submission No. %(number)s."), body=source.body,
                     number=f"{BLANK}/TTr-{symbol(source.body)}"), indent=True, italic=True),
        Para(gettext(N_("DECIDES:")), align="center", bold=True),
        Para(gettext(N_("Article 1. To recognise %(count)s communes, wards and townships of %(area)s as fit for "
                        "children in %(year)s (list attached)."),
                     count=format_number(len(source.certified)), area=in_sentence(source.area), year=year),
             indent=True),
        Para(gettext(N_("Article 2. This decision takes effect from the date of signing. The recognition holds until "
                        "the next assessment.")), indent=True),
        Para(gettext(N_("Article 3. The Chief of Office of the %(committee)s, the head of %(body)s, the chairmen of the "
                        "People's Committees of the communes named in Article 1 and the bodies concerned are "
                        "responsible for carrying out this decision."),
                     committee=area_committee, body=source.body), indent=True),
    ]
    when = gettext(N_("of %(date)s"), date=signed_on.strftime("%d/%m/%Y")) if signed_on else ""
    attached = gettext(N_("(Attached to Decision No. %(number)s %(date)s of the Chairman of the %(committee)s)"),
                       number=number or f"{DOTS}/QĐ-{head['_symbol']}", date=when, committee=area_committee)
    annex = _annex(gettext(N_("List of communes, wards and townships recognised as fit for children in %(year)s"),
                           year=year), " ".join(attached.split()), source.certified)
    return Paper(
        authority="", issuer=head["issuer"], draft=head["draft"], number=number_line(number, "QĐ", head["_symbol"]),
        place_date=vn_date(signed_on, place, year), kind=gettext(N_("DECISION")),
        subject=gettext(N_("On the recognition of communes, wards and townships fit for children in %(year)s"),
                        year=year),
        body=body, recipients=[gettext(N_("As in Article 3;")), gettext(N_("%(body)s;"), body=source.body),
                               gettext(N_("Filed: Archives."))],
        sign_title=[gettext(N_("CHAIRMAN"))], signer=(source.row.decision_signer or "") if source.final else "",
        annexes=[annex], filename=export_stem("quyết định công nhận", source.area.name, source.period.year,
                                              f"lần {source.row.revision}"))


def _value(line: dict[str, Any]) -> str:
    if line.get("not_applicable"):
        return gettext(N_("not applicable (%(key)s = 0)"), key=f"«{indicators.label_text(line['not_applicable']['key'])}»")
    value = line.get("value")
    if value in (None, ""):
        return ""
    try:
        decimals = len(str(value).split(".")[1]) if "." in str(value) else 0
        shown = format_number(float(value), decimals)
    except ValueError:
        shown = str(value)
    return f"{shown} {line.get('unit') or ''}".strip() + (f" ({line['band']})" if line.get("band") else "")


def _inputs(line: dict[str, Any]) -> str:
    labels = indicators.indicator_labels()
    parts = []
    for key, value in (line.get("inputs") or {}).items():
        label = labels.get(key, {}).get(LANGUAGE) or key
        shown = gettext(N_("yes")) if value is True else gettext(N_("no")) if value is False else (
            format_number(value) if isinstance(value, int) else str(value))
        parts.append(f"{label}: {shown}")
    return "; ".join(parts)


def record(source: Source, entry: Listed) -> Paper:
    """Phiếu đánh giá: every criterion and line of one commune's stored score, with the PROVISIONAL marks."""
    head = _heading(source, issuer_is_committee=False)
    result = entry.result
    mark = gettext(N_("PROVISIONAL"))
    rows: list[list[str]] = []
    strong: set[int] = set()
    marked: set[int] = set()
    for criterion in result.get("criteria", []):
        strong.add(len(rows))
        if criterion.get("provisional"):
            marked.add(len(rows))
        rows.append([str(criterion["id"]), criterion["title"][LANGUAGE], "", "", format_number(criterion["points"]),
                     format_number(criterion["max"]), mark if criterion.get("provisional") else ""])
        for line in criterion.get("lines", []):
            if line.get("provisional"):
                marked.add(len(rows))
            rows.append([line["id"], line["label"][LANGUAGE], _inputs(line), _value(line),
                         format_number(line["points"]), format_number(line["max"]),
                         mark if line.get("provisional") else ""])
    threshold = format_number(result.get("threshold", entry.threshold)) + (
        f" ({mark})" if result.get("threshold_provisional") else "")
    verdict = gettext(N_("Meets the standard") if entry.certified else N_("Does not meet the standard"))
    reasons = _reasons(result)
    body: list[Block] = [
        Para(gettext(N_("Commune: %(name)s (code %(code)s), %(parent)s."), name=entry.name, code=entry.code,
                     parent=entry.parent)),
        Para(gettext(N_("Commune type: %(type)s. Period: %(period)s. Rule set: %(rules)s."),
                     type=gettext(COMMUNE_TYPE_LABELS.get(entry.commune_type, entry.commune_type)),
                     period=source.period.name, rules=entry.rules)),
        Grid([gettext(N_("Criterion / line")), gettext(N_("Content")), gettext(N_("Figures used")),
              gettext(N_("Measured")), gettext(N_("Points")), gettext(N_("Maximum")), gettext(N_("Note"))],
             rows, [1.2, 4.6, 4.4, 2.2, 1.3, 1.3, 1.6], strong=strong, marked=marked, size=12),
        Para(gettext(N_("Total: %(total)s of %(max)s points; threshold for this commune type: %(threshold)s points."),
                     total=_total(entry), max=format_number(result.get("max", 1000)), threshold=threshold), bold=True),
        Para(gettext(N_("Result: %(verdict)s."), verdict=verdict) + (f" {reasons}." if reasons else ""), bold=True),
    ]
    note = _provisional_note([entry])
    if note:
        body.insert(0, Para(note, italic=True, size=12))
    return Paper(
        authority=head["authority"], issuer=head["issuer"], draft=head["draft"], number="",
        place_date=vn_date(None, place_name(source.area), source.period.year), kind=gettext(N_("ASSESSMENT RECORD")),
        subject=gettext(N_("Assessment of %(name)s against the standard of a commune fit for children, %(period)s"),
                        name=entry.name, period=source.period.name),
        body=body, recipients=[gettext(N_("%(name)s;"), name=entry.name), gettext(N_("Filed: review dossier."))],
        sign_title=[gettext(N_("REVIEWER"))], signer="", filename=export_stem("phiếu đánh giá", entry.name,
                                                                             source.period.year))


def build(source: Source, name: str) -> list[Paper]:
    """The papers a document name stands for (the records of every commune are one paper each), in Vietnamese."""
    with use_language(LANGUAGE):
        if name == "submission":
            return [submission(source)]
        if name == "decision":
            return [decision(source)]
        if name == "records":
            return [record(source, entry) for entry in source.entries]
        match = RECORD.fullmatch(name)
        entry = next((e for e in source.entries if match and e.code == match.group(1)), None)
        return [record(source, entry)] if entry is not None else []
