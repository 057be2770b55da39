"""Answers to different versions of one form, made comparable.

A later version may rename a field (`renamed_from` on the new field) or replace it by another
question; a version's `derived` values recompute the old meaning from the new answers (for
example `fenced` from v2's `fencing`). `normalise` applies both, so reports and `derive` read
the same keys whatever version a commune filled.
"""

from __future__ import annotations

from typing import Any

from forms import registry as default
from forms.logic import evaluate
from forms.model import FormVersion
from forms.registry import Registry


def normalise(form: FormVersion, answers: dict[str, Any], registry: Registry | None = None) -> dict[str, Any]:
    """Clean answers to `form`, with keys renamed to the newest version's and derived values added.

    Derived values that cannot be computed (an answer is missing) are null.
    """
    renames = _renames(form, registry or default.default_registry())
    comparable = {renames.get(key, key): value for key, value in answers.items()}
    for derived in form.derived:
        comparable[derived.key] = evaluate(derived.expression, answers)
    return comparable


def _renames(form: FormVersion, registry: Registry) -> dict[str, str]:
    """Old key → newest key, following renames through every later version in order."""
    renames: dict[str, str] = {}
    for later in registry.versions(form.form_id):
        if later.version <= form.version:
            continue
        for field in later.fields:
            for old in field.renamed_from:
                for source, target in list(renames.items()):
                    if target == old:
                        renames[source] = field.key
                renames.setdefault(old, field.key)
    return renames
