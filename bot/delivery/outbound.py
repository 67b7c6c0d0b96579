"""What a state change owes people, queued in the outbox inside the change's transaction.

Shared by the call-out service and the escalation ladder, so a request, a briefing or a
stand-down looks the same whoever causes it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import aiosqlite

from bot.callout.render import (
    TeamMember,
    answer_edit,
    briefing_ended,
    briefing_message,
    location_message,
    marked,
    request_message,
)
from bot.config import Settings
from bot.delivery.messages import Button, OutgoingMessage
from bot.delivery.sender import encode
from bot.i18n import Translator
from bot.people.persons import translator_for
from storage import callouts as sql
from storage.models import Activation, Member, Request
from storage.outbox import BROADCAST_LANE, enqueue, sent_message_id, supersede

__all__ = ["Outbound", "briefing_ref", "location_ref", "request_ref"]

Connection = aiosqlite.Connection


def request_ref(request_id: int) -> str:
    return f"request:{request_id}"


def briefing_ref(request_id: int) -> str:
    return f"briefing:{request_id}"


def location_ref(request_id: int) -> str:
    return f"briefing-location:{request_id}"


class Outbound:
    """Builds each recipient's message in their language and queues it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def t(self, member: Member) -> Translator:
        """The member's translator."""
        return translator_for(self.settings, member)

    async def ask(self, tx: Connection, activation: Activation, areas: list[str], *, wave: int,
                  now: datetime) -> int:
        """Asks every eligible volunteer of these areas not yet asked; returns how many."""
        volunteers = await sql.eligible_volunteers(tx, activation.id, areas, now)
        for position, volunteer in enumerate(volunteers):
            request_id = await sql.insert_request(tx, activation.id, volunteer.id, wave=wave,
                                                  now=now)
            message = request_message(self.settings, activation, request_id, self.t(volunteer))
            await enqueue(tx, chat_id=volunteer.telegram_id, payload=encode(message), now=now,
                          lane=BROADCAST_LANE, ref=request_ref(request_id), position=position)
        return len(volunteers)

    async def ask_again(self, tx: Connection, activation: Activation, request: Request,
                        member: Member, now: datetime, *, reminder: bool = False,
                        position: int = 0) -> bool:
        """Sends the request anew as a fresh message, so the phone rings again.

        A reminder replaces the first message (deleted, so only one set of buttons is left) and
        is skipped when the first message has not gone out yet; returns whether it was queued.
        """
        ref = request_ref(request.id)
        if reminder:
            first = await sent_message_id(tx, ref)
            if first is None:
                return False
            await enqueue(tx, chat_id=member.telegram_id, op="delete", now=now,
                          payload=json.dumps({"message_id": first}))
        message = request_message(self.settings, activation, request.id, self.t(member),
                                  reminder=reminder)
        await enqueue(tx, chat_id=member.telegram_id, payload=encode(message), now=now,
                      lane=BROADCAST_LANE, ref=ref, position=position)
        return True

    async def edit_request(self, tx: Connection, member: Member, request_id: int,
                           message: OutgoingMessage, now: datetime) -> None:
        """Changes the volunteer's request message (their answer, a stand-down)."""
        await enqueue(tx, chat_id=member.telegram_id, payload=encode(message), now=now,
                      op="edit", target_ref=request_ref(request_id))

    async def brief(self, tx: Connection, activation: Activation, request: Request,
                    member: Member, team: list[tuple[Request, Member]], now: datetime,
                    *, arrived: bool = False, op: str = "send") -> None:
        """Queues the briefing (and location) for one confirmed volunteer, urgent lane."""
        leader = (await sql.member_by_id(tx, activation.created_by)
                  if activation.created_by else None)
        mates = [TeamMember(mate.name, mate.phone) for _, mate in team]
        message = briefing_message(self.settings, activation, request, mates, leader,
                                   self.t(member), arrived=arrived)
        if op == "edit":
            await enqueue(tx, chat_id=member.telegram_id, payload=encode(message), now=now,
                          op="edit", target_ref=briefing_ref(request.id))
            return
        await enqueue(tx, chat_id=member.telegram_id, payload=encode(message), now=now,
                      ref=briefing_ref(request.id))
        location = location_message(activation, self.t(member))
        if location is not None:
            await enqueue(tx, chat_id=member.telegram_id, payload=encode(location), now=now,
                          ref=location_ref(request.id))

    async def end_briefing(self, tx: Connection, activation: Activation, request: Request,
                           member: Member, how: str, now: datetime) -> None:
        """Edits the briefing down to code and kind and removes the location pin."""
        await enqueue(tx, chat_id=member.telegram_id, now=now, op="edit",
                      target_ref=briefing_ref(request.id),
                      payload=encode(briefing_ended(self.settings, activation, how,
                                                    self.t(member))))
        if location_message(activation) is not None:
            await enqueue(tx, chat_id=member.telegram_id, now=now, op="delete",
                          target_ref=location_ref(request.id), payload="{}")

    async def stand_down(self, tx: Connection, activation: Activation, states: tuple[str, ...],
                         how: str, now: datetime) -> int:
        """Stands down every request in these states; unsent requests are simply not sent."""
        people = await sql.requests_with_members(tx, activation.id, states)
        for request, member in people:
            await sql.set_request_state(tx, request.id, "stood_down", now)
            if await supersede(tx, request_ref(request.id)):
                continue  # never reached them: nothing to take back
            await self.edit_request(tx, member, request.id,
                                    answer_edit(self.settings, activation, how, self.t(member)),
                                    now)
        return len(people)

    async def send(self, tx: Connection, member: Member, message: OutgoingMessage | str,
                   now: datetime, *, activation: Activation | None = None,
                   ref: str | None = None) -> None:
        """Queues one urgent message to a member ("ÖVNING" first when about an exercise)."""
        if isinstance(message, str):
            message = OutgoingMessage(message)
        if activation is not None and activation.exercise:
            message = replace(message, text=marked(activation, self.t(member), message.text))
        await enqueue(tx, chat_id=member.telegram_id, payload=encode(message), now=now, ref=ref)

    async def edit(self, tx: Connection, member: Member, target_ref: str,
                   message: OutgoingMessage, now: datetime, *,
                   activation: Activation | None = None) -> None:
        """Queues an edit of the message sent under `target_ref` (marked like `send`)."""
        if activation is not None and activation.exercise:
            message = replace(message, text=marked(activation, self.t(member), message.text))
        await enqueue(tx, chat_id=member.telegram_id, payload=encode(message), now=now,
                      op="edit", target_ref=target_ref)

    async def tell_leaders(self, tx: Connection, now: datetime,
                           text_for: Callable[[Translator], str],
                           buttons_for: Callable[[Translator], tuple[tuple[Button, ...], ...]]
                           | None = None, *, activation: Activation | None = None) -> None:
        """Queues a notice to every active leader, each in their own language."""
        for leader in await sql.leaders(tx):
            t = self.t(leader)
            buttons = buttons_for(t) if buttons_for else ()
            await self.send(tx, leader, OutgoingMessage(text_for(t), buttons=buttons), now,
                            activation=activation)
