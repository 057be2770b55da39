"""Published form versions are immutable: `definitions/published.json` pins each file's sha256.

Answers stored against "play-area v1" must keep meaning what v1 asked, so a published
file may never change; a change is a new version file. The loader refuses a published or
retired file whose bytes differ from the recorded hash.

Workflow for a developer:
- write `definitions/<form_id>/v<N>.yaml` with `status: draft` and change it freely;
- to publish, set `status: published` and call `forms.hashes.publish_hashes()` once
  (e.g. `python -c "from forms.hashes import publish_hashes; print(publish_hashes())"`),
  then commit the file together with `published.json`;
- to retire, change only the line `status: published` to `status: retired`: the hash is
  taken over the bytes with that one line read as published, so retiring needs no new hash
  and nothing else in the file may change.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from forms.loader import DEFINITIONS_DIR, FormDefinitionError, definition_files, parse
from forms.model import FormVersion

PUBLISHED_FILE = "published.json"
_RETIRED_LINE = re.compile(rb"^status: retired$", re.MULTILINE)


def version_id(form: FormVersion) -> str:
    return f"{form.form_id}/{form.version}"


def digest(content: bytes, form: FormVersion) -> str:
    """The sha256 of the file as it was published (a retired file's status line read back)."""
    if form.status == "retired":
        content = _RETIRED_LINE.sub(b"status: published", content, count=1)
    return hashlib.sha256(content).hexdigest()


def read_recorded(directory: Path) -> dict[str, str]:
    path = directory / PUBLISHED_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def check_pinned(path: Path, content: bytes, form: FormVersion, recorded: dict[str, str]) -> None:
    """Refuse a published or retired file that changed, was never recorded, or went back to draft."""
    vid = version_id(form)
    expected = recorded.get(vid)
    new_file = f"{form.form_id}/v<N>.yaml with a version number not used yet"
    if form.status == "draft":
        if expected is not None:
            raise FormDefinitionError(f"{path}: {vid} was published and cannot become a draft again; "
                                      f"make a new version file instead ({new_file})")
        return
    if expected is None:
        raise FormDefinitionError(f"{path}: {vid} is {form.status} but its hash is not recorded in "
                                  f"{PUBLISHED_FILE}: call forms.hashes.publish_hashes() to record it")
    if digest(content, form) != expected:
        raise FormDefinitionError(
            f"{path}: {vid} is published and must never change (its sha256 differs from {PUBLISHED_FILE}). "
            f"Restore the file and make a new version file instead ({new_file}). To retire it, change only "
            "the line `status: published` to `status: retired`.")


def publish_hashes(directory: Path = DEFINITIONS_DIR) -> dict[str, str]:
    """Record the hash of every published or retired version not recorded yet; returns the new entries.

    Versions already recorded are checked, never overwritten: a changed published file stays an error.
    """
    recorded = read_recorded(directory)
    new: dict[str, str] = {}
    for path in definition_files(directory):
        content = path.read_bytes()
        form = parse(content, path)
        if version_id(form) in recorded or form.status == "draft":
            check_pinned(path, content, form, recorded)
        else:
            new[version_id(form)] = digest(content, form)
    if new:
        merged = dict(sorted({**recorded, **new}.items()))
        (directory / PUBLISHED_FILE).write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")
    return new
