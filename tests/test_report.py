"""The annual report on a seeded year: every figure checked against values computed here from
the plan (tests/seeded_year.py), not from the database."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.config import DEFAULT_QUESTIONS
from bot.i18n import translator
from bot.records.report_html import csv_tables, key_figures_text, render_html
from bot.records.service import valid_year
from storage.debrief_stats import REPORT_QUESTIONS, SUPPORT_OPTIONS
from storage.debriefs import insert_debrief, save_answer, save_progress
from tests.debrief_harness import SKIP, answer, send_questionnaire
from tests.seeded_year import CREW, PLAN, YEAR, crew_telegram_id, seeded_core

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


def test_report_years_are_read_without_surprises() -> None:
    assert valid_year("2025", 2025) == 2025 and valid_year("2026", 2025) == 2026
    for text in ("2027", "1999", "²²²²", "20x5", "025", " 2025"):
        assert valid_year(text, 2025) is None, text


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
    # Every intervention planned its questionnaires, but nobody has answered one yet.
    assert report.debriefs.answers == 0 and report.debriefs.reported_hours is None
    assert report.debriefs.people_supported == 0 and report.debriefs.welfare_followups == 0


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
    assert "Inga svar på uppföljningen ännu: ingen stödperson har svarat klart" in html
    assert "Människor som fått stöd" not in html  # no zeros posing as figures
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
                           "debriefs", "training", "training_by_area"}
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
    assert "• Insatser: 15" in text and "• Övningar: 3" in text
    assert "Inga svar på uppföljningen ännu." in text and "Människor som fått stöd" not in text
    debriefs = dict(list(csv.reader(io.StringIO(tables["debriefs"])))[1:])
    assert debriefs["answers"] == "0" and debriefs["reported_hours"] == ""


# -- debrief figures ---------------------------------------------------------------------------

# Questionnaires answered through the real DebriefService: (plan index, crew index in the area,
# answers, question left open before — None: finished). Each volunteer is one the plan confirmed.
DEBRIEFS = [
    # The year before: never in 2025's figures.
    (0, 0, {"hours": 9, "affected": 50, "witnesses": 50,
            "support": ["practical", "social", "psychological"], "referrals": ["police"],
            "went_well": SKIP, "could_be_better": SKIP, "wellbeing": 1, "support_talk": True},
     None),
    (1, 0, {"hours": 3.5, "affected": 4, "witnesses": 2, "support": ["practical", "psychological"],
            "referrals": ["social_services"], "went_well": "Lugnt och tryggt",
            "could_be_better": SKIP, "wellbeing": 4, "support_talk": False}, None),
    (1, 2, {"hours": 3, "affected": 3, "witnesses": 5, "support": ["social", "psychological"],
            "referrals": ["church", "social_services"], "went_well": SKIP,
            "could_be_better": "Vi kom fram sent", "wellbeing": 2, "support_talk": True}, None),
    (2, 0, {"hours": 2.5, "affected": 1, "witnesses": 0, "support": ["practical"],
            "referrals": [], "went_well": SKIP, "could_be_better": SKIP, "wellbeing": 5,
            "support_talk": False}, None),
    # Left half-way: its figures do not count, its welfare alert (wellbeing 1) does.
    (2, 1, {"hours": 1, "affected": 7, "witnesses": 7, "support": ["practical"],
            "referrals": ["health_care"], "went_well": SKIP, "could_be_better": SKIP,
            "wellbeing": 1}, "support_talk"),
    (3, 1, {"hours": 1.5, "affected": 2, "witnesses": 1, "support": ["psychological"],
            "referrals": SKIP, "went_well": SKIP, "could_be_better": SKIP, "wellbeing": 3,
            "support_talk": True}, None),
    (4, 0, {"hours": 4, "affected": 0, "witnesses": 3, "support": ["social"],
            "referrals": ["other"], "went_well": "Bra samarbete", "could_be_better": SKIP,
            "wellbeing": 4, "support_talk": False}, None),
]
# The check-in weeks later: (plan index, crew index, answers).
CHECK_INS = [(1, 0, {"wellbeing_now": 1, "support_talk": False}),
             (4, 0, {"wellbeing_now": 4, "support_talk": False})]
THRESHOLD = 2  # [debrief] welfare_threshold, the default


def asks_for_care(answers: dict) -> bool:
    feeling = answers.get("wellbeing", answers.get("wellbeing_now"))
    return answers.get("support_talk") is True or (feeling is not None and feeling <= THRESHOLD)


async def request_of(services, code: str, plan: int, crew: int) -> int:
    activation = await services.callouts.reads.by_code(code)
    telegram_id = crew_telegram_id(PLAN[plan].area, crew)
    [request_id] = [request.id for request, member
                    in await services.callouts.reads.requests_with_members(activation.id)
                    if member.address.id == str(telegram_id)]
    return request_id


async def answer_the_plan(services, codes) -> None:
    for plan, crew, answers, stop_before in DEBRIEFS:
        debrief = await send_questionnaire(services, await request_of(services, codes[plan], plan,
                                                                      crew))
        await answer(services, debrief.id, answers, stop_before=stop_before)
    for plan, crew, answers in CHECK_INS:
        debrief = await send_questionnaire(
            services, await request_of(services, codes[plan], plan, crew), "followup")
        await answer(services, debrief.id, answers)


def test_the_report_reads_the_shipped_questions() -> None:
    shipped = {question.key: question for question in DEFAULT_QUESTIONS}
    for figure, wanted in REPORT_QUESTIONS.items():
        assert wanted.key in shipped, figure
        assert shipped[wanted.key].type == wanted.type, figure
    assert tuple(option.key for option in shipped["support"].options) == SUPPORT_OPTIONS
    assert set(REPORT_QUESTIONS) == {"hours", "affected", "witnesses", "support", "referrals",
                                     "wellbeing", "support_talk"}


async def test_debrief_figures_come_from_the_finished_questionnaires(seeded) -> None:
    services, _, codes = seeded
    await answer_the_plan(services, codes)
    # An exercise's questionnaire (stored directly: exercises get none by default) never counts.
    exercise = await services.callouts.reads.by_code(codes[5])
    [(request, member), *_] = [pair for pair in await services.callouts.reads
                               .requests_with_members(exercise.id)
                               if pair[0].state == "confirmed"]
    now = services.clock()
    async with services.database.transaction() as tx:
        drill = await insert_debrief(tx, activation_id=exercise.id, request_id=request.id,
                                     member_id=member.id, kind="debrief",
                                     questions=["hours", "affected", "wellbeing"], now=now)
        for key, value in (("hours", 8), ("affected", 40), ("wellbeing", 1)):
            await save_answer(tx, drill.id, key, value=value, now=now)
        await save_progress(tx, replace(drill, state="done", finished_at=now,
                                        welfare_alert_at=now))

    counted = [(plan, answers) for plan, _, answers, stop in DEBRIEFS
               if stop is None and PLAN[plan].local.year == YEAR and not PLAN[plan].exercise]
    teams: dict[int, list[dict]] = {}
    for plan, answers in counted:
        teams.setdefault(plan, []).append(answers)
    referrals = Counter(key for team in teams.values()
                        for key in {key for a in team for key in (a["referrals"] or [])})
    alerts = sum(1 for plan, _, answers, _ in DEBRIEFS
                 if PLAN[plan].local.year == YEAR and asks_for_care(answers))
    alerts += sum(1 for plan, _, answers in CHECK_INS if asks_for_care(answers))
    wellbeing = [answers["wellbeing"] for _, answers in counted]

    report = await services.reports.compute(YEAR)
    debriefs = report.debriefs
    assert debriefs.answers == len(counted) == 5
    assert debriefs.interventions_with_answers == len(teams) == 4
    assert debriefs.reported_hours == pytest.approx(sum(a["hours"] for _, a in counted))
    affected = sum(max(a["affected"] for a in team) for team in teams.values())
    witnesses = sum(max(a["witnesses"] for a in team) for team in teams.values())
    assert (debriefs.affected, debriefs.witnesses) == (affected, witnesses)
    # Per intervention the largest answer of its team: (4 + 5) + (1 + 0) + (2 + 1) + (0 + 3).
    assert debriefs.people_supported == affected + witnesses == 16
    assert debriefs.support_kinds == {
        kind: sum(1 for team in teams.values() if any(kind in a["support"] for a in team))
        for kind in ("practical", "social", "psychological")}
    assert debriefs.referrals == dict(referrals) and sum(referrals.values()) == 3
    assert debriefs.referral_interventions == sum(
        1 for team in teams.values() if any(a["referrals"] for a in team)) == 2
    assert debriefs.support_talks == sum(1 for _, a in counted if a["support_talk"]) == 2
    assert debriefs.low_wellbeing == sum(1 for value in wellbeing if value <= 2) == 1
    assert debriefs.wellbeing_mean == pytest.approx(sum(wellbeing) / len(wellbeing), abs=0.01)
    assert debriefs.welfare_followups == alerts == 4

    html = render_html(report, services.settings, translator("sv"))
    assert "Människor som fått stöd" in html
    assert "Socialtjänsten" in html and "Kyrkan" in html  # the options as volunteers saw them
    assert "Lugnt och tryggt" not in html and "kom fram sent" not in html  # never free text
    text = key_figures_text(report, translator("sv"))
    assert f"• Människor som fått stöd: {affected + witnesses}" in text
    assert "• Timmar för stödpersoner (enligt uppföljningen): 14,5" in text
    assert f"• Uppföljning av mående (ledningen ombads höra av sig): {alerts}" in text
    assert "Inga svar på uppföljningen ännu" not in text
    table = dict(list(csv.reader(io.StringIO(csv_tables(report)["debriefs"])))[1:])
    assert table["people_supported"] == str(affected + witnesses)
    assert table["welfare_followups"] == str(alerts) and table["referral_church"] == "1"
    assert float(table["reported_hours"]) == pytest.approx(14.5)
    # The exercise kept its own figures and was not turned into an intervention.
    assert report.interventions.count == 15 and report.exercises.count == 3


async def test_mydata_and_archive_carry_their_debriefs(seeded) -> None:
    services, _, codes = seeded
    request_id = await request_of(services, codes[1], 1, 0)
    debrief = await send_questionnaire(services, request_id)
    await answer(services, debrief.id, {
        "hours": 3, "affected": 2, "witnesses": 0, "support": ["social"], "referrals": SKIP,
        "went_well": "tungt men bra", "could_be_better": SKIP, "wellbeing": 4,
        "support_talk": False})
    member = await services.members.by_id(2)  # the first Karlstad volunteer (telegram id 100)
    assert member.address.id == str(crew_telegram_id("karlstad", 0))
    data = json.loads((await services.privacy.my_data(member)).content)
    assert data["member"]["name"] == "Karlstad Stödperson 0"
    [answered] = [row for row in data["debriefs"] if row["answers"]]
    assert (answered["activation"], answered["kind"], answered["state"]) == (
        codes[1], "debrief", "done")
    answers = {row["question"]: row for row in answered["answers"]}
    assert answers["went_well"]["text"] == "tungt men bra"
    assert answers["hours"]["value"] == 3 and answers["support"]["value"] == ["social"]
    assert answers["referrals"]["skipped"] is True and answers["referrals"]["value"] is None
    # One debrief and one check-in per intervention she went on (none after exercises).
    went = [p for p in PLAN if p.area == "karlstad" and p.end == "close" and not p.exercise
            and 0 in [crew for crew, a, _ in sorted(p.answers, key=lambda a: a[2])
                      if a == "y"][:2]]
    assert len(data["debriefs"]) == 2 * len(went)
    assert all(row["member_id"] == member.id for row in data["debriefs"])
    asked_karlstad = [p for p in PLAN if p.area == "karlstad"]
    assert len(data["requests"]) == len(asked_karlstad)
    assert all("briefing" not in row for row in data["requests"])

    archive = json.loads(await services.privacy.archive(YEAR, actor="cli"))
    assert [row["answers"] for row in archive["debriefs"] if row["answers"]] == [
        answered["answers"]]
    assert len(archive["debriefs"]) == 2 * sum(min(len(yes_minutes(p)), 2)
                                               for p in INTERVENTIONS)
    assert {row["activation"] for row in archive["debriefs"]} <= {codes[i] for i in codes
                                                                  if PLAN[i].local.year == YEAR}
    assert len(archive["activations"]) == len([p for p in PLAN if p.local.year == YEAR])
    assert archive["activations"][0]["briefing"].startswith("Hemligt")
