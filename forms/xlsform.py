"""Form versions ↔ XLSForm workbooks (.xlsx), the format of ODK, KoboToolbox and their form designers.

Export writes a form version so that `pyxform` turns it into an XForm that ODK Validate accepts and
ODK Collect / KoboCollect can fill; import reads an XLSForm back into a new *draft* version of our
schema. Import of our own export gives the same form (tested for every shipped version).

How our schema sits in XLSForm:
- a group is a `begin_group`/`end_group` pair with `appearance` `field-list` (one screen);
- `yes_no` is `select_one yes_no` (choices `yes`, `no`); `select_many` is `select_multiple`;
  `photo` is `image`; a `percent` is a `calculate` of 100 × numerator ÷ denominator;
- `derived` values are `calculate` rows after the last group;
- min/max, text length, exclusive choices ("none of these") and a geopoint's bounds have no column
  of their own: they are written as parts of `constraint` in fixed shapes (`. >= 0`,
  `string-length(.) <= 120`, `not(selected(., 'none') and count-selected(.) > 1)`,
  `selected-at(., 0) >= 6.0`), joined with `and` to the field's own constraint (in parentheses),
  and read back into their settings on import;
- `indicator` and `renamed_from` travel in the columns `phuhop::indicator`, `phuhop::renamed_from`
  (pyxform ignores them); the English title and the description in `settings` columns
  `phuhop_title_en`, `phuhop_description_vi`, `phuhop_description_en`.

Import never drops a construct silently: what phuhop cannot hold is a problem with its sheet, row
and column; errors stop the import, warnings (presentation only: appearance, media, metadata
questions) are listed with the result.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from forms import xpath
from forms.loader import parse
from forms.model import FormField, FormVersion, PercentField, SelectManyField, SelectOneField
from forms.texts import LANGUAGES, N_

LANGUAGE_NAMES = {"vi": "Vietnamese (vi)", "en": "English (en)"}
YES_NO_LIST = "yes_no"
YES_NO_CHOICES = (("yes", {"vi": "Có", "en": "Yes"}), ("no", {"vi": "Không", "en": "No"}))
PHOTO_MAX_PIXELS = "max-pixels=1600"

_TEXT_COLUMNS = ("label", "hint", "constraint_message")
SURVEY_COLUMNS = ["type", "name",
                  *(f"{base}::{LANGUAGE_NAMES[lang]}" for base in ("label", "hint") for lang in LANGUAGES),
                  "required", "relevant", "constraint",
                  *(f"constraint_message::{LANGUAGE_NAMES[lang]}" for lang in LANGUAGES),
                  "calculation", "appearance", "parameters", "phuhop::indicator", "phuhop::renamed_from", "phuhop::key"]
CHOICES_COLUMNS = ["list_name", "name", *(f"label::{LANGUAGE_NAMES[lang]}" for lang in LANGUAGES)]
SETTINGS_COLUMNS = ["form_id", "version", "form_title", "default_language", "phuhop_title_en",
                    "phuhop_description_vi", "phuhop_description_en"]

# Messages for the checks that XLSForm only knows as constraints: form text in both languages, like
# the labels of a definition file (the phone shows them in its own language).
_CHECK_MESSAGES = {
    "min": {"vi": "Giá trị phải từ {value} trở lên.", "en": "The value must be at least {value}."},
    "max": {"vi": "Giá trị không được lớn hơn {value}.", "en": "The value must be at most {value}."},
    "length": {"vi": "Tối đa {value} ký tự.", "en": "At most {value} characters."},
    "exclusive": {"vi": "Không được chọn «{value}» cùng với lựa chọn khác.",
                  "en": "«{value}» cannot be ticked together with other choices."},
    "bounds": {"vi": "Vị trí nằm ngoài vùng cho phép (Việt Nam). Hãy kiểm tra tọa độ.",
               "en": "The location is outside the allowed area (Vietnam). Check the coordinates."},
}


# ================================================================== export

def export_workbook(form: FormVersion) -> Workbook:
    """The XLSForm of one version: sheets survey, choices and settings."""
    types = {item.key: item.type for item in form.fields}
    lists = _ChoiceLists()
    survey: list[dict[str, str]] = []
    taken = set(types) | {derived.key for derived in form.derived}
    for group in form.groups:
        # XLSForm names are unique across the whole form; our group keys need only differ from each other.
        name = group.key
        while name in taken:
            name += "_group"
        taken.add(name)
        survey.append({"type": "begin_group", "name": name, **_texts("label", group.title),
                       "appearance": "field-list", **({"phuhop::key": group.key} if name != group.key else {})})
        survey += [_field_row(item, types, lists) for item in group.fields]
        survey.append({"type": "end_group", "name": name})
    for derived in form.derived:
        survey.append({"type": "calculate", "name": derived.key, **_texts("label", derived.label),
                       "calculation": xpath.to_xpath(derived.expression, types)})

    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    _fill(sheet, SURVEY_COLUMNS, survey)
    _fill(book.create_sheet("choices"), CHOICES_COLUMNS, lists.rows)
    settings = {"form_id": form.form_id, "version": str(form.version), "form_title": form.title["vi"],
                "default_language": LANGUAGE_NAMES["vi"], "phuhop_title_en": form.title["en"],
                "phuhop_description_vi": form.description["vi"], "phuhop_description_en": form.description["en"]}
    _fill(book.create_sheet("settings"), SETTINGS_COLUMNS, [settings])
    book.properties.creator = "phuhop"
    book.properties.created = book.properties.modified = datetime(2020, 1, 1)
    return book


def export_xlsform(form: FormVersion) -> bytes:
    buffer = io.BytesIO()
    export_workbook(form).save(buffer)
    return buffer.getvalue()


def to_xform(form: FormVersion, validate: bool = False) -> str:
    """The XForm (XML) that pyxform makes of our XLSForm; `validate` also runs ODK Validate (Java)."""
    from pyxform.xls2xform import convert

    return str(convert(export_xlsform(form), validate=validate, file_type=".xlsx").xform)


def _fill(sheet: Any, columns: list[str], rows: list[dict[str, str]]) -> None:
    sheet.append(columns)
    for row in rows:
        sheet.append([row.get(column, "") for column in columns])


def _texts(base: str, texts: dict[str, str] | None) -> dict[str, str]:
    return {f"{base}::{LANGUAGE_NAMES[lang]}": texts[lang] for lang in LANGUAGES} if texts else {}


class _ChoiceLists:
    """The choices sheet: one list per distinct set of choices, named after the first field using it."""

    def __init__(self) -> None:
        self.rows: list[dict[str, str]] = []
        self.names: dict[tuple[tuple[str, str, str], ...], str] = {}

    def name_for(self, key: str, choices: list[tuple[str, dict[str, str]]]) -> str:
        signature = tuple((name, label["vi"], label["en"]) for name, label in choices)
        if signature not in self.names:
            name = YES_NO_LIST if choices == list(YES_NO_CHOICES) else key
            while name in self.names.values() or (name == YES_NO_LIST and choices != list(YES_NO_CHOICES)):
                name += "_list"
            self.names[signature] = name
            self.rows += [{"list_name": name, "name": choice, **_texts("label", label)} for choice, label in choices]
        return self.names[signature]


def _field_row(item: FormField, types: Mapping[str, str], lists: _ChoiceLists) -> dict[str, str]:
    row = {"name": item.key, **_texts("label", item.label), **_texts("hint", item.hint)}
    kind = item.type
    if kind == "yes_no":
        row["type"] = f"select_one {lists.name_for(item.key, list(YES_NO_CHOICES))}"
    elif isinstance(item, SelectOneField | SelectManyField):
        name = lists.name_for(item.key, [(choice.key, choice.label) for choice in item.choices])
        row["type"] = f"{'select_one' if kind == 'select_one' else 'select_multiple'} {name}"
    elif isinstance(item, PercentField):
        row["type"] = "calculate"
        row["calculation"] = percent_calculation(item.numerator, item.denominator)
    elif kind == "photo":
        row["type"] = "image"
        row["parameters"] = PHOTO_MAX_PIXELS
    else:
        row["type"] = kind
    if item.required:
        row["required"] = "yes"
    if item.relevant is not None:
        row["relevant"] = xpath.to_xpath(item.relevant, types)
    checks = _checks(item)
    parts = [check for check, _ in checks]
    if item.constraint is not None:
        own = xpath.to_xpath(item.constraint, types)
        parts.append(f"({own})" if checks else own)
        row.update(_texts("constraint_message", item.constraint_message))
    elif checks:
        row.update(_texts("constraint_message", {lang: " ".join(message[lang] for _, message in checks)
                                                 for lang in LANGUAGES}))
    if parts:
        row["constraint"] = " and ".join(parts)
    if item.indicator:
        row["phuhop::indicator"] = item.indicator
    if item.renamed_from:
        row["phuhop::renamed_from"] = " ".join(item.renamed_from)
    return row


def percent_calculation(numerator: str, denominator: str) -> str:
    """100 × numerator ÷ denominator, rounded like the server, empty while it cannot be computed."""
    return (f"if(${{{denominator}}} > 0 and string-length(${{{numerator}}}) > 0, "
            f"round(100 * ${{{numerator}}} div ${{{denominator}}}, 2), '')")


def _message(kind: str, value: Any) -> dict[str, str]:
    return {lang: _CHECK_MESSAGES[kind][lang].format(value=value) for lang in LANGUAGES}


def _plain(value: float) -> int | float:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _checks(item: FormField) -> list[tuple[str, dict[str, str]]]:
    """The field's own settings (min, max, length, exclusive choices, bounds) as XPath constraint parts."""
    checks = []
    if item.type in ("integer", "decimal"):
        if item.min is not None:
            checks.append((f". >= {xpath.number(item.min)}", _message("min", _plain(item.min))))
        if item.max is not None:
            checks.append((f". <= {xpath.number(item.max)}", _message("max", _plain(item.max))))
    elif item.type == "text" or (
            item.type == "photo" and item.max_length != type(item).model_fields["max_length"].default):
        checks.append((f"string-length(.) <= {item.max_length}", _message("length", item.max_length)))
    elif item.type == "select_many":
        for choice in item.choices:
            if choice.exclusive:
                checks.append((f"not(selected(., {xpath.quote(choice.key)}) and count-selected(.) > 1)",
                               {lang: _CHECK_MESSAGES["exclusive"][lang].format(value=choice.label[lang])
                                for lang in LANGUAGES}))
    elif item.type == "geopoint":
        box = item.bounds
        parts = [f"selected-at(., 0) >= {xpath.number(box.lat_min)}",
                 f"selected-at(., 0) <= {xpath.number(box.lat_max)}",
                 f"selected-at(., 1) >= {xpath.number(box.lon_min)}",
                 f"selected-at(., 1) <= {xpath.number(box.lon_max)}"]
        checks.append((" and ".join(parts), _message("bounds", "")))
    return checks


