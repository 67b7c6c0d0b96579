"""What a state change owes people, queued in the outbox inside the change's transaction.

Shared by the call-out service, the escalation ladder and the debrief, so a request, a briefing
or a notice looks the same whoever causes it. Only outbox rows are written here; the state
changes themselves belong to the services.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

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
from bot.delivery.messages import Choice, OutgoingMessage
from bot.delivery.payload import encode
from bot.i18n import Translator
from bot.people.persons import translator_for
from storage.members import leaders_in, member_in
from storage.models import Activation, Address, Member, Request
from storage.outbox import (
    BROADCAST_LANE,
    enqueue,
    record_sent,
    sent_message,
    sent_message_id,
    supersede,
)
from storage.sql import Connection

__all__ = ["ChoiceRows", "Outbound", "briefing_ref", "location_ref", "preview_ref",
           "request_ref"]

logger = logging.getLogger(__name__)

ChoiceRows = tuple[tuple[Choice, ...], ...]
# Renders the request for a call-out that is asked differently (a support centre in shifts):
# (transaction, activation, request id, volunteer, their translator, reminder) -> the message,
# or None for the ordinary [Ja, jag kan] [Nej].
RequestRenderer = Callable[[Connection, Activation, int, Member, Translator, bool],
                           Awaitable[OutgoingMessage | None]]


def request_ref(request_id: int) -> str:
    return f"request:{request_id}"


def briefing_ref(request_id: int) -> str:
    return f"briefing:{request_id}"


def location_ref(request_id: int) -> str:
    return f"briefing-location:{request_id}"


def preview_ref(activation_id: int) -> str:
    """The leader's /activate preview of the call-out (sent as a direct reply)."""
    return f"preview:{activation_id}"


