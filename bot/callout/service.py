"""The call-out service: issue an activation, take answers, staff it, withdraw, close, cancel.

Each public method is one database transaction: it reads the state, asks bot.callout.rules what
to do, writes the change, the audit row, the deadlines it starts or stops, and every message the
change owes people (outbox) together. Because the write lock is held from the read to the commit,
ten simultaneous Yes presses are decided one after another and exactly `needed` are confirmed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import aiosqlite

from bot.callout.asking import ask
from bot.callout.draft import Actor, check_draft
from bot.callout.escalation import Escalation
from bot.callout.outbound import Outbound
from bot.callout.pins import PinRenewal
from bot.callout.render import (
    TeamMember,
    answer_edit,
    area_name,
    hold_edit,
    kind_label,
    listed_headline,
    marked,
    names,
)
from bot.callout.rules import Verdict, decide_answer, decide_withdraw
from bot.callout.skills import skill_facts, skill_labels, skilled_reserves_first
from bot.choices import HoldAction
from bot.config import Settings
from bot.deadlines import DeadlineRunner
from bot.delivery.messages import Choice
from bot.i18n import Translator
from storage import callouts as sql
from storage.audit import append_audit
from storage.callouts import CalloutReads, NewActivation
from storage.clock import Clock
from storage.database import Database
from storage.deadlines import add_deadline, cancel_deadlines, cancel_request_deadlines
from storage.members import leaders_in, mark_reachable
from storage.models import Activation, Address, Deadline, Member, Request
from storage.skills import set_required_skills

__all__ = ["ActionResult", "Answered", "CalloutService", "DraftTrail", "Issued"]

logger = logging.getLogger(__name__)
Connection = aiosqlite.Connection

MIXED_WAIT = "mixed_gender"  # the deadline of a held last place, for a mixed pair or a skill
IssuedHook = Callable[[Connection, "Issued", Actor, datetime], Awaitable[list[Deadline]]]
ClosedHook = Callable[[Connection, Activation, list[tuple[Request, Member]], datetime],
                      Awaitable[list[Deadline]]]
IssuingHook = Callable[[Connection, Activation, NewActivation, datetime],
                       Awaitable[list[Deadline]]]


@dataclass(frozen=True, slots=True)
class Issued:
    activation: Activation
    asked: int


@dataclass(frozen=True, slots=True)
class DraftTrail:
    """What a leader's /activate dialogue left in their chat: the preview (the transport's
    message id) and the messages they typed (summary, briefing, place), to tidy up."""

    chat: Address
    preview: str | None
    typed: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Answered:
    """An answer the service has taken: its request, Yes or No, and whether it changed state."""

    request_id: int
    yes: bool
    changed: bool


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What the person who acted is told (a short toast or reply), and whether anything changed."""

    text: str
    changed: bool = False


@dataclass(slots=True)
class _Acted:
    """What an action on a request did: the answer, deadlines to arm after the commit, and the
    event for the log line (None when nothing changed)."""

    result: ActionResult
    arms: list[Deadline] = field(default_factory=list)
    event: str | None = None


