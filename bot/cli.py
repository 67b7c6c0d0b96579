"""The `posom` command (also `python -m bot`): run, invite, roster import and remove, check,
health, report, audit export, archive export, backup, replica restore and status, intake keys,
demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import DEFAULT_CONFIG_PATH, ConfigError, Settings, load_settings
from bot.durations import format_duration, parse_duration
from bot.logs import configure_logging
from bot.version import VERSION
from storage.database import MigrationError

if TYPE_CHECKING:
    from bot.services import Services

__all__ = ["main"]

EXIT_USAGE = 2


class UsageError(Exception):
    """Bad input on the command line: one line for stderr, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad input as one line (plus where to read more) and exits 2."""

    def error(self, message: str) -> None:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="posom", description="Call-out bot for POSOM crisis-support groups.")
    parser.add_argument(
        "--config", type=Path,
        default=Path(os.environ.get("POSOM_CONFIG", DEFAULT_CONFIG_PATH)),
        help="config file (default: $POSOM_CONFIG or config.toml)")
    parser.add_argument("--version", action="version", version=f"posom {VERSION}")
    # The same option after the command; SUPPRESS keeps it from resetting the value given before.
    common = _Parser(add_help=False)
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS,
                        help="config file (default: $POSOM_CONFIG or config.toml)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("run", parents=[common],
                        help="run the bot (long polling, or a webhook if telegram.webhook_url)")
    invite = commands.add_parser("invite", parents=[common],
                                 help="print a one-time invite link and token")
    invite.add_argument("--role", choices=["leader", "volunteer"], required=True)
    invite.add_argument("--area", help="fix the person's area (an area key from the config)")
    invite.add_argument("--expires", help="how long the invite is valid, e.g. 7d (default from "
                        "config)")
    roster = commands.add_parser("roster", parents=[common], help="manage the roster")
    roster_commands = roster.add_subparsers(dest="roster_command", required=True)
    roster_import = roster_commands.add_parser(
        "import", parents=[common],
        help="pre-register people from a CSV file (name, phone, area, gender, role, locale)")
    roster_import.add_argument("file", type=Path)
    roster_remove = roster_commands.add_parser(
        "remove", parents=[common],
        help="erase a member's personal data (name, phone, chat accounts); the anonymous "
             "statistics stay")
    roster_remove.add_argument("member", help="member id (as in /roster) or phone number")
    report = commands.add_parser("report", parents=[common],
                                 help="write the annual report: HTML with charts and a CSV per "
                                      "table")
    report.add_argument("--year", required=True, help="the year, e.g. 2026")
    report.add_argument("--out", type=Path, default=Path("."),
                        help="folder for the files (default: the current folder)")
    report.add_argument("--lang", choices=["sv", "en"],
                        help="language of the report (default: organisation.default_locale)")
    audit = commands.add_parser("audit", parents=[common], help="the audit log")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    audit_export = audit_commands.add_parser("export", parents=[common],
                                             help="write one year's audit log as CSV")
    audit_export.add_argument("--year", required=True, help="the year, e.g. 2026")
    audit_export.add_argument("--out", type=Path, help="file to write (default: audit-YEAR.csv)")
    archive = commands.add_parser("archive", parents=[common],
                                  help="export for the municipal archive")
    archive_commands = archive.add_subparsers(dest="archive_command", required=True)
    archive_export = archive_commands.add_parser(
        "export", parents=[common],
        help="write everything about one year's call-outs (JSON) before it is purged")
    archive_export.add_argument("--year", required=True, help="the year, e.g. 2026")
    archive_export.add_argument("--out", type=Path,
                                help="file to write (default: archive-YEAR.json)")
    backup = commands.add_parser("backup", parents=[common],
                                 help="consistent copy of the database, also while the bot runs")
    backup.add_argument("path", type=Path, help="file to create (or a folder to create it in)")
    backup.add_argument("--rotate", action="store_true",
                        help="then delete the backups in that folder older than backup.keep")
    replica = commands.add_parser("replica", parents=[common],
                                  help="the standby: restore the replica's newest copy, or show "
                                       "how far the replica is behind")
    replica_commands = replica.add_subparsers(dest="replica_command", required=True)
    restore = replica_commands.add_parser(
        "restore", parents=[common],
        help="put the replica's newest copy at storage.path (on the standby, before `posom run`)")
    restore.add_argument("--force", action="store_true",
                         help="take over even though the replica shows the primary alive "
                              "(only when you know it is dead)")
    restore.add_argument("--replace", action="store_true",
                         help="replace a database already at storage.path")
    replica_commands.add_parser("status", parents=[common],
                                help="replication lag: what the replica has and the local file "
                                     "has, and when the primary was last alive")
    intake = commands.add_parser("intake", parents=[common],
                                 help="the alarm intake's callers and their keys")
    intake_commands = intake.add_subparsers(dest="intake_command", required=True)
    key = intake_commands.add_parser("key", parents=[common], help="intake keys")
    key_commands = key.add_subparsers(dest="key_command", required=True)
    key_add = key_commands.add_parser(
        "add", parents=[common],
        help="create a key for a caller (printed once, stored only as a hash)")
    key_add.add_argument("name", help='the caller, e.g. "SOS Alarm"')
    key_commands.add_parser("list", parents=[common], help="list the keys (never the keys "
                            "themselves)")
    key_revoke = key_commands.add_parser("revoke", parents=[common],
                                         help="revoke a key at once (by its id from list)")
    key_revoke.add_argument("id", type=int, help="the key's id, as listed")
    commands.add_parser("check", parents=[common],
                        help="validate the config, the database and the bot token, and show "
                             "replication, heartbeat, health and backup settings")
    commands.add_parser("health", parents=[common],
                        help="ask the running bot's /healthz (exit 0 healthy, 1 sick or not "
                             "answering); for container health checks")
    demo = commands.add_parser(
        "demo", parents=[common],
        help="run a whole call-out offline against a simulated Telegram (or Signal) and print "
             "it")
    demo.add_argument("--lang", choices=["sv", "en"], default="sv",
                      help="language of the transcript (default sv)")
    demo.add_argument("--transport", choices=["telegram", "signal"], default="telegram",
                      help="the chat service to simulate (default telegram)")
    bench = commands.add_parser(
        "bench", parents=[common],
        help="measure fan-out, briefing latency, answers/s, start-up and memory against the "
             "fake Telegram, each beside a bare client's floor (see BENCHMARKS.md)")
    bench.add_argument("--sizes", help="roster sizes, comma-separated (default 55,1000,15000)")
    bench.add_argument("--quick", action="store_true",
                       help="the short smoke form: one tiny roster, few runs (used by CI)")
    bench.add_argument("--parts", help="only these scenarios: fanout,latency,capacity")
    bench.add_argument("--runs", type=int,
                       help="call-outs per briefing-latency condition (default 100)")
    bench.add_argument("--activations", type=int,
                       help="open call-outs for the answer and start-up test (default 50)")
    bench.add_argument("--startups", type=int, help="fresh start-ups to time (default 3)")
    bench.add_argument("--no-escalation", action="store_true",
                       help="switch the reminder/wave/alert ladder off (default: as configured "
                            "by default)")
    bench.add_argument("--output", type=Path, help="also write the result table (Markdown)")
    bench.add_argument("--json", type=Path, help="also write every raw figure (JSON)")
    bench.add_argument("--workdir", type=Path,
                       help="keep databases and bot logs here (default: a temporary folder)")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    try:
        code = _dispatch(args)
    except (ConfigError, UsageError, MigrationError) as error:
        print(f"posom: {error}", file=sys.stderr)
        code = EXIT_USAGE
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        configure_logging(logging.WARNING)
        if args.transport == "signal":
            from sandbox.demo_signal import run_signal_demo

            return asyncio.run(run_signal_demo(args.lang))
        from sandbox.demo import run_demo

        return asyncio.run(run_demo(args.lang))
    if args.command == "bench":
        from sandbox.bench import run_bench

        configure_logging(logging.WARNING)
        return run_bench(args)
    settings = load_settings(args.config)
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    configure_logging(secrets=[token])
    if args.command == "run":
        return _run(settings, args.config)
    if args.command == "invite":
        return asyncio.run(_invite(settings, args))
    if args.command == "roster" and args.roster_command == "remove":
        return asyncio.run(_roster_remove(settings, args.member))
    if args.command == "roster":
        return asyncio.run(_roster_import(settings, args.file))
    if args.command == "check":
        return asyncio.run(_check(settings, args.config))
    if args.command == "report":
        if args.out.exists() and not args.out.is_dir():
            raise UsageError(f"--out: {args.out} is a file, not a folder")
        return asyncio.run(_report(settings, _year(settings, args.year), args.out, args.lang))
    if args.command == "audit":
        return asyncio.run(_audit_export(settings, _year(settings, args.year), args.out))
    if args.command == "archive":
        return asyncio.run(_archive_export(settings, _year(settings, args.year), args.out))
    if args.command == "backup":
        return _backup(settings, args.path, rotate=args.rotate)
    if args.command == "replica":
        return _replica(settings, args)
    if args.command == "health":
        return _health(settings)
    if args.command == "intake":
        return asyncio.run(_intake_keys(settings, args))
    raise AssertionError(args.command)


def _year(settings: Settings, text: str) -> int:
    from datetime import UTC, datetime

    from bot.records.service import FIRST_YEAR, valid_year

    current = datetime.now(UTC).astimezone(settings.organisation.tz).year
    year = valid_year(text.strip(), current)
    if year is None:
        raise UsageError(f"--year: {text!r} is not a year from {FIRST_YEAR} to {current + 1}")
    return year


def _existing_database(settings: Settings) -> Path:
    path = settings.storage.path
    if not path.is_file():
        raise UsageError(f"{path}: no database there (storage.path)")
    return path


@asynccontextmanager
async def _offline(settings: Settings, *, existing: bool = True) -> AsyncIterator[Services]:
    """The core without any transport, for one command: the database opened (and, with
    `existing`, required to be there already) and closed again afterwards."""
    from bot.delivery.router import MessengerRouter
    from bot.services import build_services
    from storage.clock import system_clock
    from storage.database import Database

    database = await Database.open(_existing_database(settings) if existing
                                   else settings.storage.path)
    try:
        yield build_services(settings, database, MessengerRouter(), system_clock)
    finally:
        await database.close()


def _write(path: Path, content: bytes) -> None:
    """Writes a file whole or not at all (a temporary file renamed into place)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".part")
        partial.write_bytes(content)
        partial.replace(path)
    except OSError as error:
        raise UsageError(f"{path}: cannot write: {error.strerror or error}") from None


