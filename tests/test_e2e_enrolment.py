"""Getting in, through the real bot and the fake Telegram: invites, roster links, refusals."""

from __future__ import annotations

import re

from storage.members import NewMember


def token_from(text: str) -> str:
    match = re.search(r"/start (\S+)", text)
    assert match, text
    return match.group(1)


async def member_count(world) -> int:
    return len(await world.services.members.all_members())


async def test_invite_redeemed_and_dialogue_completed(world) -> None:
    leader = await world.add(1, "Lena Ledare", role="leader", area=None)
    await leader.send("/invite volunteer karlstad")
    invite = await leader.wait_for("/start ")
    assert "https://t.me/posom_test_bot?start=" in invite.text
    token = token_from(invite.text)

    anna = world.fake.person(500, "Anna", "Berg", language_code="sv", phone_number="070-123 45 67")
    await anna.send(f"/start {token}")
    await anna.wait_for("Vad heter du?")
    await anna.press("Använd ”Anna Berg”")
    await anna.wait_for("Kön?")  # the invite fixed the area: no area question
    await anna.press("Kvinna")
    ask_phone = await anna.wait_for("Sista steget")
    assert ask_phone.request_contact
    await anna.tap("Dela mitt telefonnummer")
    welcome = await anna.wait_for("Tack, Anna Berg! Du är registrerad som stödperson.")
    assert "/status" in welcome.text and "/activate" not in welcome.text
    assert welcome.remove_keyboard

    member = await world.member(500)
    assert (member.name, member.role, member.area, member.gender, member.phone) == (
        "Anna Berg", "volunteer", "karlstad", "female", "+46701234567")

    # The token is single-use: a second person gets a clear refusal and nothing changes.
    before = await member_count(world)
    bertil = world.fake.person(501, "Bertil", language_code="sv")
    await bertil.send(f"/start {token}")
    refusal = await bertil.wait_for("redan använd")
    assert "Be ledningen om en ny" in refusal.text
    await world.settle()
    assert await member_count(world) == before
    assert await world.member(501) is None


async def test_typed_name_area_choice_and_skipped_phone(world) -> None:
    issued = await world.services.enrolment.issue_invite("volunteer", None, "test")
    carl = world.fake.person(510, "C", language_code="en")
    await carl.send(f"/start {issued.token}")
    await carl.wait_for("What is your name?")
    await carl.send("/x")  # not a name: the command is unknown, the dialogue waits
    await carl.send("Carl Dahl")
    await carl.wait_for("Which area do you belong to?")
    await carl.press("Hammarö")
    await carl.wait_for("Gender?")
    await carl.press("Prefer not to say")
    await carl.wait_for("Last step")
    await carl.tap("Skip")
    await carl.wait_for("Thank you, Carl Dahl! You are registered as support person.")
    member = await world.member(510)
    assert (member.area, member.gender, member.phone) == ("hammaro", "undisclosed", None)


async def test_expired_and_unknown_tokens_are_refused(world) -> None:
    issued = await world.services.enrolment.issue_invite("volunteer", "kil", "test")
    world.clock.advance(days=8)
    dora = world.fake.person(520, "Dora", language_code="en")
    await dora.send(f"/start {issued.token}")
    await dora.wait_for("This invitation has expired.")
    await dora.send("/start not-a-real-token")
    await dora.wait_for("This invitation link is not valid.")
    await world.settle()
    assert await world.member(520) is None


async def test_roster_member_links_by_sharing_own_contact(world) -> None:
    await world.services.members.import_roster(
        [NewMember(name="Eva Ek", role="volunteer", phone="+46702223344", area="kil",
                   gender="female")], actor="test", now=world.clock())
    eva = world.fake.person(530, "Eva", language_code="sv", phone_number="46702223344")
    await eva.send("/start")
    ask = await eva.wait_for("dela ditt telefonnummer")
    assert ask.request_contact
    # Someone else's contact is refused and links nobody.
    await eva.share_contact("+46702223344", user_id=999, first_name="Eva")
    await eva.wait_for("inte din egen kontakt")
    assert await world.member(530) is None
    await eva.tap("Dela mitt telefonnummer")
    await eva.wait_for("Välkommen, Eva Ek! Du är nu ansluten som stödperson.")
    member = await world.member(530)
    assert member.area == "kil" and member.phone == "+46702223344"


async def test_unknown_people_learn_nothing(world) -> None:
    await world.add(1, "Lena Ledare", role="leader")
    stranger = world.fake.person(540, "Stranger", language_code="en")
    for text in ("hello", "/status", "/activate", "/me", "/invite leader", "/close 2026-001"):
        await stranger.send(text)
    await world.settle()
    texts = [message.text for message in stranger.messages]
    assert len(texts) == 6
    assert set(texts) == {"Hello! This bot is only for POSOM's support persons. If you want to "
                          "take part, please contact the POSOM leadership."}
    # A stranger sharing a contact that is not on the roster is told the same, no more.
    await stranger.send("/start")
    await stranger.wait_for("share your phone number")
    await stranger.share_contact("+46709990000")
    await world.settle()
    assert "POSOM leadership" in stranger.last.text
    assert await world.member(540) is None


async def test_me_help_and_language(world) -> None:
    vera = await world.add(550, "Vera Volontär", phone="+46701112233", language="sv")
    await vera.send("/me")
    profile = await vera.wait_for("Namn: Vera Volontär")
    assert "Telefon: +46701112233" in profile.text and "Roll: stödperson" in profile.text
    await vera.send("/help")
    help_message = await vera.wait_for("Det här kan du göra:")
    assert "/away" in help_message.text and "/activate" not in help_message.text
    await vera.send("/language")
    await vera.wait_for("Välj språk:")
    await vera.press("English")
    await vera.wait_for("Language set: en.")
    await vera.send("/me")
    await vera.wait_for("Name: Vera Volontär")
    assert (await world.member(550)).locale == "en"
    # Her own menu is now registered in English for her chat.
    await world.settle()
    assert any(key[0].startswith("chat") and "550" in key[0] for key in world.fake.commands)
