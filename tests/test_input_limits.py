"""Issue 13, input at its limits: roster files as Excel writes them, numbers too large, invisible
characters, invite lifetimes and config that would break later. Each is refused in one clear line
(or read correctly), never an exception deep inside."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import Area, ConfigError, Settings, load_settings
from bot.durations import parse_duration
from bot.people.availability import parse_away
from bot.people.enrolment import check_invite_lifetime
from bot.people.roster import RosterError, parse_roster
from bot.typed import clean_line, clean_name, clean_text, has_letters
from tests.test_config import GOOD, write

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = Settings(areas=[Area(key="karlstad", name="Karlstad"), Area(key="kil", name="Kil")])
NOW = datetime(2026, 11, 23, 2, 47, tzinfo=UTC)
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def names(text: str) -> list[str]:
    return [row.member.name for row in parse_roster(text, SETTINGS)]


# -- 4. roster files -------------------------------------------------------------------------

def test_roster_reads_quotes_as_excel_writes_them() -> None:
    """RFC 4180: a quote inside a quoted field is doubled."""
    assert names('name,phone\n"Anna ""Nana"" Svensson",0701234567\n') == [
        'Anna "Nana" Svensson']
    assert names('name;phone\n"Anna ""Nana"" Svensson";0701234567\n') == [
        'Anna "Nana" Svensson']


@pytest.mark.parametrize("text", [
    # The delimiter inside a quoted field with doubled quotes: refused when guessed wrong.
    'name,phone,area\n"Berg, Anna ""Nana""",0701234567,kil\n',
    'name;phone;area\n"Berg, Anna ""Nana""";0701234567;kil\n',
    'name;phone;area\r\n"Berg, Anna ""Nana""";070-123 45 67;Kil\r\n',
    '"name","phone","area"\n"Berg, Anna ""Nana""","0701234567","kil"\n',
    'name\tphone\tarea\n"Berg, Anna ""Nana"""\t0701234567\tkil\n',
])
def test_roster_valid_files_are_read(text: str) -> None:
    assert names(text) == ['Berg, Anna "Nana"']


def test_roster_names_are_capped_and_must_have_letters() -> None:
    assert names("name,phone\nAnna\u200b Berg\u202e,0701234567\n") == ["Anna Berg"]
    with pytest.raises(RosterError, match="line 2: the name must be 2–80 characters"):
        parse_roster("name,phone\n" + "A" * 81 + ",0701234567\n", SETTINGS)
    with pytest.raises(RosterError, match="line 3: the name must be 2–80 characters"):
        parse_roster("name,phone\nAnna,0701234567\n\u200b\u200f\x00,0702345678\n", SETTINGS)
    assert names("name,phone\n" + "Å" * 80 + ",0701234567\n") == ["Å" * 80]


# -- 5. numbers too large ------------------------------------------------------------------

@pytest.mark.parametrize("text", ["9" * 40 + "d", "99999999999999999999w", "1" * 400 + "s"])
def test_durations_too_large_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("text", ["9999-12-31", "9999-12-30", "9" * 40, "9999999999d",
                                  "0001-01-01", "2027-12-24"])
def test_away_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_away(text, NOW, STOCKHOLM)


def test_away_within_a_year_is_read() -> None:
    assert parse_away("2027-11-22", NOW, STOCKHOLM) == datetime(2027, 11, 23,
                                                                 tzinfo=STOCKHOLM)


def test_config_duration_too_large_is_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD + '\n[debrief]\ndelay = "' + "9" * 40 + 'd"\n')
    with pytest.raises(ConfigError, match=r"debrief\.delay: ") as caught:
        load_settings(path)
    assert "\n" not in str(caught.value)


# -- 6. invisible input --------------------------------------------------------------------

def test_control_and_invisible_characters_are_removed() -> None:
    assert clean_text("Brand\x00 i villa\u200b\u202e\ufeff") == "Brand i villa"
    assert clean_text("rad ett\r\nrad två\u2028rad tre\ttab") == "rad ett\nrad två\nrad tre tab"
    assert clean_text("👨\u200d👩\u200d👧 familj") == "👨\u200d👩\u200d👧 familj"
    assert clean_text("lone \ud800 surrogate") == "lone  surrogate"
    assert clean_line("  Anna \n  Berg\x07 ") == "Anna Berg"