async def _report(settings: Settings, year: int, out: Path, lang: str | None) -> int:
    async with _offline(settings) as core:
        files = await core.reports.build(year, lang or settings.organisation.default_locale)
    written = [out / f"report-{year}.html"]
    _write(written[0], files.html.encode("utf-8"))
    for name, text in files.tables.items():
        written.append(out / f"report-{year}-{name}.csv")
        _write(written[-1], text.encode("utf-8"))
    print(files.text)
    for path in written:
        print(f"written: {path}")
    return 0


async def _audit_export(settings: Settings, year: int, out: Path | None) -> int:
    from bot.records.audit_trail import audit_csv, year_bounds

    async with _offline(settings) as core:
        entries = await core.audit.between(*year_bounds(year, settings.organisation.tz))
    path = out or Path(f"audit-{year}.csv")
    _write(path, audit_csv(entries).encode("utf-8"))
    print(f"written: {path} ({len(entries)} audit rows of {year})")
    return 0


async def _archive_export(settings: Settings, year: int, out: Path | None) -> int:
    async with _offline(settings) as core:
        content = await core.privacy.archive(year, actor="cli")
    path = out or Path(f"archive-{year}.json")
    _write(path, content)
    print(f"written: {path} (everything about the call-outs of {year}; keep it where the "
          "municipality's archive rules say)")
    return 0


