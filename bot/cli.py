"""The `posom` command (also `python -m bot`): run, invite, roster import, check, demo."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import sys
from pathlib import Path

from bot.config import DEFAULT_CONFIG_PATH, ConfigError, Settings, load_settings
from bot.durations import parse_duration
from bot.logs import configure_logging

__all__ = ["main"]

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posom", description="Call-out bot for POSOM crisis-support groups (Telegram).")
    parser.add_argument(
        "--config", type=Path,
        default=Path(os.environ.get("POSOM_CONFIG", DEFAULT_CONFIG_PATH)),
        help="config file (default: $POSOM_CONFIG or config.toml)")
    # The same option after the command; SUPPRESS keeps it from resetting the value given before.
    common = argparse.ArgumentParser(add_help=False)
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
    except ConfigError as error:
        print(f"posom: {error}", file=sys.stderr)
        code = EXIT_USAGE
    except KeyboardInterrupt:
        code = 130
    raise SystemExit(code)


def _dispatch(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from bot.demo import run_demo

        configure_logging(logging.WARNING)
        return asyncio.run(run_demo(args.lang))
    if args.command == "bench":
        from bot.bench import run_bench

        configure_logging(logging.WARNING)
        return run_bench(args)
    settings = load_settings(args.config)
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    configure_logging(secrets=[token])
    if args.command == "run":
        return _run(settings, args.config)
    if args.command == "invite":
        return asyncio.run(_invite(settings, args))
    if args.command == "roster":
        return asyncio.run(_roster_import(settings, args.file))
    if args.command == "check":
        return asyncio.run(_check(settings, args.config))
    raise AssertionError(args.command)


def _run(settings: Settings, path: Path) -> int:
    if settings.telegram.token is None:
        raise ConfigError(f"{path}: telegram.token: missing (get one from @BotFather; "
                          "without a token try `posom demo`)")
    from telegram.error import InvalidToken, NetworkError

    from bot.app import BotRuntime

    try:
        asyncio.run(BotRuntime(settings).run_until_signalled())
    except InvalidToken:
        # PTB's message quotes the token itself: say it in our own words.
        print(f"posom: {path}: telegram.token: refused by {settings.telegram.api_url}",
              file=sys.stderr)
        return EXIT_USAGE
    except NetworkError as error:
        print(f"posom: cannot reach {settings.telegram.api_url}: "
              f"{_redacted(str(error), settings)}", file=sys.stderr)
        return 1
    return 0


def _redacted(text: str, settings: Settings) -> str:
    """The text with the bot token masked, for any message that might quote it."""
    token = settings.telegram.token.get_secret_value() if settings.telegram.token else ""
    return text.replace(token, "***") if token else text


async def _invite(settings: Settings, args: argparse.Namespace) -> int:
    from bot.enrolment import EnrolmentService
    from storage.clock import system_clock
    from storage.database import Database
    from storage.dialogues import DialogueStore
    from storage.members import MemberStore

    if args.area and settings.area(args.area) is None:
        print(f"posom: unknown area {args.area!r} (known: {', '.join(settings.area_keys)})",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        expires = parse_duration(args.expires) if args.expires else None
    except ValueError as error:
        print(f"posom: --expires: {error}", file=sys.stderr)
        return EXIT_USAGE
    database = await Database.open(settings.storage.path)
    try:
        members = MemberStore(database)
        service = EnrolmentService(settings, members, DialogueStore(database), system_clock)
        issued = await service.issue_invite(args.role, args.area, "cli", expires)
    finally:
        await database.close()
    if issued.link:
        print(issued.link)
    else:
        print("(set telegram.bot_username in the config to get a t.me link)")
    print(f"token: {issued.token}")
    print(f"role: {issued.role}  area: {issued.area or '-'}  "
          f"expires: {issued.expires_at.astimezone(settings.organisation.tz):%Y-%m-%d %H:%M}")
    return 0


async def _roster_import(settings: Settings, path: Path) -> int:
    from bot.roster import RosterError, read_roster
    from storage.clock import system_clock
    from storage.database import Database
    from storage.members import MemberStore

    try:
        rows = read_roster(path, settings)
    except RosterError as error:
        print(f"posom: {error}; nothing was imported", file=sys.stderr)
        return EXIT_USAGE
    database = await Database.open(settings.storage.path)
    try:
        members = MemberStore(database)
        for row in rows:
            existing = await members.by_phone(row.member.phone)
            if existing is not None:
                print(f"posom: {path}: line {row.line}: phone {row.member.phone} is already "
                      f"registered to member {existing.id}; nothing was imported",
                      file=sys.stderr)
                return EXIT_USAGE
        count = await members.import_roster([row.member for row in rows], actor="cli",
                                            now=system_clock())
    finally:
        await database.close()
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
        from telegram.error import TelegramError

        from bot.app import check_token

        try:
            username = await check_token(settings)
            print(f"token: ok (@{username})")
            if settings.telegram.bot_username and settings.telegram.bot_username != username:
                print(f"telegram.bot_username: {settings.telegram.bot_username!r} differs from "
                      f"the token's bot @{username}")
                problems += 1
        except TelegramError as error:
            print(f"token: refused by {settings.telegram.api_url}: "
                  f"{_redacted(str(error), settings)}")
            problems += 1
    return 1 if problems else 0
