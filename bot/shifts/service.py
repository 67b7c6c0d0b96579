"""Support centres and crisis lines staffed in shifts, applied to the database one transaction
per event, like the call-out service it builds on.

A call-out planned in shifts (NewActivation.shifts) is issued by CalloutService as usual – the
same fan-out, escalation ladder, outbox and audit – while the hooks below add its shifts before
anyone is asked and render its request with a choice per shift. A volunteer's request is then
the answer to the whole centre ('reserve' once they took a shift: answered, and not busy for
other call-outs), and each place on a shift is decided by the call-out's own rule under the same
write lock, so every shift fills to exactly its number. Each shift has three deadline rows (its
briefing before it starts, a reminder, its end), whose `step` carries the shift's id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.callout.outbound import Outbound
from bot.callout.render import TeamMember, answer_edit, location_message, marked
from bot.callout.rules import Verdict, decide_withdraw
from bot.callout.service import CalloutService
from bot.config import Settings
from bot.deadlines import DeadlineRunner
from bot.debrief.service import DebriefService
from bot.delivery.messages import OutgoingMessage
from bot.i18n import Translator
from bot.shifts.render import (
    board,
    centre_closed,
    centre_request,
    shift_briefing,
    shift_ended,
    shift_label,
    shift_reminder,
)
from bot.shifts.rules import decide_take, overlaps, shift_times
from storage import callouts as sql
from storage import shifts as shift_sql
from storage.audit import append_audit
from storage.callouts import NewActivation
from storage.clock import Clock
from storage.database import Database
from storage.deadlines import add_deadline, cancel_deadlines
from storage.members import member_in
from storage.models import Activation, Deadline, Member, Request
from storage.shifts import Place, Shift, ShiftReads
from storage.sql import Connection

__all__ = ["SHIFT_KINDS", "ShiftService", "shift_briefing_ref", "shift_location_ref"]

logger = logging.getLogger(__name__)

BRIEF, REMIND, END = "shift_brief", "shift_reminder", "shift_end"
SHIFT_KINDS = (BRIEF, REMIND, END)


def shift_briefing_ref(place_id: int) -> str:
    """The outbox ref of a shift's briefing to one volunteer (later edits find it)."""
    return f"shift-briefing:{place_id}"


def shift_location_ref(place_id: int) -> str:
    return f"shift-location:{place_id}"