async def _roster_remove(settings: Settings, who: str) -> int:
    from bot.people.phone import normalise_phone

    async with _offline(settings) as core:
        member = None
        if who.isdecimal() and len(who) < 7:
            member = await core.members.by_id(int(who))
        else:
            try:
                member = await core.members.by_phone(normalise_phone(who))
            except ValueError:
                raise UsageError(f"{who!r} is neither a member id nor a phone number") from None
        if member is None or member.status == "removed":
            raise UsageError(f"no member {who!r} (ids are listed by /roster in chat)")
        result = await core.roster.remove(None, member.id)
    if result.refusal == "last_leader":
        raise UsageError(f"member {member.id} is the last active leader; make someone else a "
                         "leader first")
    if result.refusal == "busy":
        raise UsageError(f"member {member.id} is on call-out {result.busy_on} right now; "
                         "erase them after it has ended")
    if not result.done:
        raise UsageError(f"no member {who!r}")
    print(f"erased the personal data of member {member.id}; the statistics keep counting them "
          "anonymously")
    return 0


def _backup(settings: Settings, target: Path, *, rotate: bool = False) -> int:
    from datetime import datetime

    from bot.ops.backups import backup_name
    from bot.ops.backups import rotate as rotate_folder
    from storage.backup import BackupFailed, backup_database

    source = _existing_database(settings)
    if rotate and not target.is_dir():
        raise UsageError(f"--rotate: {target} is not a folder (give the folder of the backups)")
    if target.is_dir():
        target = target / backup_name(datetime.now())
    if target.exists():
        raise UsageError(f"{target}: already exists; give a new file name")
    if target.resolve() == source.resolve():
        raise UsageError(f"{target}: that is the database itself")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such folder")
    try:
        result = backup_database(source, target)
    except BackupFailed as failed:
        print(f"posom: backup failed the integrity check: {failed}", file=sys.stderr)
        return 1
    print(f"backup written: {result.path} ({result.size} bytes, schema version "
          f"{result.schema_version}, integrity ok)")
    if rotate:
        deleted = rotate_folder(target.parent, settings.backup_keep, datetime.now())
        print(f"rotated: {len(deleted)} backup(s) older than "
              f"{format_duration(settings.backup_keep)} deleted")
    return 0


