"""Routing that spans features: the one button dispatcher, typed text, unknown commands, errors."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import choices
from handlers.admin import AdminHandlers
from handlers.callout import CalloutHandlers
from handlers.common import Adapter
from handlers.debrief import DebriefHandlers
from handlers.enrolment import EnrolmentHandlers

__all__ = ["Router"]

logger = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE


class Router(Adapter):
    """Sends each button press and typed text to the feature it belongs to."""

    def __init__(self, services, messenger, enrolment: EnrolmentHandlers,
                 callout: CalloutHandlers, admin: AdminHandlers,
                 debrief: DebriefHandlers) -> None:
        super().__init__(services, messenger)
        self.enrolment = enrolment
        self.callout = callout
        self.admin = admin
        self.debrief = debrief

    async def button(self, update: Update, context: Context) -> None:
        """Parses the callback data through the one codec and dispatches it."""
        data = choices.parse(update.callback_query.data)
        match data:
            case choices.Answer():
                await self.callout.answer(update, context, data)
            case choices.MissionAction():
                await self.callout.mission(update, context, data)
            case choices.HoldAction():
                await self.callout.hold_action(update, context, data)
            case choices.StatusAction():
                await self.callout.status_action(update, context, data)
            case choices.ActivateChoice():
                await self.callout.activate_choice(update, context, data)
            case choices.EnrolChoice():
                await self.enrolment.choice(update, context, data)
            case choices.LanguageChoice():
                await self.enrolment.language_chosen(update, context, data)
            case choices.RemoveConfirm():
                await self.admin.remove_confirm(update, context, data)
            case choices.DebriefAction():
                await self.debrief.press(update, context, data)
            case _:
                t = self.t(update, None)
                await self.toast(update, t.gettext("This button is no longer valid."))

    async def text(self, update: Update, context: Context) -> None:
        """Typed text: an answer inside a dialogue, else a hint."""
        if await self.enrolment.text(update):
            return
        member = await self.member_or_refuse(update)
        if member is None:
            return
        if await self.callout.dialogue_text(update, member):
            return
        # After the leader's /activate dialogue: a volunteer answering a questionnaire.
        if await self.debrief.text(update, member):
            return
        t = self.t(update, member)
        await self.reply_text(update, t.gettext("I did not understand that. /help lists what "
                                                "you can do."))

    async def chat_member(self, update: Update, context: Context) -> None:
        """Telegram says a person blocked (or unblocked) the bot: mark them (un)reachable."""
        change = update.my_chat_member
        if change is None or change.chat.type != "private":
            return
        if await self.services.members.by_telegram_id(change.chat.id) is None:
            return
        blocked = change.new_chat_member.status in ("kicked", "left")
        await self.services.callouts.mark_unreachable(change.chat.id, blocked)

    async def unknown_command(self, update: Update, context: Context) -> None:
        """A command the bot does not have."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        t = self.t(update, member)
        await self.reply_text(update, t.gettext("Unknown command. /help lists what you can do."))

    async def error(self, update: object, context: Context) -> None:
        """The one error handler: log with traceback, tell the person something went wrong."""
        logger.error("error while handling an update", exc_info=context.error)
        if not isinstance(update, Update) or update.effective_chat is None:
            return
        t = self.t(update, None)
        text = t.gettext("Something went wrong on our side. Please try again; if it keeps "
                         "happening, call the duty leader.")
        try:
            if update.callback_query is not None:
                await self.toast(update, text)
            else:
                await self.reply_text(update, text)
        except Exception:
            logger.exception("could not tell the person about the error")
