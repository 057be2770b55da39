"""Match a commune as officials write it in a spreadsheet to a unit of the registry.

A row gives a commune's name — with or without "Xã/Phường/Thị trấn" (or "X.", "P.", "TT."), with
or without diacritics, in any case — and often its district and province. Names are compared in a
compact folded form ("Xã Đồng Tiến" → "dongtien"; "Phường 05" → "5"), against the registry's
names and the keywords and former names that `vietnamadminunits` ships for each unit (spelling
variants such as "Phúc Sa", communes merged before 2025 such as "Phường Quốc Tử Giám", districts
renamed such as "Huyện Quế Võ" → "Thị xã Quế Võ").

Rules, in order:
1. An official code in the row that is a commune of the set decides.
2. Candidates are the communes of the row's province (of the whole set without one) whose name
   matches; a former name is tried only when no current name matches (noted).
3. A row that says its type ("xã", "phường", "thị trấn") keeps the candidates of that type.
4. A district that the registry knows (current or former name) keeps the candidates inside it;
   one it does not know is noted, and the row is matched only if a single candidate remains.
5. Several candidates whose names differ only by diacritics ("Minh Quán", "Minh Quân" in one
   district): the one written exactly so, if the row has its marks (wherever it puts a syllable's
   tone: "Hoà" and "Hòa", "Thuỷ" and "Thủy" are one spelling; NFC or NFD alike).
6. One candidate: matched. Several: held as ambiguous with the candidates, for a person to
   choose. None: held as unmatched.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache, cache

from server.core.tables import Unit
from server.registry.units import _fetch, fold, source_provinces

# Type words a commune's name may start with, by the compact key of the type.
COMMUNE_TYPES = {"xa": "xa", "x": "xa", "phuong": "phuong", "p": "phuong", "f": "phuong", "ward": "phuong",
                 "thi tran": "thitran", "tt": "thitran", "dac khu": "dackhu"}
DISTRICT_TYPES = ("huyen", "quan", "thi xa", "thanh pho", "tp", "tx", "h", "q", "district")
PROVINCE_TYPES = ("tinh", "thanh pho", "tp")

_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_LEADING_ZEROS = re.compile(r"(?<![0-9])0+(?=[0-9])")


def compact(text: str) -> str:
    """Folded, letters and digits only, numbers without leading zeros: "Phường 05" → "phuong5"."""
    return _LEADING_ZEROS.sub("", _NOT_ALNUM.sub("", fold(text)))


def _split_type(folded: str, types: tuple[str, ...] | list[str]) -> tuple[str | None, str]:
    """("phuong", "5") for "p.05"; the type must be followed by a space, a dot, or a number."""
    for word in sorted(types, key=len, reverse=True):
        match = re.match(rf"^{re.escape(word)}(?:[\s.,:-]+|(?=[0-9]))(.+)$", folded)
        if match:
            return word, match.group(1)
    return None, folded


def commune_key(name: str) -> tuple[str | None, str]:
    """(type key or None, compact name without the type) of a commune as written."""
    word, rest = _split_type(fold(name), list(COMMUNE_TYPES))
    return (COMMUNE_TYPES[word] if word else None), compact(rest)


def marked_key(name: str) -> str:
    """The name without its type word, in lower case, with its marks, each syllable's tone apart from the
    letter it sits on: "Xã Hoà Bình" and "xã Hòa Bình" (either placement, NFC or NFD) give one key;
    "Minh Quán" and "Minh Quân" two."""
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", name).lower()).strip()
    word, rest = _split_type(fold(text), list(COMMUNE_TYPES))
    if word:
        text = text[len(text) - len(rest):]
    return " ".join(_syllable_key(syllable) for syllable in text.split(" "))


TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng


def _syllable_key(syllable: str) -> str:
    """The syllable's letters with their vowel marks (â, ă, ơ …), then its tone: where a writer puts the
    tone ("hoà" / "hòa", "thuỷ" / "thủy") makes no difference."""
    decomposed = unicodedata.normalize("NFD", syllable)
    tones = "".join(ch for ch in decomposed if ch in TONE_MARKS)
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in TONE_MARKS)) + tones


@lru_cache(maxsize=4096)
def place_keys(name: str, types: tuple[str, ...]) -> frozenset[str]:
    """The compact forms of a district or province name with and without its type word (remembered:
    a list repeats its few districts and provinces on every row)."""
    folded = fold(name)
    _, rest = _split_type(folded, types)
    return frozenset(key for key in (compact(folded), compact(rest)) if key)


# ---------------------------------------------------------------- what the package knows of each unit

@dataclass(frozen=True)
class Keywords:
    current: frozenset[str]
    former: frozenset[str]


def _keys(values: str | None) -> set[str]:
    return {_LEADING_ZEROS.sub("", key) for key in json.loads(values or "[]") if key}


@cache
def source_keywords(unit_set: str) -> dict[tuple[str, str], Keywords]:
    """(kind, code) → the package's keywords (current names and spellings) and former names."""
    table = {"legacy": "admin_units_legacy", "2025": "admin_units"}[unit_set]
    levels = [("commune", "ward")] + ([("district", "district")] if unit_set == "legacy" else [])
    found: dict[tuple[str, str], Keywords] = {}
    for kind, column in levels:
        rows = _fetch(f"SELECT DISTINCT [{column}Code] AS code, [{column}Keywords] AS keywords, "
                      f"[{column}Alias] AS alias FROM [{table}] WHERE [{column}Code] IS NOT NULL")
        for row in rows:
            found[(kind, str(row["code"]))] = Keywords(frozenset(_keys(row["keywords"])),
                                                       frozenset(_keys(row["alias"])))
    return found


