"""One writer per database: a running bot holds an exclusive lock on `<database>.lock`.

The kernel drops the lock when the process ends however it ends (even SIGKILL), so a stale lock
file never blocks a restart. A second `posom run` on the same file, or a restore over a database
a bot is using, is refused instead of two writers silently taking turns.
"""

from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; the lease in the database still guards
    fcntl = None

__all__ = ["AnotherWriter", "WriterLock", "lock_path"]


class AnotherWriter(Exception):
    """Another process holds the database's writer lock (the message names its pid)."""


def lock_path(database: Path) -> Path:
    """The lock file beside a database file."""
    return database.with_name(database.name + ".lock")


class WriterLock:
    """The exclusive lock a running bot holds on its database."""

    def __init__(self, database: Path) -> None:
        self.path = lock_path(database)
        self._fd: int | None = None

    def acquire(self) -> None:
        """Takes the lock or raises AnotherWriter naming the process that holds it."""
        if fcntl is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise AnotherWriter(f"{self.path.with_suffix('')}: another posom (pid {holder}) is "
                                "running on this database") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        """Drops the lock (the file stays; it is harmless without a holder)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    @staticmethod
    def held(database: Path) -> bool:
        """True while some process holds the writer lock of this database."""
        path = lock_path(database)
        if fcntl is None or not path.exists():
            return False
        fd = os.open(path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False
