"""After the intervention: the debrief questionnaire, its reminder, the check-in weeks later, the
welfare alert, and what leaders read of it.

Closing an activation (CalloutService.on_closed) creates one questionnaire row per confirmed
volunteer and a deadline row for each (bot.deadlines): 'debrief' after `debrief.delay`,
'debrief_reminder' once it was sent, 'welfare_followup' after `debrief.followup_after`. Each button
press, typed answer or deadline is one transaction that reads the questionnaire row, applies
bot.debrief.rules, stores the answer and the new position, and queues every message it owes in
the outbox. So a restart in the middle loses nothing and sends nothing twice. Free-text answers
are never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

import aiosqlite

from bot.callout.outbound import Outbound
from bot.choices import DebriefAction
from bot.config import DebriefQuestion, Settings
from bot.deadlines import DeadlineRunner
from bot.debrief.render import (
    answer_line,
    figures_lines,
    finished_message,
    hint,
    intro_message,
    paused_message,
    question_closed,
    question_message,
    reminder_message,
    summary_messages,
    welfare_alert,
    welfare_thanks,
    year_overview,
)
from bot.debrief.rules import (
    Given,
    Retry,
    current_question,
    finish_multi,
    read_pick,
    read_typed,
    skip,
    toggle,
    triggers_welfare,
)
from bot.delivery.messages import OutgoingMessage
from bot.i18n import Translator
from storage import callouts as sql
from storage.audit import append_audit
from storage.callouts import CalloutReads
from storage.clock import Clock
from storage.database import Database
from storage.deadlines import add_deadline, cancel_request_deadlines
from storage.debriefs import (
    Debrief,
    DebriefReads,
    activation_figures,
    debrief_by_id,
    debrief_by_request,
    focused_debrief,
    insert_debrief,
    save_answer,
    save_progress,
    unfinished_debrief,
)
from storage.members import member_in
from storage.models import Activation, Deadline, Member, Request

__all__ = ["DEBRIEF_KINDS", "DebriefService", "PressResult", "question_ref"]

logger = logging.getLogger(__name__)
Connection = aiosqlite.Connection

DEBRIEF, REMINDER, FOLLOWUP = "debrief", "debrief_reminder", "welfare_followup"
DEBRIEF_KINDS = (DEBRIEF, REMINDER, FOLLOWUP)


def question_ref(debrief_id: int, asked: int) -> str:
    """The outbox ref of the nth question message of a questionnaire (for later edits)."""
    return f"debrief:{debrief_id}:{asked}"


@dataclass(frozen=True, slots=True)
class PressResult:
    """The toast for the person who pressed (None: no toast needed)."""

    text: str | None = None


@dataclass(slots=True)
class _Turn:
    """One questionnaire being worked on inside a transaction."""

    debrief: Debrief
    activation: Activation
    member: Member
    t: Translator


class DebriefService:
    """Runs the questionnaires after interventions."""

    def __init__(self, settings: Settings, database: Database, clock: Clock,
                 outbound: Outbound, runner: DeadlineRunner,
                 wake_sender: Callable[[], None]) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.out = outbound
        self.runner = runner
        self.wake_sender = wake_sender
        self.reads = DebriefReads(database)
        self.callout_reads = CalloutReads(database)
        runner.register(DEBRIEF, self._send_debrief)
        runner.register(FOLLOWUP, self._send_followup)
        runner.register(REMINDER, self._remind)

    # -- scheduled when an intervention closes -------------------------------------------------

    async def on_closed(self, tx: Connection, activation: Activation,
                        team: list[tuple[Request, Member]], now: datetime) -> list[Deadline]:
        """CalloutService.on_closed hook: plans the questionnaires; exercise figures to leaders."""
        if activation.exercise:
            figures = await activation_figures(tx, activation.id)
            await self.out.tell_leaders(
                tx, now, lambda t: "\n".join(figures_lines(activation, figures, t)),
                activation=activation)
        return await self.plan(tx, activation, team, now)

    async def plan(self, tx: Connection, activation: Activation,
                   team: list[tuple[Request, Member]], now: datetime) -> list[Deadline]:
        """Plans the questionnaire (and the check-in) for each of the team; a volunteer who
        already has one for this call-out (e.g. an earlier shift) is not asked twice."""
        config = self.settings.debrief
        if not config.enabled or (activation.exercise and not config.exercises):
            return []
        plans = [(DEBRIEF, "debrief", config.delay, config.questions)]
        if config.followup_after and not activation.exercise:
            plans.append((FOLLOWUP, "followup", config.followup_after,
                          config.followup_questions))
        arms: list[Deadline] = []
        for request, member in team:
            for deadline_kind, kind, after, questions in plans:
                if not questions:
                    continue
                created = await insert_debrief(
                    tx, activation_id=activation.id, request_id=request.id, member_id=member.id,
                    kind=kind, questions=[question.key for question in questions], now=now)
                if created is not None:
                    arms.append(await add_deadline(tx, deadline_kind, now + after, now,
                                                   activation_id=activation.id,
                                                   request_id=request.id))
        if arms:
            await append_audit(tx, now, "system", "debrief.scheduled", activation.id,
                               deadlines=len(arms))
            logger.info("activation %s event=debrief_scheduled deadlines=%d", activation.code,
                        len(arms))
        return arms

    # -- deadlines -------------------------------------------------------------------------------

    async def _send_debrief(self, tx: Connection, deadline: Deadline,
                            now: datetime) -> list[Deadline]:
        return await self._open(tx, deadline, "debrief", now)

    async def _send_followup(self, tx: Connection, deadline: Deadline,
                             now: datetime) -> list[Deadline]:
        return await self._open(tx, deadline, "followup", now)

    async def _open(self, tx: Connection, deadline: Deadline, kind: str,
                    now: datetime) -> list[Deadline]:
        """Sends the introduction and the first question."""
        debrief = await debrief_by_request(tx, deadline.request_id, kind)
        if debrief is None or debrief.state != "scheduled":
            return []
        turn = await self._turn(tx, debrief)
        if turn is None:
            await save_progress(tx, replace(debrief, state="cancelled"))
            await append_audit(tx, now, "system", "debrief.cancelled", debrief.activation_id,
                               debrief_id=debrief.id)
            return []
        await self.out.send(tx, turn.member, intro_message(
            turn.activation, debrief, turn.member, self._count(debrief), self.settings, turn.t),
            now)
        turn.debrief = replace(debrief, state="open", sent_at=now)
        await self._ask(tx, turn, now)
        await append_audit(tx, now, "system", "debrief.sent", debrief.activation_id,
                           debrief_id=debrief.id, kind=kind)
        logger.info("activation %s event=debrief_sent debrief=%d kind=%s",
                    turn.activation.code, debrief.id, kind)
        reminder_after = self.settings.debrief.reminder_after
        if kind != "debrief" or not reminder_after or turn.debrief.state == "done":
            return []
        return [await add_deadline(tx, REMINDER, now + reminder_after, now,
                                   activation_id=debrief.activation_id,
                                   request_id=debrief.request_id)]

    async def _remind(self, tx: Connection, deadline: Deadline, now: datetime) -> list[Deadline]:
        """One reminder, if the questionnaire is still unfinished."""
        debrief = await debrief_by_request(tx, deadline.request_id, "debrief")
        if debrief is None or not debrief.unfinished or debrief.reminded_at is not None:
            return []
        turn = await self._turn(tx, debrief)
        if turn is None:
            return []
        await self.out.send(tx, turn.member, reminder_message(turn.activation, debrief, turn.t),
                            now)
        await save_progress(tx, replace(debrief, reminded_at=now))
        await append_audit(tx, now, "system", "debrief.reminded", debrief.activation_id,
                           debrief_id=debrief.id)
        logger.info("activation %s event=debrief_reminder debrief=%d", turn.activation.code,
                    debrief.id)
        return []

    # -- the volunteer's answers ---------------------------------------------------------------

    async def press(self, member: Member, action: DebriefAction,
                    presser_t: Translator) -> PressResult:
        """A button under a question, the pause message or the reminder."""
        now = self.clock()
        async with self.db.transaction() as tx:
            debrief = await debrief_by_id(tx, action.debrief_id)
            turn = await self._turn(tx, debrief) if debrief is not None else None
            if turn is None or turn.member.id != member.id:
                return PressResult(presser_t.gettext("This questionnaire was not sent to you."))
            result = await self._press(tx, turn, action, now)
        self.wake_sender()
        return result

    async def _press(self, tx: Connection, turn: _Turn, action: DebriefAction,
                     now: datetime) -> PressResult:
        debrief, t = turn.debrief, turn.t
        if debrief.state == "done":
            return PressResult(t.gettext("You have already answered everything – thank you!"))
        if not debrief.unfinished:
            return PressResult(t.gettext("This questionnaire is closed."))
        if action.verb == "r":
            await self._resume(tx, turn, now)
            return PressResult()
        if action.position != debrief.position:
            return PressResult(t.gettext(
                "That button belongs to an earlier step. Please answer the latest question."))
        position, question = current_question(debrief.questions, debrief.position,
                                              self._questions(debrief))
        if question is None or position != debrief.position:
            await self._ask(tx, turn, now)  # the configured questions changed meanwhile
            return PressResult()
        turn.debrief = debrief = replace(debrief, state="open")
        if action.verb == "p":
            await self._pause(tx, turn, question, now)
            return PressResult(t.gettext("Paused – continue whenever you like."))
        if action.verb in ("on", "off"):
            selection = toggle(question, debrief.selection, action.value, action.verb == "on")
            if selection is None:
                return PressResult(t.gettext("This button is no longer valid."))
            turn.debrief = replace(debrief, selection=selection)
            await save_progress(tx, turn.debrief)
            await self.out.edit(tx, turn.member, question_ref(debrief.id, debrief.asked),
                                self._question(turn, question), now)
            return PressResult()
        if action.verb == "sk":
            reading = skip(question)
        elif action.verb == "ok":
            reading = finish_multi(question, debrief.selection)
        else:
            reading = read_pick(question, action.value)
        if reading is None:
            return PressResult(t.gettext("This button is no longer valid."))
        if isinstance(reading, Retry):
            return PressResult(hint(reading.reason, question, t))
        await self._take(tx, turn, question, reading, now)
        return PressResult()

    async def text(self, member: Member, text: str, message_id: int | None) -> bool:
        """A typed answer to the member's open questionnaire; False if none is open.

        `message_id` is the transport's growing id of the typed message (when it has one), so
        a message delivered again is recognised and not taken twice.
        """
        now = self.clock()
        async with self.db.transaction() as tx:
            debrief = await focused_debrief(tx, member.id)
            if debrief is None:
                return False
            if (message_id is not None and debrief.last_message_id is not None
                    and message_id <= debrief.last_message_id):
                return True  # the transport delivered this message again: it was already taken
            last = message_id if message_id is not None else debrief.last_message_id
            turn = await self._turn(tx, replace(debrief, last_message_id=last))
            if turn is None:
                return False
            position, question = current_question(debrief.questions, debrief.position,
                                                  self._questions(debrief))
            if question is None:
                await self._ask(tx, turn, now)
            else:
                turn.debrief = replace(turn.debrief, position=position)
                reading = read_typed(question, text)
                if isinstance(reading, Retry):
                    await self._close_question(tx, turn, question, None, now)
                    await self._ask(tx, turn, now, retry_hint=hint(reading.reason, question,
                                                                   turn.t))
                    await append_audit(tx, now, f"member:{member.id}", "debrief.retry",
                                       debrief.activation_id, debrief_id=debrief.id,
                                       question=question.key, reason=reading.reason)
                else:
                    await self._take(tx, turn, question, reading, now)
        self.wake_sender()
        return True

    async def resume_latest(self, member: Member) -> bool:
        """/debrief from a volunteer: asks the current question of their latest unfinished
        questionnaire again; False if there is none."""
        now = self.clock()
        async with self.db.transaction() as tx:
            debrief = await unfinished_debrief(tx, member.id)
            turn = await self._turn(tx, debrief) if debrief is not None else None
            if turn is None:
                return False
            await self._resume(tx, turn, now)
        self.wake_sender()
        return True

    # -- steps -----------------------------------------------------------------------------------

    async def _take(self, tx: Connection, turn: _Turn, question: DebriefQuestion, given: Given,
                    now: datetime) -> None:
        """Stores an accepted answer, alerts the leaders if it asks for care, asks the next."""
        debrief = turn.debrief
        await save_answer(tx, debrief.id, question.key,
                          value=None if question.type == "text" else given.value,
                          text=given.text, skipped=given.skipped, now=now)
        await self._close_question(tx, turn, question, answer_line(question, given, turn.t), now)
        await append_audit(tx, now, f"member:{turn.member.id}", "debrief.answered",
                           debrief.activation_id, debrief_id=debrief.id, question=question.key,
                           skipped=given.skipped)
        if (triggers_welfare(question, given, self.settings.debrief.welfare_threshold)
                and debrief.welfare_alert_at is None):
            debrief = replace(debrief, welfare_alert_at=now)
            await self._alert_leaders(tx, turn, now)
        turn.debrief = replace(debrief, position=debrief.position + 1, selection=())
        await self._ask(tx, turn, now)

    async def _alert_leaders(self, tx: Connection, turn: _Turn, now: datetime) -> None:
        """Asks every leader at once to get in touch: name, phone and code, nothing else."""
        activation, member = turn.activation, turn.member
        await self.out.tell_leaders(tx, now, lambda t: welfare_alert(activation, member, t),
                                    activation=activation)
        await self.out.send(tx, member, welfare_thanks(activation, turn.t), now)
        await append_audit(tx, now, "system", "debrief.welfare_alert", activation.id,
                           debrief_id=turn.debrief.id, member_id=member.id)
        logger.info("activation %s event=welfare_alert debrief=%d", activation.code,
                    turn.debrief.id)

    async def _ask(self, tx: Connection, turn: _Turn, now: datetime, *,
                   retry_hint: str | None = None) -> None:
        """Sends the current question (or finishes when none is left) and saves the position."""
        debrief = turn.debrief
        position, question = current_question(debrief.questions, debrief.position,
                                              self._questions(debrief))
        if question is None:
            await self._finish(tx, turn, replace(debrief, position=position), now)
            return
        turn.debrief = debrief = replace(debrief, position=position, asked=debrief.asked + 1,
                                         asked_at=now, state="open")
        await self.out.send(tx, turn.member, self._question(turn, question, retry_hint), now,
                            ref=question_ref(debrief.id, debrief.asked))
        await save_progress(tx, debrief)

    def _question(self, turn: _Turn, question: DebriefQuestion,
                  retry_hint: str | None = None) -> OutgoingMessage:
        number, count = self._numbering(turn.debrief)
        return question_message(turn.activation, turn.debrief, question, number, count, turn.t,
                                retry_hint=retry_hint)

    async def _close_question(self, tx: Connection, turn: _Turn, question: DebriefQuestion,
                              answer: str | None, now: datetime) -> None:
        """Edits the question last sent: its buttons go, the answer (if any) is shown."""
        debrief = turn.debrief
        if debrief.asked == 0:
            return
        number, count = self._numbering(debrief)
        await self.out.edit(tx, turn.member, question_ref(debrief.id, debrief.asked),
                            question_closed(turn.activation, debrief, question, number, count,
                                            turn.t, answer), now)

    async def _pause(self, tx: Connection, turn: _Turn, question: DebriefQuestion,
                     now: datetime) -> None:
        await self._close_question(tx, turn, question, None, now)
        turn.debrief = replace(turn.debrief, state="paused")
        await save_progress(tx, turn.debrief)
        await self.out.send(tx, turn.member, paused_message(turn.activation, turn.debrief,
                                                            turn.t), now)
        await append_audit(tx, now, f"member:{turn.member.id}", "debrief.paused",
                           turn.debrief.activation_id, debrief_id=turn.debrief.id)

    async def _resume(self, tx: Connection, turn: _Turn, now: datetime) -> None:
        """Asks the current question again as a fresh message (the older one loses its
        buttons)."""
        debrief = turn.debrief
        _, question = current_question(debrief.questions, debrief.position,
                                       self._questions(debrief))
        if debrief.state == "open" and question is not None:
            await self._close_question(tx, turn, question, None, now)
        turn.debrief = replace(debrief, state="open")
        await self._ask(tx, turn, now)
        await append_audit(tx, now, f"member:{turn.member.id}", "debrief.resumed",
                           debrief.activation_id, debrief_id=debrief.id)

    async def _finish(self, tx: Connection, turn: _Turn, debrief: Debrief,
                      now: datetime) -> None:
        turn.debrief = replace(debrief, state="done", finished_at=now, selection=())
        await save_progress(tx, turn.debrief)
        if debrief.kind == "debrief":
            await cancel_request_deadlines(tx, debrief.request_id, REMINDER)
        await self.out.send(tx, turn.member, finished_message(turn.activation, debrief,
                                                              self.settings, turn.t), now)
        await append_audit(tx, now, f"member:{turn.member.id}", "debrief.done",
                           debrief.activation_id, debrief_id=debrief.id, kind=debrief.kind)
        logger.info("activation %s event=debrief_done debrief=%d kind=%s",
                    turn.activation.code, debrief.id, debrief.kind)

    # -- helpers ---------------------------------------------------------------------------------

    async def _turn(self, tx: Connection, debrief: Debrief) -> _Turn | None:
        member = await member_in(tx, debrief.member_id)
        if member is None or member.status == "removed" or member.address is None:
            return None
        activation = await sql.activation_by_id(tx, debrief.activation_id)
        return _Turn(debrief, activation, member, self.out.t(member))

    def _questions(self, debrief: Debrief) -> list[DebriefQuestion]:
        return self.settings.debrief.question_list(debrief.kind)

    def _count(self, debrief: Debrief) -> int:
        known = {question.key for question in self._questions(debrief)}
        return sum(1 for key in debrief.questions if key in known)

    def _numbering(self, debrief: Debrief) -> tuple[int, int]:
        """"Question 3 of 9", counting only questions still configured."""
        known = {question.key for question in self._questions(debrief)}
        before = sum(1 for key in debrief.questions[:debrief.position] if key in known)
        return before + 1, self._count(debrief)

    # -- leaders ---------------------------------------------------------------------------------

    async def summary(self, activation: Activation, t: Translator) -> list[OutgoingMessage]:
        """/debrief CODE: the call-out's record, figures and a summary of the answers."""
        people = await self.callout_reads.requests_with_members(activation.id)
        return summary_messages(self.settings, activation, [request for request, _ in people],
                                await self.reads.figures(activation.id),
                                await self.reads.of_activation(activation.id), t)

    async def year(self, t: Translator) -> OutgoingMessage:
        """/debrief alone (leaders): this year's closed interventions and their follow-up."""
        year = self.clock().astimezone(self.settings.organisation.tz).year
        return year_overview(self.settings, year, await self.reads.closed_in_year(year), t)
