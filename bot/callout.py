"""The call-out service: issue an activation, take answers, staff it, withdraw, close, cancel.

Each public method is one database transaction: it reads the state, asks bot.rules what to do,
writes the change, the audit row and every message the change owes people (outbox) together.
Because the write lock is held from the read to the commit, ten simultaneous Yes presses are
decided one after another and exactly `needed` are confirmed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.config import Settings
from bot.i18n import Translator
from bot.messages import OutgoingMessage
from bot.outbox import encode
from bot.people import translator_for
from bot.render import (
    TeamMember,
    answer_edit,
    area_name,
    briefing_ended,
    briefing_message,
    headline,
    kind_label,
    location_message,
    names,
    request_message,
)
from bot.rules import Verdict, decide_answer, decide_withdraw
from storage import callouts as sql
from storage.audit import append_audit
from storage.callouts import CalloutReads, NewActivation
from storage.clock import Clock
from storage.database import Database
from storage.models import Activation, Member, Request
from storage.outbox import BROADCAST_LANE, enqueue, supersede

__all__ = ["ActionResult", "CalloutService", "Issued"]

logger = logging.getLogger(__name__)
Connection = aiosqlite.Connection


@dataclass(frozen=True, slots=True)
class Issued:
    activation: Activation
    asked: int


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What the person who acted is told (a short toast or reply), and whether anything changed."""

    text: str
    changed: bool = False


def request_ref(request_id: int) -> str:
    return f"request:{request_id}"


def briefing_ref(request_id: int) -> str:
    return f"briefing:{request_id}"


def location_ref(request_id: int) -> str:
    return f"briefing-location:{request_id}"