class Outbound:
    """Builds each recipient's message in their language and queues it."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.request_renderers: list[RequestRenderer] = []

    def t(self, member: Member) -> Translator:
        """The member's translator."""
        return translator_for(self.settings, member)

    @staticmethod
    async def _queue(tx: Connection, member: Member, now: datetime, *, payload: str,
                     **row) -> None:
        if member.address is None:
            # Erased, or never linked on any transport: nobody to write to (a safety net; the
            # services do not pick such members).
            logger.warning("outbox: member %d has no address; message not queued", member.id)
            return
        await enqueue(tx, address=member.address, payload=payload, now=now, **row)

    async def request(self, tx: Connection, activation: Activation, request_id: int,
                      volunteer: Member, now: datetime, *, position: int) -> None:
        """Queues a first request in the broadcast lane (`position`: its place in the fan-out)."""
        message = await self._request_message(tx, activation, request_id, volunteer)
        await self._queue(tx, volunteer, now, payload=encode(message), lane=BROADCAST_LANE,
                          ref=request_ref(request_id), position=position)

    async def ask_again(self, tx: Connection, activation: Activation, request: Request,
                        member: Member, now: datetime, *, reminder: bool = False,
                        position: int = 0) -> bool:
        """Sends the request anew as a fresh message, so the phone rings again.

        A reminder replaces the first message (deleted, so only one set of choices is left) and
        is skipped when the first message has not gone out yet; returns whether it was queued.
        """
        ref = request_ref(request.id)
        if reminder:
            first = await sent_message_id(tx, ref)
            if first is None:
                return False
            await self._queue(tx, member, now, op="delete",
                              payload=json.dumps({"message_id": first}))
        message = await self._request_message(tx, activation, request.id, member,
                                              reminder=reminder)
        await self._queue(tx, member, now, payload=encode(message), lane=BROADCAST_LANE,
                          ref=ref, position=position)
        return True

    async def _request_message(self, tx: Connection, activation: Activation, request_id: int,
                               volunteer: Member, *, reminder: bool = False) -> OutgoingMessage:
        """The request as the call-out asks it: a renderer's (shifts), else [Ja] [Nej]."""
        t = self.t(volunteer)
        for render in self.request_renderers:
            message = await render(tx, activation, request_id, volunteer, t, reminder)
            if message is not None:
                return message
        return request_message(self.settings, activation, request_id, t, reminder=reminder)

    async def edit_request(self, tx: Connection, member: Member, request_id: int,
                           message: OutgoingMessage, now: datetime) -> None:
        """Changes the volunteer's request message (their answer, a stand-down)."""
        await self._queue(tx, member, now, payload=encode(message), op="edit",
                          target_ref=request_ref(request_id))

    async def stand_down(self, tx: Connection, activation: Activation, request: Request,
                         member: Member, how: str, now: datetime) -> None:
        """Takes a request back: an unsent one is simply not sent, a sent one is edited."""
        if await supersede(tx, request_ref(request.id)):
            return  # never reached them: nothing to take back
        await self.edit_request(tx, member, request.id,
                                answer_edit(self.settings, activation, how, self.t(member)), now)

    async def brief(self, tx: Connection, activation: Activation, request: Request,
                    member: Member, team: list[tuple[Request, Member]], now: datetime,
                    *, arrived: bool = False, op: str = "send") -> None:
        """Queues the briefing (and location) for one confirmed volunteer, urgent lane."""
        leader = (await member_in(tx, activation.created_by)
                  if activation.created_by else None)
        mates = [TeamMember(mate.name, mate.phone) for _, mate in team]
        message = briefing_message(self.settings, activation, request, mates, leader,
                                   self.t(member), arrived=arrived)
        if op == "edit":
            await self._queue(tx, member, now, payload=encode(message), op="edit",
                              target_ref=briefing_ref(request.id))
            return
        await self._queue(tx, member, now, payload=encode(message), ref=briefing_ref(request.id))
        location = location_message(activation, self.t(member))
        if location is not None:
            await self._queue(tx, member, now, payload=encode(location),
                              ref=location_ref(request.id))

    async def renew_pin(self, tx: Connection, activation: Activation, request: Request,
                        member: Member, now: datetime) -> bool:
        """Sends a confirmed volunteer's location pin anew and deletes the old one, so that the
        pin is never too old to be deleted (bot.callout.pins); False if none was sent yet."""
        old = await sent_message_id(tx, location_ref(request.id))
        location = location_message(activation, self.t(member))
        if old is None or location is None:
            return False
        # The new pin first, so there is always one on the phone; both go in this order (one
        # message in flight per chat), and a later delete at the close finds the new one.
        await self._queue(tx, member, now, payload=encode(location),
                          ref=location_ref(request.id))
        await self._queue(tx, member, now, op="delete", payload=json.dumps({"message_id": old}))
        return True

    async def end_briefing(self, tx: Connection, activation: Activation, request: Request,
                           member: Member, how: str, now: datetime) -> None:
        """Edits the briefing down to code and kind and removes the location pin."""
        await self._queue(tx, member, now, op="edit", target_ref=briefing_ref(request.id),
                          payload=encode(briefing_ended(self.settings, activation, how,
                                                        self.t(member))))
        if location_message(activation) is not None:
            await self._queue(tx, member, now, op="delete", target_ref=location_ref(request.id),
                              payload="{}")

    async def tidy_draft(self, tx: Connection, activation: Activation, chat: Address,
                         preview: str | None, typed: tuple[str, ...], now: datetime) -> None:
        """When a call-out is sent from /activate: the leader's typed messages are deleted (the
        preview shows everything while it runs), and the preview is remembered for the end."""
        if preview is not None:
            await record_sent(tx, address=chat, ref=preview_ref(activation.id),
                              message_id=preview, now=now)
        await self.delete_typed(tx, chat, typed, now)

    @staticmethod
    async def delete_typed(tx: Connection, chat: Address, typed: tuple[str, ...] | list[str],
                           now: datetime) -> None:
        """Deletes messages a person typed (Telegram allows it for 48 hours in a private chat)."""
        for message_id in typed:
            await enqueue(tx, address=chat, op="delete", now=now,
                          payload=json.dumps({"message_id": message_id}))

    async def end_preview(self, tx: Connection, activation: Activation, how: str,
                          now: datetime) -> None:
        """Edits the leader's /activate preview down to code and kind, like the briefings."""
        shown = await sent_message(tx, preview_ref(activation.id))
        if shown is None or activation.created_by is None:
            return
        leader = await member_in(tx, activation.created_by)
        t = self.t(leader) if leader is not None else self.t_default()
        await enqueue(tx, address=shown[0], op="edit", now=now,
                      target_ref=preview_ref(activation.id),
                      payload=encode(briefing_ended(self.settings, activation, how, t)))

    def t_default(self) -> Translator:
        """The organisation's language, for someone no longer on the roster."""
        return translator_for(self.settings, None)

    async def send(self, tx: Connection, member: Member, message: OutgoingMessage | str,
                   now: datetime, *, activation: Activation | None = None,
                   ref: str | None = None) -> None:
        """Queues one urgent message to a member ("ÖVNING" first when about an exercise)."""
        if isinstance(message, str):
            message = OutgoingMessage(message)
        if activation is not None and activation.exercise:
            message = replace(message, text=marked(activation, self.t(member), message.text))
        await self._queue(tx, member, now, payload=encode(message), ref=ref)

    async def edit(self, tx: Connection, member: Member, target_ref: str,
                   message: OutgoingMessage, now: datetime, *,
                   activation: Activation | None = None) -> None:
        """Queues an edit of the message sent under `target_ref` (marked like `send`)."""
        if activation is not None and activation.exercise:
            message = replace(message, text=marked(activation, self.t(member), message.text))
        await self._queue(tx, member, now, payload=encode(message), op="edit",
                          target_ref=target_ref)

    async def delete(self, tx: Connection, member: Member, target_ref: str,
                     now: datetime) -> None:
        """Queues the removal of the message sent under `target_ref` (e.g. a location pin)."""
        await self._queue(tx, member, now, op="delete", target_ref=target_ref, payload="{}")

    async def tell_leaders(self, tx: Connection, now: datetime,
                           text_for: Callable[[Translator], str],
                           choices_for: Callable[[Translator], ChoiceRows] | None = None, *,
                           activation: Activation | None = None) -> None:
        """Queues a notice to every active leader, each in their own language."""
        for leader in await leaders_in(tx):
            t = self.t(leader)
            choices = choices_for(t) if choices_for else ()
            await self.send(tx, leader, OutgoingMessage(text_for(t), choices=choices), now,
                            activation=activation)
