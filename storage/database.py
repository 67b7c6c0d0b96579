"""The SQLite connection: WAL, foreign keys, busy timeout, migrations, one writer at a time.

One aiosqlite connection is shared by every task. SQLite allows one write transaction at a time and
aiosqlite cannot nest them, so every write goes through `transaction()`, which holds an asyncio lock
for the whole BEGIN IMMEDIATE … COMMIT. That lock is what makes "check the count, then confirm" one
atomic step: ten simultaneous Yes presses are decided one after another.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import aiosqlite

__all__ = ["Database", "DatabaseTooNew", "MigrationError", "known_schema_version"]

logger = logging.getLogger(__name__)

_MIGRATION_NAME = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


class MigrationError(Exception):
    """A migration file failed; the database stays at the version before it."""


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
        self._write_lock = asyncio.Lock()
        self._closed = False

    @classmethod
    async def open(cls, path: Path | str) -> Database:
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
            await connection.execute("PRAGMA busy_timeout=5000")
            await connection.execute("PRAGMA synchronous=NORMAL")
            # Deleted sensitive text is overwritten in the file, not just unlinked.
            await connection.execute("PRAGMA secure_delete=ON")
            database = cls(connection, path)
            await database._migrate()
        except BaseException:
            await connection.close()
            raise
        return database

    async def close(self, wait: float = 10.0) -> None:
        """Lets the transaction in hand commit (for up to `wait` seconds), then closes."""
        if self._closed:
            return
        self._closed = True
        try:
            async with asyncio.timeout(wait):
                await self._write_lock.acquire()
        except TimeoutError:
            logger.warning("database: a transaction still running after %ss is rolled back", wait)
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
        """Runs the block as one write transaction; commits on success, rolls back on error."""
        async with self._write_lock:
            await self.connection.execute("BEGIN IMMEDIATE")
            try:
                yield self.connection
            except BaseException:
                await self.connection.execute("ROLLBACK")
                raise
            await self.connection.execute("COMMIT")

    async def checkpoint(self) -> bool:
        """Copies the WAL into the database file and truncates it; False if a reader blocked it.

        After a purge this is what makes the overwritten text leave the -wal file too.
        """
        async with self._write_lock, self.connection.execute(
                "PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            busy, _, _ = await cursor.fetchone()
        return busy == 0

    async def fetch_all(self, sql: str, parameters: tuple | dict = ()) -> list[aiosqlite.Row]:
        """Runs a read query outside any write transaction."""
        async with self.connection.execute(sql, parameters) as cursor:
            return list(await cursor.fetchall())

    async def fetch_one(self, sql: str, parameters: tuple | dict = ()) -> aiosqlite.Row | None:
        """Runs a read query and returns its first row, if any."""
        async with self.connection.execute(sql, parameters) as cursor:
            return await cursor.fetchone()


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
