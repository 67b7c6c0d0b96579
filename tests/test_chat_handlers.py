"""The chat handlers without any transport: chat events in, replies out, one guard for roles."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.delivery.messenger import Unreachable
from bot.delivery.router import MessengerRouter
from bot.people.persons import Person
from handlers.chat import ChatHandlers
from handlers.commands import COMMANDS, access_of
from handlers.events import Command, Press, Reachability, SharedLocation, Text
from storage.models import Address
from tests.core_harness import add_member


def person(user_id: int, language: str = "en") -> Person:
    return Person(Address("telegram", str(user_id)), f"User {user_id}", language)


def texts(reply) -> list[str]:
    return [message.text for message in reply.messages]


@pytest.mark.parametrize(("name", "access"), [
    ("start", "anyone"), ("help", "member"), ("status", "member"), ("debrief", "member"),
    ("activate", "leader"), ("remove", "leader"), ("no_such_command", "leader")])
def test_who_may_use_a_command_comes_from_the_one_table(name: str, access: str) -> None:
    assert access_of(name) == access


async def test_every_listed_command_has_a_handler(core) -> None:
    services, _, _ = core
    handlers = ChatHandlers(services)
    assert {command.name for command in COMMANDS} <= set(handlers.commands)


@pytest.mark.parametrize("role", [None, "volunteer", "leader"])
async def test_the_guard_answers_each_role(core, role: str | None) -> None:
    services, _, _ = core
    handlers = ChatHandlers(services)
    if role:
        await add_member(services, 7, "Vera Volontär", role=role)
    sender = person(7)
    activate = await handlers.handle(Command(sender, "activate"))
    press = await handlers.handle(Press(sender, "s1:1:close"))
    if role is None:
        polite = "Hello! This bot is only for POSOM's support persons."
        assert texts(activate)[0].startswith(polite)
        assert press.toast == "Only leaders can do that."  # a leader's button, pressed by anyone
    elif role == "volunteer":
        assert texts(activate) == ["Only leaders can do that. See /help."]
        assert press.toast == "Only leaders can do that."
    else:
        assert "What has happened?" in texts(activate)[0]
        assert press.toast == "That call-out no longer exists."


async def test_bad_input_gets_an_answer_and_changes_nothing(core) -> None:
    services, _, _ = core
    handlers = ChatHandlers(services)
    await add_member(services, 8, "Vera Volontär")
    sender = person(8)
    assert (await handlers.handle(Press(sender, "a1:99999999999999999999:y"))).toast == (
        "This button is no longer valid.")
    assert (await handlers.handle(Press(sender, "a1:4:y"))).toast == (
        "This request was not sent to you.")
    assert texts(await handlers.handle(Command(sender, "nonsense"))) == [
        "Unknown command. /help lists what you can do."]
    assert texts(await handlers.handle(Text(sender, "hello?"))) == [
        "I did not understand that. /help lists what you can do."]
    assert texts(await handlers.handle(SharedLocation(sender, 59.4, 13.5))) == [
        "A location is only needed at the location step of /activate."]
    assert await services.callouts.reads.running() == []


async def test_a_person_who_writes_again_is_reachable_again(core) -> None:
    services, _, _ = core
    handlers = ChatHandlers(services)
    member = await add_member(services, 9, "Vera Volontär")
    await handlers.handle(Reachability(person(9), blocked=True))
    assert (await services.members.by_id(member.id)).unreachable
    await handlers.handle(Command(person(9), "me"))
    assert not (await services.members.by_id(member.id)).unreachable


async def test_a_transport_that_is_not_running_cannot_reach_anyone() -> None:
    router = MessengerRouter()
    with pytest.raises(Unreachable):
        await router.send(Address("signal", "+46700000000"), None)


def test_admins_may_be_written_as_addresses() -> None:
    settings = Settings(admins=[42, "telegram:43", "signal:+46701234567"])
    assert settings.admin_addresses == [Address("telegram", "42"), Address("telegram", "43"),
                                        Address("signal", "+46701234567")]
    with pytest.raises(ValueError, match="transport:id"):
        Settings(admins=["telegram"])
