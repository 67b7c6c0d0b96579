"""Answering the questionnaires after an intervention through the real DebriefService, as a
volunteer would: the deadline sends it, numbers, scales, yes/no and free text are typed, multi
questions are ticked with their buttons and [Klar], optional questions skipped with [Hoppa över].
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping

from bot.choices import DebriefAction
from bot.debrief.rules import current_question
from bot.i18n import translator
from storage.debriefs import Debrief, debrief_by_id, debrief_by_request

SKIP = None  # as an answer: press [Hoppa över]
DEADLINE_OF = {"debrief": "debrief", "followup": "welfare_followup"}
_message_ids = itertools.count(1000)  # typed messages: Telegram's ids only grow
_EN = translator("en")


async def send_questionnaire(services, request_id: int, kind: str = "debrief") -> Debrief:
    """Fires the deadline that sends a volunteer's questionnaire (as the clock would)."""
    [deadline] = [d for d in await services.deadlines.store.pending()
                  if d.kind == DEADLINE_OF[kind] and d.request_id == request_id]
    await services.deadlines.fire(deadline.id)
    debrief = await debrief_by_request(services.database.connection, request_id, kind)
    assert debrief is not None and debrief.state == "open", debrief
    return debrief


async def _press(services, member, action: DebriefAction) -> None:
    result = await services.debriefs.press(member, action, _EN)
    assert result.text is None, (action, result.text)  # a toast would mean it was refused


async def answer(services, debrief_id: int, answers: Mapping[str, object], *,
                 stop_before: str | None = None) -> Debrief:
    """Answers question after question from `answers` (question key -> answer) until the
    questionnaire is done, or leaves it open before the question `stop_before`."""
    while True:
        debrief = await debrief_by_id(services.database.connection, debrief_id)
        if debrief.state == "done":
            return debrief
        position, question = current_question(
            debrief.questions, debrief.position,
            services.settings.debrief.question_list(debrief.kind))
        assert question is not None and position == debrief.position
        if question.key == stop_before:
            return debrief
        value = answers[question.key]
        member = await services.members.by_id(debrief.member_id)
        if value is SKIP:
            await _press(services, member, DebriefAction(debrief.id, position, "sk"))
        elif isinstance(value, list):
            for option in value:
                await _press(services, member,
                             DebriefAction(debrief.id, position, "on", option))
            await _press(services, member, DebriefAction(debrief.id, position, "ok"))
        else:
            if isinstance(value, bool):
                typed = "ja" if value else "nej"
            elif isinstance(value, float):
                typed = str(value).replace(".", ",")  # as a Swede types 3,5
            else:
                typed = str(value)
            assert await services.debriefs.text(member, typed, next(_message_ids))
        after = await debrief_by_id(services.database.connection, debrief_id)
        assert after.position > position or after.state == "done", (question.key, value)
