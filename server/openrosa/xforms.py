"""The XForms phuhop serves to ODK Collect: pyxform's conversion of our XLSForm export, made once per version."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache

from forms import registry
from forms.model import FormVersion
from forms.xlsform import to_xform


@dataclass(frozen=True)
class XForm:
    form: FormVersion
    xml: bytes
    md5: str


@lru_cache(maxsize=64)
def _build(form_id: str, version: int) -> XForm:
    form = registry.get_form(form_id, version)
    xml = to_xform(form).encode("utf-8")
    return XForm(form, xml, hashlib.md5(xml).hexdigest())


def xform(form_id: str, version: int) -> XForm:
    """The XForm of a version phones may fill (published); FormNotAccepted otherwise."""
    registry.check_accepting(form_id, version)
    return _build(form_id, version)


def listed() -> list[FormVersion]:
    """What the form list offers: the newest published version of each form (one per form id, as Collect expects)."""
    newest: dict[str, FormVersion] = {}
    for form in registry.list_forms():
        if form.status == "published":
            newest[form.form_id] = form
    return list(newest.values())
