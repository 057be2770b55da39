"""English is the source language: after `pybabel update`, copy each new msgid into the en catalog.

Run by `make catalogs`; the test suite then finds every message translated in both catalogs.
"""

from pathlib import Path

from babel.messages.pofile import read_po, write_po

path = Path(__file__).parent / "en" / "LC_MESSAGES" / "messages.po"
with path.open("rb") as handle:
    catalog = read_po(handle, locale="en")
for message in catalog:
    if message.id and not message.string:
        message.string = message.id
with path.open("wb") as handle:
    write_po(handle, catalog, width=100, omit_header=False)