def _replica(settings: Settings, args: argparse.Namespace) -> int:
    from bot.ops.replication import ReplicationError, replication_status, restore_newest

    configure_logging(logging.WARNING)
    try:
        if args.replica_command == "restore":
            return _restore(settings, restore_newest, force=args.force, replace=args.replace)
        return _print_status(settings, replication_status(settings))
    except ReplicationError as error:
        raise UsageError(str(error)) from None


def _restore(settings: Settings, restore_newest, *, force: bool, replace: bool) -> int:
    from storage.database import known_schema_version

    result = restore_newest(settings, force=force, replace=replace,
                            known_schema=known_schema_version())
    lease = result.lease
    last = (f"; the primary ({lease.host}, posom {lease.version}) was last alive "
            f"{lease.last_seen:%Y-%m-%d %H:%M:%S} UTC"
            + (", stopped cleanly" if lease.stopped_at else "")) if lease else ""
    print(f"restored: {result.path} ({result.size} bytes in {result.seconds:.1f}s){last}")
    print("now start the bot here: posom run (it replicates to the same replica)")
    return 0


def _print_status(settings: Settings, state) -> int:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    print(f"replica: {state.replica} (sync every "
          f"{format_duration(settings.replication.sync_interval)})")
    if state.replica_txid is None:
        print("replica: holds no copy yet")
    else:
        age = f", {(now - state.replica_changed_at).total_seconds():.0f}s ago" \
            if state.replica_changed_at else ""
        print(f"replica: newest transaction {state.replica_txid}{age}")
    if state.local_txid is None:
        print(f"local: no database at {settings.storage.path} (a standby)")
    else:
        print(f"local: newest transaction {state.local_txid} ({settings.storage.path})")
    behind = state.behind
    if behind is not None:
        stale = (f" (its newest change is {(now - state.replica_changed_at).total_seconds():.0f}s"
                 " old)") if state.replica_changed_at else ""
        print("lag: none, the replica has every transaction" if behind == 0 else
              f"lag: the replica is {behind} transaction(s) behind{stale}")
    if state.lease is not None:
        lease = state.lease
        seen = (now - lease.last_seen).total_seconds()
        print(f"primary: {lease.host} (posom {lease.version}), "
              + (f"stopped cleanly {seen:.0f}s ago" if lease.stopped_at else
                 f"alive {seen:.0f}s ago"))
    return 0