# ================================================================== import

@dataclass(frozen=True)
class SheetProblem:
    """Something in the workbook phuhop cannot hold: `message` is an English msgid with `params`."""

    sheet: str
    row: int | None
    column: str | None
    cell: str | None
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    error: bool = True

    def render(self, gettext: Callable[[str], str] = lambda text: text) -> str:
        """"survey, row 7, column constraint (I7): …" in the language of `gettext`."""
        if self.row is not None and self.column is not None:
            where = gettext(N_("%(sheet)s, row %(row)s, column %(column)s (%(cell)s)")) % {
                "sheet": self.sheet, "row": self.row, "column": self.column, "cell": self.cell}
        elif self.row is not None:
            where = gettext(N_("%(sheet)s, row %(row)s")) % {"sheet": self.sheet, "row": self.row}
        else:
            where = self.sheet
        text = gettext(self.message)
        return f"{where}: {text % self.params if self.params else text}"


@dataclass
class ImportResult:
    form: FormVersion | None
    yaml_text: str | None
    errors: list[SheetProblem]
    warnings: list[SheetProblem]


class _Problems(Exception):
    """Stops reading: the workbook cannot be read further (missing sheet, not an .xlsx)."""


# Columns phuhop does not keep but that only change how a question looks or what it shows.
_COSMETIC = {"appearance", "guidance_hint", "image", "audio", "video", "big-image", "media", "required_message",
             "jr:requiredmsg", "constraint_message", "hint", "label"}
