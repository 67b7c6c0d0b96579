"""The container image and the systemd unit keep to what the bot offers: their commands are
real `posom` commands, their POSOM_* settings are real keys, the process runs unprivileged with
its data on a volume, and the unit passes systemd's own check where systemd is installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import _parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
CONTAINERFILE = (ROOT / "Containerfile").read_text(encoding="utf-8")
UNIT = (ROOT / "deploy" / "posom.service").read_text(encoding="utf-8")


def instruction(name: str) -> list[str]:
    """The arguments of each Containerfile instruction of that name (continued lines joined)."""
    text = re.sub(r"\\\n\s*", " ", CONTAINERFILE)
    return [line.split(None, 1)[1] for line in text.splitlines()
            if line.startswith(name + " ")]


def unit_values(key: str) -> list[str]:
    return [line.split("=", 1)[1] for line in UNIT.splitlines() if line.startswith(key + "=")]


def test_container_commands_are_posom_commands() -> None:
    entrypoint = json.loads(instruction("ENTRYPOINT")[0])
    command = json.loads(instruction("CMD")[0])
    assert entrypoint == ["posom"]
    assert _parser().parse_args(command).command == "run"
    health = instruction("HEALTHCHECK")[0]
    probe = json.loads(health.split("CMD", 1)[1])
    assert probe[0] == "posom"
    assert _parser().parse_args(probe[1:]).command == "health"


def test_container_runs_unprivileged_with_data_on_a_volume(monkeypatch) -> None:
    user = instruction("USER")[-1]
    assert user.split(":")[0] not in ("0", "root")
    assert json.loads(instruction("VOLUME")[0]) == ["/data"]
    assert instruction("STOPSIGNAL") == ["SIGTERM"]
    environment = dict(re.findall(r"(POSOM_\w+)=(\S+)", " ".join(instruction("ENV"))))
    assert environment["POSOM_STORAGE__PATH"].startswith("/data/")
    for key, value in environment.items():
        if key != "POSOM_CONFIG":
            monkeypatch.setenv(key, value)
    settings = Settings()  # every POSOM_ key the image sets is a real setting
    assert settings.health.enabled and settings.health.listen == "0.0.0.0"


def test_unit_runs_the_bot_unprivileged_and_stops_it_cleanly(monkeypatch) -> None:
    start = unit_values("ExecStart")[0].split()
    assert start[0].endswith("/posom")
    assert _parser().parse_args(start[1:]).command == "run"
    assert unit_values("User") == ["posom"]
    assert unit_values("KillMode") == ["mixed"]  # posom stops Litestream after its last write
    assert unit_values("KillSignal") == ["SIGTERM"]
    for hardening in ("NoNewPrivileges", "ProtectHome", "PrivateTmp", "RestrictSUIDSGID"):
        assert unit_values(hardening) == ["yes"], hardening
    assert unit_values("ProtectSystem") == ["strict"]
    for line in unit_values("Environment"):
        key, _, value = line.partition("=")
        if key.startswith("POSOM_") and key != "POSOM_CONFIG":
            monkeypatch.setenv(key, value)
    assert str(Settings().storage.path).startswith("/var/lib/posom/")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd not installed")
def test_systemd_verifies_the_unit(tmp_path: Path) -> None:
    unit = tmp_path / "posom.service"
    unit.write_text(UNIT.replace("/opt/posom/bin/posom", str(Path(sys.executable).parent
                                                           / "posom")), encoding="utf-8")
    result = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "posom.service" not in result.stderr, result.stderr
