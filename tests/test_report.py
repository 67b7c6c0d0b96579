"""The annual report on a seeded year: every figure checked against values computed here from
the plan (tests/seeded_year.py), not from the database."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from datetime import timedelta

import pytest

from bot.i18n import translator
from bot.report_html import csv_tables, key_figures_text, render_html
from tests.seeded_year import CREW, PLAN, YEAR, seeded_core

INTERVENTIONS = [p for p in PLAN if p.local.year == YEAR and p.end == "close" and not p.exercise]
EXERCISES = [p for p in PLAN if p.local.year == YEAR and p.end == "close" and p.exercise]


def yes_minutes(plan) -> list[int]:
    return sorted(minute for _, answer, minute in plan.answers if answer == "y")


def expected_staffing_minutes(plans) -> list[int]:
    return sorted(yes_minutes(p)[1] for p in plans if len(yes_minutes(p)) >= 2)


def expected_median(values: list[int]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def expected_hours(plans) -> float:
    # The first two Yes are confirmed; each counts from their Yes to the close.
    return sum(p.hours - minute / 60 for p in plans for minute in yes_minutes(p)[:2])


def expected_answers(plans) -> tuple[int, int, int]:
    yes = sum(1 for p in plans for _, a, _ in p.answers if a == "y")
    no = sum(1 for p in plans for _, a, _ in p.answers if a == "n")
    asked = sum(CREW[p.area] for p in plans)
    return yes, no, asked - yes - no


@pytest.fixture
async def seeded(tmp_path):
    services, _, clock, codes = await seeded_core(tmp_path)
    try:
        yield services, clock, codes
    finally:
        await services.stop()
        await services.database.close()


def test_the_fixture_is_a_realistic_year() -> None:
    assert len(INTERVENTIONS) == 15 and len(EXERCISES) == 3
    assert len({p.kind for p in INTERVENTIONS}) >= 5 and len({p.area for p in INTERVENTIONS}) == 3


async def test_figures_match_the_plan(seeded) -> None:
    services, _, codes = seeded
    report = await services.reports.compute(YEAR)
    figures = report.interventions

    assert figures.count == 15
    assert report.exercises.count == 3
    assert report.cancelled == 1 and report.running == 1
    assert report.activations == len([p for p in PLAN if p.local.year == YEAR])
    assert codes[0] == "2024-001" and codes[1] == "2025-001"  # the year is Stockholm's

    kinds = Counter(p.kind for p in INTERVENTIONS)
    assert {k: v for k, v in figures.by_kind.items() if v} == dict(kinds)
    assert figures.by_kind["major_incident"] == 0  # listed, with zero
    assert figures.by_area == {area: sum(1 for p in INTERVENTIONS if p.area == area)
                               for area in CREW}
    months = Counter(p.local.month for p in INTERVENTIONS)
    assert figures.by_month == tuple(months.get(m, 0) for m in range(1, 13))
    assert figures.by_month[0] == 2 and figures.by_month[4] == 2  # New Year's night, 1 May

    staffing = expected_staffing_minutes(INTERVENTIONS)
    assert figures.staffed == len(staffing) == 13
    assert figures.time_to_staffed_median == timedelta(minutes=expected_median(staffing))
    p90 = staffing[math.ceil(0.9 * len(staffing)) - 1]
    assert figures.time_to_staffed_p90 == timedelta(minutes=p90)
    assert (figures.time_to_staffed_median, figures.time_to_staffed_p90) == (
        timedelta(minutes=9), timedelta(minutes=25))

    yes, no, silent = expected_answers(INTERVENTIONS)
    assert (figures.answers.yes, figures.answers.no, figures.answers.silent) == (yes, no, silent)
    assert figures.volunteer_missions == sum(min(len(yes_minutes(p)), 2) for p in INTERVENTIONS)
    assert figures.volunteer_hours == pytest.approx(expected_hours(INTERVENTIONS), abs=0.01)

    exercise_staffing = expected_staffing_minutes(EXERCISES)
    assert report.exercises.time_to_staffed_median == timedelta(
        minutes=expected_median(exercise_staffing))
    assert report.exercises.answers.yes == expected_answers(EXERCISES)[0]
    assert report.exercises.by_kind["major_incident"] == 1
    assert report.debriefs is None  # no debrief table in this tree: said, not guessed


async def test_an_empty_year_is_an_honest_empty_report(seeded) -> None:
    services, _, _ = seeded
    report = await services.reports.compute(2019)
    assert report.is_empty and report.interventions.count == 0
    assert report.interventions.time_to_staffed_median is None
    files = await services.reports.build(2019, "sv")
    assert "Inga larm registrerades 2019." in files.html
    assert "<svg" not in files.html  # no empty charts
    assert "Inga larm registrerades 2019." in files.text
    rows = dict(csv.reader(io.StringIO(files.tables["summary"])))
    assert rows["count"] == "0" and rows["time_to_staffed_median_s"] == ""


async def test_html_is_self_contained_and_in_the_report_language(seeded) -> None:
    services, _, _ = seeded
    files = await services.reports.build(YEAR, "sv")
    html = files.html
    assert html.startswith("<!DOCTYPE html>") and '<html lang="sv">' in html
    assert "Verksamhetsberättelse 2025" in html and "Insatser per månad" in html
    assert "Januari" in html and "Maj" in html and "December" in html  # babel's Swedish months
    assert "Trafikolycka" in html and "Hammarö" in html
    assert html.count("<svg") == 4  # kinds, areas, months, answers
    assert "Ingen debriefdata" in html
    # Nothing is fetched: no script, no stylesheet or font link, no URL but SVG namespaces.
    assert "<script" not in html and "<link" not in html and "@import" not in html
    assert "src=" not in html and not re.search(r"url\((?!#)", html)  # local clip paths only
    without_namespaces = re.sub(r'xmlns(:\w+)?="[^"]*"', "", html)
    assert "http" not in without_namespaces
    # The sensitive details never reach the report.
    assert "Villagatan" not in html and "Hemligt" not in html
    english = await services.reports.build(YEAR, "en")
    assert "Annual report 2025" in english.html and "January" in english.html


async def test_csv_tables_carry_the_same_figures(seeded) -> None:
    services, _, _ = seeded
    report = await services.reports.compute(YEAR)
    tables = csv_tables(report)
    assert set(tables) == {"summary", "by_kind", "by_area", "by_month", "answers", "exercises",
                           "debriefs"}
    summary = dict(list(csv.reader(io.StringIO(tables["summary"])))[1:])
    yes, no, silent = expected_answers(INTERVENTIONS)
    assert summary["count"] == "15" and summary["answers_silent"] == str(silent)
    assert (summary["answers_yes"], summary["answers_no"]) == (str(yes), str(no))
    assert summary["time_to_staffed_p90_s"] == str(25 * 60)
    months = list(csv.DictReader(io.StringIO(tables["by_month"])))
    assert [row["month"] for row in months][:2] == ["2025-01", "2025-02"]
    assert sum(int(row["interventions"]) for row in months) == 15
    areas = {row["area"]: int(row["interventions"])
             for row in csv.DictReader(io.StringIO(tables["by_area"]))}
    assert areas == {area: sum(1 for p in INTERVENTIONS if p.area == area) for area in CREW}
    text = key_figures_text(report, translator("sv"))
    assert "• Insatser: 15" in text and "• Övningar: 3" in text and "Ingen debriefdata." in text


DEBRIEF_TABLE = """
CREATE TABLE debriefs (
    id INTEGER PRIMARY KEY, activation_id INTEGER NOT NULL, member_id INTEGER NOT NULL,
    answered_at TEXT, hours REAL, affected INTEGER, witnesses INTEGER, practical INTEGER,
    social INTEGER, psychological INTEGER, referrals TEXT, wellbeing INTEGER,
    support_talk INTEGER, free_text TEXT)