_KNOWN = {"type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message",
          "calculation", "appearance", "parameters", "phuhop"}
_ALIASES = {"relevance": "relevant", "calculate": "calculation", "constraint message": "constraint_message",
            "jr:constraintmsg": "constraint_message", "list name": "list_name", "value": "name"}
_METADATA = {"start", "end", "today", "deviceid", "username", "phonenumber", "simserial", "subscriberid", "email",
             "audit", "start-geopoint", "imei", "uri:email", "uri:username", "uri:deviceid"}
_TYPES = {"integer": "integer", "int": "integer", "decimal": "decimal", "text": "text", "string": "text",
          "date": "date", "geopoint": "geopoint", "note": "note", "image": "photo", "photo": "photo"}
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_FORM_ID = re.compile(r"^[a-z][a-z0-9-]*$")


def _language(name: str) -> str | None:
    """vi / en from a column's language part: "Vietnamese (vi)", "vi", "English", "Tiếng Việt"."""
    match = re.search(r"\(([A-Za-z]{2})[A-Za-z_-]*\)\s*$", name)
    if match:
        code = match.group(1).lower()
    else:
        lowered = name.strip().lower()
        code = {"vietnamese": "vi", "tiếng việt": "vi", "english": "en"}.get(
            lowered, lowered[:2] if len(lowered) == 2 else "")
    return code if code in LANGUAGES else None


