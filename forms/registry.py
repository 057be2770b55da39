"""Every form version shipped in `definitions/`, loaded and checked once, looked up by id and version.

The module-level functions use the shipped definitions (loaded on first use); tests and tools
call `load_all(directory)` for another directory and use the `Registry` it returns.
Drafts load (so they can be tried out) but are not accepted for submission; retired versions
load (old submissions still need them) but are refused for new submissions.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from forms.hashes import check_pinned, read_recorded
from forms.loader import DEFINITIONS_DIR, FormDefinitionError, definition_files, parse
from forms.model import FormVersion
from forms.texts import N_


class FormNotAccepted(Exception):
    """No submission is taken for this form version; `message` is a msgid with `params`."""

    def __init__(self, code: str, message: str, **params: Any) -> None:
        super().__init__(message % params)
        self.code = code
        self.message = message
        self.params = params


class Registry:
    def __init__(self, forms: list[FormVersion]) -> None:
        self._forms = {(form.form_id, form.version): form for form in sorted(forms, key=_order)}

    def list_forms(self) -> list[FormVersion]:
        """Every version of every form (drafts and retired included), by form id then version."""
        return list(self._forms.values())

    def versions(self, form_id: str) -> list[FormVersion]:
        return [form for (fid, _), form in self._forms.items() if fid == form_id]

    def get_form(self, form_id: str, version: int) -> FormVersion:
        form = self._forms.get((form_id, version))
        if form is None:
            raise FormNotAccepted("unknown", N_("There is no form %(form_id)s version %(version)s."),
                                  form_id=form_id, version=version)
        return form

    def latest(self, form_id: str) -> FormVersion:
        """The newest published version: the one a phone should fill now."""
        published = [form for form in self.versions(form_id) if form.status == "published"]
        if not published:
            raise FormNotAccepted("unknown", N_("There is no published version of the form %(form_id)s."),
                                  form_id=form_id)
        return published[-1]

    def check_accepting(self, form_id: str, version: int) -> FormVersion:
        """The form version if new submissions may use it; else FormNotAccepted saying why."""
        form = self.get_form(form_id, version)
        if form.status == "retired":
            raise FormNotAccepted("retired", N_("This form version is retired: refresh to get the new version."),
                                  form_id=form_id, version=version)
        if form.status == "draft":
            raise FormNotAccepted("draft", N_("This form version is not published yet."),
                                  form_id=form_id, version=version)
        return form


def _order(form: FormVersion) -> tuple[str, int]:
    return form.form_id, form.version


def load_all(directory: Path = DEFINITIONS_DIR) -> Registry:
    """Load and check every definition file; FormDefinitionError names the first bad file."""
    recorded = read_recorded(directory)
    forms = []
    for path in definition_files(directory):
        content = path.read_bytes()
        form = parse(content, path)
        check_pinned(path, content, form, recorded)
        forms.append(form)
    registry = Registry(forms)
    _check_renames(registry)
    return registry


def _check_renames(registry: Registry) -> None:
    """`renamed_from` must name a field of an earlier version that this version no longer has."""
    for form in registry.list_forms():
        earlier = {key for older in registry.versions(form.form_id) if older.version < form.version
                   for key in older.field_map}
        for field in form.fields:
            for old in field.renamed_from:
                if old not in earlier or old in form.field_map:
                    raise FormDefinitionError(
                        f"{form.form_id} v{form.version}, field {field.key!r}: renamed_from {old!r} must be a field "
                        "of an earlier version that this version no longer has")


@lru_cache(maxsize=1)
def default_registry() -> Registry:
    """The shipped definitions, or a deployment's own folder of them (PHUHOP_FORMS_DIR)."""
    folder = os.environ.get("PHUHOP_FORMS_DIR")
    return load_all(Path(folder)) if folder else load_all()


def list_forms() -> list[FormVersion]:
    return default_registry().list_forms()


def get_form(form_id: str, version: int) -> FormVersion:
    return default_registry().get_form(form_id, version)


def latest(form_id: str) -> FormVersion:
    return default_registry().latest(form_id)


def check_accepting(form_id: str, version: int) -> FormVersion:
    return default_registry().check_accepting(form_id, version)
