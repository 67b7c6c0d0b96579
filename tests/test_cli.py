"""The `posom` command as an operator uses it: invite, roster import, check, run."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from pathlib import Path

import pytest

from tests.e2e import TOKEN

ROOT = Path(__file__).resolve().parent.parent


def write_config(tmp_path: Path, api_url: str = "http://127.0.0.1:9", token: str = TOKEN,
                 extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"""
{extra}
[telegram]
token = "{token}"
api_url = "{api_url}"
bot_username = "posom_test_bot"
poll_timeout = 1
[[areas]]
key = "karlstad"
name = "Karlstad"
[[areas]]
key = "kil"
name = "Kil"
[storage]
path = "{tmp_path / 'posom.db'}"
""", encoding="utf-8")
    return path


async def posom(*args: str, limit: float = 60) -> tuple[int, str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("POSOM_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=environment, cwd=ROOT)
    stdout, stderr = await asyncio.wait_for(process.communicate(), limit)
    return process.returncode, stdout.decode(), stderr.decode()


def members(tmp_path: Path) -> list[tuple]:
    with sqlite3.connect(tmp_path / "posom.db") as connection:
        return connection.execute(
            "SELECT name, phone, area, gender, role, locale FROM members ORDER BY id").fetchall()


async def test_invite_prints_link_and_token(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    code, out, err = await posom("invite", "--role", "volunteer", "--area", "kil",
                                 "--expires", "2d", "--config", str(config))
    assert code == 0, err
    link, token_line = out.splitlines()[:2]
    assert link.startswith("https://t.me/posom_test_bot?start=")
    assert token_line == "token: " + link.rsplit("=", 1)[1]
    code, _, err = await posom("invite", "--role", "volunteer", "--area", "nowhere",
                               "--config", str(config))
    assert code == 2 and "unknown area 'nowhere'" in err


async def test_roster_import_all_or_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    good = tmp_path / "roster.csv"
    good.write_text("name;phone;area;gender;role;locale\n"
                    "Anna Berg;070-123 45 67;Karlstad;kvinna;stödperson;sv\n"
                    "Bo Ek;+46 70 222 33 44;kil;man;;\n"
                    "Lena Ledare;0701112233;;;ledare;en\n", encoding="utf-8")
    code, out, err = await posom("roster", "import", str(good), "--config", str(config))
    assert code == 0, err
    assert "imported 3" in out
    assert members(tmp_path) == [
        ("Anna Berg", "+46701234567", "karlstad", "female", "volunteer", "sv"),
        ("Bo Ek", "+46702223344", "kil", "male", "volunteer", None),
        ("Lena Ledare", "+46701112233", None, "undisclosed", "leader", "en"),
    ]

    bad_cases = {
        "name,phone,area\nCia,0703334455,kil\nDan,not a number,kil\n":
            "line 3: phone 'not a number' is not a phone number",
        "name,phone,area\nCia,0703334455,kil\nDan,0704445566,Narnia\n":
            "line 3: unknown area 'Narnia'",
        "name,phone\nCia,0703334455\nDan,070-333 44 55\n": "line 3: phone +46703334455 is "
                                                          "already on line 2",
        "name,phone\nCia,0703334455\nAnna again,+46701234567\n": "line 3: phone +46701234567 is "
                                                                "already registered",
        "namn,telefon\nCia,0703334455\n": "line 1: missing column(s) name, phone",
        "name,phone,gender\nCia,0703334455,kanske\n": "line 2: gender 'kanske'",
    }
    for text, expected in bad_cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_text(text, encoding="utf-8")
        code, out, err = await posom("roster", "import", str(bad), "--config", str(config))
        assert code == 2, (text, out, err)
        assert expected in err and "nothing was imported" in err, err
        assert "Traceback" not in err
        assert len(members(tmp_path)) == 3  # nothing of a bad file is imported


async def test_check_reports_token_and_database(fake, tmp_path: Path) -> None:
    code, out, err = await posom("check", "--config", str(write_config(tmp_path, fake.api_url)))
    assert code == 0, out + err
    assert "token: ok (@posom_test_bot)" in out and "database:" in out and "ok" in out
    wrong = "123456:WRONG-TOKEN-VALUE"
    code, out, err = await posom("check", "--config",
                                 str(write_config(tmp_path, fake.api_url, token=wrong)))
    assert code == 1
    assert "token: refused" in out
    assert "WRONG-TOKEN-VALUE" not in out + err


async def test_run_serves_people_and_never_logs_the_token(fake, tmp_path: Path) -> None:
    config = write_config(tmp_path, fake.api_url, extra="admins = [1]")
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("POSOM_")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--config", str(config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=environment,
        cwd=ROOT)
    try:
        admin = fake.person(1, "Lena", language_code="en", started=True)
        await admin.send("/status")
        await admin.wait_for("Available now:", timeout=30)
        await admin.send("/invite volunteer")
        await admin.wait_for("/start ", timeout=10)
        stranger = fake.person(2, "Stranger", language_code="sv")
        await stranger.send("hej")
        await stranger.wait_for("kontakta POSOM:s ledningsgrupp", timeout=10)
    finally:
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    log = stdout.decode() + stderr.decode()
    assert process.returncode == 0, log
    assert "bot started as @posom_test_bot" in log
    assert "invite created" in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "getUpdates" not in log  # request URLs (which carry the token) are not logged


@pytest.mark.parametrize("command", [["run"], ["check"]])
async def test_run_without_token_says_what_to_do(tmp_path: Path, command) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "x.db"}"\n', encoding="utf-8")
    code, out, err = await posom(*command, "--config", str(config))
    if command == ["run"]:
        assert code == 2 and err.count("\n") == 1
        assert "telegram.token: missing" in err and "posom demo" in err
    else:
        assert code == 1 and "token: telegram.token: missing" in out


async def test_run_with_a_refused_token_exits_2_without_quoting_it(fake, tmp_path: Path) -> None:
    wrong = "123456:WRONG-TOKEN-VALUE"
    code, out, err = await posom("run", "--config",
                                 str(write_config(tmp_path, fake.api_url, token=wrong)))
    assert code == 2
    assert err.strip().endswith("telegram.token: refused by " + fake.api_url)
    assert "WRONG-TOKEN-VALUE" not in out + err and "Traceback" not in err