class ShiftService:
    """Takes shifts, briefs, reminds and stands down each shift's team, adds shifts, closes."""

    def __init__(self, settings: Settings, database: Database, clock: Clock,
                 callouts: CalloutService, debriefs: DebriefService, runner: DeadlineRunner,
                 wake_sender: Callable[[], None]) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.callouts = callouts
        self.out: Outbound = callouts.out
        self.debriefs = debriefs
        self.runner = runner
        self.wake_sender = wake_sender
        self.reads = ShiftReads(database)
        callouts.on_issuing.append(self._on_issuing)
        callouts.on_cancelled.append(self._on_cancelled)
        callouts.out.request_renderers.append(self._render_request)
        callouts.escalation.staffing.append(self._staffing)
        runner.register(BRIEF, self._brief_due)
        runner.register(REMIND, self._remind_due)
        runner.register(END, self._end_due)

    def _t(self, member: Member) -> Translator:
        return self.out.t(member)

    def _done(self, arms: list[Deadline]) -> None:
        for deadline in arms:
            self.runner.arm(deadline)
        self.wake_sender()

    async def is_centre(self, activation_id: int) -> bool:
        """True if the call-out is staffed in shifts."""
        return bool(await self.reads.centre_ids([activation_id]))

    # -- hooks on the call-out service ---------------------------------------------------------

    async def _on_issuing(self, tx: Connection, activation: Activation, draft: NewActivation,
                          now: datetime) -> list[Deadline]:
        """Adds the planned shifts before anyone is asked."""
        if draft.shifts is None:
            return []
        arms: list[Deadline] = []
        for number, starts_at, ends_at in shift_times(draft.shifts):
            shift = await shift_sql.insert_shift(tx, activation.id, number, starts_at, ends_at,
                                                 activation.needed)
            arms += await self._schedule(tx, shift, now)
        await append_audit(tx, now, "system", "shifts.planned", activation.id,
                           shifts=draft.shifts.count, needed=activation.needed,
                           hours=draft.shifts.length.total_seconds() / 3600)
        return arms

    async def _schedule(self, tx: Connection, shift: Shift, now: datetime) -> list[Deadline]:
        """The shift's briefing, reminder and end, as deadline rows."""
        config = self.settings.shifts
        arms = [await add_deadline(tx, BRIEF, max(now, shift.starts_at - config.brief_before),
                                   now, activation_id=shift.activation_id, step=shift.id)]
        if config.remind_before and shift.starts_at - config.remind_before > now:
            arms.append(await add_deadline(tx, REMIND, shift.starts_at - config.remind_before,
                                           now, activation_id=shift.activation_id,
                                           step=shift.id))
        arms.append(await add_deadline(tx, END, shift.ends_at, now,
                                       activation_id=shift.activation_id, step=shift.id))
        return arms

    async def _render_request(self, tx: Connection, activation: Activation, request_id: int,
                              member: Member, t: Translator,
                              reminder: bool) -> OutgoingMessage | None:
        """A support centre's request: a choice per shift (None for an ordinary call-out)."""
        if activation.kind not in self.settings.shifts.kinds:
            return None  # only these kinds are ever staffed in shifts: no query in a fan-out
        shifts = await shift_sql.shifts_of(tx, activation.id)
        if not shifts:
            return None
        return await self._centre_message(tx, activation, request_id, member, shifts, t,
                                          reminder=reminder)

    async def _centre_message(self, tx: Connection, activation: Activation, request_id: int,
                              member: Member, shifts: list[Shift], t: Translator, *,
                              reminder: bool = False) -> OutgoingMessage:
        counts = await shift_sql.confirmed_counts(tx, activation.id)
        filled = [(shift, counts.get(shift.id, 0)) for shift in shifts]
        mine = await shift_sql.places_of_member(tx, activation.id, member.id)
        return centre_request(self.settings, activation, request_id, filled, mine, t,
                              reminder=reminder)

    async def _staffing(self, tx: Connection, activation: Activation) -> tuple[int, int] | None:
        """Places taken and needed on the shifts still to come, for the leaders' alerts."""
        shifts = [shift for shift in await shift_sql.shifts_of(tx, activation.id)
                  if shift.is_active]
        if not shifts:
            return None
        counts = await shift_sql.confirmed_counts(tx, activation.id)
        taken = sum(counts.get(shift.id, 0) for shift in shifts)
        return taken, sum(shift.needed for shift in shifts)

    async def _on_cancelled(self, tx: Connection, activation: Activation,
                            released: list[tuple[Request, Member]],
                            now: datetime) -> list[Deadline]:
        """The call-out was cancelled: every shift with it, each team told."""
        for shift in await shift_sql.shifts_of(tx, activation.id):
            if shift.is_active:
                await self._end_shift(tx, activation, shift, now, how="cancelled")
        await cancel_deadlines(tx, activation.id, SHIFT_KINDS)
        return []

    # -- a volunteer chooses -------------------------------------------------------------------

    async def take(self, member: Member, request_id: int, shift_id: int,
                   presser_t: Translator) -> str:
        """A volunteer's choice of a shift (0: none suits them); the toast they get."""
        now = self.clock()
        arms: list[Deadline] = []
        async with self.db.transaction() as tx:
            found = await sql.request_with_context(tx, request_id)
            if found is None or found[2].id != member.id:
                return presser_t.gettext("This request was not sent to you.")
            request, activation, member = found
            t = self._t(member)
            if shift_id == 0:
                return await self._no_shift(tx, activation, request, member, now, t)
            shift = await shift_sql.shift_by_id(tx, shift_id)
            if shift is None or shift.activation_id != activation.id:
                return t.gettext("This button is no longer valid.")
            place = await shift_sql.place_of(tx, shift.id, member.id)
            mine = await shift_sql.places_of_member(tx, activation.id, member.id)
            clash = next((other for held, other in mine if held.state == "confirmed"
                          and other.id != shift.id and overlaps(other, shift)), None)
            if clash is not None and (place is None or place.state not in ("confirmed",
                                                                             "reserve")):
                return t.gettext("You already have shift {number} at that time.").format(
                    number=clash.number)
            team = await shift_sql.places_of_shift(tx, shift.id, ("confirmed",))
            decision = decide_take(centre_state=activation.state, shift=shift,
                                   confirmed=len(team),
                                   place_state=place.state if place else None)
            if decision.verdict is Verdict.OVER:
                return t.gettext("Shift {number} is over.").format(number=shift.number) \
                    if activation.is_active else t.gettext(
                    "Call-out {code} is over – no answer is needed.").format(code=activation.code)
            if decision.verdict is Verdict.ALREADY:
                return t.gettext("You have already answered.")
            state = "confirmed" if decision.verdict is Verdict.CONFIRM else "reserve"
            place = await shift_sql.add_place(tx, shift.id, request.id, member.id, state, now)
            if request.state in ("pending", "stood_down"):
                await sql.set_request_state(tx, request.id, "reserve", now, answered=True)
            await append_audit(tx, now, f"member:{member.id}", f"shift.{state}", activation.id,
                               shift=shift.number, request_id=request.id)
            if state == "confirmed":
                arms += await self._confirmed(tx, activation, shift, place, member,
                                              staffs=decision.staffs, now=now)
            await self._refresh_request(tx, activation, request.id, member, now)
        logger.info("activation %s event=shift_%s shift=%d request=%d", activation.code, state,
                    shift.number, request.id)
        self._done(arms)
        if state == "confirmed":
            return t.gettext("Thank you! Shift {number} is yours ({span}).").format(
                number=shift.number, span=shift_label(shift, t).split(": ", 1)[-1])
        return t.gettext("Shift {number} is full – you are a reserve for it.").format(
            number=shift.number)

    async def _no_shift(self, tx: Connection, activation: Activation, request: Request,
                        member: Member, now: datetime, t: Translator) -> str:
        """[Inget pass passar]: a No to the centre, unless they already hold a shift."""
        if not activation.is_active:
            return t.gettext("Call-out {code} is over – no answer is needed.").format(
                code=activation.code)
        if await shift_sql.places_of_member(tx, activation.id, member.id):
            return t.gettext("You have a shift. To give it up, press “Can't come after all” "
                             "under its briefing.")
        if request.state == "declined":
            return t.gettext("You have already answered.")
        await sql.set_request_state(tx, request.id, "declined", now, answered=True)
        await self.out.edit_request(tx, member, request.id, answer_edit(
            self.settings, activation, "declined", t), now)
        await append_audit(tx, now, f"member:{member.id}", "request.decline", activation.id,
                           request_id=request.id)
        self.wake_sender()
        return t.gettext("Thank you for answering.")

    async def _confirmed(self, tx: Connection, activation: Activation, shift: Shift,
                         place: Place, member: Member, *, staffs: bool,
                         now: datetime) -> list[Deadline]:
        """A place was confirmed: brief them if the shift's briefing already went out; when
        it fills the shift, say so; when every shift is full, the centre is staffed."""
        shift = await shift_sql.shift_by_id(tx, shift.id)
        if shift.briefed_at is not None:
            await self._brief(tx, activation, shift, place, member, now)
            await self._tell_team(tx, activation, shift, member, now)
        if not staffs:
            return []
        await shift_sql.set_shift_state(tx, shift.id, "staffed", now)
        team = await shift_sql.places_of_shift(tx, shift.id, ("confirmed",))
        await self.out.tell_leaders(tx, now, lambda t: "✅ " + t.gettext(
            "Call-out {code}: shift {number} ({span}) is staffed: {names}.").format(
                code=activation.code, number=shift.number,
                span=shift_label(shift, t).split(": ", 1)[-1],
                names=", ".join(mate.name for _, mate in team)), activation=activation)
        return await self._after_change(tx, activation, now)

    async def _tell_team(self, tx: Connection, activation: Activation, shift: Shift,
                         newcomer: Member, now: datetime) -> None:
        """The rest of a briefed shift's team hears who joins them."""
        for _, mate in await shift_sql.places_of_shift(tx, shift.id, ("confirmed",)):
            if mate.id != newcomer.id:
                await self.out.send(tx, mate, self._t(mate).gettext(
                    "{code}, shift {number}: {name} joins the team{phone}.").format(
                        code=activation.code, number=shift.number, name=newcomer.name,
                        phone=f" – {newcomer.phone}" if newcomer.phone else ""), now,
                    activation=activation)

    async def _refresh_request(self, tx: Connection, activation: Activation, request_id: int,
                               member: Member, now: datetime) -> None:
        """Shows the volunteer their shifts in their request, and the choices still open."""
        shifts = await shift_sql.shifts_of(tx, activation.id)
        await self.out.edit_request(tx, member, request_id, await self._centre_message(
            tx, activation, request_id, member, shifts, self._t(member)), now)

    async def _after_change(self, tx: Connection, activation: Activation,
                            now: datetime) -> list[Deadline]:
        """Keeps the centre's state in step with its shifts: staffed when every shift still to
        come is full (the ladder stops, those not answered are stood down), open again when one
        is not (the ladder starts again, the stood-down are asked again)."""
        activation = await sql.activation_by_id(tx, activation.id)
        shifts = [shift for shift in await shift_sql.shifts_of(tx, activation.id)
                  if shift.is_active]
        full = bool(shifts) and all(shift.state == "staffed" for shift in shifts)
        if full and activation.state == "open":
            await sql.set_activation_state(tx, activation.id, "staffed", now)
            await self.callouts.escalation.stop(tx, activation.id)
            for request, member in await sql.requests_with_members(tx, activation.id,
                                                                    ("pending",)):
                await sql.set_request_state(tx, request.id, "stood_down", now)
                await self.out.stand_down(tx, activation, request, member, "stood_down", now)
            await self.out.tell_leaders(tx, now, lambda t: "✅ " + t.gettext(
                "Call-out {code}: every shift is staffed.").format(code=activation.code),
                activation=activation)
            await append_audit(tx, now, "system", "activation.staffed", activation.id,
                               shifts=len(shifts))
            return []
        if not full and shifts and activation.state == "staffed":
            await sql.set_activation_state(tx, activation.id, "open", now)
            arms = await self.callouts.escalation.schedule(tx, activation, now)
            stood_down = await sql.requests_with_members(tx, activation.id, ("stood_down",))
            for position, (request, member) in enumerate(stood_down):
                if await sql.is_confirmed_elsewhere(tx, member.id, activation.id):
                    continue
                await sql.set_request_state(tx, request.id, "pending", now)
                await self.out.ask_again(tx, activation, request, member, now, position=position)
            await append_audit(tx, now, "system", "activation.reopened", activation.id)
            return arms
        return []

    # -- a volunteer on a shift ----------------------------------------------------------------

    async def mission(self, member: Member, place_id: int, verb: str,
                      presser_t: Translator) -> str:
        """[Framme] or [Kan inte ändå] under a shift's briefing; the toast they get."""
        now = self.clock()
        arms: list[Deadline] = []
        async with self.db.transaction() as tx:
            place = await shift_sql.place_by_id(tx, place_id)
            if place is None or place.member_id != member.id:
                return presser_t.gettext("This request was not sent to you.")
            shift = await shift_sql.shift_by_id(tx, place.shift_id)
            activation = await sql.activation_by_id(tx, shift.activation_id)
            member = await member_in(tx, member.id)
            t = self._t(member)
            if not shift.is_active or not activation.is_active:
                return t.gettext("Shift {number} is over.").format(number=shift.number)
            if place.state != "confirmed":
                return t.gettext("You are no longer on this shift's team.")
            if verb == "arrived":
                if await shift_sql.stamp_arrived(tx, place.id, now):
                    place = await shift_sql.place_by_id(tx, place.id)
                    await self._brief(tx, activation, shift, place, member, now, op="edit")
                    await self.out.tell_leaders(tx, now, lambda lt: lt.gettext(
                        "Call-out {code}, shift {number}: {name} has arrived.").format(
                            code=activation.code, number=shift.number, name=member.name),
                        activation=activation)
                    await append_audit(tx, now, f"member:{member.id}", "shift.arrived",
                                       activation.id, shift=shift.number)
                self.wake_sender()
                return t.gettext("Noted: you have arrived.")
            arms = await self._withdraw(tx, activation, shift, place, member, now)
        logger.info("activation %s event=shift_withdrawn shift=%d", activation.code,
                    shift.number)
        self._done(arms)
        return t.gettext("Understood. Thank you for telling us.")

    async def _withdraw(self, tx: Connection, activation: Activation, shift: Shift,
                        place: Place, member: Member, now: datetime) -> list[Deadline]:
        """A volunteer leaves a shift: the first reserve takes the place, else the shift (and
        the centre) is open again."""
        await shift_sql.set_place_state(tx, place.id, "withdrawn", now)
        if shift.briefed_at is not None:
            await self._end_briefing(tx, activation, shift, place, member, "withdrawn", now)
        await self._refresh_request(tx, activation, place.request_id, member, now)
        reserves = await shift_sql.places_of_shift(tx, shift.id, ("reserve",))
        decision = decide_withdraw(activation_state="staffed" if shift.state == "staffed"
                                   else "open", reserves=len(reserves))
        await append_audit(tx, now, f"member:{member.id}", "shift.withdrawn", activation.id,
                           shift=shift.number, promoted=decision.promote)
        if decision.promote:
            promoted_place, promoted = reserves[0]
            await shift_sql.set_place_state(tx, promoted_place.id, "confirmed", now)
            promoted_place = await shift_sql.place_by_id(tx, promoted_place.id)
            await self.out.send(tx, promoted, self._t(promoted).gettext(
                "{code}: a place on shift {number} came free – it is yours now.").format(
                    code=activation.code, number=shift.number), now, activation=activation)
            if shift.briefed_at is not None:
                await self._brief(tx, activation, shift, promoted_place, promoted, now)
                await self._tell_team(tx, activation, shift, promoted, now)
            await self._refresh_request(tx, activation, promoted_place.request_id, promoted, now)
            await self.out.tell_leaders(tx, now, lambda t: t.gettext(
                "Call-out {code}, shift {number}: {old} cannot come; {new} (reserve) takes the "
                "place.").format(code=activation.code, number=shift.number, old=member.name,
                                 new=promoted.name), activation=activation)
            return []
        if shift.state == "staffed":
            await shift_sql.set_shift_state(tx, shift.id, "open", now)
        team = await shift_sql.places_of_shift(tx, shift.id, ("confirmed",))
        await self.out.tell_leaders(tx, now, lambda t: "⚠️ " + t.gettext(
            "Call-out {code}, shift {number}: {old} cannot come and there is no reserve: "
            "{confirmed}/{needed}.").format(code=activation.code, number=shift.number,
                                            old=member.name, confirmed=len(team),
                                            needed=shift.needed), activation=activation)
        return await self._after_change(tx, activation, now)

    # -- briefings -----------------------------------------------------------------------------

    async def _brief(self, tx: Connection, activation: Activation, shift: Shift, place: Place,
                     member: Member, now: datetime, *, op: str = "send") -> None:
        """Queues a shift's briefing (and the location) for one of its team."""
        leader = await member_in(tx, activation.created_by) if activation.created_by else None
        team = [TeamMember(mate.name, mate.phone) for _, mate in
                await shift_sql.places_of_shift(tx, shift.id, ("confirmed",))]
        t = self._t(member)
        message = shift_briefing(self.settings, activation, shift, place, team, leader, t,
                                 arrived=place.arrived_at is not None)
        if op == "edit":
            await self.out.edit(tx, member, shift_briefing_ref(place.id), message, now)
            return
        await self.out.send(tx, member, message, now, ref=shift_briefing_ref(place.id))
        pin = location_message(activation, t)
        if pin is not None:
            await self.out.send(tx, member, pin, now, ref=shift_location_ref(place.id))

    async def _end_briefing(self, tx: Connection, activation: Activation, shift: Shift,
                            place: Place, member: Member, how: str, now: datetime) -> None:
        """Edits a shift briefing down to code and shift, and removes the location pin."""
        await self.out.edit(tx, member, shift_briefing_ref(place.id), shift_ended(
            self.settings, activation, shift, how, self._t(member)), now)
        if activation.location_lat is not None:
            await self.out.delete(tx, member, shift_location_ref(place.id), now)

    # -- deadlines -----------------------------------------------------------------------------

    async def _shift_of(self, tx: Connection, deadline: Deadline
                        ) -> tuple[Activation, Shift] | None:
        shift = await shift_sql.shift_by_id(tx, deadline.step)
        if shift is None or not shift.is_active:
            return None
        activation = await sql.activation_by_id(tx, shift.activation_id)
        return (activation, shift) if activation.is_active else None

    async def _brief_due(self, tx: Connection, deadline: Deadline,
                         now: datetime) -> list[Deadline]:
        """Before the shift: its team gets the briefing; leaders hear if it is short."""
        found = await self._shift_of(tx, deadline)
        if found is None:
            return []
        activation, shift = found
        if not await shift_sql.mark_briefed(tx, shift.id, now):
            return []
        shift = await shift_sql.shift_by_id(tx, shift.id)
        team = await shift_sql.places_of_shift(tx, shift.id, ("confirmed",))
        for place, member in team:
            await self._brief(tx, activation, shift, place, member, now)
        if len(team) < shift.needed:
            await self.out.tell_leaders(tx, now, lambda t: "⚠️ " + t.gettext(
                "Call-out {code}: shift {number} starts {time} with {confirmed}/{needed}.")
                .format(code=activation.code, number=shift.number,
                        time=t.time(shift.starts_at), confirmed=len(team),
                        needed=shift.needed), activation=activation)
        await append_audit(tx, now, "system", "shift.briefed", activation.id,
                           shift=shift.number, confirmed=len(team))
        logger.info("activation %s event=shift_briefed shift=%d confirmed=%d", activation.code,
                    shift.number, len(team))
        return []

    async def _remind_due(self, tx: Connection, deadline: Deadline,
                          now: datetime) -> list[Deadline]:
        """An hour before: the team is reminded."""
        found = await self._shift_of(tx, deadline)
        if found is None:
            return []
        activation, shift = found
        for _, member in await shift_sql.places_of_shift(tx, shift.id, ("confirmed",)):
            await self.out.send(tx, member, shift_reminder(self.settings, activation, shift,
                                                           self._t(member)), now)
        return []

    async def _end_due(self, tx: Connection, deadline: Deadline,
                       now: datetime) -> list[Deadline]:
        """The shift is over: its team stood down and asked for the debrief; after the last
        shift the centre closes by itself."""
        found = await self._shift_of(tx, deadline)
        if found is None:
            return []
        activation, shift = found
        arms = await self._end_shift(tx, activation, shift, now, how="ended")
        remaining = [other for other in await shift_sql.shifts_of(tx, activation.id)
                     if other.is_active]
        if not remaining:
            arms += await self._close(tx, activation, None, now)
        else:
            arms += await self._after_change(tx, activation, now)
        return arms

    async def _end_shift(self, tx: Connection, activation: Activation, shift: Shift,
                         now: datetime, *, how: str) -> list[Deadline]:
        """Ends (or cancels) one shift: briefings edited down, reserves stood down, the team
        of a shift that took place asked for the debrief."""
        await shift_sql.set_shift_state(tx, shift.id, "ended" if how == "ended" else "cancelled",
                                        now)
        shift = await shift_sql.shift_by_id(tx, shift.id)
        team = await shift_sql.places_of_shift(tx, shift.id, ("confirmed",))
        for place, member in team:
            if how == "cancelled":
                await shift_sql.set_place_state(tx, place.id, "released", now)
            if shift.briefed_at is not None:
                await self._end_briefing(tx, activation, shift, place, member, how, now)
            elif how == "cancelled":
                await self.out.send(tx, member, shift_ended(self.settings, activation, shift,
                                                            how, self._t(member)), now)
        for place, member in await shift_sql.places_of_shift(tx, shift.id, ("reserve",)):
            await shift_sql.set_place_state(tx, place.id, "stood_down", now)
            await self.out.send(tx, member, shift_ended(
                self.settings, activation, shift, "stood_down" if how == "ended" else how,
                self._t(member)), now)
        await append_audit(tx, now, "system", f"shift.{how}", activation.id,
                           shift=shift.number, team=len(team))
        if how != "ended" or not team:
            return []
        requests = {request.member_id: request for request, _ in
                    await sql.requests_with_members(tx, activation.id)}
        worked = [(requests[member.id], member) for _, member in team if member.id in requests]
        return await self.debriefs.plan(tx, activation, worked, now)

    # -- leaders -------------------------------------------------------------------------------

    async def add_shift(self, leader: Member, activation_id: int) -> str:
        """One more shift after the last, as long and as big; the toast for the leader."""
        now = self.clock()
        t = self._t(leader)
        async with self.db.transaction() as tx:
            activation = await sql.activation_by_id(tx, activation_id)
            shifts = await shift_sql.shifts_of(tx, activation.id)
            if not activation.is_active or not shifts:
                return t.gettext("Shifts can only be added while the centre is open.")
            if len(shifts) >= self.settings.shifts.max_shifts:
                return t.gettext("At most {count} shifts.").format(
                    count=self.settings.shifts.max_shifts)
            last = shifts[-1]
            start = max(last.ends_at, now)
            shift = await shift_sql.insert_shift(tx, activation.id, last.number + 1, start,
                                                 start + (last.ends_at - last.starts_at),
                                                 last.needed)
            arms = await self._schedule(tx, shift, now)
            arms += await self._after_change(tx, activation, now)
            for request, member in await sql.requests_with_members(
                    tx, activation.id, ("pending", "reserve")):
                await self._refresh_request(tx, activation, request.id, member, now)
            await self.out.tell_leaders(tx, now, lambda lt: lt.gettext(
                "Call-out {code}: {name} added {shift}.").format(
                    code=activation.code, name=leader.name, shift=shift_label(shift, lt)),
                activation=activation)
            await append_audit(tx, now, f"member:{leader.id}", "shift.added", activation.id,
                               shift=shift.number)
        self._done(arms)
        return t.gettext("Added: {shift}.").format(shift=shift_label(shift, t))

    async def close(self, leader: Member, activation_id: int) -> str:
        """Closes the centre on a leader's word; shifts not yet begun are cancelled."""
        now = self.clock()
        t = self._t(leader)
        async with self.db.transaction() as tx:
            activation = await sql.activation_by_id(tx, activation_id)
            if not activation.is_active:
                return t.gettext("Call-out {code} is over – no answer is needed.").format(
                    code=activation.code)
            arms = await self._close(tx, activation, leader, now)
        self._done(arms)
        return marked(activation, t, t.gettext("Call-out {code} is closed.").format(
            code=activation.code))

    async def _close(self, tx: Connection, activation: Activation, by: Member | None,
                     now: datetime) -> list[Deadline]:
        arms: list[Deadline] = []
        for shift in await shift_sql.shifts_of(tx, activation.id):
            if shift.is_active:
                arms += await self._end_shift(
                    tx, activation, shift, now,
                    how="ended" if shift.starts_at <= now else "cancelled")
        actor = f"member:{by.id}" if by else "system"
        await sql.set_activation_state(tx, activation.id, "closed", now, by=actor)
        await self.callouts.escalation.stop(tx, activation.id)
        await cancel_deadlines(tx, activation.id, SHIFT_KINDS)
        for request, member in await sql.requests_with_members(tx, activation.id,
                                                                ("pending", "reserve")):
            await sql.set_request_state(tx, request.id, "stood_down", now)
            if request.state == "reserve":  # took a shift: thanked, not "not needed"
                await self.out.edit_request(tx, member, request.id, centre_closed(
                    self.settings, activation, self._t(member)), now)
            else:
                await self.out.stand_down(tx, activation, request, member, "closed", now)
        await self.out.tell_leaders(tx, now, lambda t: t.gettext(
            "Call-out {code} closed by {name}.").format(
                code=activation.code, name=by.name if by else t.gettext("the bot")),
            activation=activation)
        await append_audit(tx, now, actor, "activation.closed", activation.id)
        logger.info("activation %s event=closed shifts", activation.code)
        closed = await sql.activation_by_id(tx, activation.id)
        for hook in self.callouts.on_closed:  # the purge of sensitive details, and the like
            arms += await hook(tx, closed, [], now)
        return arms

    async def board(self, activation: Activation, t: Translator) -> OutgoingMessage:
        """/status CODE of a centre: the shift board."""
        rows = [(shift, await self.reads.places(shift.id))
                for shift in await self.reads.shifts(activation.id)]
        counts = await self.callouts.reads.state_counts(activation.id)
        return board(self.settings, activation, rows, counts, self.clock(), t)

