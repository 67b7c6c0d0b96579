"""Reports, the audit trail, the roster and people's rights through the real bot and the fake
Telegram, acting as leaders, volunteers and strangers."""

from __future__ import annotations

import json

import pytest

from handlers.commands import COMMANDS
from tests.test_e2e_callout import crew, issue


async def next_reply(world, person, text: str):
    """Sends a command and returns the first message the bot answers with."""
    before = person.last
    await person.send(text)
    reply = await person.wait_for(None, after=before, timeout=10)
    await world.settle()
    return reply


async def closed_call_out(world, leader, anna, bo):
    activation = await issue(world)
    await anna.wait_for(f"Call-out {activation.code}")
    await bo.wait_for(f"Call-out {activation.code}")
    await anna.press("Yes, I can")
    await bo.press("Yes, I can")
    await anna.wait_for("You are going")
    before = leader.last
    await leader.send(f"/close {activation.code}")
    await leader.wait_for(activation.code, after=before)
    await world.settle()
    return activation


async def test_report_in_chat_gives_key_figures_and_the_html(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
    anna, bo, _ = await crew(world, 3)
    await closed_call_out(world, leader, anna, bo)
    year = world.clock().astimezone(world.settings.organisation.tz).year
    await leader.send(f"/report {year}")
    text = await leader.wait_for(f"Verksamhetsberättelse {year} – POSOM Test", timeout=20)
    assert "• Insatser: 1" in text.text and "• Utskickade stödpersoner: 2" in text.text
    # The questionnaires are planned but not answered yet: said so, no zeros posing as figures.
    assert "Inga svar på uppföljningen ännu." in text.text
    assert "Människor som fått stöd" not in text.text
    document = await leader.wait_for(lambda m: m.document is not None, after=text, timeout=20)
    assert document.document.filename == f"report-{year}.html"
    assert document.caption == f"Verksamhetsberättelse {year}"
    html = document.document.data.decode()
    assert "<svg" in html and "Insatser per kommun" in html and "Karlstad" in html
    assert "Storgatan" not in html  # the briefing never reaches the report

    empty = await next_reply(world, leader, "/report 2001")
    assert "Inga larm registrerades 2001." in empty.text
    usage = await next_reply(world, leader, "/report förra året")
    assert usage.text.startswith("Så här: /report")


async def test_audit_shows_who_did_what_and_when(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, _ = await crew(world, 3)
    activation = await closed_call_out(world, leader, anna, bo)
    reply = await next_reply(world, leader, f"/audit {activation.code}")
    lines = reply.text.splitlines()
    assert lines[0] == f"Audit trail – Call-out {activation.code}: Fire, Karlstad"
    assert "Lena Ledare · call-out sent" in lines[1] and "asked=3" in lines[1]
    assert any("Volunteer100 V · said yes, confirmed" in line for line in lines)
    assert any("the bot · staffed" in line for line in lines)
    assert "Lena Ledare · closed" in lines[-2]
    # Closing plans the questionnaires (issue 5), named in words like every other event.
    assert "the bot · follow-up questions planned (deadlines=4)" in lines[-1]
    assert (await next_reply(world, leader, "/audit")).text == "Usage: /audit CODE"
    missing = await next_reply(world, leader, "/audit 1999-999")
    assert missing.text == "There is no call-out 1999-999."


async def test_mydata_sends_a_volunteer_everything_held_about_them(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, _ = await crew(world, 3)
    activation = await closed_call_out(world, leader, anna, bo)
    reply = await next_reply(world, anna, "/mydata")
    assert reply.text.startswith("Here is everything the bot stores about you.")
    document = await anna.wait_for(lambda m: m.document is not None, after=reply)
    member = await world.member(anna.user_id)
    assert document.document.filename == f"mydata-{member.id}.json"
    data = json.loads(document.document.data)
    assert data["member"]["name"] == "Volunteer100 V"
    assert data["member"]["phone"] == "+46701000100"
    assert data["addresses"][0]["transport"] == "telegram"
    assert data["addresses"][0]["address"] == str(anna.user_id)
    assert [row["code"] for row in data["requests"]] == [activation.code]
    assert data["requests"][0]["state"] == "confirmed"
    assert "briefing" not in json.dumps(data["requests"])  # other people's details stay out
    assert "member.enrolled" not in {row["event"] for row in data["audit_log"]}
    assert "request.confirm" in {row["event"] for row in data["audit_log"]}
    # Her questionnaires are planned (the debrief, the check-in weeks later), no answers yet.
    assert [(row["activation"], row["kind"], row["state"], row["answers"])
            for row in data["debriefs"]] == [(activation.code, "debrief", "scheduled", []),
                                             (activation.code, "followup", "scheduled", [])]


async def test_remove_erases_a_member_after_confirmation(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, _ = await crew(world, 3)
    activation = await closed_call_out(world, leader, anna, bo)
    member = await world.member(anna.user_id)
    ask = await next_reply(world, leader, f"/remove {member.id}")
    assert f"Erase the personal data of Volunteer100 V ({member.id})?" in ask.text
    assert ask.button_texts == ["Yes, erase"]
    press = await leader.press("Yes, erase", message=ask)
    assert await press.answer() == "Erased."
    done = await leader.wait_for("is erased", after=ask)
    assert done.text.startswith(f"The personal data of member {member.id} is erased")
    # Anna is a stranger to the bot now; her past still counts, anonymously.
    refused = await next_reply(world, anna, "/status")
    assert "This bot is only for POSOM's support persons" in refused.text
    erased = await world.services.members.by_id(member.id)
    assert erased.name == f"Raderad {member.id}" and erased.phone is None
    counts = await world.services.callouts.reads.state_counts(activation.id)
    assert counts["confirmed"] == 2
    # Pressing the button again: nothing left to erase.
    again = await leader.press("Yes, erase", message=ask)
    await again.answer()
    gone = await leader.wait_for("There is no member", after=done)
    assert gone.text == f"There is no member {member.id}. /roster lists them."
    usage = await next_reply(world, leader, "/remove Anna")
    assert usage.text.startswith("Usage: /remove ID")


async def test_roster_lists_pauses_and_changes_roles(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    anna, bo, cia = await crew(world, 3)
    ids = {p.user_id: (await world.member(p.user_id)).id for p in (anna, bo, cia)}
    me = (await world.member(1)).id
    listing = await next_reply(world, leader, "/roster")
    assert listing.text.splitlines()[0] == "4 members:"
    assert f"{ids[anna.user_id]}. Volunteer100 V – support person, Karlstad, active" in \
        listing.text
    paused = await next_reply(world, leader, f"/roster pause {ids[anna.user_id]}")
    assert paused.text == (f"Volunteer100 V is paused and will not be asked until /roster "
                           f"resume {ids[anna.user_id]}.")
    activation = await issue(world)
    await bo.wait_for(f"Call-out {activation.code}")
    await world.settle()
    assert not any(activation.code in (m.text or "") for m in anna.messages)  # not asked
    await world.services.callouts.cancel(await world.member(1), activation.id)
    await world.settle()
    resumed = await next_reply(world, leader, f"/roster resume {ids[anna.user_id]}")
    assert resumed.text == "Volunteer100 V is now active as support person."
    # Demoting the only leader is refused; after promoting Bo it works.
    last = await next_reply(world, leader, f"/roster volunteer {me}")
    assert last.text == "Lena Ledare is the last active leader. Make someone else a leader first."
    promoted = await next_reply(world, leader, f"/roster leader {ids[bo.user_id]}")
    assert promoted.text == "Volunteer101 V is now active as leader."
    assert (await next_reply(world, bo, "/roster")).text.startswith("4 members:")
    demoted = await next_reply(world, bo, f"/roster volunteer {me}")
    assert demoted.text == "Lena Ledare is now active as support person."
    refused = await next_reply(world, leader, "/roster")
    assert refused.text == "Only leaders can do that. See /help."
    assert (await next_reply(world, bo, "/roster frobnicate 3")).text.startswith("Usage: /roster")
    events = [row["event"] for row in await world.services.database.fetch_all(
        "SELECT event FROM audit_log WHERE event LIKE 'member.%' ORDER BY id")]
    assert events[-4:] == ["member.paused", "member.resumed", "member.role_changed",
                           "member.role_changed"]


# Every command with every role: what the person gets back. SERVED means the command did its
# work (or explained its usage); the refusals are the two fixed answers. /debrief serves both
# roles differently (leaders: the follow-up; volunteers: their unfinished questions).
SERVED, NOT_LEADER, UNKNOWN = "served", "only leaders", "unknown person"
LEADER_ONLY = {"activate", "close", "cancel", "invite", "roster", "remove", "report", "audit"}
EVERYONE = {"status", "away", "back", "me", "language", "help", "mydata", "debrief", "intyg",
            "training"}
ROLE_TABLE = {
    "unknown": {**{name: UNKNOWN for name in LEADER_ONLY | EVERYONE}, "start": SERVED},
    "volunteer": {**{name: NOT_LEADER for name in LEADER_ONLY},
                  **{name: SERVED for name in EVERYONE}, "start": SERVED},
    "leader": {name: SERVED for name in LEADER_ONLY | EVERYONE | {"start"}},
}


def test_the_role_table_covers_every_command() -> None:
    names = {command.name for command in COMMANDS} | {"start"}
    for role, row in ROLE_TABLE.items():
        assert set(row) == names, role
    # /help and the menus promise what the handlers enforce (a command may be listed once per
    # role, with a description for each).
    roles: dict[str, list[str]] = {}
    for command in COMMANDS:
        roles.setdefault(command.name, []).extend(command.roles)
    for name, listed in roles.items():
        expected = ["leader"] if name in LEADER_ONLY else ["leader", "volunteer"]
        assert sorted(listed) == expected, name


@pytest.mark.parametrize("role", ["unknown", "volunteer", "leader"])
async def test_every_command_answers_every_role_as_the_table_says(world, role) -> None:
    await world.add(1, "Lena Ledare", role="leader", area=None)
    if role == "unknown":
        person = world.fake.person(500, "Stranger", language_code="en", started=True)
    elif role == "volunteer":
        person = await world.add(500, "Vera Volontär", area="karlstad")
    else:
        person = await world.add(500, "Leo Ledare", role="leader", area=None)
    got = {}
    for name in sorted(ROLE_TABLE[role]):
        reply = await next_reply(world, person, f"/{name}")
        text = reply.content or ""
        if "This bot is only for POSOM's support persons" in text:
            got[name] = UNKNOWN
        elif text == "Only leaders can do that. See /help.":
            got[name] = NOT_LEADER
        else:
            got[name] = SERVED
    assert got == ROLE_TABLE[role]