def _health(settings: Settings) -> int:
    import json
    import urllib.error
    import urllib.request

    health = settings.health
    if not health.enabled:
        raise UsageError("health.enabled is false: the bot serves no /healthz")
    host = "127.0.0.1" if health.listen in ("0.0.0.0", "", "::") else health.listen
    url = f"http://{host}:{health.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body, status = response.read(), response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        print(f"health: {url}: not answering ({getattr(error, 'reason', error)})")
        return 1
    try:
        checks = json.loads(body)["checks"]
    except (ValueError, KeyError):
        print(f"health: {url}: HTTP {status}")
        return 1
    for name, result in checks.items():
        print(f"{name}: {result['detail']}")
    return 0 if status == 200 else 1


async def _intake_keys(settings: Settings, args: argparse.Namespace) -> int:
    from bot.callout.draft import DraftRefused

    async with _offline(settings, existing=args.key_command != "add") as core:
        if args.key_command == "add":
            try:
                caller, key = await core.intake.add_key(args.name, "cli")
            except DraftRefused as refused:
                raise UsageError(f"NAME: {refused.problem}") from None
            login = f"{settings.intake.base_url}/page/login#key={key.key}"
            print(f"key {caller.id} for {caller.name!r} (shown only now; store it safely):")
            print(f"  key:            {key.key}")
            print(f"  signing secret: {key.signing_secret}  (checks the callbacks' signatures)")
            print(f"  page login:     {login}")
            if caller.name in settings.intake.trusted:
                print("  trusted: its requests become call-outs at once (intake.trusted)")
            if not settings.intake.enabled:
                print("note: intake.enabled is false; set it to true to serve the intake")
            return 0
        if args.key_command == "revoke":
            if not await core.intake.revoke_key(args.id, "cli"):
                raise UsageError(f"no active key {args.id} (see `posom intake key list`)")
            print(f"key {args.id} revoked; calls with it are refused from now on")
            return 0
        callers = await core.intake.store.callers()
    tz = settings.organisation.tz
    if not callers:
        print("no intake keys yet (posom intake key add NAME)")
    for caller in callers:
        state = (f"revoked {caller.revoked_at.astimezone(tz):%Y-%m-%d %H:%M}"
                 if caller.revoked_at else "active")
        used = (f"last used {caller.last_used_at.astimezone(tz):%Y-%m-%d %H:%M}"
                if caller.last_used_at else "never used")
        trusted = ", trusted" if caller.name in settings.intake.trusted else ""
        print(f"{caller.id:>4}  {caller.name}  {caller.key_hint}…  {state}{trusted}, {used}")
    return 0


def _run(settings: Settings, path: Path) -> int:
    if settings.telegram.token is None and not settings.signal.enabled:
        raise ConfigError(f"{path}: telegram.token: missing (get one from @BotFather, or "
                          "switch [signal] on; without either try `posom demo`)")
    from bot.app import BotRuntime
    from bot.ops.lock import AnotherWriter
    from bot.ops.replication import ReplicationError
    from bot.transport import ServiceUnreachable, TransportRefused
    from intake.server import IntakeUnavailable

    try:
        asyncio.run(BotRuntime(settings).run_until_signalled())
    except (AnotherWriter, ReplicationError) as refused:
        print(f"posom: {refused}", file=sys.stderr)
        return EXIT_USAGE
    except TransportRefused as refused:
        print(f"posom: {path}: {refused}", file=sys.stderr)
        return EXIT_USAGE
    except ServiceUnreachable as unreachable:
        print(f"posom: {unreachable}", file=sys.stderr)
        return 1
    except IntakeUnavailable as unavailable:
        print(f"posom: {path}: {unavailable}", file=sys.stderr)
        return EXIT_USAGE
    return 0


