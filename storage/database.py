"""The SQLite connection: WAL, foreign keys, busy timeout, migrations, one writer at a time.

One aiosqlite connection is shared by every writing task. SQLite allows one write transaction at a
time and aiosqlite cannot nest them, so every write goes through `transaction()`, which holds an
asyncio lock for the whole BEGIN IMMEDIATE … COMMIT. That lock is what makes "check the count, then
confirm" one atomic step: ten simultaneous Yes presses are decided one after another.

Reads outside a transaction (`fetch_one`, `fetch_all`, `reader`) have a second, read-only
connection: with WAL it sees the last commit, never the rows of a transaction still in progress.

When the file refuses a write, the error is named (`StorageFault`: full, I/O error, locked past
the busy timeout), the transaction is rolled back explicitly, and every fault listener hears of
it (bot.storage_health tells the leaders); they also hear of each write that succeeds, which is
how a fault is known to have cleared.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import Literal

import aiosqlite

__all__ = ["Database", "DatabaseTooNew", "FaultKind", "MigrationError", "StorageFault",
           "fault_kind", "known_schema_version"]

logger = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class MigrationError(Exception):
    """A migration file failed; the database stays at the version before it."""


FaultKind = Literal["full", "io", "locked"]

# SQLite's primary result codes (https://sqlite.org/rescode.html), by the name we give them.
_FAULT_CODES: dict[int, FaultKind] = {
    5: "locked",    # SQLITE_BUSY: another connection held the file past the busy timeout
    6: "locked",    # SQLITE_LOCKED
    8: "io",        # SQLITE_READONLY: e.g. the file system was remounted read-only after errors
    10: "io",       # SQLITE_IOERR
    11: "io",       # SQLITE_CORRUPT
    13: "full",     # SQLITE_FULL: the disk (or the file's size limit) is full
    14: "io",       # SQLITE_CANTOPEN
    26: "io",       # SQLITE_NOTADB
}


class StorageFault(Exception):
    """The database file refused a write: `kind` is full, io or locked; nothing was saved."""

    def __init__(self, kind: FaultKind, detail: str) -> None:
        super().__init__(f"storage {kind}: {detail}")
        self.kind = kind
        self.detail = detail


def fault_kind(error: BaseException) -> FaultKind | None:
    """Names the storage fault an error from SQLite (or the OS) is; None for anything else."""
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _FAULT_CODES.get(code & 0xFF)
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "full"
    return None


FaultListener = Callable[[StorageFault | None], None]

# A writer that queued this long behind others (seconds) gets only what is left of the busy
# timeout: "locked past the timeout" counts from when it asked, so a queue of writers behind a
# lock held by another program does not wait one full timeout each.
_LONG_WAIT = 1.0
class DatabaseTooNew(MigrationError):
    """The file was written by a newer posom (a schema version this one does not know)."""


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append((int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [number for number, _, _ in found]
    if numbers != list(range(1, len(numbers) + 1)):
        raise MigrationError(f"migration numbers must run 1..n without gaps, found {numbers}")
    return found


def known_schema_version() -> int:
    """The newest schema version this posom knows (its number of migrations)."""
    return len(_migrations())


class Database:
    """An open SQLite database with the project's schema applied."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        # Until open() adds its own (an in-memory database has no second connection).
        self.reader = connection
        self._write_lock = asyncio.Lock()
        self.busy_timeout = 5.0
        # Told after every write transaction: the fault that ended it, or None when it committed.
        self.fault_listeners: list[FaultListener] = []
        self._closed = False

    @classmethod
    async def open(cls, path: Path | str, *, busy_timeout: float = 5.0) -> Database:
        """Opens (creating if needed) the database file and brings its schema up to date."""
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so each method is one transaction.
        connection = await aiosqlite.connect(path, isolation_level=None)
        connection.row_factory = aiosqlite.Row
        try:
            await connection.execute("PRAGMA journal_mode=WAL")
            await connection.execute("PRAGMA foreign_keys=ON")
            # How long a write waits for another process's lock before it is a fault.
            await connection.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            await connection.execute("PRAGMA synchronous=NORMAL")
            # Deleted sensitive text is overwritten in the file, not just unlinked.
            await connection.execute("PRAGMA secure_delete=ON")
            database = cls(connection, path)
            database.busy_timeout = busy_timeout
            await database._migrate()
            if str(path) != ":memory:":
                database.reader = await _read_only(path)
        except BaseException:
            await connection.close()
            raise
        return database

    async def close(self, wait: float = 10.0) -> None:
        """Lets the transaction in hand commit (for up to `wait` seconds), then closes both
        connections."""
        if self._closed:
            return
        self._closed = True
        try:
            async with asyncio.timeout(wait):
                await self._write_lock.acquire()
        except TimeoutError:
            logger.warning("database: a transaction still running after %ss is rolled back", wait)
        if self.reader is not self.connection:
            await self.reader.close()
        await self.connection.close()

    async def schema_version(self) -> int:
        """Returns PRAGMA user_version: the number of the last migration applied."""
        async with self.connection.execute("PRAGMA user_version") as cursor:
            row = await cursor.fetchone()
        return int(row[0])

    async def _migrate(self) -> None:
        current = await self.schema_version()
        known = _migrations()
        if current > len(known):
            # Never run an older posom on a newer file: it would misread or damage it.
            raise DatabaseTooNew(
                f"{self.path}: made by a newer posom (schema version {current}, this version "
                f"knows up to {len(known)}); install that version again or restore a backup")
        pending = [migration for migration in known if migration[0] > current]
        if not pending:
            return
        # A migration may rebuild a table that others refer to (SQLite cannot drop a UNIQUE
        # column), which needs foreign keys off; they are checked before each COMMIT instead.
        # The pragma only takes effect outside a transaction (https://sqlite.org/foreignkeys.html).
        await self.connection.execute("PRAGMA foreign_keys=OFF")
        try:
            for number, name, script in pending:
                await self._apply(number, name, script)
        finally:
            await self.connection.execute("PRAGMA foreign_keys=ON")

    async def _apply(self, number: int, name: str, script: str) -> None:
        statements = [part.strip() for part in _split_statements(script) if part.strip()]
        async with self._write_lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                for statement in statements:
                    await self.connection.execute(statement)
                async with self.connection.execute("PRAGMA foreign_key_check") as cursor:
                    broken = await cursor.fetchone()
                if broken is not None:
                    raise MigrationError(f"a row of {broken[0]} refers to a missing {broken[2]}")
                await self.connection.execute(f"PRAGMA user_version = {number}")
                await self.connection.execute("COMMIT")
            except Exception as exc:
                await self.connection.execute("ROLLBACK")
                raise MigrationError(f"migration {name} failed: {exc}") from exc
        logger.info("database migrated to version %d (%s)", number, name)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Runs the block as one write transaction; commits on success, rolls back on error.

        A refused write (full, I/O error, locked) comes out as a StorageFault.
        """
        loop = asyncio.get_running_loop()
        asked = loop.time()
        async with self._write_lock:
            try:
                waited = loop.time() - asked
                if waited > _LONG_WAIT:
                    await self._begin_within(self.busy_timeout - waited)
                else:
                    await self.connection.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                fault = self._named(error)
                if fault is None:
                    raise
                raise fault from error
            try:
                yield self.connection
                await self.connection.execute("COMMIT")
            except BaseException as error:
                # Also after a failed COMMIT: SQLite asks for an explicit ROLLBACK then
                # (https://sqlite.org/lang_transaction.html, "Response To Errors").
                await self._rollback()
                fault = self._named(error)
                if fault is not None:
                    raise fault from error
                raise
        self._tell(None)

    async def _begin_within(self, seconds: float) -> None:
        """BEGIN IMMEDIATE waiting at most `seconds` for another program's lock."""
        await self.connection.execute(f"PRAGMA busy_timeout={max(int(seconds * 1000), 0)}")
        try:
            await self.connection.execute("BEGIN IMMEDIATE")
        finally:
            await self.connection.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")

    def _named(self, error: BaseException) -> StorageFault | None:
        """The StorageFault an error is (told to the listeners), or None if it is not one."""
        if isinstance(error, StorageFault):
            return error
        kind = fault_kind(error)
        if kind is None:
            return None
        fault = StorageFault(kind, str(error))
        # Debug only: a fault repeats at every try; bot.storage_health logs when one starts.
        logger.debug("database write refused: %s (%s)", kind, error)
        self._tell(fault)
        return fault

    def _tell(self, fault: StorageFault | None) -> None:
        for listener in self.fault_listeners:
            try:
                listener(fault)
            except Exception:
                logger.exception("a storage fault listener failed")

    async def _rollback(self) -> None:
        """Rolls back if a transaction is still open (after SQLITE_FULL SQLite already did)."""
        if not self.connection.in_transaction:
            return
        try:
            await self.connection.execute("ROLLBACK")
        except sqlite3.Error as error:
            logger.warning("rollback failed: %s", error)

    async def checkpoint(self) -> bool:
        """Copies the WAL into the database file and truncates it; False if a reader blocked it.

        After a purge this is what makes the overwritten text leave the -wal file too.
        """
        async with self._write_lock, self.connection.execute(
                "PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            busy, _, _ = await cursor.fetchone()
        return busy == 0

    async def fetch_all(self, sql: str, parameters: tuple | dict = ()) -> list[aiosqlite.Row]:
        """Runs a read query on the last commit (the read connection)."""
        async with self.reader.execute(sql, parameters) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, parameters: tuple | dict = ()) -> aiosqlite.Row | None:
        """Runs a read query on the last commit and returns its first row, if any."""
        async with self.reader.execute(sql, parameters) as cursor:
            return await cursor.fetchone()


async def _read_only(path: Path) -> aiosqlite.Connection:
    """The connection reads go through: it may not write, and waits out a checkpoint."""
    reader = await aiosqlite.connect(path, isolation_level=None)
    reader.row_factory = aiosqlite.Row
    try:
        await reader.execute("PRAGMA query_only=ON")
        await reader.execute("PRAGMA busy_timeout=5000")
    except BaseException:
        await reader.close()
        raise
    return reader


def _split_statements(script: str) -> list[str]:
    """Splits a migration into statements, keeping trigger bodies (BEGIN … END;) whole."""
    statements: list[str] = []
    current: list[str] = []
    in_trigger = False
    for line in script.splitlines():
        stripped = line.strip()
        if stripped.startswith("--") and not current:
            continue
        current.append(line)
        upper = stripped.upper()
        if upper.startswith("CREATE TRIGGER"):
            in_trigger = True
        if in_trigger:
            if upper == "END;":
                statements.append("\n".join(current))
                current, in_trigger = [], False
        elif stripped.endswith(";"):
            statements.append("\n".join(current))
            current = []
    if "".join(current).strip():
        statements.append("\n".join(current))
    return statements