"""


async def test_debrief_figures_from_the_documented_table(seeded) -> None:
    """Issue 5's table as storage/debrief_stats.py documents it: the report reads it."""
    services, _, codes = seeded
    reads = services.callouts.reads
    by_code = {code: await reads.by_code(code) for code in codes.values()}
    first, second, exercise = (by_code[codes[1]], by_code[codes[2]], by_code[codes[5]])
    rows = [
        # activation, member, hours, affected, witnesses, p, s, ps, referrals, wellbeing, talk
        (first.id, 101, 3.5, 4, 2, 1, 0, 1, '["social_services"]', 4, 0),
        (first.id, 102, 3.0, 3, 5, 0, 1, 1, '["church", "social_services"]', 2, 1),
        (second.id, 106, 2.0, 1, 0, 1, 0, 0, "[]", 5, 0),
        (second.id, 107, None, None, None, 0, 0, 0, None, None, 0),
        (exercise.id, 100, 9.0, 50, 50, 1, 1, 1, '["police"]', 1, 1),  # an exercise: left out
    ]
    async with services.database.transaction() as tx:
        await tx.execute(DEBRIEF_TABLE)
        for row in rows:
            await tx.execute(
                "INSERT INTO debriefs (activation_id, member_id, answered_at, hours, affected,"
                " witnesses, practical, social, psychological, referrals, wellbeing,"
                " support_talk, free_text) VALUES (?, ?, '2025-01-20T10:00:00.000000Z', ?, ?, ?,"
                " ?, ?, ?, ?, ?, ?, 'fritext')", row)
        # Not answered yet: not counted.
        await tx.execute("INSERT INTO debriefs (activation_id, member_id, hours, affected)"
                         " VALUES (?, 103, 99, 99)", (first.id,))
    report = await services.reports.compute(YEAR)
    debriefs = report.debriefs
    assert debriefs is not None and debriefs.answers == 4
    assert debriefs.interventions_with_answers == 2
    assert debriefs.reported_hours == pytest.approx(3.5 + 3.0 + 2.0)
    assert debriefs.affected == max(4, 3) + 1 and debriefs.witnesses == max(2, 5) + 0
    assert debriefs.people_supported == 4 + 5 + 1
    assert debriefs.support_kinds == {"practical": 2, "social": 1, "psychological": 1}
    assert debriefs.referral_interventions == 1
    assert debriefs.referrals == {"church": 1, "social_services": 1}
    assert debriefs.support_talks == 1 and debriefs.low_wellbeing == 1
    assert debriefs.wellbeing_mean == pytest.approx((4 + 2 + 5) / 3, abs=0.01)
    html = render_html(report, services.settings, translator("sv"))
    assert "Människor som fått stöd" in html and "Socialtjänsten" in html
    table = dict(list(csv.reader(io.StringIO(csv_tables(report)["debriefs"])))[1:])
    assert table["available"] == "1" and table["people_supported"] == "10"