async def _invite(settings: Settings, args: argparse.Namespace) -> int:
    from transports.telegram.transport import invite_link

    if args.area and settings.area(args.area) is None:
        print(f"posom: unknown area {args.area!r} (known: {', '.join(settings.area_keys)})",
              file=sys.stderr)
        return EXIT_USAGE
    from bot.people.enrolment import check_invite_lifetime

    try:
        expires = (check_invite_lifetime(parse_duration(args.expires))
                   if args.expires is not None else None)
    except ValueError as error:
        print(f"posom: --expires: {error}", file=sys.stderr)
        return EXIT_USAGE
    async with _offline(settings, existing=False) as core:
        issued = await core.enrolment.issue_invite(args.role, args.area, "cli", expires)
    link = invite_link(settings, issued.token)
    if settings.telegram.token is not None or not settings.signal.enabled:
        print(link or "(set telegram.bot_username in the config to get a t.me link)")
    if settings.signal.enabled:
        print(f"signal: send START {issued.token} to {settings.signal.account}")
    print(f"token: {issued.token}")
    print(f"role: {issued.role}  area: {issued.area or '-'}  "
          f"expires: {issued.expires_at.astimezone(settings.organisation.tz):%Y-%m-%d %H:%M}")
    return 0


async def _roster_import(settings: Settings, path: Path) -> int:
    from bot.people.roster import RosterError, read_roster
    from storage.clock import system_clock

    try:
        rows = read_roster(path, settings)
    except RosterError as error:
        print(f"posom: {error}; nothing was imported", file=sys.stderr)
        return EXIT_USAGE
    from bot.people.invitations import import_roster, invitation_address

    invited = [row for row in rows if invitation_address(row) is not None]
    if invited and not settings.signal.enabled:
        print(f"posom: {path}: line {invited[0].line}: transport signal, but [signal] is not "
              "enabled in the config; nothing was imported", file=sys.stderr)
        return EXIT_USAGE
    async with _offline(settings, existing=False) as core:
        for row in rows:
            existing = await core.members.by_phone(row.member.phone)
            if existing is not None:
                print(f"posom: {path}: line {row.line}: phone {row.member.phone} is already "
                      f"registered to member {existing.id}; nothing was imported",
                      file=sys.stderr)
                return EXIT_USAGE
        count = await import_roster(settings, core.members, rows, actor="cli",
                                    now=system_clock())
    print(f"imported {count} member(s) from {path}")
    if invited:
        print(f"{len(invited)} of them get a Signal message from the bot and connect by "
              "answering JA (sent by the running bot)")
    return 0


async def _check(settings: Settings, path: Path) -> int:
    from storage.database import Database, MigrationError

    problems = 0
    print(f"config: {path}: ok ({len(settings.areas)} areas, {len(settings.admins)} admins)")
    standby = settings.replication.replica and not settings.storage.path.exists()
    try:
        if standby:
            # Creating an empty file here would stand in the way of `posom replica restore`.
            raise FileNotFoundError("no database yet (a standby? `posom replica restore` "
                                    "brings the replica's newest copy)")
        database = await Database.open(settings.storage.path)
        version = await database.schema_version()
        await database.close()
        print(f"database: {settings.storage.path}: ok (schema version {version})")
    except (MigrationError, OSError, sqlite3.Error) as error:
        print(f"database: {settings.storage.path}: {error}")
        problems += 1
    if settings.signal.enabled:
        problems += await _check_signal(settings)
    if settings.telegram.token is None and settings.signal.enabled:
        pass  # a Signal-only organisation needs no Telegram token
    elif settings.telegram.token is None:
        print("token: telegram.token: missing")
        problems += 1
    else:
        from bot.transport import ServiceUnreachable, TransportRefused
        from transports.telegram.transport import check_token

        try:
            username = await check_token(settings)
            print(f"token: ok (@{username})")
            if settings.telegram.bot_username and settings.telegram.bot_username != username:
                print(f"telegram.bot_username: {settings.telegram.bot_username!r} differs from "
                      f"the token's bot @{username}")
                problems += 1
        except (TransportRefused, ServiceUnreachable) as error:
            print(f"token: {error}")
            problems += 1
    for line, ok in _service_settings(settings):
        print(line)
        problems += not ok
    return 1 if problems else 0


