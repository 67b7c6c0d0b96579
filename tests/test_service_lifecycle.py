"""Starting and restarting as a service: one writer per database, a database from a newer posom
refused, the leaders told after a restart what goes on, `posom --version`, and the service
settings checked like every other key."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import BotRuntime
from bot.callout.draft import Actor
from bot.config import ConfigError, load_settings
from bot.i18n import translator
from bot.ops.comeback import back_line
from bot.ops.lock import AnotherWriter, WriterLock
from bot.version import VERSION
from storage.callouts import NewActivation
from storage.database import Database, DatabaseTooNew, known_schema_version
from tests.e2e import running_world

ROOT = Path(__file__).resolve().parent.parent


def posom(*arguments: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("POSOM_")}
    return subprocess.run([sys.executable, "-m", "bot", *arguments], capture_output=True,
                          text=True, env=environment, timeout=120, cwd=cwd or ROOT)


def test_version() -> None:
    result = posom("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"posom {VERSION}"
    assert VERSION[0].isdigit()


def test_the_line_to_the_leaders_in_both_languages() -> None:
    now = datetime(2026, 11, 23, 3, 20, tzinfo=UTC)
    away = datetime(2026, 11, 23, 2, 12, tzinfo=UTC)  # 03:12 in Stockholm
    assert back_line(translator("sv"), away, now, 2, 1) == (
        "🔄 Boten är igång igen (borta sedan 03:12): 2 larm fortsätter, 1 meddelande som väntade "
        "skickas nu.")
    assert back_line(translator("en"), away, now, 1, 5) == (
        "🔄 The bot is back (away since 03:12): 1 call-out resumed, 5 messages that waited are on "
        "their way.")


async def test_after_a_restart_leaders_hear_what_goes_on_and_a_quiet_one_says_nothing(
        fake, tmp_path: Path) -> None:
    async with running_world(fake, tmp_path, callout={"reminder_after": "0s", "waves": [],
                                                      "unstaffed_alert_after": "1h"}) as world:
        lena = await world.add(1, "Lena Ledare", role="leader", area=None)
        await world.add(100, "Anna A")
        # A planned restart with nothing running tells nobody anything.
        await world.restart()
        await world.settle()
        assert not [m for m in lena.messages if "The bot is back" in (m.text or "")]
        leader = await world.member(1)
        await world.services.callouts.issue(Actor.leader(leader), NewActivation(
            kind="fire", area="karlstad", needed=2, summary="Brand", briefing="Gatan 1"))
        await world.settle()
        await world.restart()
        back = await lena.wait_for("The bot is back")
        assert "1 call-out resumed, 0 messages that waited are on their way" in back.text
    runs = sqlite3.connect(tmp_path / "posom.db").execute(
        "SELECT count(*), count(stopped_at) FROM service_runs").fetchone()
    assert runs == (3, 3)


async def test_one_writer_per_database(fake, tmp_path: Path) -> None:
    async with running_world(fake, tmp_path) as world:
        second = BotRuntime(world.settings)
        with pytest.raises(AnotherWriter, match=f"another posom \\(pid {os.getpid()}\\)"):
            await second.start()
        assert WriterLock.held(world.settings.storage.path)
        # Another process is refused in one line.
        config = tmp_path / "config.toml"
        config.write_text(f'[telegram]\ntoken = "1:x"\napi_url = "{fake.api_url}"\n'
                          f'[storage]\npath = "{world.settings.storage.path}"\n',
                          encoding="utf-8")
        result = posom("run", "--config", str(config))
        assert result.returncode == 2
        assert result.stderr.count("\n") == 1
        assert "another posom" in result.stderr and "Traceback" not in result.stderr
    assert not WriterLock.held(world.settings.storage.path)


async def test_a_database_from_a_newer_posom_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "posom.db"
    database = await Database.open(path)
    await database.close()
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {known_schema_version() + 1}")
    with pytest.raises(DatabaseTooNew, match="made by a newer posom"):
        await Database.open(path)
    config = tmp_path / "config.toml"
    config.write_text(f'[telegram]\ntoken = "1:x"\napi_url = "http://127.0.0.1:9"\n'
                      f'[storage]\npath = "{path}"\n', encoding="utf-8")
    result = posom("run", "--config", str(config))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert "made by a newer posom" in result.stderr
    checked = posom("check", "--config", str(config))
    assert checked.returncode == 1
    assert "made by a newer posom" in checked.stdout
    # Nothing was changed in the file.
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == \
            known_schema_version() + 1


@pytest.mark.parametrize(("text", "expected"), [
    ('[backup]\nkeep = "40d"\n', "backup.keep: 5w5d is longer than the shortest retention "
                                 "period (4w2d)"),
    ('[retention]\nsensitive_after = "10d"\n[replication]\nreplica = "/srv/r"\nkeep = "2w"\n',
     "replication.keep: 2w is longer than the shortest retention period (1w3d)"),
    ('[[areas]]\nkey = "kil"\nname = "Kil"\n[retention.per_area]\nkil = "3d"\n'
     '[backup]\nkeep = "7d"\n', "backup.keep: 1w is longer than the shortest retention"),
    ('[replication]\nreplica = "ftp://host/x"\n', "replication.replica: a folder, file://"),
    ('[heartbeat]\nurl = "hc-ping.com/uuid"\n', "heartbeat.url: must start with http"),
    ('[heartbeat]\nevery = "0s"\n', "heartbeat.every: at least 1s"),
    ('[health]\nport = 70000\n', "health.port:"),
    ('[service]\nstop_timeot = "5s"\n', "service.stop_timeot: unknown key"),
])
def test_service_settings_are_checked(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_copies_are_kept_as_long_as_the_shortest_retention_unless_told_less(tmp_path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[areas]]\nkey = "kil"\nname = "Kil"\n[retention]\nsensitive_after = "30d"\n'
                    '[retention.per_area]\nkil = "14d"\n[replication]\nreplica = "/srv/r"\n'
                    '[backup]\nkeep = "3d"\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.replica_keep.days == 14
    assert settings.backup_keep.days == 3


def test_check_reports_replication_and_heartbeat(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "data" / "posom.db"}"\n'
                      f'[replication]\nreplica = "{tmp_path / "replica"}"\n'
                      '[heartbeat]\nurl = "https://hc-ping.com/0a1b-SECRET-uuid"\n'
                      f'[backup]\nfolder = "{tmp_path / "backups"}"\n', encoding="utf-8")
    result = posom("check", "--config", str(config))
    out = result.stdout
    assert f"replication: to {tmp_path / 'replica'}, sync every 1s, kept 4w2d, standby may " \
           "take over after 1m of silence" in out
    assert "replication: the replica holds no copy yet" in out
    assert "heartbeat: every 1m to hc-ping.com while healthy" in out
    assert "SECRET" not in out + result.stderr
    assert "health: off" in out
    assert f"backups: every 1d into {tmp_path / 'backups'}, kept 4w2d (0 there now)" in out
    # A standby's check does not create the database a restore would then refuse to replace.
    assert "no database yet (a standby?" in out
    assert not (tmp_path / "data" / "posom.db").exists()
    off = tmp_path / "off.toml"
    off.write_text(f'[storage]\npath = "{tmp_path / "posom.db"}"\n', encoding="utf-8")
    out = posom("check", "--config", str(off)).stdout
    assert "replication: off (replication.replica not set: this disk holds the only copy)" in out
    assert "heartbeat: off (heartbeat.url not set: nobody notices if the bot dies)" in out


def test_the_example_config_spells_out_the_service_defaults() -> None:
    from bot.config import (
        BackupSettings,
        HealthSettings,
        HeartbeatSettings,
        ReplicationSettings,
        ServiceSettings,
    )

    settings = load_settings(ROOT / "config.example.toml")
    assert settings.service == ServiceSettings()
    assert settings.health == HealthSettings()
    assert settings.heartbeat == HeartbeatSettings()
    assert settings.replication == ReplicationSettings()
    assert settings.backup == BackupSettings()


def test_litestream_gets_the_replica_the_keep_and_no_secret(tmp_path: Path) -> None:
    from bot.ops.replication import _shown, litestream_config

    path = tmp_path / "config.toml"
    path.write_text('[retention]\nsensitive_after = "10d"\n[replication]\n'
                    'replica = "s3://posom/karlstad"\ns3_endpoint = "https://s3.example.se"\n'
                    'sync_interval = "0.5s"\n', encoding="utf-8")
    config = litestream_config(load_settings(path), tmp_path / "posom.db")
    assert config["dbs"] == [{"path": str(tmp_path / "posom.db"), "replica": {
        "url": "s3://posom/karlstad", "sync-interval": "0.5s",
        "endpoint": "https://s3.example.se", "force-path-style": True}}]
    # Snapshots daily, everything kept no longer than the retention period (Go durations).
    assert config["snapshot"] == {"interval": "86400s", "retention": "864000s"}
    path.write_text('[replication]\nreplica = "standby/posom"\nsftp_key_path = "k"\n',
                    encoding="utf-8")
    replica = litestream_config(load_settings(path), tmp_path / "posom.db")["dbs"][0]["replica"]
    assert replica["url"] == "file://" + str(Path("standby/posom").resolve())
    assert replica["key-path"] == str(Path("k").resolve())
    assert _shown("sftp://posom:hemligt@backup.example.se/posom") == \
        "sftp://posom@backup.example.se/posom"