def test_a_name_needs_letters() -> None:
    assert not has_letters("\x00\u200b\u200f 123 !!")
    assert clean_name("\x00\x00\x00") is None
    assert clean_name("\u200b\u200c\u200d\u200e\u200f\u202e") is None
    assert clean_name("42") is None
    assert clean_name("Åsa Öberg-Ek") == "Åsa Öberg-Ek"
    assert clean_name("李小龙") == "李小龙"
    assert clean_name("A" * 81) is None


# -- 7. invite lifetimes -----------------------------------------------------------------------

@pytest.mark.parametrize("text", ["0s", "0d", "31d", "99999d", "5w"])
def test_invite_lifetime_out_of_range_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        check_invite_lifetime(parse_duration(text))


def test_invite_lifetime_within_range() -> None:
    assert check_invite_lifetime(parse_duration("30d")) == timedelta(days=30)
    assert check_invite_lifetime(parse_duration("1h")) == timedelta(hours=1)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("POSOM_")}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          env=environment, timeout=60, cwd=ROOT)


@pytest.mark.parametrize("expires", ["0s", "99999d", "31d"])
def test_cli_invite_lifetime_refused_in_one_line(tmp_path: Path, expires: str) -> None:
    config = write(tmp_path, GOOD + f'\n[storage]\npath = "{tmp_path / "posom.db"}"\n')
    result = run_cli("invite", "--role", "leader", "--expires", expires, "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "posom: --expires: an invitation is valid for more than 0 and at most 30 days"]
    assert result.stdout == ""


@pytest.mark.parametrize(("value", "expected"), [
    ('"0s"', "enrolment.invite_expires: more than 0 and at most 30 days"),
    ('"60d"', "enrolment.invite_expires: more than 0 and at most 30 days"),
])
def test_config_invite_lifetime(tmp_path: Path, value: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(expected)):
        load_settings(write(tmp_path, GOOD.replace('invite_expires = "2d"',
                                                   f"invite_expires = {value}")))


# -- 9. config that would break later -------------------------------------------------------------

LONG_KEY = "a" * 33
WEBHOOK = ('bot_username = "@posom_bot"\nwebhook_secret_token = "abc"\n'
           'webhook_url = "https://bot.example.org{port}/hook"')


@pytest.mark.parametrize(("change", "expected"), [
    (('key = "kil"', f'key = "{LONG_KEY}"'), "areas.1.key: "),
    (('name = "Kil"', 'name = ""'), "areas.1.name: "),
    (('name = "Kil"', 'name = "   "'), "areas.1.name: "),
    (("[callout]", f'[callout]\nkinds = [{{key = "{LONG_KEY}", sv = "Brand", en = "Fire"}}]'),
     "callout.kinds.0.key: "),
    (("[callout]", '[callout]\nkinds = [{key = "fire", sv = "", en = "Fire"}]'),
     "callout.kinds.0.sv: "),
    (('bot_username = "@posom_bot"', 'bot_username = "@posom_bot"\npoll_timeout = 0'),
     "telegram.poll_timeout: "),
    (('bot_username = "@posom_bot"', WEBHOOK.format(port=":8080")),
     "telegram.webhook_url: Telegram only calls webhooks on ports 443, 80, 88 or 8443"),
    (('bot_username = "@posom_bot"', WEBHOOK.format(port=":99999")),
     "telegram.webhook_url: "),
])
def test_config_refuses_what_breaks_later(tmp_path: Path, change: tuple[str, str],
                                          expected: str) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert expected in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("port", ["", ":443", ":8443", ":88", ":80"])
def test_config_webhook_on_allowed_ports(tmp_path: Path, port: str) -> None:
    settings = load_settings(write(tmp_path, GOOD.replace('bot_username = "@posom_bot"',
                                                          WEBHOOK.format(port=port))))
    assert settings.telegram.webhook_url == f"https://bot.example.org{port}/hook"


def test_check_refuses_a_long_area_key_in_one_line(tmp_path: Path) -> None:
    config = write(tmp_path, GOOD.replace('key = "kil"', f'key = "{LONG_KEY}"'))
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and "areas.1.key" in result.stderr
