"""Backups that rotate: the running bot takes them on schedule into a folder and deletes those
older than backup.keep; `posom backup FOLDER --rotate` does the same by hand. Only posom's own
backup files are ever deleted."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

from bot.ops.backups import ScheduledBackups, backup_name, backups_in, rotate
from storage.database import Database

ROOT = Path(__file__).resolve().parent.parent


def test_rotation_deletes_only_posom_backups_older_than_keep(tmp_path: Path) -> None:
    now = datetime(2026, 11, 23, 3, 0)
    for days in (0, 1, 6, 8, 30):
        (tmp_path / backup_name(now - timedelta(days=days))).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "posom-old-by-hand.db").write_bytes(b"x")  # not our name: never touched
    deleted = rotate(tmp_path, timedelta(days=7), now)
    assert sorted(path.name for path in deleted) == [
        backup_name(now - timedelta(days=30)), backup_name(now - timedelta(days=8))]
    assert [taken for taken, _ in backups_in(tmp_path)] == [
        now - timedelta(days=6), now - timedelta(days=1), now]
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "posom-old-by-hand.db").exists()


async def test_scheduled_backup_is_due_every_and_rotates(tmp_path: Path) -> None:
    database_path = tmp_path / "posom.db"
    database = await Database.open(database_path)
    folder = tmp_path / "backups"
    old = folder / backup_name(datetime.now() - timedelta(days=10))
    folder.mkdir()
    old.write_bytes(b"an old backup")
    backups = ScheduledBackups(database_path, folder, timedelta(hours=24), timedelta(days=7))
    now = datetime.now()
    assert backups.next_due(now) <= now  # the newest is ten days old: due now
    assert await backups.take()
    await database.close()
    taken = backups_in(folder)
    assert len(taken) == 1 and not old.exists()
    with sqlite3.connect(taken[0][1]) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("SELECT count(*) FROM service_runs").fetchone()[0] == 0
    assert backups.next_due(now) > now + timedelta(hours=23)
    assert await backups.check() is None

    broken = ScheduledBackups(database_path, tmp_path / "posom.db" / "x", timedelta(hours=1),
                              timedelta(days=1))
    assert not await broken.take()
    assert "last backup failed" in await broken.check()


async def test_backup_by_hand_with_rotate(tmp_path: Path) -> None:
    database_path = tmp_path / "posom.db"
    await (await Database.open(database_path)).close()
    folder = tmp_path / "backups"
    folder.mkdir()
    stale = folder / backup_name(datetime.now() - timedelta(days=3))
    stale.write_bytes(b"x")
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{database_path}"\n[backup]\nkeep = "2d"\n',
                      encoding="utf-8")
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("POSOM_")}
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "backup", str(folder), "--rotate",
                         "--config", str(config)], capture_output=True, text=True,
        env=environment, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "rotated: 1 backup(s) older than 2d deleted" in result.stdout
    assert not stale.exists()
    assert len(backups_in(folder)) == 1
    refused = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "bot", "backup", str(folder / "one.db"),
                         "--rotate", "--config", str(config)], capture_output=True, text=True,
        env=environment, timeout=120, cwd=ROOT)
    assert refused.returncode == 2
    assert "--rotate:" in refused.stderr and refused.stderr.count("\n") == 1
