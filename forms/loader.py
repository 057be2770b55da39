"""Reading definition files: `definitions/<form_id>/v<N>.yaml`, one file per form version.

Errors are for the developer who edits a file: English, with the file and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from forms.model import FormVersion

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"


class FormDefinitionError(Exception):
    """A definition file is invalid, misplaced, or was changed after it was published."""


def definition_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/v*.yaml"))


def parse(content: bytes, path: Path) -> FormVersion:
    """One version from its file's bytes; `path` must agree with the form id and version inside."""
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError as error:
        raise FormDefinitionError(f"{path}: not valid YAML: {error}") from error
    try:
        form = FormVersion.model_validate(data)
    except ValidationError as error:
        lines = [_describe(item, data) for item in error.errors()]
        raise FormDefinitionError(f"{path}: invalid form definition:\n  " + "\n  ".join(lines)) from error
    expected = f"{form.form_id}/v{form.version}.yaml"
    if f"{path.parent.name}/{path.name}" != expected:
        raise FormDefinitionError(f"{path}: holds {form.form_id} version {form.version}, so it must be {expected}")
    return form


def _describe(error: Any, data: Any) -> str:
    """`groups[1].fields[3] (key 'c2_births_registered').integer.label: message` from a pydantic error."""
    where: list[str] = []
    node = data
    for part in error["loc"]:
        if isinstance(part, int) and where:
            where[-1] += f"[{part}]"
        else:
            where.append(str(part))
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(part, int) and isinstance(node, dict) and "key" in node:
            where[-1] += f" (key {node['key']!r})"
    return f"{'.'.join(where) or 'file'}: {error['msg']}"
