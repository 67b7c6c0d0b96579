"""A consistent copy of the database while the bot keeps writing (SQLite's online backup)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

__all__ = ["BackupFailed", "BackupResult", "backup_database"]


class BackupFailed(Exception):
    """The copy failed SQLite's integrity check; nothing was written under the target name."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    size: int
    schema_version: int


def backup_database(source: Path, target: Path) -> BackupResult:
    """Copies `source` to `target` as one self-contained, checked file.

    The online backup reads one consistent snapshot while the bot goes on writing; the copy is
    checked (`integrity_check`) under a temporary name and only then renamed into place.
    """
    partial = target.with_name(target.name + ".part")
    with sqlite3.connect(source, timeout=30) as connection, sqlite3.connect(partial) as copy:
        connection.backup(copy)
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
        version = copy.execute("PRAGMA user_version").fetchone()[0]
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
    connection.close()
    copy.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise BackupFailed(check)
    partial.replace(target)
    return BackupResult(target, target.stat().st_size, version)
