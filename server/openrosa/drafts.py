"""XLSForms uploaded by an admin become draft definition files under the data directory.

Form definitions are versioned with the code (published ones are pinned by hash), so the server never
writes into `forms/definitions`: a draft lands in `<data dir>/form-drafts/<form_id>/v<N>.yaml`, N the
next number unused by shipped versions and earlier drafts, for a developer to review and commit.
"""

from __future__ import annotations

from pathlib import Path

import anyio

from forms.loader import DEFINITIONS_DIR
from forms.xlsform import ImportResult, next_version_in, read_xlsform, save_draft
from server.core import audit
from server.core.db import write_transaction
from server.core.settings import get_settings
from server.core.tables import User


def drafts_dir() -> Path:
    return get_settings().data_dir / "form-drafts"


async def import_draft(content: bytes, filename: str, *, by: User, ip: str | None) -> tuple[ImportResult, Path | None]:
    """Read the workbook; on success write the draft and audit it. Problems come back in the result."""
    directory = drafts_dir()
    result = await anyio.to_thread.run_sync(read_xlsform, content, next_version_in(DEFINITIONS_DIR, directory))
    if result.form is None:
        return result, None
    path = await anyio.to_thread.run_sync(save_draft, result, directory, Path(filename).name)
    async with write_transaction():
        await audit.record("form_draft_imported", "form_version", f"{result.form.form_id}/{result.form.version}",
                           user=by, ip=ip, after={"file": Path(filename).name, "path": str(path),
                                                  "warnings": len(result.warnings)})
    return result, path
