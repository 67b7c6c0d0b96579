"""Backups that rotate: the running bot takes one every `backup.every` into `backup.folder`
and deletes those older than `backup.keep`, which may never exceed the retention period (a
backup holds the briefings of recent call-outs too).

Only files named the way posom names them (posom-YYYYMMDD-HHMMSS.db) are ever deleted.
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import datetime, timedelta
from pathlib import Path

from bot.ops.background import Background
from storage.backup import BackupFailed, BackupResult, backup_database

__all__ = ["ScheduledBackups", "backup_name", "backups_in", "rotate"]

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^posom-(\d{8}-\d{6})\.db$")
RETRY_AFTER_FAILURE = timedelta(minutes=10)


def backup_name(moment: datetime) -> str:
    """The file name of a backup taken at `moment` (local time, sortable)."""
    return f"posom-{moment:%Y%m%d-%H%M%S}.db"


def backups_in(folder: Path) -> list[tuple[datetime, Path]]:
    """The backups posom wrote in a folder, oldest first, with when each was taken."""
    found = []
    for path in folder.iterdir() if folder.is_dir() else ():
        match = _NAME.match(path.name)
        if match and path.is_file():
            found.append((datetime.strptime(match.group(1), "%Y%m%d-%H%M%S"), path))
    return sorted(found)


def rotate(folder: Path, keep: timedelta, now: datetime) -> list[Path]:
    """Deletes the backups taken more than `keep` before `now`; returns them."""
    deleted = []
    for taken, path in backups_in(folder):
        if now - taken > keep:
            path.unlink(missing_ok=True)
            deleted.append(path)
    return deleted


class ScheduledBackups(Background):
    """Takes a backup when the newest in the folder is `every` old, then rotates the folder."""

    def __init__(self, database: Path, folder: Path, every: timedelta, keep: timedelta) -> None:
        self.database = database
        self.folder = folder
        self.every = every
        self.keep = keep
        self.last: BackupResult | None = None
        self.failure: str | None = None

    def start(self) -> None:
        """Takes backups on schedule until stopped."""
        self._launch(self._run(), "backups")

    def next_due(self, now: datetime) -> datetime:
        """When the next backup is due: `every` after the newest one (now if there is none)."""
        taken = backups_in(self.folder)
        return taken[-1][0] + self.every if taken else now

    async def _run(self) -> None:
        while True:
            wait = (self.next_due(datetime.now()) - datetime.now()).total_seconds()
            if wait > 0:
                await asyncio.sleep(wait)
            if not await self.take():
                await asyncio.sleep(RETRY_AFTER_FAILURE.total_seconds())

    async def take(self) -> bool:
        """One backup and a rotation now; False (and logged) if it failed."""
        now = datetime.now()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / backup_name(now)
            self.last = await asyncio.to_thread(backup_database, self.database, target)
            deleted = await asyncio.to_thread(rotate, self.folder, self.keep, now)
        except (OSError, BackupFailed) as error:
            self.failure = f"{type(error).__name__}: {error}"
            logger.error("backup into %s failed: %s", self.folder, self.failure)
            return False
        self.failure = None
        logger.info("backup written: %s (%d bytes); %d older than %s deleted", self.last.path,
                    self.last.size, len(deleted), self.keep)
        return True

    async def check(self) -> str | None:
        """Health: the last scheduled backup did not fail."""
        return f"last backup failed ({self.failure})" if self.failure else None
