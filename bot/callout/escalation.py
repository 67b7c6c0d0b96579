"""The escalation ladder of an unstaffed call-out: reminders, wider waves, then "EJ BEMANNAT".

Every step is a deadline row (bot.deadlines), created when the call-out is sent (or opens again)
and cancelled the moment it is staffed, closed or cancelled. A watchdog makes sure an open,
short-staffed call-out always has either a step still to come or the leaders already alerted.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

import aiosqlite

from bot.callout.asking import ask
from bot.callout.outbound import Outbound
from bot.callout.render import area_name, go_label, kind_label
from bot.choices import StatusAction
from bot.config import Settings
from bot.deadlines import DeadlineRunner
from bot.delivery.messages import Choice
from bot.i18n import Translator
from storage import callouts as sql
from storage.audit import append_audit
from storage.clock import Clock
from storage.database import Database
from storage.deadlines import add_deadline, cancel_deadlines, fired_steps, mark_unstaffed_alert
from storage.models import Activation, Deadline, Member

__all__ = ["ESCALATION_KINDS", "Escalation"]

logger = logging.getLogger(__name__)
Connection = aiosqlite.Connection

REMINDER, WAVE, UNSTAFFED_ALERT = "reminder", "wave", "unstaffed_alert"
ESCALATION_KINDS = (REMINDER, WAVE, UNSTAFFED_ALERT)


class Escalation:
    """Schedules and runs the ladder; also the leaders' [Fråga alla] and the watchdog."""

    def __init__(self, settings: Settings, database: Database, clock: Clock,
                 outbound: Outbound, runner: DeadlineRunner,
                 wake_sender: Callable[[], None]) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.outbound = outbound
        self.runner = runner
        self.wake_sender = wake_sender
        # Says how staffed a call-out counted in something other than its requests is (a
        # support centre: places on shifts) as (taken, needed); None for an ordinary one.
        self.staffing: list[Callable[[Connection, Activation],
                                     Awaitable[tuple[int, int] | None]]] = []
        runner.register(REMINDER, self._remind)
        runner.register(WAVE, self._wave)
        runner.register(UNSTAFFED_ALERT, self._alert)

    async def schedule(self, tx: Connection, activation: Activation,
                       now: datetime) -> list[Deadline]:
        """Adds the ladder counted from now: reminder, the waves not sent yet, the alert."""
        callout = self.settings.callout
        added = []
        if callout.reminder_after:  # "0s" turns reminders off
            added.append(await add_deadline(tx, REMINDER, now + callout.reminder_after, now,
                                            activation_id=activation.id))
        done = await fired_steps(tx, activation.id, WAVE)
        for step, wave in enumerate(callout.waves, start=1):
            if step not in done:
                added.append(await add_deadline(tx, WAVE, now + wave.after, now,
                                                activation_id=activation.id, step=step))
        added.append(await add_deadline(tx, UNSTAFFED_ALERT, now + callout.unstaffed_alert_after,
                                        now, activation_id=activation.id))
        return added

    async def stop(self, tx: Connection, activation_id: int) -> None:
        """Cancels every step still to come (staffed, closed or cancelled)."""
        await cancel_deadlines(tx, activation_id, ESCALATION_KINDS)

    # -- the steps -----------------------------------------------------------------------------

    async def _remind(self, tx: Connection, deadline: Deadline, now: datetime) -> list[Deadline]:
        activation = await sql.activation_by_id(tx, deadline.activation_id)
        if activation.state != "open":
            return []
        waiting = await sql.requests_with_members(tx, activation.id, ("pending",))
        reminded = 0
        for position, (request, member) in enumerate(waiting):
            if await self.outbound.ask_again(tx, activation, request, member, now,
                                             reminder=True, position=position):
                reminded += 1
        await append_audit(tx, now, "system", "escalation.reminder", activation.id,
                           reminded=reminded)
        logger.info("activation %s event=reminder reminded=%d", activation.code, reminded)
        self.wake_sender()
        return []

    async def _wave(self, tx: Connection, deadline: Deadline, now: datetime) -> list[Deadline]:
        activation = await sql.activation_by_id(tx, deadline.activation_id)
        if activation.state != "open" or deadline.step > len(self.settings.callout.waves):
            return []
        scope = self.settings.callout.waves[deadline.step - 1].scope
        areas = self._areas(activation, scope)
        asked = await ask(tx, self.outbound, activation, areas, wave=deadline.step + 1, now=now)
        await append_audit(tx, now, "system", "escalation.wave", activation.id,
                           step=deadline.step, scope=scope, asked=asked)
        logger.info("activation %s event=wave step=%d scope=%s asked=%d", activation.code,
                    deadline.step, scope, asked)
        if asked:
            counts = await sql.state_counts(tx, activation.id)
            confirmed, needed = await self._staffing(tx, activation, counts)
            # The notice names the areas this wave adds, not those asked before.
            earlier = {activation.area}
            for step in range(1, deadline.step):
                earlier.update(self._areas(activation,
                                           self.settings.callout.waves[step - 1].scope))
            names = ", ".join(area_name(self.settings, key) for key in areas
                              if key not in earlier)
            await self.outbound.tell_leaders(tx, now, lambda t: "⚠️ " + t.gettext(
                "Call-out {code} is not staffed ({confirmed}/{needed}). Now also asking "
                "{areas}: {count} more.").format(
                    code=activation.code, confirmed=confirmed, needed=needed, areas=names,
                    count=asked),
                activation=activation)
        self.wake_sender()
        return []

    async def _staffing(self, tx: Connection, activation: Activation,
                        counts: dict[str, int]) -> tuple[int, int]:
        """(confirmed, needed) as the leaders should read them."""
        for staffing in self.staffing:
            found = await staffing(tx, activation)
            if found is not None:
                return found
        return counts.get("confirmed", 0), activation.needed

    def _areas(self, activation: Activation, scope: str) -> list[str]:
        if scope == "all":
            return self.settings.area_keys
        if scope == "neighbours":
            area = self.settings.area(activation.area)
            return [activation.area, *(area.neighbours if area else [])]
        return [activation.area]

    async def _alert(self, tx: Connection, deadline: Deadline, now: datetime) -> list[Deadline]:
        activation = await sql.activation_by_id(tx, deadline.activation_id)
        if activation.state == "open":
            await self.raise_alert(tx, activation, now)
        return []

    async def raise_alert(self, tx: Connection, activation: Activation, now: datetime) -> None:
        """Tells every leader, once, that the call-out is not staffed and what is missing."""
        counts = await sql.state_counts(tx, activation.id)
        unreachable = await sql.unreachable_asked(tx, activation.id)
        confirmed, needed = await self._staffing(tx, activation, counts)
        age = now - activation.created_at

        def text(t: Translator) -> str:
            return "🔴 " + t.gettext(
                "NOT STAFFED: call-out {code} ({kind}, {area}) has {confirmed}/{needed} after "
                "{duration}. Waiting for an answer: {pending}, said no: {declined}, could not "
                "be reached: {unreachable}.").format(
                    code=activation.code, kind=kind_label(self.settings, activation, t),
                    area=area_name(self.settings, activation.area),
                    confirmed=confirmed, needed=needed,
                    duration=t.duration(age), pending=counts.get("pending", 0),
                    declined=counts.get("declined", 0), unreachable=unreachable)

        def buttons(t: Translator) -> tuple[tuple[Choice, ...], ...]:
            row = [Choice(t.gettext("Ask everyone"), StatusAction(activation.id, "widen").pack()),
                   Choice(t.gettext("Status"), StatusAction(activation.id, "refresh").pack())]
            if counts.get("confirmed"):
                row.insert(1, Choice(go_label(counts["confirmed"], t),
                                     StatusAction(activation.id, "go").pack()))
            return (tuple(row),)

        await self.outbound.tell_leaders(tx, now, text, buttons, activation=activation)
        await mark_unstaffed_alert(tx, activation.id, now)
        await append_audit(tx, now, "system", "escalation.unstaffed_alert", activation.id,
                           confirmed=counts.get("confirmed", 0), needed=activation.needed)
        logger.warning("activation %s event=unstaffed_alert confirmed=%d needed=%d",
                       activation.code, counts.get("confirmed", 0), activation.needed)
        self.wake_sender()

    # -- watchdog and the leaders' hand ---------------------------------------------------------

    async def watchdog(self) -> int:
        """Alerts the leaders about any open, short call-out that nothing is moving forward."""
        alerted = 0
        for activation_id in await self.runner.store.stalled_activations():
            now = self.clock()
            async with self.db.transaction() as tx:
                activation = await sql.activation_by_id(tx, activation_id)
                if activation.state != "open" or activation.unstaffed_alert_at is not None:
                    continue
                logger.warning("activation %s event=watchdog no deadline ahead", activation.code)
                await self.raise_alert(tx, activation, now)
                alerted += 1
        return alerted

    async def widen(self, leader: Member, activation_id: int) -> str:
        """[Fråga alla]: asks every area at once; returns the leader's answer."""
        now = self.clock()
        t = self.outbound.t(leader)
        async with self.db.transaction() as tx:
            activation = await sql.activation_by_id(tx, activation_id)
            if activation.state != "open":
                return t.gettext("Call-out {code} is not open, nobody more is asked.").format(
                    code=activation.code)
            wave = await sql.highest_wave(tx, activation.id) + 1
            asked = await ask(tx, self.outbound, activation, self.settings.area_keys, wave=wave,
                                            now=now)
            await append_audit(tx, now, f"member:{leader.id}", "escalation.widened",
                               activation.id, asked=asked)
        logger.info("activation %s event=widened asked=%d", activation.code, asked)
        self.wake_sender()
        return t.ngettext("Asking every area: {count} more person.",
                          "Asking every area: {count} more people.", asked).format(count=asked)
