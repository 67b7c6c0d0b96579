"""The intake's rules on a real SQLite file without any transport: the first leader wins, a
resent alarm is one request, timers are rows, and what the requester is shown."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.callout.draft import DraftRefused, check_text
from bot.i18n import translator
from bot.intake.service import IntakeDraft
from bot.intake.status import request_status, status_line
from storage.callouts import NewActivation
from storage.intake import IntakeRecord
from storage.models import Activation, Member, Request
from tests import core_harness
from tests.core_harness import add_member

DRAFT = IntakeDraft(kind="fire", area="karlstad", summary="Brand i villa",
                    briefing="Storgatan 1, Eva 070-555 12 34", requester_name="Anna Berg",
                    requester_organisation="SOS Alarm", requester_phone="010-456 00 00")


def table(services, sql: str) -> list[tuple]:
    with sqlite3.connect(services.settings.storage.path) as connection:
        return connection.execute(sql).fetchall()


async def test_ten_leaders_pressing_at_once_give_one_call_out(core) -> None:
    services, _, _ = core
    leaders = [await add_member(services, i, f"Ledare {i}", role="leader") for i in range(10)]
    await add_member(services, 100, "Stöd", phone="+46701000000")
    caller, _ = await services.intake.add_key("SOS Alarm", "cli")
    received = await services.intake.receive(caller, "a-1", DRAFT)
    decisions = await asyncio.gather(*(
        services.intake.decide(leader, leader.address, received.record.id, verb)
        for leader, verb in zip(leaders, ["go", "no", "edit"] * 3 + ["go"], strict=True)))
    winners = [d for d in decisions if not (d.toast or "").startswith("Already handled by")]
    assert len(winners) == 1
    assert table(services, "SELECT state FROM intake_requests") in (
        [("activated",)], [("declined",)], [("taken",)])
    assert len(table(services, "SELECT id FROM activations")) <= 1


async def test_a_resent_alarm_is_one_request_even_at_the_same_moment(core) -> None:
    services, _, _ = core
    await add_member(services, 1, "Lena", role="leader")
    caller, _ = await services.intake.add_key("SOS Alarm", "cli")
    results = await asyncio.gather(*(services.intake.receive(caller, "same-key", DRAFT)
                                     for _ in range(6)))
    assert sum(result.created for result in results) == 1
    assert len({result.record.id for result in results}) == 1
    assert table(services, "SELECT count(*) FROM intake_requests") == [(1,)]


async def test_timers_are_rows_and_a_decision_cancels_them(core) -> None:
    services, _, _ = core
    lena = await add_member(services, 1, "Lena", role="leader")
    caller, _ = await services.intake.add_key("SOS Alarm", "cli")
    received = await services.intake.receive(caller, "a-1", DRAFT)
    assert table(services, "SELECT kind, state FROM deadlines ORDER BY id") == [
        ("intake_again", "pending"), ("intake_alert", "pending"), ("intake_purge", "pending")]
    await services.intake.decide(lena, lena.address, received.record.id, "no")
    # The purge of the requester's name and phone stays (bot.intake.retention).
    assert table(services, "SELECT kind, state FROM deadlines ORDER BY id") == [
        ("intake_again", "cancelled"), ("intake_alert", "cancelled"),
        ("intake_purge", "pending")]


def test_check_text_refuses_what_cannot_be_stored_or_sent() -> None:
    for bad in ("Brand\x00", "Brand\ud800", "\x1b[31mBrand"):
        with pytest.raises(DraftRefused):
            check_text("summary", bad, 300)
    assert check_text("summary", " Brand\n i villa\t", 300) == "Brand\n i villa"


NOW = datetime(2026, 11, 23, 2, 47, tzinfo=UTC)
RECORD = IntakeRecord(
    id=1, public_id="rABCDEFGHIJKL", caller_id=1, caller_name="SOS Alarm", state="activated",
    call_out=NewActivation(kind="fire", area="karlstad", needed=2, summary="Brand",
                           briefing=None),
    requester_name="Anna", requester_organisation="SOS Alarm", requester_phone="010",
    callback_url=None, leader_id=1, activation_id=1, reminded_at=None, alerted_at=None,
    notified=None, fingerprint="x", created_at=NOW)
ACTIVATION = Activation(
    id=1, code="2026-001", kind="fire", area="karlstad", needed=2, summary="Brand",
    briefing="HEMLIG GENOMGÅNG", location_lat=None, location_lon=None, location_title=None,
    location_address="Storgatan 1", exercise=False, state="open", created_by=1, created_at=NOW,
    staffed_at=None, closed_at=None, cancelled_at=None)


def person(index: int, state: str, arrived: bool = False) -> tuple[Request, Member]:
    request = Request(id=index, activation_id=1, member_id=index, state=state, wave=1,
                      asked_at=NOW, answered_at=NOW, confirmed_at=NOW,
                      arrived_at=NOW + timedelta(minutes=20) if arrived else None)
    member = Member(id=index, name=f"Stöd {index}", phone=f"+4670{index}", area="karlstad",
                    gender="undisclosed", role="volunteer", locale="sv", status="active",
                    away_until=None, source="admin", created_at=NOW)
    return request, member


@pytest.mark.parametrize(("activation", "people", "state", "line"), [
    (None, [], "received", "Mottagen – väntar på jourhavande ledare."),
    (ACTIVATION, [person(1, "confirmed"), person(2, "pending"), person(3, "declined")],
     "asking", "3 stödpersoner tillfrågade – 1 av 2 har tackat ja."),
    (replace(ACTIVATION, state="staffed", staffed_at=NOW),
     [person(1, "confirmed"), person(2, "confirmed")], "staffed", "2 av 2 på väg"),
    (replace(ACTIVATION, state="staffed", staffed_at=NOW),
     [person(1, "confirmed", arrived=True), person(2, "confirmed")], "on_site",
     "På plats sedan 04:07."),
    (replace(ACTIVATION, state="closed", closed_at=NOW + timedelta(hours=2)),
     [person(1, "confirmed")], "closed", "Avslutad 05:47."),
])
def test_what_the_requester_sees(tmp_path, activation, people, state, line) -> None:
    settings = core_harness.test_settings(tmp_path)
    record = RECORD if activation else replace(RECORD, state="received", activation_id=None,
                                               leader_id=None)
    status = request_status(settings, record, activation, people, None)
    assert status.state == state
    assert status_line(status, translator("sv")) == line
    shown = status.model_dump_json()
    assert "HEMLIG" not in shown and "Storgatan" not in shown and "Stöd 1" not in shown
    assert status.team is None


def test_team_only_when_shared(tmp_path) -> None:
    settings = core_harness.test_settings(tmp_path, intake={"share_team": True})
    staffed = replace(ACTIVATION, state="staffed", staffed_at=NOW)
    status = request_status(settings, RECORD, staffed, [person(1, "confirmed"),
                                                        person(2, "declined")], None)
    assert [(mate.name, mate.phone) for mate in status.team] == [("Stöd 1", "+46701")]