class CalloutService:
    """The rules of a call-out applied to the database, one transaction per event."""

    def __init__(self, settings: Settings, database: Database, clock: Clock,
                 wake_sender: Callable[[], None]) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.wake_sender = wake_sender
        self.reads = CalloutReads(database)

    def _t(self, member: Member) -> Translator:
        return translator_for(self.settings, member)

    # -- issuing -------------------------------------------------------------------------------

    async def issue(self, leader: Member, draft: NewActivation) -> Issued:
        """Creates the activation and asks every available volunteer of its area."""
        now = self.clock()
        year = now.astimezone(self.settings.organisation.tz).year
        async with self.db.transaction() as tx:
            activation = await sql.insert_activation(tx, draft, year=year, created_by=leader.id,
                                                     now=now)
            asked = await self._ask(tx, activation, [activation.area], wave=1, now=now)
            await append_audit(tx, now, f"member:{leader.id}", "activation.issued",
                               activation.id, code=activation.code, kind=activation.kind,
                               area=activation.area, needed=activation.needed, asked=asked,
                               exercise=activation.exercise)
            for other in await sql.leaders(tx):
                if other.id == leader.id:
                    continue
                t = self._t(other)
                await self._send(tx, other, t.gettext(
                    "Call-out {code} ({kind}, {area}) issued by {name}: asking {count}.").format(
                        code=activation.code, kind=kind_label(self.settings, activation, t),
                        area=area_name(self.settings, activation.area), name=leader.name,
                        count=asked), now)
        logger.info("activation %s issued kind=%s area=%s needed=%d asked=%d", activation.code,
                    activation.kind, activation.area, activation.needed, asked)
        self.wake_sender()
        return Issued(activation, asked)

    async def _ask(self, tx: Connection, activation: Activation, areas: list[str], *, wave: int,
                   now: datetime) -> int:
        volunteers = await sql.eligible_volunteers(tx, activation.id, areas, now)
        for position, volunteer in enumerate(volunteers):
            request_id = await sql.insert_request(tx, activation.id, volunteer.id, wave=wave,
                                                  now=now)
            message = request_message(self.settings, activation, request_id, self._t(volunteer))
            await enqueue(tx, chat_id=volunteer.telegram_id, payload=encode(message), now=now,
                          lane=BROADCAST_LANE, ref=request_ref(request_id), position=position)
        return len(volunteers)

    # -- answers -------------------------------------------------------------------------------

    async def answer(self, telegram_id: int, request_id: int, yes: bool,
                     presser_t: Translator) -> ActionResult:
        """Applies a volunteer's Ja/Nej, staffing the activation when this Yes completes it."""
        now = self.clock()
        async with self.db.transaction() as tx:
            found = await sql.request_with_context(tx, request_id)
            if found is None or found[2].telegram_id != telegram_id:
                return ActionResult(presser_t.gettext("This request was not sent to you."))
            request, activation, member = found
            t = self._t(member)
            confirmed = await sql.count_in_state(tx, activation.id, "confirmed")
            decision = decide_answer(activation_state=activation.state, needed=activation.needed,
                                     confirmed=confirmed, request_state=request.state, yes=yes)
            if decision.verdict in (Verdict.CONFIRM, Verdict.RESERVE):
                busy_on = await sql.is_confirmed_elsewhere(tx, member.id, activation.id)
                if busy_on:
                    return ActionResult(t.gettext(
                        "You are already confirmed on call-out {code}.").format(code=busy_on))
            if decision.verdict is Verdict.CONFIRM:
                await sql.set_request_state(tx, request.id, "confirmed", now, answered=True)
                if decision.staffs:
                    await self._staff(tx, activation, request, now)
                else:
                    await self._edit_request(tx, member, request.id, answer_edit(
                        self.settings, activation, "confirmed", t, confirmed=confirmed + 1), now)
                reply = t.gettext("Thank you! You are confirmed.")
            elif decision.verdict is Verdict.RESERVE:
                await sql.set_request_state(tx, request.id, "reserve", now, answered=True)
                await self._edit_request(tx, member, request.id,
                                         answer_edit(self.settings, activation, "reserve", t), now)
                reply = t.gettext("The team is already complete – you are a reserve.")
            elif decision.verdict is Verdict.DECLINE:
                await sql.set_request_state(tx, request.id, "declined", now, answered=True)
                await self._edit_request(tx, member, request.id,
                                         answer_edit(self.settings, activation, "declined", t), now)
                reply = t.gettext("Thank you for answering.")
            else:
                return ActionResult(self._refusal(decision.verdict, activation, t))
            await append_audit(tx, now, f"member:{member.id}", f"request.{decision.verdict}",
                               activation.id, request_id=request.id,
                               confirmed=confirmed + (decision.verdict is Verdict.CONFIRM))
        logger.info("activation %s request=%d answer=%s", activation.code, request.id,
                    decision.verdict)
        self.wake_sender()
        return ActionResult(reply, changed=True)

    def _refusal(self, verdict: Verdict, activation: Activation, t: Translator) -> str:
        if verdict is Verdict.ALREADY:
            return t.gettext("You have already answered.")
        if verdict is Verdict.OVER:
            return t.gettext("Call-out {code} is over – no answer is needed.").format(
                code=activation.code)
        if verdict is Verdict.LEFT:
            return t.gettext("You have left this call-out.")
        return t.gettext("You are confirmed. If you cannot go, press “Can't go after all” in "
                         "the briefing.")

    async def _staff(self, tx: Connection, activation: Activation, last: Request,
                     now: datetime) -> None:
        """The team is complete: brief the confirmed, stand down the rest, tell the leaders."""
        await sql.set_activation_state(tx, activation.id, "staffed", now)
        activation = await sql.activation_by_id(tx, activation.id)
        team = await sql.requests_with_members(tx, activation.id, ("confirmed",))
        for request, member in team:
            await self._brief(tx, activation, request, member, team, now)
        _, last_member = next(pair for pair in team if pair[0].id == last.id)
        await self._edit_request(tx, last_member, last.id, answer_edit(
            self.settings, activation, "staffed", self._t(last_member)), now)
        await self._stand_down(tx, activation, ("pending",), "stood_down", now)
        minutes = now - activation.created_at
        mates = [TeamMember(member.name, member.phone) for _, member in team]
        await self._tell_leaders(tx, now, lambda t: "✅ " + t.gettext(
            "Call-out {code} staffed: {names} ({duration}).").format(
                code=activation.code, names=names(mates), duration=t.duration(minutes)))
        await append_audit(tx, now, "system", "activation.staffed", activation.id,
                           confirmed=len(team))
        logger.info("activation %s staffed confirmed=%d after=%ds", activation.code, len(team),
                    int(minutes.total_seconds()))

    async def _brief(self, tx: Connection, activation: Activation, request: Request,
                     member: Member, team: list[tuple[Request, Member]], now: datetime,
                     *, arrived: bool = False, op: str = "send") -> None:
        """Queues the briefing (and location) for one confirmed volunteer, urgent lane."""
        leader = (await sql.member_by_id(tx, activation.created_by)
                  if activation.created_by else None)
        mates = [TeamMember(mate.name, mate.phone) for _, mate in team]
        message = briefing_message(self.settings, activation, request, mates, leader,
                                   self._t(member), arrived=arrived)
        if op == "edit":
            await enqueue(tx, chat_id=member.telegram_id, payload=encode(message), now=now,
                          op="edit", target_ref=briefing_ref(request.id))
            return
        await enqueue(tx, chat_id=member.telegram_id, payload=encode(message), now=now,
                      ref=briefing_ref(request.id))
        location = location_message(activation)
        if location is not None:
            await enqueue(tx, chat_id=member.telegram_id, payload=encode(location), now=now,
                          ref=location_ref(request.id))

    async def _stand_down(self, tx: Connection, activation: Activation, states: tuple[str, ...],
                          how: str, now: datetime) -> int:
        """Stands down every request in these states; unsent requests are simply not sent."""
        people = await sql.requests_with_members(tx, activation.id, states)
        for request, member in people:
            await sql.set_request_state(tx, request.id, "stood_down", now)
            if await supersede(tx, request_ref(request.id)):
                continue  # never reached them: nothing to take back
            await self._edit_request(tx, member, request.id,
                                     answer_edit(self.settings, activation, how,
                                                 self._t(member)), now)
        return len(people)

    async def _edit_request(self, tx: Connection, member: Member, request_id: int,
                            message: OutgoingMessage, now: datetime) -> None:
        await enqueue(tx, chat_id=member.telegram_id, payload=encode(message), now=now,
                      op="edit", target_ref=request_ref(request_id))

    async def _end_briefing(self, tx: Connection, activation: Activation, request: Request,
                            member: Member, how: str, now: datetime) -> None:
        """Edits the briefing down to code and kind and removes the location pin."""
        await enqueue(tx, chat_id=member.telegram_id, now=now, op="edit",
                      target_ref=briefing_ref(request.id),
                      payload=encode(briefing_ended(self.settings, activation, how,
                                                    self._t(member))))
        if location_message(activation) is not None:
            await enqueue(tx, chat_id=member.telegram_id, now=now, op="delete",
                          target_ref=location_ref(request.id), payload="{}")

    async def _send(self, tx: Connection, member: Member, text: str, now: datetime) -> None:
        await enqueue(tx, chat_id=member.telegram_id, payload=encode(OutgoingMessage(text)),
                      now=now)

    async def _tell_leaders(self, tx: Connection, now: datetime,
                            text_for: Callable[[Translator], str]) -> None:
        for leader in await sql.leaders(tx):
            await self._send(tx, leader, text_for(self._t(leader)), now)

    # -- on the mission ------------------------------------------------------------------------

    async def mission(self, telegram_id: int, request_id: int, verb: str,
                      presser_t: Translator) -> ActionResult:
        """Handles [Framme], [Avslutad] and [Kan inte ändå] from a confirmed volunteer."""
        now = self.clock()
        async with self.db.transaction() as tx:
            found = await sql.request_with_context(tx, request_id)
            if found is None or found[2].telegram_id != telegram_id:
                return ActionResult(presser_t.gettext("This request was not sent to you."))
            request, activation, member = found
            t = self._t(member)
            if not activation.is_active:
                return ActionResult(self._refusal(Verdict.OVER, activation, t))
            if request.state != "confirmed":
                return ActionResult(t.gettext("You are no longer on this call-out's team."))
            if verb == "arrived":
                if await sql.stamp_request(tx, request.id, "arrived_at", now):
                    team = await sql.requests_with_members(tx, activation.id, ("confirmed",))
                    await self._brief(tx, activation, request, member, team, now, arrived=True,
                                      op="edit")
                    await self._tell_leaders(tx, now, lambda lt: lt.gettext(
                        "Call-out {code}: {name} has arrived.").format(
                            code=activation.code, name=member.name))
                    await append_audit(tx, now, f"member:{member.id}", "request.arrived",
                                       activation.id, request_id=request.id)
                result = ActionResult(t.gettext("Noted: you have arrived."), changed=True)
            elif verb == "finished":
                await sql.stamp_request(tx, request.id, "finished_at", now)
                await self._close(tx, activation, member, now)
                result = ActionResult(t.gettext("Thank you! The call-out is closed."),
                                      changed=True)
            else:
                await self._withdraw(tx, activation, request, member, now)
                result = ActionResult(t.gettext("Understood. Thank you for telling us."),
                                      changed=True)
        logger.info("activation %s request=%d mission=%s", activation.code, request.id, verb)
        self.wake_sender()
        return result

    async def _withdraw(self, tx: Connection, activation: Activation, request: Request,
                        member: Member, now: datetime) -> None:
        await sql.set_request_state(tx, request.id, "withdrawn", now)
        await self._end_briefing(tx, activation, request, member, "withdrawn", now)
        reserves = [(reserve, person)
                    for reserve, person in await sql.requests_with_members(
                        tx, activation.id, ("reserve",))
                    if not await sql.is_confirmed_elsewhere(tx, person.id, activation.id)]
        decision = decide_withdraw(activation_state=activation.state, reserves=len(reserves))
        await append_audit(tx, now, f"member:{member.id}", "request.withdrawn", activation.id,
                           request_id=request.id, promoted=decision.promote,
                           reopened=decision.reopen)
        if decision.promote:
            promoted_request, promoted = reserves[0]
            await sql.set_request_state(tx, promoted_request.id, "confirmed", now)
            team = await sql.requests_with_members(tx, activation.id, ("confirmed",))
            promoted_request = next(r for r, _ in team if r.id == promoted_request.id)
            await self._edit_request(tx, promoted, promoted_request.id, answer_edit(
                self.settings, activation, "staffed", self._t(promoted)), now)
            await self._brief(tx, activation, promoted_request, promoted, team, now)
            for _, mate in team:
                if mate.id != promoted.id:
                    mt = self._t(mate)
                    await self._send(tx, mate, mt.gettext(
                        "Call-out {code}: {old} cannot go. {new} takes the place{phone}.").format(
                            code=activation.code, old=member.name, new=promoted.name,
                            phone=f" – {promoted.phone}" if promoted.phone else ""), now)
            await self._tell_leaders(tx, now, lambda t: t.gettext(
                "Call-out {code}: {old} withdrew; {new} (reserve) takes the place.").format(
                    code=activation.code, old=member.name, new=promoted.name))
            await append_audit(tx, now, "system", "request.promoted", activation.id,
                               request_id=promoted_request.id)
            return
        if decision.reopen:
            await sql.set_activation_state(tx, activation.id, "open", now)
        remaining = await sql.requests_with_members(tx, activation.id, ("confirmed",))
        for _, mate in remaining:
            mt = self._t(mate)
            await self._send(tx, mate, mt.gettext(
                "Call-out {code}: {old} cannot go. We are looking for someone else.").format(
                    code=activation.code, old=member.name), now)
        asked = await self._ask_again(tx, activation, now)
        await self._tell_leaders(tx, now, lambda t: "⚠️ " + t.gettext(
            "Call-out {code}: {old} withdrew and there is no reserve. Asking again: {count} "
            "asked, {confirmed}/{needed} confirmed.").format(
                code=activation.code, old=member.name, count=asked,
                confirmed=len(remaining), needed=activation.needed))

    async def _ask_again(self, tx: Connection, activation: Activation, now: datetime) -> int:
        """Re-asks the stood-down and asks those not yet asked in the area."""
        activation = await sql.activation_by_id(tx, activation.id)
        again = await sql.requests_with_members(tx, activation.id, ("stood_down",))
        for request, member in again:
            if await sql.is_confirmed_elsewhere(tx, member.id, activation.id):
                continue
            await sql.set_request_state(tx, request.id, "pending", now)
            message = request_message(self.settings, activation, request.id, self._t(member))
            await enqueue(tx, chat_id=member.telegram_id, payload=encode(message), now=now,
                          lane=BROADCAST_LANE, ref=request_ref(request.id))
        pending = await sql.count_in_state(tx, activation.id, "pending")
        await self._ask(tx, activation, [activation.area], wave=1, now=now)
        return await sql.count_in_state(tx, activation.id, "pending") - pending + len(again)

    # -- leaders: close and cancel -------------------------------------------------------------

    async def close(self, leader: Member, activation_id: int) -> ActionResult:
        """Closes an intervention (recording the end time) on a leader's word."""
        now = self.clock()
        t = self._t(leader)
        async with self.db.transaction() as tx:
            activation = await sql.activation_by_id(tx, activation_id)
            if not activation.is_active:
                return ActionResult(self._refusal(Verdict.OVER, activation, t))
            if await sql.count_in_state(tx, activation.id, "confirmed") == 0:
                return ActionResult(t.gettext(
                    "Nobody is confirmed on {code}, so there is nothing to close. Use /cancel "
                    "{code} to call it off.").format(code=activation.code))
            await self._close(tx, activation, leader, now)
        self.wake_sender()
        return ActionResult(t.gettext("Call-out {code} is closed.").format(code=activation.code),
                            changed=True)

    async def _close(self, tx: Connection, activation: Activation, by: Member,
                     now: datetime) -> None:
        await sql.set_activation_state(tx, activation.id, "closed", now, by=f"member:{by.id}")
        for request, member in await sql.requests_with_members(tx, activation.id,
                                                                ("confirmed",)):
            await self._end_briefing(tx, activation, request, member, "closed", now)
        await self._stand_down(tx, activation, ("pending", "reserve"), "closed", now)
        await self._tell_leaders(tx, now, lambda t: t.gettext(
            "Call-out {code} closed by {name}.").format(code=activation.code, name=by.name))
        await append_audit(tx, now, f"member:{by.id}", "activation.closed", activation.id)
        logger.info("activation %s closed", activation.code)

    async def cancel(self, leader: Member, activation_id: int) -> ActionResult:
        """Calls off an activation and stands everyone down, the confirmed included."""
        now = self.clock()
        t = self._t(leader)
        async with self.db.transaction() as tx:
            activation = await sql.activation_by_id(tx, activation_id)
            if not activation.is_active:
                return ActionResult(self._refusal(Verdict.OVER, activation, t))
            await sql.set_activation_state(tx, activation.id, "cancelled", now,
                                           by=f"member:{leader.id}")
            for request, member in await sql.requests_with_members(tx, activation.id,
                                                                    ("confirmed",)):
                await sql.set_request_state(tx, request.id, "released", now)
                await self._end_briefing(tx, activation, request, member, "cancelled", now)
            await self._stand_down(tx, activation, ("pending", "reserve"), "cancelled", now)
            await self._tell_leaders(tx, now, lambda lt: lt.gettext(
                "Call-out {code} cancelled by {name}.").format(code=activation.code,
                                                               name=leader.name))
            await append_audit(tx, now, f"member:{leader.id}", "activation.cancelled",
                               activation.id)
        logger.info("activation %s cancelled", activation.code)
        self.wake_sender()
        return ActionResult(t.gettext("Call-out {code} is cancelled; everyone has been stood "
                                      "down.").format(code=activation.code), changed=True)

    # -- availability --------------------------------------------------------------------------

    async def set_away(self, member: Member, until: datetime | None) -> None:
        """Marks the member away until a time, or available again with None."""
        now = self.clock()
        async with self.db.transaction() as tx:
            await sql.set_away(tx, member.id, until)
            await append_audit(tx, now, f"member:{member.id}",
                               "member.away" if until else "member.back", member_id=member.id)

    async def mark_unreachable(self, telegram_id: int) -> None:
        """Remembers that Telegram refused messages to this person."""
        now = self.clock()
        async with self.db.transaction() as tx:
            await sql.mark_unreachable(tx, telegram_id, True)
            await append_audit(tx, now, "system", "member.unreachable", telegram_id=telegram_id)

    def headline(self, activation: Activation, t: Translator) -> str:
        """The activation's first line in a person's language."""
        return headline(self.settings, activation, t)
