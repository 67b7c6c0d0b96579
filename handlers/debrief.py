"""Adapters for after the intervention: the questionnaire's buttons and typed answers, and
/debrief (leaders: a call-out's follow-up; volunteers: continue their questions)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.choices import DebriefAction
from handlers.common import Adapter
from storage.models import Member

__all__ = ["DebriefHandlers"]

Context = ContextTypes.DEFAULT_TYPE


class DebriefHandlers(Adapter):
    """The questionnaire and /debrief."""

    async def press(self, update: Update, context: Context, action: DebriefAction) -> None:
        """A button of a questionnaire."""
        result = await self.services.debriefs.press(update.effective_user.id, action,
                                                    self.t(update, None))
        await self.toast(update, result.text)

    async def text(self, update: Update, member: Member) -> bool:
        """Typed text answering the member's open questionnaire; False if none is open."""
        message = update.effective_message
        return await self.services.debriefs.text(member, message.text, message.message_id)

    async def debrief(self, update: Update, context: Context) -> None:
        """/debrief [CODE]: a leader's follow-up view, or a volunteer's unfinished questions."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        t = self.t(update, member)
        if not member.is_leader:
            if not await self.services.debriefs.resume_latest(member):
                await self.reply_text(update, t.gettext(
                    "You have no questions to answer right now. Thank you!"))
            return
        if not context.args:
            await self.reply(update, [await self.services.debriefs.year(t)])
            return
        activation = await self.activation_from_args(update, member, context.args)
        if activation is None:
            return
        await self.reply(update, await self.services.debriefs.summary(activation, t))
