"""Every text a person reads is translated: sv and en complete, nothing fuzzy, same placeholders."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"gettext": None, "ngettext": (1, 2), "N_": None}


def source_messages() -> set[str | tuple[str, str]]:
    """Every msgid the code uses today, extracted the way pybabel does."""
    found: set[str | tuple[str, str]] = set()
    for folder in ("bot", "handlers", "transports", "sandbox", "intake"):  # as babel.cfg
        for _, _, message, _, _ in extract_from_dir(
                ROOT / folder, method_map=[("**.py", "python")], keywords=KEYWORDS):
            found.add(message if isinstance(message, str) else tuple(message))
    return found


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


@pytest.mark.parametrize("locale", ["sv", "en"])
def test_catalog_is_complete(locale: str) -> None:
    with (ROOT / f"locales/{locale}/LC_MESSAGES/messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    problems = []
    for message in source_messages():
        msgid = message if isinstance(message, str) else message[0]
        entry = catalog.get(msgid)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
            continue
        if entry.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        ids = entry.id if isinstance(entry.id, tuple) else (entry.id,)
        if not all(strings):
            problems.append(f"untranslated: {msgid!r}")
            continue
        expected = set().union(*(placeholders(text) for text in ids))
        for text in strings:
            if placeholders(text) != expected:
                problems.append(f"placeholders differ: {msgid!r} -> {text!r}")
    assert not problems, "\n".join(problems)


def test_template_lists_every_source_message() -> None:
    with (ROOT / "locales/messages.pot").open("rb") as handle:
        template = read_po(handle)
    ids = {message.id if isinstance(message.id, str) else tuple(message.id)
           for message in template if message.id}
    missing = source_messages() - ids
    assert not missing, f"run the extraction in README (Translations): {sorted(map(str, missing))}"


def test_swedish_is_really_swedish() -> None:
    from bot.i18n import translator

    t = translator("sv")
    assert t.gettext("Can you go?") == "Kan du åka?"
    assert t.gettext("Yes, I can") == "Ja, jag kan"
    # 02:00 UTC is 03:00 in Stockholm in November; babel writes the Swedish month.
    assert t.datetime(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)) == "23 nov. 2026 03:00"