async def _check_signal(settings: Settings) -> int:
    """`posom check` for [signal]: the daemon answers, its version, the account; 0 if fine."""
    from bot.transport import TransportRefused
    from transports.signal.client import DaemonUnreachable, SignalClient, SignalRpcError
    from transports.signal.transport import check_daemon

    config = settings.signal
    client = SignalClient(config.url, config.account, timeout=config.request_timeout)
    try:
        version = await check_daemon(client, settings)
        if client.multi_account:
            where = f"multi-account daemon, {config.account} is one of its accounts"
        else:
            # A daemon started with -a serves one account and has no call that names it; the
            # account is checked again on every event the bot receives.
            [status] = await client.call("getUserStatus", {"recipient": [config.account]})
            registered = "registered" if status.get("isRegistered") else "NOT registered"
            where = f"single-account daemon; {config.account} is {registered} on Signal"
            if not status.get("isRegistered"):
                print(f"signal: {config.url}: signal-cli {version}, {where}")
                return 1
        print(f"signal: {config.url}: ok (signal-cli {version}, {where})")
        return 0
    except (DaemonUnreachable, TransportRefused, SignalRpcError) as error:
        print(f"signal: {config.url}: {error}")
        return 1
    finally:
        await client.close()
def _service_settings(settings: Settings) -> list[tuple[str, bool]]:
    """What `posom check` says about replication, heartbeat, health and backups: (line, ok)."""
    from urllib.parse import urlsplit

    from bot.ops.backups import backups_in
    from bot.ops.replication import ReplicationError, find_litestream, replica_summary

    lines: list[tuple[str, bool]] = []
    replication = settings.replication
    if not replication.replica:
        lines.append(("replication: off (replication.replica not set: this disk holds the only "
                      "copy)", True))
    else:
        program = find_litestream(settings)
        lines.append((f"replication: to {replication.replica}, sync every "
                      f"{format_duration(replication.sync_interval)}, kept "
                      f"{format_duration(settings.replica_keep)}, standby may take over after "
                      f"{format_duration(replication.takeover_after)} of silence", True))
        if program is None:
            lines.append(("replication: litestream not found (pip install "
                          "'posom-bot[replication]', or set replication.litestream)", False))
        else:
            try:
                lines.append((f"replication: {replica_summary(settings)}", True))
            except ReplicationError as error:
                lines.append((f"replication: {error}", False))
    heartbeat = settings.heartbeat
    if heartbeat.url is None:
        lines.append(("heartbeat: off (heartbeat.url not set: nobody notices if the bot dies)",
                      True))
    else:
        host = urlsplit(heartbeat.url.get_secret_value()).hostname
        lines.append((f"heartbeat: every {format_duration(heartbeat.every)} to {host} while "
                      "healthy", True))
    health = settings.health
    lines.append((f"health: http://{health.listen}:{health.port}/healthz and /metrics"
                  if health.enabled else "health: off (health.enabled = false)", True))
    backup = settings.backup
    if backup.folder is None:
        lines.append(("backups: off (backup.folder not set; `posom backup` by hand)", True))
    else:
        lines.append((f"backups: every {format_duration(backup.every)} into {backup.folder}, "
                      f"kept {format_duration(settings.backup_keep)} "
                      f"({len(backups_in(backup.folder))} there now)", True))
    return lines