async def test_mydata_and_archive_carry_their_debriefs(seeded) -> None:
    services, _, codes = seeded
    async with services.database.transaction() as tx:
        await tx.execute(DEBRIEF_TABLE)
        first = await services.callouts.reads.by_code(codes[1])
        await tx.execute("INSERT INTO debriefs (activation_id, member_id, answered_at, hours,"
                         " free_text) VALUES (?, 2, '2025-01-20T10:00:00.000000Z', 3, 'tungt')",
                         (first.id,))
    member = await services.members.by_id(2)  # the first Karlstad volunteer (telegram id 100)
    document = await services.privacy.my_data(member)
    data = json.loads(document.content)
    assert data["member"]["name"] == "Karlstad Stödperson 0"
    assert [row["free_text"] for row in data["debriefs"]] == ["tungt"]
    asked_karlstad = [p for p in PLAN if p.area == "karlstad"]
    assert len(data["requests"]) == len(asked_karlstad)
    assert all("briefing" not in row for row in data["requests"])
    archive = json.loads(await services.privacy.archive(YEAR, actor="cli"))
    assert [row["free_text"] for row in archive["debriefs"]] == ["tungt"]
    assert len(archive["activations"]) == len([p for p in PLAN if p.local.year == YEAR])
    assert archive["activations"][0]["briefing"].startswith("Hemligt")