def cell_text(value: Any) -> str:
    """A spreadsheet cell as the text a person typed (4.0 → "4", True → "yes"); also read by rule-set sheets."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


class _Sheet:
    """One sheet's rows as text, with its columns recognised (base name and language)."""

    def __init__(self, name: str, rows: list[tuple[Any, ...]], default_language: str) -> None:
        self.name = name
        self.headers = [cell_text(value) for value in (rows[0] if rows else ())]
        self.rows = [(number, [cell_text(value) for value in row]) for number, row in enumerate(rows[1:], start=2)]
        self.columns: dict[tuple[str, str | None], int] = {}
        self.other_language: dict[int, str] = {}
        for index, header in enumerate(self.headers):
            if not header:
                continue
            base, _, rest = header.partition("::")
            base = _ALIASES.get(base.strip().lower(), base.strip().lower())
            if base == "phuhop":
                self.columns[(f"phuhop::{rest.strip()}", None)] = index
            elif base in _TEXT_COLUMNS:
                language = _language(rest) if rest else default_language
                if language is None:
                    self.other_language[index] = rest
                else:
                    self.columns.setdefault((base, language), index)
            else:
                self.columns.setdefault((base, None), index)

    def get(self, cells: list[str], base: str, language: str | None = None) -> str:
        index = self.columns.get((base, language))
        return cells[index] if index is not None and index < len(cells) else ""

    def where(self, row: int, base: str, language: str | None = None) -> tuple[str | None, str | None]:
        """The column's header and cell name ("C7"), for problems."""
        index = self.columns.get((base, language))
        if index is None:
            return base + (f"::{LANGUAGE_NAMES[language]}" if language else ""), None
        return self.headers[index], f"{get_column_letter(index + 1)}{row}"


