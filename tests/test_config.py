"""Config: TOML + env overrides, and every bad config answered with one line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import (
    DEFAULT_SKILLS,
    ConfigError,
    DebriefSettings,
    IntakeSettings,
    ShiftSettings,
    StorageSettings,
    TrainingSettings,
    load_settings,
)

ROOT = Path(__file__).resolve().parent.parent
GOOD = """
admins = [42]
[telegram]
token = "123456:SECRET-TOKEN-VALUE"
bot_username = "@posom_bot"
[organisation]
name = "POSOM Test"
[[areas]]
key = "karlstad"
name = "Karlstad"
neighbours = ["kil"]
[[areas]]
key = "kil"
name = "Kil"
[callout]
needed = 3
[enrolment]
invite_expires = "2d"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_loads() -> None:
    settings = load_settings(ROOT / "config.example.toml")
    assert settings.area_keys == ["karlstad", "forshaga", "grums", "munkfors", "hammaro", "kil"]
    assert settings.callout.needed == 2
    assert [kind.key for kind in settings.callout.kinds] == [
        "suicide", "fire", "traffic", "sudden_death", "violence", "major_incident", "other"]
    assert settings.organisation.timezone == "Europe/Stockholm"
    assert settings.storage.path == Path("data/posom.db")
    # The storage-fault keys say the defaults (issue 17).
    assert settings.storage == StorageSettings()
    # The example spells out the shipped questionnaire: it must not drift from the defaults.
    assert settings.debrief == DebriefSettings()
    assert settings.skills == DEFAULT_SKILLS and settings.callout.skill_wait == timedelta(minutes=5)
    assert settings.training == TrainingSettings() and settings.shifts == ShiftSettings()
    # Every intake key is spelled out with its default (and the intake is off).
    assert settings.intake == IntakeSettings()


def test_values_are_read_and_typed(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD))
    assert settings.admins == [42]
    assert settings.telegram.token.get_secret_value() == "123456:SECRET-TOKEN-VALUE"
    assert settings.telegram.bot_username == "posom_bot"
    assert settings.callout.needed == 3
    assert settings.enrolment.invite_expires == timedelta(days=2)
    assert settings.telegram.api_url == "https://api.telegram.org"


def test_environment_overrides_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSOM_CALLOUT__NEEDED", "4")
    monkeypatch.setenv("POSOM_TELEGRAM__TOKEN", "999:FROM-ENV")
    settings = load_settings(write(tmp_path, GOOD))
    assert settings.callout.needed == 4
    assert settings.telegram.token.get_secret_value() == "999:FROM-ENV"
    assert settings.telegram.bot_username == "posom_bot"  # the rest of the table stays


def test_token_is_not_in_repr(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD))
    assert "SECRET-TOKEN-VALUE" not in repr(settings)
    assert "SECRET-TOKEN-VALUE" not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GOOD.replace('name = "POSOM Test"', 'name = "POSOM Test"\nnmae = "x"'),
         "organisation.nmae: unknown key"),
        (GOOD.replace("needed = 3", 'needed = "many"'), "callout.needed:"),
        (GOOD.replace('neighbours = ["kil"]', 'neighbours = ["kill"]'),
         "areas.karlstad.neighbours: unknown area 'kill'"),
        (GOOD.replace('invite_expires = "2d"', 'invite_expires = "soon"'),
         "enrolment.invite_expires:"),
        (GOOD + "\n[telegram2]\n", "telegram2: unknown key"),
        (GOOD.replace("needed = 3", "needed = = 3"), "not valid TOML"),
        (GOOD.replace("[organisation]", "[organisation]\ntimezone = \"Mars/Olympus\""),
         "organisation.timezone: unknown time zone"),
        (GOOD + "\n[storage]\npath = 5\nextra = 1\n", "storage."),
        (GOOD.replace('bot_username = "@posom_bot"', 'bot_username = "@posom_bot"\n'
                      'webhook_url = "https://x.example/hook"'),
         "telegram.webhook_secret_token: needed when webhook_url is set"),
        (GOOD.replace('bot_username = "@posom_bot"', 'bot_username = "@posom_bot"\n'
                      'webhook_url = "http://x.example/hook"'),
         "telegram.webhook_url: must start with https://"),
        (GOOD + '\n[debrief]\ndelay = "after lunch"\n', "debrief.delay:"),
        (GOOD + '\n[debrief]\nwelfare_treshold = 3\n', "debrief.welfare_treshold: unknown key"),
        (GOOD + '\n[[debrief.questions]]\nkey = "mood"\ntype = "text"\nwelfare = "low"\n'
                'sv = "Hur?"\nen = "How?"\n',
         "debrief.questions.0: question 'mood': welfare = \"low\" needs type = \"scale\""),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ")
    assert expected in message
    assert "\n" not in message


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    "problem",
    [
        'needed = "many"',
        'typo_key = 1',
    ],
)
def test_cli_prints_one_line_and_exits_2(tmp_path: Path, problem: str) -> None:
    path = write(tmp_path, GOOD.replace("needed = 3", problem))
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("POSOM_")}
    result = subprocess.run([sys.executable, "-m", "bot", "--config", str(path), "check"],
                            capture_output=True, text=True, env=environment, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "callout." in lines[0]
    assert "Traceback" not in result.stderr
    assert "SECRET-TOKEN-VALUE" not in result.stderr


def test_cli_missing_config_exits_2(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "check", "--config",
                             str(tmp_path / "missing.toml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "missing.toml: config file not found" in result.stderr
