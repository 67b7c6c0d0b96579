"""A realistic year for the annual report: 15 interventions, 3 exercises, a cancelled call-out,
one still running and one of the year before, played through the real call-out service on a
real SQLite file with a clock moved by hand.

`PLAN` is the single source of truth: tests compute the expected figures from it with their own
arithmetic and compare them with what the report says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.callout.draft import Actor
from bot.config import Area
from bot.i18n import translator
from bot.services import Services
from storage.callouts import NewActivation
from tests.core_harness import ManualClock, add_member, open_core

TZ = ZoneInfo("Europe/Stockholm")
YEAR = 2025
CREW = {"karlstad": 5, "kil": 3, "hammaro": 2}
AREAS = [Area(key="karlstad", name="Karlstad", neighbours=["kil"]),
         Area(key="kil", name="Kil", neighbours=["karlstad"]),
         Area(key="hammaro", name="Hammarö", neighbours=["karlstad"])]
SECRET = "Hemligt: Villagatan {n}, portkod 4{n:02d}7, kontakt Eva 070-555 {n:02d} 00"


@dataclass(frozen=True, slots=True)
class Planned:
    start: str  # local time in Europe/Stockholm, "YYYY-MM-DD HH:MM"
    kind: str
    area: str
    answers: tuple[tuple[int, str, int], ...]  # (crew index in the area, "y"|"n", minute)
    hours: float = 0  # closed this many hours after the start
    end: str = "close"  # "close", "cancel" or "running"
    exercise: bool = False

    @property
    def local(self) -> datetime:
        return datetime.strptime(self.start, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


PLAN = [
    Planned("2024-12-30 20:00", "fire", "karlstad", ((0, "y", 3), (1, "y", 4)), 2),
    # 23:30 UTC on New Year's Eve: already 2025 in Stockholm.
    Planned("2025-01-01 00:30", "fire", "karlstad",
            ((1, "n", 2), (0, "y", 4), (2, "y", 9), (3, "y", 12)), 3),
    Planned("2025-01-17 14:00", "suicide", "kil", ((0, "y", 3), (1, "y", 5)), 2.5),
    Planned("2025-02-03 08:15", "traffic", "karlstad", ((1, "y", 6), (0, "n", 8), (4, "y", 21)),
            1.5),
    Planned("2025-02-20 19:40", "sudden_death", "hammaro", ((0, "y", 2), (1, "y", 14)), 4),
    Planned("2025-03-12 18:00", "major_incident", "karlstad",
            ((2, "n", 3), (0, "y", 5), (1, "y", 10)), 2, exercise=True),
    Planned("2025-04-04 09:00", "fire", "karlstad", ((0, "y", 3),), end="cancel"),
    # 22:45 UTC on 30 April: May in Stockholm.
    Planned("2025-05-01 00:45", "violence", "karlstad", ((2, "y", 1), (3, "y", 3), (4, "n", 5)),
            2),
    Planned("2025-05-19 10:00", "suicide", "karlstad", ((0, "y", 30),), 2),  # never staffed
    Planned("2025-06-07 16:20", "traffic", "kil", ((0, "n", 1), (2, "y", 7), (1, "y", 11)), 1),
    Planned("2025-06-28 02:10", "fire", "karlstad", ((1, "y", 5), (2, "y", 8)), 5.5),
    Planned("2025-07-15 13:00", "suicide", "hammaro", ((1, "y", 16), (0, "y", 18)), 3),
    # A Yes after the team is complete (reserve) and a No from someone stood down.
    Planned("2025-08-09 21:05", "other", "karlstad",
            ((4, "y", 2), (3, "y", 4), (2, "y", 6), (1, "n", 7)), 1.25),
    Planned("2025-09-02 07:50", "sudden_death", "kil", ((1, "y", 12), (2, "y", 25)), 2),
    Planned("2025-09-20 10:00", "fire", "kil", ((0, "y", 8), (1, "y", 9)), 3, exercise=True),
    Planned("2025-10-11 11:11", "fire", "karlstad", ((0, "y", 3), (1, "y", 3)), 2.75),
    Planned("2025-10-30 17:00", "traffic", "karlstad", ((3, "y", 9), (4, "y", 40)), 1.5),
    Planned("2025-11-05 19:00", "other", "hammaro", ((0, "y", 15),), 1, exercise=True),
    Planned("2025-11-21 03:00", "suicide", "karlstad", ((2, "n", 4), (0, "y", 6), (1, "y", 7)),
            3.25),
    Planned("2025-12-14 12:30", "violence", "hammaro", ((0, "y", 5), (1, "n", 6)), 1),
    Planned("2025-12-28 22:00", "traffic", "kil", ((0, "y", 2),), end="running"),
]
REPORT_TIME = datetime(2026, 1, 10, 9, 0, tzinfo=TZ)


def settings_overrides(tmp_path: Path) -> dict:
    return {"areas": AREAS, "callout": {"prefer_mixed_gender": False},
            "organisation": {"name": "POSOM Test", "duty_phone": "+46 54 100 00"}}


def crew_telegram_id(area: str, index: int) -> int:
    """The Telegram id of the area's crew member `index` (100, 101, … in CREW's order)."""
    areas = list(CREW)
    return 100 + sum(CREW[before] for before in areas[:areas.index(area)]) + index


async def seed(services: Services, clock: ManualClock) -> dict[int, str]:
    """Plays PLAN through the call-out service; returns plan index -> activation code."""
    clock.now = PLAN[0].local - timedelta(days=1)
    leader = await add_member(services, 1, "Lena Ledare", role="leader", area="karlstad")
    crews = {}
    for area, size in CREW.items():
        crews[area] = []
        for index in range(size):
            telegram_id = crew_telegram_id(area, index)
            crews[area].append(await add_member(
                services, telegram_id, f"{area.capitalize()} Stödperson {index}", area=area,
                phone=f"+4670{telegram_id:07d}"))
    t = translator("en")
    codes = {}
    for number, plan in enumerate(PLAN):
        clock.now = plan.local
        issued = await services.callouts.issue(Actor.leader(leader), NewActivation(
            kind=plan.kind, area=plan.area, needed=2, summary=f"Stöd behövs ({plan.kind})",
            briefing=SECRET.format(n=number), location_lat=59.38 + number / 1000,
            location_lon=13.50, location_title=f"Villagatan {number}",
            location_address=f"Villagatan {number}, Karlstad", exercise=plan.exercise))
        activation = issued.activation
        codes[number] = activation.code
        requests = {member.id: request.id for request, member in
                    await services.callouts.reads.requests_with_members(activation.id)}
        for index, answer, minute in sorted(plan.answers, key=lambda a: a[2]):
            clock.now = plan.local + timedelta(minutes=minute)
            member = crews[plan.area][index]
            result = await services.callouts.answer(member, requests[member.id],
                                                    answer == "y", t)
            assert result.changed, (plan, index, result.text)
        if plan.end == "close":
            clock.now = plan.local + timedelta(hours=plan.hours)
            assert (await services.callouts.close(leader, activation.id)).changed
        elif plan.end == "cancel":
            clock.now = plan.local + timedelta(minutes=30)
            assert (await services.callouts.cancel(leader, activation.id)).changed
    clock.now = REPORT_TIME
    return codes


async def seeded_core(tmp_path: Path):
    """The core on a fresh file with the whole PLAN played through it."""
    services, messenger, clock = await open_core(tmp_path, **settings_overrides(tmp_path))
    codes = await seed(services, clock)
    return services, messenger, clock, codes
