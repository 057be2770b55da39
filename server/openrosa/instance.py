"""A submitted XForm instance (XML) → form id, version, instanceID and answers in our types.

The XML comes from phones on the internet, so it is parsed with defusedxml and any DTD is refused:
entity bombs ("billion laughs") and external entities (`file:///etc/passwd`) stop before any
expansion; nesting deeper than MAX_DEPTH is refused (a form is a root, groups and questions).
Values are converted to what `forms.validate` expects with the strict parser of server/core/strict.py
(ASCII digits, bounded length: '²' or 10**5000 stay text); anything that does not convert is passed
on as text, so that validation names the field instead of the value vanishing here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from forms.model import FormVersion
from server.collection.photos import reference_for
from server.core.i18n import N_
from server.core.strict import MAX_FORM_VERSION, parse_decimal, parse_int

MAX_DEPTH = 32
_SKIPPED = ("percent", "note")  # computed on the phone and again on the server, or only shown


class InstanceError(Exception):
    """The XML cannot be used; `message` is a msgid with `params`."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Instance:
    form_id: str
    version: int
    instance_id: UUID
    root: Element
    deprecated_id: UUID | None = None  # an ODK Collect edit: the instanceID of the submission it replaces


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def read_instance(content: bytes) -> Instance:
    """Parse safely and read the header: the root's `id` and `version`, and `meta/instanceID`."""
    try:
        root = fromstring(content, forbid_dtd=True)
    except DefusedXmlException as refused:
        raise InstanceError(N_("The XML contains a DTD or entities, which are not accepted.")) from refused
    except ParseError as broken:
        raise InstanceError(N_("The submission is not well-formed XML.")) from broken
    _check_depth(root)
    form_id = root.get("id") or ""
    if not form_id:
        raise InstanceError(N_("The submission does not say which form it answers (no id on its root element)."))
    raw_version = (root.get("version") or "").strip()
    if not raw_version:  # every form phuhop serves carries one: a phone never sends none
        raise InstanceError(N_("The submission does not say which version of the form it answers (no version on "
                               "its root element)."))
    version = parse_int(raw_version, minimum=1, maximum=MAX_FORM_VERSION)
    if version is None:
        raise InstanceError(N_("The form version %(version)s of the submission is not a version number."),
                            version=raw_version[:20])
    meta = next((child for child in root if _local(child.tag) == "meta"), None)
    instance_id = _uuid(meta, "instanceID")
    if instance_id is None:
        raise InstanceError(N_("The submission has no valid meta/instanceID."))
    return Instance(form_id, version, instance_id, root, _uuid(meta, "deprecatedID"))


def _uuid(meta: Element | None, name: str) -> UUID | None:
    """meta/<name> as a UUID ("uuid:" prefix optional); None when absent, not a UUID, or the nil UUID."""
    raw = next(((child.text or "").strip() for child in meta if _local(child.tag) == name), "") if meta is not None else ""
    try:
        found = UUID(raw.removeprefix("uuid:"))
    except ValueError:
        return None
    return found if found.int else None


def _check_depth(root: Element) -> None:
    """Refuse XML nested deeper than any form (iteratively: 5,000 levels overflowed the recursion)."""
    level: list[tuple[Element, int]] = [(root, 1)]
    while level:
        element, depth = level.pop()
        if depth > MAX_DEPTH:
            raise InstanceError(N_("The submission's XML is nested too deeply."))
        level.extend((child, depth + 1) for child in element)


def answers_of(instance: Instance, form: FormVersion) -> dict[str, Any]:
    """The answers as the web form would send them: only questions, in our types, empty ones left out."""
    fields = form.field_map
    derived = {item.key for item in form.derived}
    answers: dict[str, Any] = {}
    for element in _leaves(instance.root):
        key = _local(element.tag)
        text = (element.text or "").strip()
        if not text or key in derived:
            continue
        field = fields.get(key)
        if field is None:
            answers[key] = text  # not part of this version: validation reports it by name
        elif field.type not in _SKIPPED:
            answers[key] = convert(field.type, text)
    return answers


def _leaves(element: Element):
    for child in element:
        if _local(child.tag) == "meta":
            continue
        if len(child):
            yield from _leaves(child)
        else:
            yield child


def convert(kind: str, text: str) -> Any:
    """One XForm value as our answer type (the text itself when it does not convert)."""
    if kind == "integer":
        number = parse_int(text)
        return text if number is None else number
    if kind == "decimal":
        number = parse_decimal(text)
        return text if number is None else number
    if kind == "yes_no":
        return {"yes": True, "no": False}.get(text, text)
    if kind == "select_many":
        return text.split()
    if kind == "geopoint":
        return _geopoint(text)
    if kind == "photo":
        return reference_for(text)  # the name its file is matched by (any script, any length)
    return text


def _geopoint(text: str) -> Any:
    """ODK's "lat lon altitude accuracy" → {lat, lon, accuracy}; altitude is not kept."""
    numbers = [parse_decimal(part) for part in text.split()]
    if not 2 <= len(numbers) <= 4 or None in numbers:
        return text
    point = {"lat": numbers[0], "lon": numbers[1]}
    if len(numbers) == 4:
        point["accuracy"] = numbers[3]
    return point
