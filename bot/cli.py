"""The `posom` command (also `python -m bot`): run, invite, roster import and remove, check,
report, audit export, archive export, backup, intake keys, demo."""

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
from bot.durations import parse_duration
from bot.logs import configure_logging

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
        help="erase a member's personal data (name, phone, Telegram account); the anonymous "
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
                        help="validate the config, the database and the bot token")
    demo = commands.add_parser(
        "demo", parents=[common],
        help="run a whole call-out offline against a simulated Telegram and print it")
    demo.add_argument("--lang", choices=["sv", "en"], default="sv",
                      help="language of the transcript (default sv)")
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
    except (ConfigError, UsageError) as error:
        print(f"posom: {error}", file=sys.stderr)
        code = EXIT_USAGE
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from sandbox.demo import run_demo

        configure_logging(logging.WARNING)
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
        return _backup(settings, args.path)
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


def _backup(settings: Settings, target: Path) -> int:
    from datetime import datetime

    from storage.backup import BackupFailed, backup_database

    source = _existing_database(settings)
    if target.is_dir():
        target = target / f"posom-{datetime.now():%Y%m%d-%H%M%S}.db"
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
    return 0


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
    if settings.telegram.token is None:
        raise ConfigError(f"{path}: telegram.token: missing (get one from @BotFather; "
                          "without a token try `posom demo`)")
    from bot.app import BotRuntime
    from bot.transport import ServiceUnreachable, TransportRefused
    from intake.server import IntakeUnavailable

    try:
        asyncio.run(BotRuntime(settings).run_until_signalled())
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
    try:
        expires = parse_duration(args.expires) if args.expires else None
    except ValueError as error:
        print(f"posom: --expires: {error}", file=sys.stderr)
        return EXIT_USAGE
    async with _offline(settings, existing=False) as core:
        issued = await core.enrolment.issue_invite(args.role, args.area, "cli", expires)
    link = invite_link(settings, issued.token)
    print(link or "(set telegram.bot_username in the config to get a t.me link)")
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
    async with _offline(settings, existing=False) as core:
        for row in rows:
            existing = await core.members.by_phone(row.member.phone)
            if existing is not None:
                print(f"posom: {path}: line {row.line}: phone {row.member.phone} is already "
                      f"registered to member {existing.id}; nothing was imported",
                      file=sys.stderr)
                return EXIT_USAGE
        count = await core.members.import_roster([row.member for row in rows], actor="cli",
                                                 now=system_clock())
    print(f"imported {count} member(s) from {path}")
    return 0


async def _check(settings: Settings, path: Path) -> int:
    from storage.database import Database, MigrationError

    problems = 0
    print(f"config: {path}: ok ({len(settings.areas)} areas, {len(settings.admins)} admins)")
    try:
        database = await Database.open(settings.storage.path)
        version = await database.schema_version()
        await database.close()
        print(f"database: {settings.storage.path}: ok (schema version {version})")
    except (MigrationError, OSError, sqlite3.Error) as error:
        print(f"database: {settings.storage.path}: {error}")
        problems += 1
    if settings.telegram.token is None:
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
    return 1 if problems else 0
