"""A submitted XForm instance (XML) → form id, version, instanceID and answers in our types.

The XML comes from phones on the internet, so it is parsed with defusedxml and any DTD is refused:
entity bombs ("billion laughs") and external entities (`file:///etc/passwd`) stop before any
expansion. Values are converted to what `forms.validate` expects; anything that does not convert is
passed on as text, so that validation names the field instead of the value vanishing here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any
from uuid import UUID
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from forms.model import FormVersion
from server.collection.photos import reference_for
from server.core.i18n import N_

_INTEGER = re.compile(r"-?[0-9]+")
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
    version: int | None
    instance_id: UUID
    root: Element


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
    form_id = root.get("id") or ""
    if not form_id:
        raise InstanceError(N_("The submission does not say which form it answers (no id on its root element)."))
    raw_version = (root.get("version") or "").strip()
    version = int(raw_version) if raw_version.isdigit() else None
    meta = next((child for child in root if _local(child.tag) == "meta"), None)
    raw_id = ""
    if meta is not None:
        raw_id = next(((child.text or "").strip() for child in meta if _local(child.tag) == "instanceID"), "")
    try:
        instance_id = UUID(raw_id.removeprefix("uuid:"))
    except ValueError as bad:
        raise InstanceError(N_("The submission has no valid meta/instanceID.")) from bad
    return Instance(form_id, version, instance_id, root)


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
        return int(text) if _INTEGER.fullmatch(text) else text
    if kind == "decimal":
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
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
    parts = text.split()
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return text
    if not 2 <= len(numbers) <= 4 or not all(math.isfinite(number) for number in numbers):
        return text
    point = {"lat": numbers[0], "lon": numbers[1]}
    if len(numbers) == 4:
        point["accuracy"] = numbers[3]
    return point