class _Reader:
    def __init__(self, next_version: Callable[[str], int]) -> None:
        self.next_version = next_version
        self.errors: list[SheetProblem] = []
        self.warnings: list[SheetProblem] = []

    # ---------------------------------------------------------------- problems
    def problem(self, sheet: _Sheet | str, row: int | None, base: str | None, message: str,
                language: str | None = None, error: bool = True, **params: Any) -> None:
        name = sheet if isinstance(sheet, str) else sheet.name
        column = cell = None
        if isinstance(sheet, _Sheet) and row is not None and base is not None:
            column, cell = sheet.where(row, base, language)
        elif base is not None:
            column = base
        (self.errors if error else self.warnings).append(SheetProblem(name, row, column, cell, message, params, error))

    def cell_problem(self, sheet: _Sheet, row: int, index: int, message: str, error: bool, **params: Any) -> None:
        problem = SheetProblem(sheet.name, row, sheet.headers[index], f"{get_column_letter(index + 1)}{row}",
                               message, params, error)
        (self.errors if error else self.warnings).append(problem)

    # ---------------------------------------------------------------- workbook
    def read(self, content: bytes) -> ImportResult:
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception:  # openpyxl raises many kinds (zip, XML, key errors) for a file that is not .xlsx
            self.problem("file", None, None, N_("This file is not an Excel workbook (.xlsx)."))
            return ImportResult(None, None, self.errors, self.warnings)
        sheets = {name.strip().lower(): name for name in book.sheetnames}
        raw = {key: list(book[name].iter_rows(values_only=True)) for key, name in sheets.items()}
        book.close()
        for key, name in sheets.items():
            if key not in ("survey", "choices", "settings"):
                self.problem(name, None, None, N_("This sheet is not used by phuhop (only survey, choices and "
                                                  "settings are)."), error=key in ("external_choices", "entities"))
        if "survey" not in raw:
            self.problem("survey", None, None, N_("The workbook has no sheet named survey."))
            return ImportResult(None, None, self.errors, self.warnings)
        settings = self.read_settings(raw.get("settings", []))
        language = settings.pop("_language")
        choices = self.read_choices(_Sheet("choices", raw.get("choices", []), language))
        data = self.read_survey(_Sheet("survey", raw["survey"], language), choices, settings)
        if self.errors:
            return ImportResult(None, None, self.errors, self.warnings)
        return self.finish(data)

    def read_settings(self, rows: list[tuple[Any, ...]]) -> dict[str, Any]:
        headers = [cell_text(value).lower() for value in (rows[0] if rows else ())]
        values = [cell_text(value) for value in (rows[1] if len(rows) > 1 else ())]
        found = {header: values[index] for index, header in enumerate(headers) if header and index < len(values)}
        language = _language(found.get("default_language", "")) or "vi"
        sheet = _Sheet("settings", rows[:2], language)

        form_id = found.get("form_id", "")
        if not _FORM_ID.fullmatch(form_id) or len(form_id) > 64:
            self.problem(sheet, 2, "form_id", N_("form_id must start with a letter and use only lower-case letters, "
                                                 "digits and hyphens (for example play-area)."))
        title = {lang: found.get(f"phuhop_title_{lang}", "") for lang in LANGUAGES}
        title[language] = title[language] or found.get("form_title", "") or found.get("title", "")
        description = {lang: found.get(f"phuhop_description_{lang}", "") for lang in LANGUAGES}
        for lang in LANGUAGES:
            if not title[lang]:
                self.problem(sheet, 2, f"phuhop_title_{lang}" if lang != language else "form_title",
                             N_("The form's title is missing in %(lang_name)s."), lang_name=LANGUAGE_NAMES[lang])
        if not any(description.values()):
            description = dict(title)
            self.problem(sheet, 2, None, N_("The form has no description: its title is used."), error=False)
        else:
            for lang in LANGUAGES:
                if not description[lang]:
                    self.problem(sheet, 2, f"phuhop_description_{lang}",
                                 N_("The form's description is missing in %(lang_name)s."),
                                 lang_name=LANGUAGE_NAMES[lang])
        for key in found:
            if found[key] and key not in SETTINGS_COLUMNS + ["phuhop_title_vi", "title", "instance_name", "style"]:
                self.problem(sheet, 2, key, N_("This setting is not used by phuhop."), error=False)
        return {"form_id": form_id, "title": title, "description": description, "_language": language}

    def read_choices(self, sheet: _Sheet) -> dict[str, list[tuple[int, str, dict[str, str]]]]:
        lists: dict[str, list[tuple[int, str, dict[str, str]]]] = {}
        for index in sheet.other_language:
            self.cell_problem(sheet, 1, index, N_("Texts in this language are not kept: phuhop forms are in "
                                                  "Vietnamese and English."), error=False)
        for number, cells in sheet.rows:
            if not any(cells):
                continue
            list_name, name = sheet.get(cells, "list_name"), sheet.get(cells, "name")
            if not list_name or not name:
                self.problem(sheet, number, "name" if list_name else "list_name",
                             N_("Each choice needs a list_name and a name."))
                continue
            label = {}
            for lang in LANGUAGES:
                label[lang] = sheet.get(cells, "label", lang)
                if not label[lang]:
                    self.problem(sheet, number, "label", N_("The label is missing in %(lang_name)s."), language=lang,
                                 lang_name=LANGUAGE_NAMES[lang])
            self._unsupported_cells(sheet, number, cells, {"list_name", "name", "label"})
            lists.setdefault(list_name, []).append((number, name, label))
        return lists

    def _unsupported_cells(self, sheet: _Sheet, number: int, cells: list[str], used: set[str]) -> None:
        """Every filled cell of a column phuhop does not read is reported: nothing is dropped silently."""
        recognised = {index: base for (base, _), index in sheet.columns.items()}
        for index, value in enumerate(cells):
            if not value or index >= len(sheet.headers):
                continue
            base = recognised.get(index)
            if index in sheet.other_language:
                self.cell_problem(sheet, number, index, N_("Texts in this language are not kept: phuhop forms "
                                                           "are in Vietnamese and English."), error=False)
            elif base is None or base not in used:
                cosmetic = base is not None and base.split("::")[0] in _COSMETIC
                self.cell_problem(sheet, number, index,
                                  N_("This column only changes how the question looks; phuhop does not keep it.")
                                  if cosmetic else N_("This column is not supported by phuhop."), error=not cosmetic)

    # ---------------------------------------------------------------- survey
    def read_survey(self, sheet: _Sheet, choices: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
        self.sheet = sheet
        self.choices = choices
        self.types: dict[str, str] = {}
        self.rows: dict[str, int] = {}
        groups: list[dict[str, Any]] = []
        derived: list[tuple[int, list[str], str]] = []
        current: dict[str, Any] | None = None
        skipping = 0
        for number, cells in sheet.rows:
            if not any(cells):
                continue
            kind = " ".join(sheet.get(cells, "type").lower().split())
            for old, new in (("begin group", "begin_group"), ("end group", "end_group"),
                             ("begin repeat", "begin_repeat"),
                             ("end repeat", "end_repeat"), ("select one ", "select_one "),
                             ("select multiple ", "select_multiple "), ("select all that apply ", "select_multiple ")):
                kind = kind.replace(old, new) if kind.startswith(old) else kind
            if skipping:
                skipping += kind == "begin_repeat"
                skipping -= kind == "end_repeat"
                continue
            if kind == "begin_repeat":
                self.problem(sheet, number, "type", N_("Repeats are not supported: phuhop stores one answer per "
                                                       "question. The rows up to end_repeat were not read."))
                skipping = 1
                continue
            if not kind:
                self.problem(sheet, number, "type", N_("This row has no type."))
                continue
            if kind == "begin_group":
                if current is not None and not current["auto"]:
                    self.problem(sheet, number, "type", N_("Groups inside groups are not supported."))
                    continue
                current = self.begin_group(number, cells, groups)
                continue
            if kind == "end_group":
                if current is None or current["auto"]:
                    self.problem(sheet, number, "type", N_("end_group without a matching begin_group."))
                current = None
                continue
            if kind.split()[0] in _METADATA:
                self.problem(sheet, number, "type", N_("The metadata %(type)s is not kept: phuhop records who sent "
                                                       "the form and when."), error=False, type=kind)
                continue
            if kind == "calculate" and not _percent_operands(sheet.get(cells, "calculation")):
                derived.append((number, cells, sheet.get(cells, "calculation")))
                self._unsupported_cells(sheet, number, cells, {"type", "name", "label", "calculation"})
                continue
            item = self.read_field(number, cells, kind)
            if item is None:
                continue
            if current is None:
                current = self.auto_group(number, groups, settings)
            relevant = current.get("relevant")
            if relevant is not None:
                item["relevant"] = relevant if "relevant" not in item else {"and": [relevant, item["relevant"]]}
            current["fields"].append(item)
        if current is not None and not current["auto"]:
            self.problem(sheet, None, None, N_("The last group has no end_group."))
        data = {"form_id": settings["form_id"], "version": 1, "status": "draft", "title": settings["title"],
                "description": settings["description"],
                "groups": [{k: v for k, v in group.items() if k in ("key", "title", "fields")} for group in groups],
                "derived": [d for d in (self.read_derived(*entry) for entry in derived) if d is not None]}
        return data

    def labels(self, number: int, cells: list[str], base: str, required: bool) -> dict[str, str] | None:
        texts = {lang: self.sheet.get(cells, base, lang) for lang in LANGUAGES}
        if not any(texts.values()) and not required:
            return None
        for lang, text in texts.items():
            if not text:
                self.problem(self.sheet, number, base, N_("The text is missing in %(lang_name)s: phuhop forms need "
                                                          "Vietnamese and English."), language=lang,
                             lang_name=LANGUAGE_NAMES[lang])
        return texts

    def key(self, number: int, cells: list[str]) -> str | None:
        name = self.sheet.get(cells, "name")
        if not _KEY.fullmatch(name) or len(name) > 64:
            self.problem(self.sheet, number, "name", N_("The name must start with a lower-case letter and use only "
                                                        "lower-case letters, digits and _ (at most 64)."))
            return None
        return name

    def begin_group(self, number: int, cells: list[str], groups: list[dict[str, Any]]) -> dict[str, Any]:
        key = self.sheet.get(cells, "phuhop::key")
        if key and not _KEY.fullmatch(key):
            self.problem(self.sheet, number, "phuhop::key", N_("The name must start with a lower-case letter and use "
                                                               "only lower-case letters, digits and _ (at most 64)."))
        group: dict[str, Any] = {"key": key or self.key(number, cells),
                                 "title": self.labels(number, cells, "label", True),
                                 "fields": [], "auto": False, "row": number}
        relevant = self.sheet.get(cells, "relevant")
        if relevant:
            group["relevant"] = self.expression(number, "relevant", relevant, None)
        appearance = self.sheet.get(cells, "appearance")
        used = {"type", "name", "label", "relevant", "phuhop::key"}
        if appearance == "field-list":
            used.add("appearance")
        self._unsupported_cells(self.sheet, number, cells, used)
        groups.append(group)
        return group

    def auto_group(self, number: int, groups: list[dict[str, Any]], settings: dict[str, Any]) -> dict[str, Any]:
        key = f"part_{len(groups) + 1}"
        self.problem(self.sheet, number, None, N_("Questions outside a group were put into a new group %(group)s "
                                                  "(one screen)."), error=False, group=key)
        group = {"key": key, "title": settings["title"], "fields": [], "auto": True, "row": number}
        groups.append(group)
        return group

    def expression(self, number: int, column: str, text: str, self_key: str | None) -> Any:
        try:
            return xpath.from_xpath(text, {**self.types, **({self_key: "?"} if self_key else {})}, self_key)
        except xpath.XPathError as error:
            self.problem(self.sheet, number, column, N_("This expression cannot be used: %(reason)s."),
                         reason=str(error))
            return None

    def read_field(self, number: int, cells: list[str], kind: str) -> dict[str, Any] | None:
        sheet = self.sheet
        words = kind.split()
        item: dict[str, Any] = {}
        used = {"type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message",
                "phuhop::indicator", "phuhop::renamed_from"}
        if words[0] in ("select_one", "select_multiple") and len(words) == 2:
            our_type = self.read_choices_of(number, words)
            if our_type is None:
                return None
            item["type"] = our_type[0]
            if our_type[1] is not None:
                item["choices"] = our_type[1]
        elif kind == "calculate":
            operands = _percent_operands(sheet.get(cells, "calculation"))
            assert operands is not None  # read_survey sends only a percent's calculation here
            numerator, denominator = operands
            item.update(type="percent", numerator=numerator, denominator=denominator)
            used.add("calculation")
        elif kind in _TYPES:
            item["type"] = _TYPES[kind]
            if item["type"] == "photo" and sheet.get(cells, "parameters").startswith("max-pixels="):
                used.add("parameters")
        else:
            self.problem(sheet, number, "type", N_("The question type %(type)s is not supported."), type=kind)
            return None
        key = self.key(number, cells)
        if key is None:
            return None
        item = {"key": key, **item, "label": self.labels(number, cells, "label", True)}
        hint = self.labels(number, cells, "hint", False)
        if hint:
            item["hint"] = hint
        required = sheet.get(cells, "required").lower()
        if required in ("yes", "true", "true()", "1"):
            item["required"] = True
        elif required not in ("", "no", "false", "false()", "0"):
            self.problem(sheet, number, "required", N_("required must be yes or no: a required condition is not "
                                                       "supported."))
        relevant = sheet.get(cells, "relevant")
        if relevant:
            item["relevant"] = self.expression(number, "relevant", relevant, None)
        self.read_constraint(number, cells, item)
        indicator = sheet.get(cells, "phuhop::indicator")
        if indicator:
            item["indicator"] = indicator
        renamed = sheet.get(cells, "phuhop::renamed_from").replace(",", " ").split()
        if renamed:
            item["renamed_from"] = renamed
        self._unsupported_cells(sheet, number, cells, used)
        self.types[key] = item["type"]
        self.rows[key] = number
        return item

    def read_choices_of(self, number: int, words: list[str]) -> tuple[str, list[dict[str, Any]] | None] | None:
        list_name = words[1]
        entries = self.choices.get(list_name)
        if not entries:
            self.problem(self.sheet, number, "type", N_("The choice list %(list)s is not in the choices sheet."),
                         list=list_name)
            return None
        if words[0] == "select_one" and list_name == YES_NO_LIST and [name for _, name, _ in entries] == ["yes", "no"]:
            return "yes_no", None
        kind = "select_one" if words[0] == "select_one" else "select_many"
        return kind, [{"key": name, "label": label} for _, name, label in entries]

    def read_constraint(self, number: int, cells: list[str], item: dict[str, Any]) -> None:
        text = self.sheet.get(cells, "constraint")
        message = self.labels(number, cells, "constraint_message", False)
        if not text:
            return
        try:
            tree = xpath.parse(text)
        except xpath.XPathError as error:
            self.problem(self.sheet, number, "constraint", N_("This expression cannot be used: %(reason)s."),
                         reason=str(error))
            return
        own = [part for part in xpath.conjuncts(tree) if not _setting_from_check(part, item)]
        if not own:
            return
        types = {**self.types, item["key"]: item["type"]}
        try:
            logic = [xpath.to_logic(part, types, item["key"]) for part in own]
        except xpath.XPathError as error:
            self.problem(self.sheet, number, "constraint", N_("This expression cannot be used: %(reason)s."),
                         reason=str(error))
            return
        item["constraint"] = logic[0] if len(logic) == 1 else {"and": logic}
        if message is None:
            self.problem(self.sheet, number, "constraint_message", N_("A constraint needs a constraint_message in "
                                                                      "Vietnamese and English."), language="vi")
        else:
            item["constraint_message"] = message

    def read_derived(self, number: int, cells: list[str], calculation: str) -> dict[str, Any] | None:
        key = self.key(number, cells)
        label = self.labels(number, cells, "label", True)
        if not calculation:
            self.problem(self.sheet, number, "calculation", N_("A calculate row needs a calculation."))
            return None
        expression = self.expression(number, "calculation", calculation, None)
        if key is None or expression is None:
            return None
        self.rows[key] = number
        return {"key": key, "label": label, "expression": expression}

    # ---------------------------------------------------------------- result
    def finish(self, data: dict[str, Any]) -> ImportResult:
        data["version"] = self.next_version(data["form_id"])
        if not data["derived"]:
            del data["derived"]
        try:
            form = FormVersion.model_validate(data)
        except ValidationError as error:
            for item in error.errors():
                self.model_problem(item, data)
            return ImportResult(None, None, self.errors, self.warnings)
        return ImportResult(form, draft_yaml(form), self.errors, self.warnings)

    def model_problem(self, item: Any, data: dict[str, Any]) -> None:
        """A problem found by our schema, placed on the row of the field it names."""
        loc = list(item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        row = None
        if len(loc) >= 4 and loc[0] == "groups" and loc[2] == "fields":
            try:
                row = self.rows.get(data["groups"][loc[1]]["fields"][loc[3]]["key"])
            except (IndexError, KeyError, TypeError):
                row = None
        elif len(loc) >= 2 and loc[0] == "derived":
            row = self.rows.get(data["derived"][loc[1]].get("key")) if isinstance(loc[1], int) else None
        for part in message.split("; ") if not loc else [message]:
            named = re.search(r"(?:field|derived) '([a-z0-9_]+)'", part)
            where = self.rows.get(named.group(1)) if named else row
            self.problem(self.sheet, where, None, N_("The form definition is not valid: %(problem)s"), problem=part)


def _percent_operands(calculation: str) -> tuple[str, str] | None:
    """(numerator, denominator) of a percent calculation in the shape export writes (or plain `100 * a div b`)."""
    compact = re.sub(r"\s+", " ", calculation.strip())
    canonical = re.fullmatch(r"if\(\$\{(\w+)\} > 0 and string-length\(\$\{(\w+)\}\) > 0, "
                             r"round\(100 \* \$\{(\w+)\} div \$\{(\w+)\}, 2\), ''\)", compact)
    if canonical and canonical.group(1) == canonical.group(4) and canonical.group(2) == canonical.group(3):
        return canonical.group(2), canonical.group(1)
    plain = re.fullmatch(r"(?:round\()?100 \* \$\{(\w+)\} div \$\{(\w+)\}(?:, 2\))?", compact)
    if plain and compact.startswith("round(") == compact.endswith(", 2)"):
        return plain.group(1), plain.group(2)
    return None


def _number(node: xpath.Node) -> int | float | None:
    node = xpath.unwrap(node)
    return node.value if node.kind == "num" else None


def _is_self(node: xpath.Node) -> bool:
    return xpath.unwrap(node).kind == "self"


def _setting_from_check(node: xpath.Node, item: dict[str, Any]) -> bool:
    """If `node` is one of the shapes export writes for a field setting, put the setting on `item`."""
    node = xpath.unwrap(node)
    kind = item.get("type")
    if node.kind == "op" and node.value in (">=", "<=") and len(node.args) == 2:
        left, right = node.args
        value = _number(right)
        if value is None:
            return False
        which = "min" if node.value == ">=" else "max"
        if _is_self(left) and kind in ("integer", "decimal") and which not in item:
            item[which] = value
            return True
        inner = xpath.unwrap(left)
        if inner.kind == "call" and inner.value == "string-length" and len(inner.args) == 1 \
                and _is_self(inner.args[0]) and which == "max" and kind in ("text", "photo"):
            item["max_length"] = value
            return True
        if inner.kind == "call" and inner.value == "selected-at" and len(inner.args) == 2 \
                and _is_self(inner.args[0]) and _number(inner.args[1]) in (0, 1) and kind == "geopoint":
            axis = "lat" if _number(inner.args[1]) == 0 else "lon"
            item.setdefault("bounds", {})[f"{axis}_{which}"] = float(value)
            return True
        return False
    if node.kind == "call" and node.value == "not" and len(node.args) == 1 and kind == "select_many":
        inner = xpath.unwrap(node.args[0])
        if inner.kind == "op" and inner.value == "and" and len(inner.args) == 2:
            chosen, count = (xpath.unwrap(arg) for arg in inner.args)
            if chosen.kind == "call" and chosen.value == "selected" and len(chosen.args) == 2 \
                    and _is_self(chosen.args[0]) and xpath.unwrap(chosen.args[1]).kind == "str" \
                    and count.kind == "op" and count.value == ">" and _number(count.args[1]) == 1 \
                    and xpath.unwrap(count.args[0]).kind == "call" \
                    and xpath.unwrap(count.args[0]).value == "count-selected":
                name = xpath.unwrap(chosen.args[1]).value
                for choice in item.get("choices", []):
                    if choice["key"] == name:
                        choice["exclusive"] = True
                        return True
    return False


def read_xlsform(content: bytes, next_version: Callable[[str], int]) -> ImportResult:
    """A new draft version from an XLSForm's bytes; `next_version(form_id)` gives its number."""
    return _Reader(next_version).read(content)


def draft_yaml(form: FormVersion, source: str | None = None) -> str:
    """The definition file of an imported draft, in the layout of the hand-written ones."""
    data = form.model_dump(mode="json", exclude_defaults=True)
    data["status"] = "draft"
    for group in data["groups"]:
        group["fields"] = [{"key": item["key"], "type": item["type"],
                            **{k: v for k, v in item.items() if k not in ("key", "type")}} for item in group["fields"]]
    ordered = {key: data[key] for key in ("form_id", "version", "status", "title", "description", "groups", "derived")
               if key in data}
    header = f"# Draft imported from the XLSForm {source}.\n" if source else "# Draft imported from an XLSForm.\n"
    return header + str(yaml.safe_dump(ordered, allow_unicode=True, sort_keys=False, width=120))




def next_version_in(*directories: Path) -> Callable[[str], int]:
    """`next_version` for `read_xlsform`: one more than any `v<N>.yaml` of the form in these directories."""

    def next_version(form_id: str) -> int:
        used = [int(match.group(1)) for directory in directories for path in (directory / form_id).glob("v*.yaml")
                if (match := re.fullmatch(r"v([0-9]+)\.yaml", path.name))]
        return max(used, default=0) + 1

    return next_version


def save_draft(result: ImportResult, directory: Path, source: str | None = None) -> Path:
    """Write an imported draft as `<directory>/<form_id>/v<N>.yaml`, checked again by the loader; never overwrites."""
    assert result.form is not None, "only a successful import is saved"
    form = result.form
    path = directory / form.form_id / f"v{form.version}.yaml"
    content = draft_yaml(form, source).encode("utf-8")
    parse(content, path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as handle:
        handle.write(content)
    return path