# ---------------------------------------------------------------- the matcher

@dataclass(frozen=True)
class Candidate:
    id: int
    code: str
    name: str
    district: str  # the district's name (legacy set), else ""
    province: str
    type_key: str


@dataclass
class Match:
    status: str  # matched | ambiguous | unmatched
    unit: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    note: str = ""  # a NOTES key: why it is held, or how it was matched


# Row notes, shown to the person who resolves a row (msgids are in server/history/rounds.py).
NOTES = ("by_code", "former_commune_name", "former_district_name", "unknown_district", "district_mismatch",
         "no_district", "unknown_province", "not_found", "same_name")


class Matcher:
    """The communes of one registry set (as stored), indexed by every name a row may use."""

    def __init__(self, unit_set: str, units: list[dict]) -> None:
        self.unit_set = unit_set
        keywords = source_keywords(unit_set)
        by_id = {row["id"]: row for row in units}
        self.by_code: dict[str, Candidate] = {}
        self.names: dict[str, set[str]] = defaultdict(set)  # key → commune codes
        self.former: dict[str, set[str]] = defaultdict(set)
        self.districts: dict[str, set[str]] = defaultdict(set)  # key → district codes
        self.former_districts: dict[str, set[str]] = defaultdict(set)
        self.provinces: dict[str, str] = {}  # province code → its path
        self.district_of: dict[str, str] = {}  # commune code → district code
        self.province_of: dict[str, str] = {}
        provinces = {row["code"]: row for row in units if row["kind"] == "province"}
        for row in units:
            if row["kind"] == "province":
                self.provinces[row["code"]] = row["path"]
            elif row["kind"] == "district":
                known = keywords.get(("district", row["code"]), Keywords(frozenset(), frozenset()))
                for key in place_keys(row["name"], DISTRICT_TYPES) | (known.current - known.former):
                    self.districts[key].add(row["code"])
                for key in known.former:
                    self.former_districts[key].add(row["code"])
        for row in units:
            if row["kind"] != "commune":
                continue
            type_key, short = commune_key(row["name"])
            parent = by_id.get(row["parent"])
            province_code = row["path"].strip("/").split("/")[0]
            province = provinces.get(province_code)
            candidate = Candidate(
                id=row["id"], code=row["code"], name=row["name"],
                district=parent["name"] if parent and parent["kind"] == "district" else "",
                province=province["name"] if province else "", type_key=type_key or "")
            self.by_code[row["code"]] = candidate
            self.province_of[row["code"]] = province_code
            if parent and parent["kind"] == "district":
                self.district_of[row["code"]] = parent["code"]
            known = keywords.get(("commune", row["code"]), Keywords(frozenset(), frozenset()))
            for key in {short, f"{type_key or ''}{short}"} | (known.current - known.former):
                self.names[key].add(row["code"])
            for key in known.former:
                self.former[key].add(row["code"])
        self._province_keys = {p.code: p.keywords for p in source_provinces(unit_set)}
        self._province_codes: dict[str, str | None] = {}

    @classmethod
    async def load(cls, unit_set: str) -> Matcher:
        rows = await Unit.select(Unit.id, Unit.code, Unit.name, Unit.kind, Unit.parent, Unit.path) \
            .where(Unit.unit_set == unit_set).run()
        return cls(unit_set, rows)

    def province_code(self, text: str) -> str | None:
        """The province named (code or name, diacritics optional), if it is in the registry."""
        if text not in self._province_codes:
            self._province_codes[text] = self._find_province(text.strip())
        return self._province_codes[text]

    def _find_province(self, text: str) -> str | None:
        if text.isdigit():
            code = text.zfill(2)
            return code if code in self.provinces else None
        keys = place_keys(text, PROVINCE_TYPES)
        found = [code for code, words in self._province_keys.items() if keys & words and code in self.provinces]
        return found[0] if len(found) == 1 else None

    def match(self, commune: str, district: str = "", province: str = "", code: str = "",
              within_province: str | None = None) -> Match:
        """The commune a row names (see the module's rules). `within_province`: a province code the whole
        file belongs to (a row's own province, when it names one, must agree)."""
        code = code.strip()
        if code:
            found = self.by_code.get(code) or self.by_code.get(code.zfill(5))
            if found is not None:
                return Match("matched", found, [found], "by_code")
        province_code = within_province
        if province.strip():
            named = self.province_code(province)
            if named is None or (within_province and named != within_province):
                return Match("unmatched", note="unknown_province")
            province_code = named
        type_key, short = commune_key(commune)
        if not short:
            return Match("unmatched", note="not_found")
        keys = {short} | ({f"{type_key}{short}"} if type_key else set())
        note = ""
        codes = set().union(*(self.names.get(key, set()) for key in keys))
        codes = {c for c in codes if province_code is None or self.province_of[c] == province_code}
        if not codes:
            codes = set().union(*(self.former.get(key, set()) for key in keys))
            codes = {c for c in codes if province_code is None or self.province_of[c] == province_code}
            note = "former_commune_name" if codes else ""
        if not codes:
            return Match("unmatched", note="not_found")
        candidates = sorted((self.by_code[c] for c in codes), key=lambda c: c.code)
        if type_key:
            same_type = [c for c in candidates if c.type_key == type_key]
            candidates = same_type or candidates
        if district.strip() and self.district_of:
            district_keys = place_keys(district, DISTRICT_TYPES)
            current = set().union(*(self.districts.get(key, set()) for key in district_keys))
            former = set().union(*(self.former_districts.get(key, set()) for key in district_keys))
            named = current or former
            if named:
                inside = [c for c in candidates if self.district_of.get(c.code) in named]
                if not inside:
                    return Match("ambiguous", candidates=candidates, note="district_mismatch")
                candidates = inside
                if not current:
                    note = note or "former_district_name"
            elif len(candidates) == 1:
                note = note or "unknown_district"
            else:
                return Match("ambiguous", candidates=candidates, note="unknown_district")
        if len(candidates) > 1:  # names that differ only by their marks ("Minh Quán", "Minh Quân"): as written
            written = marked_key(commune)
            exact = [c for c in candidates if marked_key(c.name) == written]
            candidates = exact if len(exact) == 1 else candidates
        if len(candidates) == 1:
            return Match("matched", candidates[0], candidates, note)
        return Match("ambiguous", candidates=candidates,
                     note="no_district" if not district.strip() and self.district_of else "same_name")