class CalloutService:
    """The rules of a call-out applied to the database, one transaction per event."""

    def __init__(self, settings: Settings, database: Database, clock: Clock,
                 wake_sender: Callable[[], None], runner: DeadlineRunner) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.wake_sender = wake_sender
        self.runner = runner
        self.reads = CalloutReads(database)
        self.out = Outbound(settings)
        self.escalation = Escalation(settings, database, clock, self.out, runner, wake_sender)
        self.pins = PinRenewal(self.out, runner)
        runner.register(MIXED_WAIT, self._hold_ended)
        # Called inside the closing transaction with the team that went, e.g. to schedule the
        # debrief or the purge of sensitive details; returns deadlines to arm after the commit.
        self.on_closed: list[ClosedHook] = []
        # The same inside the cancelling transaction, with the team released (e.g. the purge:
        # a cancelled call-out's briefing is as sensitive as a closed one's).
        self.on_cancelled: list[ClosedHook] = []
        # Called inside the issuing transaction (e.g. to link an intake request to its call-out);
        # returns deadlines to arm after the commit.
        self.on_issued: list[IssuedHook] = []
        # Told of every answer once its transaction is over (whether it changed anything).
        self.on_answered: list[Callable[[Answered], None]] = []
        # Called inside the issuing transaction before anyone is asked (e.g. a support
        # centre's shifts); returns deadlines to arm after the commit.
        self.on_issuing: list[IssuingHook] = []

    def _t(self, member: Member) -> Translator:
        return self.out.t(member)

    def _done(self, arms: list[Deadline]) -> None:
        """After a commit: arm the deadlines it created and wake the sender."""
        for deadline in arms:
            self.runner.arm(deadline)
        self.wake_sender()

    # -- issuing -------------------------------------------------------------------------------

    async def issue(self, actor: Actor, draft: NewActivation, *,
                    trail: DraftTrail | None = None) -> Issued:
        """Creates the activation, asks every available volunteer of its area, starts the ladder.

        Refuses a draft outside the limits (DraftRefused, bot.callout.draft) before writing
        anything, whoever the actor is. With a `trail`, the leader's typed messages are deleted
        and the preview is remembered, to be edited down when the call-out ends.
        """
        draft = check_draft(self.settings, draft)
        now = self.clock()
        async with self.db.transaction() as tx:
            issued, arms = await self.issue_in(tx, actor, draft, now, trail=trail)
        self.after_commit(arms)
        return issued

    async def issue_in(self, tx: Connection, actor: Actor, draft: NewActivation,
                       now: datetime, *, trail: DraftTrail | None = None,
                       ) -> tuple[Issued, list[Deadline]]:
        """`issue` inside the caller's transaction (e.g. an intake request taken by a leader);
        the caller passes the deadlines to `after_commit` once it has committed."""
        draft = check_draft(self.settings, draft)
        year = now.astimezone(self.settings.organisation.tz).year
        by_member = actor.member.id if actor.member else None
        activation = await sql.insert_activation(
            tx, draft, year=year, created_by=by_member, requested_by=actor.requested_by,
            now=now)
        if draft.skills:  # asked for first, and the last place held for them
            activation = await set_required_skills(tx, activation.id, draft.skills)
        arms: list[Deadline] = []
        for hook in self.on_issuing:
            arms += await hook(tx, activation, draft, now)
        asked = await ask(tx, self.out, activation, [activation.area], wave=1, now=now)
        arms += await self.escalation.schedule(tx, activation, now)
        # Pins go out once it is staffed; renewing from the start keeps every pin younger
        # than Telegram's 48 hours for deleting (bot.callout.pins).
        arms += await self.pins.schedule(tx, activation, now)
        if trail is not None:
            await self.out.tidy_draft(tx, activation, trail.chat, trail.preview, trail.typed,
                                      now)
        await append_audit(tx, now, actor.audit, "activation.issued",
                           activation.id, code=activation.code, kind=activation.kind,
                           area=activation.area, needed=activation.needed, asked=asked,
                           exercise=activation.exercise,
                           **({"intake": actor.intake_id} if actor.intake_id else {}))
        for other in await leaders_in(tx):
            if other.id == by_member:
                continue
            t = self._t(other)
            await self.out.send(tx, other, t.gettext(
                "Call-out {code} ({kind}, {area}) issued by {name}: asking {count}.").format(
                    code=activation.code, kind=kind_label(self.settings, activation, t),
                    area=area_name(self.settings, activation.area), name=actor.name,
                    count=asked), now, activation=activation)
        issued = Issued(activation, asked)
        for hook in self.on_issued:
            arms += await hook(tx, issued, actor, now)
        logger.info("activation %s event=issued kind=%s area=%s needed=%d asked=%d",
                    activation.code, activation.kind, activation.area, activation.needed, asked)
        return issued, arms

    def after_commit(self, arms: list[Deadline]) -> None:
        """After a commit: arm the deadlines it created and wake the sender."""
        self._done(arms)

    # -- answers -------------------------------------------------------------------------------

    async def answer(self, member: Member, request_id: int, yes: bool,
                     presser_t: Translator) -> ActionResult:
        """Applies a volunteer's Ja/Nej, staffing the activation when this Yes completes it."""
        result = await self._answer(member, request_id, yes, presser_t)
        # Right after the COMMIT (nothing is awaited in between), e.g. for the benchmark.
        for observe in self.on_answered:
            observe(Answered(request_id, yes, result.changed))
        return result

    async def _answer(self, member: Member, request_id: int, yes: bool,
                      presser_t: Translator) -> ActionResult:
        async def act(tx: Connection, request: Request, activation: Activation, member: Member,
                      now: datetime) -> _Acted:
            if member.status != "active":
                # Paused (or erased) since the request went out: a press still on its way.
                return _Acted(ActionResult(self._t(member).gettext(
                    "You are paused, so you cannot answer call-outs. A leader can resume you.")))
            return await self._decide_answer(tx, request, activation, member, yes, now)

        return await self._on_own_request(member, request_id, presser_t, act)

    async def _decide_answer(self, tx: Connection, request: Request, activation: Activation,
                             member: Member, yes: bool, now: datetime) -> _Acted:
        t = self._t(member)
        arms: list[Deadline] = []
        team = await sql.requests_with_members(tx, activation.id, ("confirmed",))
        held = await sql.requests_with_members(tx, activation.id, ("tentative",))
        skills = await skill_facts(tx, activation, member, team, held)
        decision = decide_answer(
            activation_state=activation.state, needed=activation.needed,
            confirmed=len(team), request_state=request.state, yes=yes,
            prefer_mixed=self.settings.callout.prefer_mixed_gender,
            team=tuple(mate.gender for _, mate in team), gender=member.gender,
            held=len(held), required=skills.required, team_skills=skills.team,
            skills=skills.own, held_gender=skills.held_gender, held_skills=skills.held)
        if decision.verdict in (Verdict.CONFIRM, Verdict.HOLD, Verdict.RESERVE):
            busy_on = await sql.is_confirmed_elsewhere(tx, member.id, activation.id)
            if busy_on:
                return _Acted(ActionResult(t.gettext(
                    "You are already confirmed on call-out {code}.").format(code=busy_on)))
        if decision.verdict is Verdict.CONFIRM:
            await sql.set_request_state(tx, request.id, "confirmed", now, answered=True)
            for held_request, held_member in held if decision.bumps_hold else ():
                await self._bump_hold(tx, activation, held_request, held_member, now)
            if decision.staffs:
                await self._staff(tx, activation, request, now)
            else:
                await self.out.edit_request(tx, member, request.id, answer_edit(
                    self.settings, activation, "confirmed", t, confirmed=len(team) + 1), now)
            reply = t.gettext("Thank you! You are confirmed.")
        elif decision.verdict is Verdict.HOLD:
            arms.append(await self._hold(tx, activation, request, member, now,
                                         waits_for=decision.waits_for))
            reply = t.gettext("Thank you! You hold the last place for a few minutes – see "
                              "the message.")
        elif decision.verdict is Verdict.RESERVE:
            await sql.set_request_state(tx, request.id, "reserve", now, answered=True)
            await self.out.edit_request(tx, member, request.id, answer_edit(
                self.settings, activation, "reserve", t), now)
            reply = t.gettext("The team is already complete – you are a reserve.")
        elif decision.verdict is Verdict.DECLINE:
            await sql.set_request_state(tx, request.id, "declined", now, answered=True)
            await cancel_request_deadlines(tx, request.id, MIXED_WAIT)
            await self.out.edit_request(tx, member, request.id, answer_edit(
                self.settings, activation, "declined", t), now)
            if request.state == "tentative":  # the held place is free: the reserves again
                arms += await self._reconsider_reserves(tx, activation, now)
            reply = t.gettext("Thank you for answering.")
        else:
            return _Acted(ActionResult(self._refusal(decision.verdict, activation, t)))
        await append_audit(tx, now, f"member:{member.id}", f"request.{decision.verdict}",
                           activation.id, request_id=request.id)
        return _Acted(ActionResult(reply, changed=True), arms,
                      event=f"answer verdict={decision.verdict}")

    async def _on_own_request(self, member: Member, request_id: int, presser_t: Translator,
                              act: Callable[[Connection, Request, Activation, Member, datetime],
                                            Awaitable[_Acted]]) -> ActionResult:
        """Runs `act` in one transaction on a request that was sent to this member; a press by
        anyone else is refused. After the commit: the log line, the deadlines, the sender."""
        now = self.clock()
        async with self.db.transaction() as tx:
            found = await sql.request_with_context(tx, request_id)
            if found is None or found[2].id != member.id:
                return ActionResult(presser_t.gettext("This request was not sent to you."))
            request, activation, owner = found
            acted = await act(tx, request, activation, owner, now)
        if acted.event:
            logger.info("activation %s event=%s request=%d", activation.code, acted.event,
                        request.id)
        self._done(acted.arms)
        return acted.result

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
        await self.escalation.stop(tx, activation.id)
        await cancel_deadlines(tx, activation.id, (MIXED_WAIT,))
        activation = await sql.activation_by_id(tx, activation.id)
        team = await sql.requests_with_members(tx, activation.id, ("confirmed",))
        for request, member in team:
            await self.out.brief(tx, activation, request, member, team, now)
            # Everyone's request, not only the last Yes: "1 of 2 … as soon as the team is
            # complete" must not linger on the first one's phone.
            await self.out.edit_request(tx, member, request.id, answer_edit(
                self.settings, activation, "staffed", self._t(member)), now)
        await self._stand_down(tx, activation, ("pending",), "stood_down", now)
        took = max(now - activation.created_at, timedelta())  # never negative, whatever the clock
        mates = [TeamMember(member.name, member.phone) for _, member in team]
        await self.out.tell_leaders(tx, now, lambda t: "✅ " + t.gettext(
            "Call-out {code} staffed: {names} ({duration}).").format(
                code=activation.code, names=names(mates), duration=t.duration(took)),
            activation=activation)
        await append_audit(tx, now, "system", "activation.staffed", activation.id,
                           confirmed=len(team), seconds=int(took.total_seconds()))
        logger.info("activation %s event=staffed confirmed=%d after_s=%d", activation.code,
                    len(team), int(took.total_seconds()))

    # -- preferably a woman and a man ----------------------------------------------------------

    async def _hold(self, tx: Connection, activation: Activation, request: Request,
                    member: Member, now: datetime, *, waits_for: str = "mixed") -> Deadline:
        """Holds the last place for this Yes while a Yes of the other gender (or, `waits_for`
        "skill", of someone with a skill the call-out asks for) may still come."""
        wait = self.settings.callout.mixed_gender_wait
        lacking: set[str] = set()
        if waits_for == "skill":
            wait = self.settings.callout.skill_wait
            team = await sql.requests_with_members(tx, activation.id, ("confirmed",))
            mine = await skill_facts(tx, activation, member, team, ())
            lacking = set(activation.required_skills) - set(mine.own).union(*mine.team)
        await sql.set_request_state(tx, request.id, "tentative", now, answered=True)
        deadline = await add_deadline(tx, MIXED_WAIT, now + wait, now,
                                      activation_id=activation.id, request_id=request.id)

        def waiting_for(t: Translator) -> str | None:
            return skill_labels(self.settings, lacking, t) if waits_for == "skill" else None

        await self.out.edit_request(tx, member, request.id,
                                    hold_edit(self.settings, activation, wait, self._t(member),
                                              skills=waiting_for(self._t(member))), now)
        await self.out.tell_leaders(
            tx, now,
            lambda t: (t.gettext("Call-out {code}: {name} holds the last place for at most "
                                 "{duration} while we look for someone with: {skills}.").format(
                code=activation.code, name=member.name, duration=t.duration(wait),
                skills=waiting_for(t)) if waits_for == "skill" else
                t.gettext("Call-out {code}: {name} holds the last place for at most "
                          "{duration} while we look for a mixed pair.").format(
                code=activation.code, name=member.name, duration=t.duration(wait))),
            lambda t: ((Choice(t.gettext("Confirm {name} now").format(name=member.name)[:60],
                               HoldAction(request.id).pack()),),), activation=activation)
        logger.info("activation %s event=hold request=%d", activation.code, request.id)
        return deadline

    async def _reconsider_reserves(self, tx: Connection, activation: Activation,
                                   now: datetime) -> list[Deadline]:
        """A held volunteer said No after all: the reserves are decided again as if they said
        Yes now (one bringing a missing skill first, else in the order they answered), until the
        place is taken or held again, so nobody who said Yes waits as a reserve on a call-out
        that is still short."""
        arms: list[Deadline] = []
        reserves = await skilled_reserves_first(
            tx, activation, await sql.requests_with_members(tx, activation.id, ("confirmed",)),
            await sql.requests_with_members(tx, activation.id, ("reserve",)))
        for reserve, person in reserves:
            activation = await sql.activation_by_id(tx, activation.id)
            if activation.state != "open" or await sql.count_in_state(tx, activation.id,
                                                                      "tentative"):
                break
            acted = await self._decide_answer(tx, replace(reserve, state="pending"), activation,
                                              person, True, now)
            arms += acted.arms
        return arms

    async def _bump_hold(self, tx: Connection, activation: Activation, request: Request,
                         member: Member, now: datetime) -> None:
        """A Yes that makes the pair mixed took the place: the held volunteer becomes reserve."""
        await sql.set_request_state(tx, request.id, "reserve", now)
        await cancel_request_deadlines(tx, request.id, MIXED_WAIT)
        await self.out.edit_request(tx, member, request.id, answer_edit(
            self.settings, activation, "reserve", self._t(member)), now)
        await append_audit(tx, now, "system", "request.hold_bumped", activation.id,
                           request_id=request.id)

    async def _confirm_held(self, tx: Connection, request_id: int, now: datetime) -> bool:
        """Confirms a held volunteer (the wait is over, or a leader said so); False if not held."""
        found = await sql.request_with_context(tx, request_id)
        if found is None or found[0].state != "tentative" or not found[1].is_active:
            return False
        request, activation, member = found
        await cancel_request_deadlines(tx, request.id, MIXED_WAIT)
        confirmed = await sql.count_in_state(tx, activation.id, "confirmed")
        await sql.set_request_state(tx, request.id, "confirmed", now)
        if confirmed + 1 >= activation.needed:
            await self._staff(tx, activation, request, now)
        else:
            await self.out.edit_request(tx, member, request.id, answer_edit(
                self.settings, activation, "confirmed", self._t(member),
                confirmed=confirmed + 1), now)
        await append_audit(tx, now, "system", "request.hold_confirmed", activation.id,
                           request_id=request.id)
        return True

    async def _hold_ended(self, tx: Connection, deadline: Deadline,
                          now: datetime) -> list[Deadline]:
        if await self._confirm_held(tx, deadline.request_id, now):
            self.wake_sender()
        return []

    async def confirm_hold(self, leader: Member, request_id: int) -> ActionResult:
        """A leader's [Bekräfta nu]: ends the wait for a mixed pair at once."""
        now = self.clock()
        t = self._t(leader)
        async with self.db.transaction() as tx:
            confirmed = await self._confirm_held(tx, request_id, now)
        if not confirmed:
            return ActionResult(t.gettext("Nobody is waiting for that place any more."))
        self.wake_sender()
        return ActionResult(t.gettext("Confirmed."), changed=True)

    async def go_with_confirmed(self, leader: Member, activation_id: int) -> ActionResult:
        """A leader sends the team as it is: fewer than asked for, but briefed now."""
        now = self.clock()
        t = self._t(leader)
        async with self.db.transaction() as tx:
            activation = await sql.activation_by_id(tx, activation_id)
            team = await sql.requests_with_members(tx, activation.id, ("confirmed",))
            if activation.state != "open" or not team:
                return ActionResult(t.gettext("Only an open call-out with someone confirmed can "
                                              "go with fewer."))
            await sql.set_needed(tx, activation.id, len(team))
            await append_audit(tx, now, f"member:{leader.id}", "activation.needed_lowered",
                               activation.id, needed=len(team), was=activation.needed)
            await self._staff(tx, activation, team[-1][0], now)
        self._done([])
        return ActionResult(t.ngettext("Going with {count} support person.",
                                       "Going with {count} support persons.",
                                       len(team)).format(count=len(team)), changed=True)

    # -- on the mission ------------------------------------------------------------------------

    async def mission(self, member: Member, request_id: int, verb: str,
                      presser_t: Translator) -> ActionResult:
        """Handles [Framme], [Avslutad] and [Kan inte ändå] from a confirmed volunteer."""
        async def act(tx: Connection, request: Request, activation: Activation, member: Member,
                      now: datetime) -> _Acted:
            return await self._on_mission(tx, request, activation, member, verb, now)

        return await self._on_own_request(member, request_id, presser_t, act)

    async def _on_mission(self, tx: Connection, request: Request, activation: Activation,
                          member: Member, verb: str, now: datetime) -> _Acted:
        t = self._t(member)
        if not activation.is_active:
            return _Acted(ActionResult(self._refusal(Verdict.OVER, activation, t)))
        if request.state != "confirmed":
            return _Acted(ActionResult(t.gettext("You are no longer on this call-out's team.")))
        if verb == "arrived":
            if await sql.stamp_request(tx, request.id, "arrived_at", now):
                team = await sql.requests_with_members(tx, activation.id, ("confirmed",))
                await self.out.brief(tx, activation, request, member, team, now,
                                     arrived=True, op="edit")
                await self.out.tell_leaders(tx, now, lambda lt: lt.gettext(
                    "Call-out {code}: {name} has arrived.").format(
                        code=activation.code, name=member.name), activation=activation)
                await append_audit(tx, now, f"member:{member.id}", "request.arrived",
                                   activation.id, request_id=request.id)
            return _Acted(ActionResult(t.gettext("Noted: you have arrived."), changed=True),
                          event=verb)
        if verb == "finished":
            await sql.stamp_request(tx, request.id, "finished_at", now)
            arms = await self._close(tx, activation, member, now)
            return _Acted(ActionResult(t.gettext("Thank you! The call-out is closed."),
                                       changed=True), arms, event=verb)
        arms = await self._withdraw(tx, activation, request, member, now)
        return _Acted(ActionResult(t.gettext("Understood. Thank you for telling us."),
                                   changed=True), arms, event=verb)

    async def _withdraw(self, tx: Connection, activation: Activation, request: Request,
                        member: Member, now: datetime) -> list[Deadline]:
        await sql.set_request_state(tx, request.id, "withdrawn", now)
        await self.out.end_briefing(tx, activation, request, member, "withdrawn", now)
        await self.out.edit_request(tx, member, request.id, answer_edit(
            self.settings, activation, "withdrawn", self._t(member)), now)
        # Someone holding a place for a mixed pair simply gets it now.
        for held_request, _ in await sql.requests_with_members(tx, activation.id,
                                                                ("tentative",)):
            await self._confirm_held(tx, held_request.id, now)
        reserves = [(reserve, person)
                    for reserve, person in await sql.requests_with_members(
                        tx, activation.id, ("reserve",))
                    if not await sql.is_confirmed_elsewhere(tx, person.id, activation.id)]
        reserves = await skilled_reserves_first(
            tx, activation, await sql.requests_with_members(tx, activation.id, ("confirmed",)),
            reserves)
        decision = decide_withdraw(
            activation_state=activation.state, reserves=len(reserves),
            confirmed=await sql.count_in_state(tx, activation.id, "confirmed"),
            needed=activation.needed)
        await append_audit(tx, now, f"member:{member.id}", "request.withdrawn", activation.id,
                           request_id=request.id, promoted=decision.promote,
                           reopened=decision.reopen)
        if decision.staffs:  # open with a place held: the reserve completes the team
            await sql.set_request_state(tx, reserves[0][0].id, "confirmed", now)
            await self._staff(tx, activation, reserves[0][0], now)
            return []
        if decision.promote:
            await self._promote(tx, activation, member, *reserves[0], now)
            return []
        arms: list[Deadline] = []
        if decision.reopen:
            await sql.set_activation_state(tx, activation.id, "open", now)
            arms = await self.escalation.schedule(tx, activation, now)
        remaining = await sql.requests_with_members(tx, activation.id, ("confirmed",))
        for _, mate in remaining:
            await self.out.send(tx, mate, self._t(mate).gettext(
                "Call-out {code}: {old} cannot go. We are looking for someone else.").format(
                    code=activation.code, old=member.name), now, activation=activation)
        asked = await self._ask_again(tx, activation, now)
        await self.out.tell_leaders(tx, now, lambda t: "⚠️ " + t.gettext(
            "Call-out {code}: {old} withdrew and there is no reserve. Asking again: {count} "
            "asked, {confirmed}/{needed} confirmed.").format(
                code=activation.code, old=member.name, count=asked,
                confirmed=len(remaining), needed=activation.needed), activation=activation)
        return arms

    async def _promote(self, tx: Connection, activation: Activation, gone: Member,
                       reserve: Request, promoted: Member, now: datetime) -> None:
        """The first reserve takes the place of a volunteer who withdrew."""
        await sql.set_request_state(tx, reserve.id, "confirmed", now)
        team = await sql.requests_with_members(tx, activation.id, ("confirmed",))
        reserve = next(request for request, _ in team if request.id == reserve.id)
        await self.out.edit_request(tx, promoted, reserve.id, answer_edit(
            self.settings, activation, "staffed", self._t(promoted)), now)
        await self.out.brief(tx, activation, reserve, promoted, team, now)
        for _, mate in team:
            if mate.id != promoted.id:
                await self.out.send(tx, mate, self._t(mate).gettext(
                    "Call-out {code}: {old} cannot go. {new} takes the place{phone}.").format(
                        code=activation.code, old=gone.name, new=promoted.name,
                        phone=f" – {promoted.phone}" if promoted.phone else ""), now,
                    activation=activation)
        await self.out.tell_leaders(tx, now, lambda t: t.gettext(
            "Call-out {code}: {old} withdrew; {new} (reserve) takes the place.").format(
                code=activation.code, old=gone.name, new=promoted.name), activation=activation)
        await append_audit(tx, now, "system", "request.promoted", activation.id,
                           request_id=reserve.id)

    async def _ask_again(self, tx: Connection, activation: Activation, now: datetime) -> int:
        """Re-asks the stood-down and asks those of the area not asked yet."""
        activation = await sql.activation_by_id(tx, activation.id)
        again = 0
        for request, member in await sql.requests_with_members(tx, activation.id,
                                                                ("stood_down",)):
            if await sql.is_confirmed_elsewhere(tx, member.id, activation.id):
                continue
            await sql.set_request_state(tx, request.id, "pending", now)
            await self.out.ask_again(tx, activation, request, member, now, position=again)
            again += 1
        return again + await ask(tx, self.out, activation, [activation.area], wave=1, now=now)

    async def _stand_down(self, tx: Connection, activation: Activation, states: tuple[str, ...],
                          how: str, now: datetime) -> None:
        """Stands down every request in these states and takes their messages back."""
        for request, member in await sql.requests_with_members(tx, activation.id, states):
            await sql.set_request_state(tx, request.id, "stood_down", now)
            await self.out.stand_down(tx, activation, request, member, how, now)

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
            arms = await self._close(tx, activation, leader, now)
        self._done(arms)
        return ActionResult(marked(activation, t, t.gettext("Call-out {code} is closed.").format(
            code=activation.code)), changed=True)

    async def _close(self, tx: Connection, activation: Activation, by: Member,
                     now: datetime) -> list[Deadline]:
        await sql.set_activation_state(tx, activation.id, "closed", now, by=f"member:{by.id}")
        await self.escalation.stop(tx, activation.id)
        await self.pins.stop(tx, activation.id)
        await cancel_deadlines(tx, activation.id, (MIXED_WAIT,))
        team = await sql.requests_with_members(tx, activation.id, ("confirmed",))
        for request, member in team:
            await self.out.end_briefing(tx, activation, request, member, "closed", now)
            await self.out.edit_request(tx, member, request.id, answer_edit(
                self.settings, activation, "finished", self._t(member)), now)
        await self._stand_down(tx, activation, ("pending", "tentative", "reserve"), "closed", now)
        await self.out.end_preview(tx, activation, "closed", now)
        await self.out.tell_leaders(tx, now, lambda t: t.gettext(
            "Call-out {code} closed by {name}.").format(code=activation.code, name=by.name),
            activation=activation)
        await append_audit(tx, now, f"member:{by.id}", "activation.closed", activation.id)
        logger.info("activation %s event=closed", activation.code)
        closed = await sql.activation_by_id(tx, activation.id)
        arms: list[Deadline] = []
        for hook in self.on_closed:
            arms += await hook(tx, closed, team, now)
        return arms

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
            await self.escalation.stop(tx, activation.id)
            await self.pins.stop(tx, activation.id)
            await cancel_deadlines(tx, activation.id, (MIXED_WAIT,))
            released = await sql.requests_with_members(tx, activation.id, ("confirmed",))
            for request, member in released:
                await sql.set_request_state(tx, request.id, "released", now)
                await self.out.end_briefing(tx, activation, request, member, "cancelled", now)
                await self.out.edit_request(tx, member, request.id, answer_edit(
                    self.settings, activation, "cancelled", self._t(member)), now)
            await self._stand_down(tx, activation, ("pending", "tentative", "reserve"),
                                   "cancelled", now)
            await self.out.end_preview(tx, activation, "cancelled", now)
            await self.out.tell_leaders(tx, now, lambda lt: lt.gettext(
                "Call-out {code} cancelled by {name}.").format(code=activation.code,
                                                               name=leader.name),
                activation=activation)
            await append_audit(tx, now, f"member:{leader.id}", "activation.cancelled",
                               activation.id)
            cancelled = await sql.activation_by_id(tx, activation.id)
            arms: list[Deadline] = []
            for hook in self.on_cancelled:
                arms += await hook(tx, cancelled, released, now)
        logger.info("activation %s event=cancelled", activation.code)
        self._done(arms)
        return ActionResult(marked(activation, t, t.gettext(
            "Call-out {code} is cancelled; everyone has been stood down.").format(
                code=activation.code)), changed=True)

    # -- availability --------------------------------------------------------------------------

    async def set_away(self, member: Member, until: datetime | None) -> None:
        """Marks the member away until a time, or available again with None."""
        now = self.clock()
        async with self.db.transaction() as tx:
            await sql.set_away(tx, member.id, until)
            await append_audit(tx, now, f"member:{member.id}",
                               "member.away" if until else "member.back", member_id=member.id)

    async def forget_draft(self, chat: Address, typed: tuple[str, ...] | list[str]) -> None:
        """Deletes the messages a leader typed in an /activate dialogue that was dropped."""
        if not typed:
            return
        now = self.clock()
        async with self.db.transaction() as tx:
            await self.out.delete_typed(tx, chat, typed, now)
        self.wake_sender()

    async def stand_down_paused(self, tx: Connection, member: Member, now: datetime) -> None:
        """Inside the pausing transaction: the member's open requests (not yet answered,
        holding a place or reserve) are stood down and their messages taken back. A place
        they are confirmed on stays: the leaders decide about that."""
        for request, activation in await sql.open_requests_of(tx, member.id):
            await sql.set_request_state(tx, request.id, "stood_down", now)
            await cancel_request_deadlines(tx, request.id, MIXED_WAIT)
            await self.out.stand_down(tx, activation, request, member, "paused", now)
            await append_audit(tx, now, "system", "request.stood_down_paused", activation.id,
                               request_id=request.id)
            logger.info("activation %s event=stood_down_paused request=%d", activation.code,
                        request.id)
        self.wake_sender()

    async def mark_unreachable(self, address: Address, unreachable: bool = True) -> None:
        """Remembers that a transport refused messages to this address (or that they are back)."""
        now = self.clock()
        async with self.db.transaction() as tx:
            # The audit log is append-only and survives erasure: member ids, never addresses.
            for member_id in await mark_reachable(tx, address, not unreachable):
                await append_audit(tx, now, "system",
                                   "member.unreachable" if unreachable else "member.reachable",
                                   member_id=member_id, transport=address.transport)

    def headline(self, activation: Activation, t: Translator) -> str:
        """The activation's headline for a line in a list ("🔶 ÖVNING – " for an exercise)."""
        return listed_headline(self.settings, activation, t)
