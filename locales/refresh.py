"""Brings the catalogs up to date with the code: `.venv/bin/python locales/refresh.py`.

Extracts every message from the folders babel.cfg names into locales/messages.pot, adds new
messages to the Swedish and English catalogs and drops the ones the code no longer uses (no fuzzy
matching: a changed text is a new message). English is the source language, so an English
entry is filled with its msgid; a new Swedish entry is left empty and listed at the end, for a
person to translate. The header stays fixed, so a refresh without changes changes no file.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("bot", "handlers", "transports", "sandbox", "intake")  # as babel.cfg
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "N_": None}
STAMP = datetime(2026, 11, 23, tzinfo=UTC)
WIDTH = 100
HEADER = {"project": "posom-bot", "version": "0.1",
          "copyright_holder": "POSOM bot contributors", "msgid_bugs_address": "posom@example.org",
          "creation_date": STAMP}


def template() -> Catalog:
    """Every message the code uses, with its translator comments."""
    catalog = Catalog(**HEADER)
    for folder in FOLDERS:
        for _, _, message, comments, context in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS,
                comment_tags=("Translators:",)):
            catalog.add(message, None, auto_comments=comments, context=context)
    return catalog


def write(catalog: Catalog, path: Path) -> None:
    with path.open("wb") as handle:
        write_po(handle, catalog, width=WIDTH, no_location=True, sort_output=True,
                 ignore_obsolete=True)


def refresh(locale: str, pot: Catalog) -> list[str]:
    """Updates one language's catalog from the template; returns the untranslated msgids."""
    path = ROOT / f"locales/{locale}/LC_MESSAGES/messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    catalog.update(pot, no_fuzzy_matching=True, update_creation_date=False)
    catalog.revision_date = STAMP
    missing = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            continue
        if locale == "en":
            message.string = message.id
        else:
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    write(catalog, path)
    return missing


def main() -> int:
    pot = template()
    write(pot, ROOT / "locales/messages.pot")
    missing = refresh("sv", pot) + refresh("en", pot)
    for msgid in missing:
        print(f"untranslated (sv): {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
