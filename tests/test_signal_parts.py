"""Signal's pieces on their own: splitting under 2,000 UTF-8 bytes, numbered replies, the
example config's [signal] section."""

from __future__ import annotations

import tomllib
from pathlib import Path

from bot.choices import Answer, DebriefAction, MissionAction
from bot.config import SignalSettings
from bot.delivery.messages import Choice, Location, OutgoingMessage
from bot.i18n import translator
from transports.signal.render import family_of, numbered, render, split_text

SV = translator("sv")
ROOT = Path(__file__).resolve().parent.parent


def test_split_counts_utf8_bytes_and_keeps_lines_whole() -> None:
    line = "Åsa möter er vid skolans aula, ingång från gården."  # å, ö: two bytes each
    text = "\n".join([line] * 80)
    parts = split_text(text)
    assert len(parts) > 1 and all(len(part.encode()) <= 2000 for part in parts)
    assert "\n".join(parts) == text
    one_long_line = "ä" * 1500  # 3,000 bytes, no line break
    cut = split_text(one_long_line)
    assert [len(part.encode()) for part in cut] == [2000, 1000]
    assert "".join(cut) == one_long_line


def test_choices_become_numbered_replies_unless_numbers_are_the_answer() -> None:
    answers = (Choice("Ja, jag kan", Answer(7, True).pack()),
               Choice("Nej", Answer(7, False).pack()))
    request = OutgoingMessage("Kan du åka?", choices=(answers,))
    rendered = render(request, SV)
    assert rendered.parts == ["Kan du åka?\n\nSvara 1 = Ja, jag kan · 2 = Nej"]
    assert [offer.number for offer in rendered.offers] == [1, 2]
    assert rendered.family == "a1:7" and rendered.title == "Kan du åka?"
    scale = [Choice(str(n), DebriefAction(3, 8, "v", str(n)).pack()) for n in range(1, 6)]
    assert not numbered([*scale, Choice("Fortsätt senare", DebriefAction(3, 8, "p").pack())])
    typed = [Choice("Hoppa över", DebriefAction(3, 2, "sk").pack()),
             Choice("Fortsätt senare", DebriefAction(3, 2, "p").pack())]
    assert not numbered(typed)
    hours = render(OutgoingMessage("Hur många timmar?", choices=(tuple(typed),)), SV)
    assert hours.parts[0].endswith("Svara med: Hoppa över · Fortsätt senare")
    assert all(offer.number is None for offer in hours.offers)
    briefing = [Choice(label, MissionAction(4, verb).pack()) for label, verb in
                (("Framme", "arrived"), ("Avslutad", "finished"), ("Kan inte ändå", "withdraw"),
                 ("X", "arrived"))]
    assert family_of([choice.id for choice in briefing]) == "m1:4"
    many = render(OutgoingMessage("Genomgång", choices=(tuple(briefing),)), SV)
    assert many.parts[0].endswith("Svara med en siffra:\n1 = Framme\n2 = Avslutad\n"
                                  "3 = Kan inte ändå\n4 = X")


def test_a_location_is_an_address_line_and_a_map_link() -> None:
    place = render(OutgoingMessage(location=Location(59.3793, 13.5036, "Storgatan 12 B",
                                                     "Karlstad")), SV)
    assert place.parts == ["📍 Storgatan 12 B, Karlstad\nhttps://www.openstreetmap.org/"
                           "?mlat=59.37930&mlon=13.50360#map=17/59.37930/13.50360"]
    assert place.family is None


def test_the_example_config_spells_out_every_signal_default() -> None:
    example = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    written = example["signal"]
    defaults = SignalSettings()
    for key in SignalSettings.model_fields:
        if key == "account":
            assert "# account = " in (ROOT / "config.example.toml").read_text(encoding="utf-8")
            continue
        assert key in written, key
        assert SignalSettings(**{key: written[key]}).model_dump()[key] == \
            defaults.model_dump()[key], key
