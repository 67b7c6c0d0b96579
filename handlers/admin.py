"""Adapters for the leaders' records and people's rights: /report, /audit, /roster, /remove,
and /mydata for everyone."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.callout.render import headline
from bot.choices import RemoveConfirm
from bot.delivery.messages import Button, Document, OutgoingMessage
from bot.i18n import Translator
from bot.people.enrolment import ROLE_LABELS
from bot.people.roster_admin import roster_messages
from bot.records.audit_trail import audit_messages
from bot.records.service import valid_year
from handlers.common import Adapter
from storage.models import Member
from transports.telegram.menus import Menus

__all__ = ["AdminHandlers"]

logger = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

# /roster VERB ID, in English and Swedish.
ROSTER_VERBS = {"pause": "pause", "pausa": "pause", "resume": "resume", "återuppta": "resume",
                "aterupta": "resume", "leader": "leader", "ledare": "leader",
                "volunteer": "volunteer", "stödperson": "volunteer", "stodperson": "volunteer"}


class AdminHandlers(Adapter):
    """Reports, the audit trail, the roster and data-protection commands."""

    def __init__(self, services, messenger, menus: Menus) -> None:
        super().__init__(services, messenger)
        self.menus = menus

    async def _name_of(self, member_id: int) -> str | None:
        member = await self.services.members.by_id(member_id)
        return member.name if member else None

    # -- /report -------------------------------------------------------------------------------

    async def report(self, update: Update, context: Context) -> None:
        """/report [YEAR]: the annual report's key figures, and the whole report as a file."""
        leader = await self.leader_or_refuse(update)
        if leader is None:
            return
        t = self.t(update, leader)
        reports = self.services.reports
        year = reports.current_year()
        if context.args:
            year = valid_year(context.args[0], reports.current_year())
            if year is None or len(context.args) > 1:
                await self.reply_text(update, t.gettext("Usage: /report or /report YEAR, e.g. "
                                                        "/report 2026"))
                return
        files = await reports.build(year, t.locale)
        caption = t.gettext("Annual report {year}").format(year=year)
        await self.reply(update, [
            OutgoingMessage(files.text),
            OutgoingMessage(document=Document(f"report-{year}.html", files.html.encode("utf-8"),
                                              caption=caption)),
        ])

    # -- /audit --------------------------------------------------------------------------------

    async def audit(self, update: Update, context: Context) -> None:
        """/audit CODE: every state change of one call-out — when, who, what."""
        leader = await self.leader_or_refuse(update)
        if leader is None:
            return
        t = self.t(update, leader)
        if not context.args:
            await self.reply_text(update, t.gettext("Usage: /audit CODE"))
            return
        activation = await self.activation_from_args(update, leader, context.args)
        if activation is None:
            return
        entries = await self.services.audit.for_activation(activation.id)
        title = t.gettext("Audit trail – {headline}").format(
            headline=headline(self.services.settings, activation, t))
        await self.reply(update, await audit_messages(title, entries, self._name_of, t))

    # -- /roster -------------------------------------------------------------------------------

    async def roster(self, update: Update, context: Context) -> None:
        """/roster lists the members; /roster pause|resume|leader|volunteer ID changes one."""
        leader = await self.leader_or_refuse(update)
        if leader is None:
            return
        t = self.t(update, leader)
        args = context.args or []
        if not args:
            members = await self.services.members.all_members()
            await self.reply(update, roster_messages(self.services.settings, members, t))
            return
        verb = ROSTER_VERBS.get(args[0].lower())
        if verb is None or len(args) != 2 or not args[1].isdecimal():
            await self.reply_text(update, t.gettext(
                "Usage: /roster, or /roster pause|resume|leader|volunteer ID"))
            return
        member_id = int(args[1])
        admin = self.services.roster
        if verb == "pause":
            change = await admin.pause(leader, member_id)
        elif verb == "resume":
            change = await admin.resume(leader, member_id)
        else:
            change = await admin.set_role(leader, member_id, verb)
        await self.reply_text(update, self._change_text(change.outcome, change.member,
                                                        member_id, t))
        if change.outcome == "done" and verb in ("leader", "volunteer"):
            await self.menus.refresh_for(change.member)

    @staticmethod
    def _change_text(outcome: str, member: Member | None, member_id: int,
                     t: Translator) -> str:
        if outcome == "unknown" or member is None:
            return t.gettext("There is no member {id}. /roster lists them.").format(id=member_id)
        if outcome == "last_leader":
            return t.gettext("{name} is the last active leader. Make someone else a leader "
                             "first.").format(name=member.name)
        if outcome == "unchanged":
            return t.gettext("Nothing to change for {name}.").format(name=member.name)
        if member.status == "paused":
            return t.gettext("{name} is paused and will not be asked until /roster resume "
                             "{id}.").format(name=member.name, id=member.id)
        return t.gettext("{name} is now active as {role}.").format(
            name=member.name, role=t.gettext(ROLE_LABELS[member.role]))

    # -- /remove -------------------------------------------------------------------------------

    async def remove(self, update: Update, context: Context) -> None:
        """/remove ID: asks the leader to confirm the erasure of a member's personal data."""
        leader = await self.leader_or_refuse(update)
        if leader is None:
            return
        t = self.t(update, leader)
        args = context.args or []
        if len(args) != 1 or not args[0].isdecimal():
            await self.reply_text(update, t.gettext("Usage: /remove ID (the number in "
                                                    "/roster)"))
            return
        member = await self.services.members.by_id(int(args[0]))
        if member is None or member.status == "removed":
            await self.reply_text(update, t.gettext(
                "There is no member {id}. /roster lists them.").format(id=args[0]))
            return
        confirm = ((Button(t.gettext("Yes, erase"), RemoveConfirm(member.id).pack()),),)
        await self.reply(update, [OutgoingMessage(t.gettext(
            "Erase the personal data of {name} ({id})? Name, phone number and Telegram account "
            "are deleted; the anonymous statistics stay. This cannot be undone.").format(
                name=member.name, id=member.id), buttons=confirm)])

    async def remove_confirm(self, update: Update, context: Context,
                             action: RemoveConfirm) -> None:
        """[Ja, radera]: erases the member (refused while they are on a running call-out)."""
        leader = await self.member_of(update)
        if leader is None or not leader.is_leader:
            await self.toast(update, self.t(update, leader).gettext("Only leaders can do that."))
            return
        t = self.t(update, leader)
        before = await self.services.members.by_id(action.member_id)
        result = await self.services.roster.remove(leader, action.member_id)
        if result.done:
            await self.toast(update, t.gettext("Erased."))
            await self.reply_text(update, t.gettext(
                "The personal data of member {id} is erased; the statistics keep counting "
                "them anonymously.").format(id=action.member_id))
            if before is not None and before.telegram_id is not None:
                await self.menus.forget(before.telegram_id)
            return
        if result.refusal == "last_leader":
            text = t.gettext("That is the last active leader. Make someone else a leader first.")
        elif result.refusal and result.refusal.startswith("busy:"):
            text = t.gettext("Member {id} is on call-out {code} right now. Erase them after it "
                             "has ended.").format(id=action.member_id,
                                                  code=result.refusal.split(":", 1)[1])
        else:
            text = t.gettext("There is no member {id}. /roster lists them.").format(
                id=action.member_id)
        await self.toast(update, None)
        await self.reply_text(update, text)

    # -- /mydata -------------------------------------------------------------------------------

    async def mydata(self, update: Update, context: Context) -> None:
        """/mydata: everything the bot holds about the person, as a file."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        t = self.t(update, member)
        document = await self.services.privacy.my_data(member)
        await self.reply(update, [
            OutgoingMessage(t.gettext("Here is everything the bot stores about you. Ask a leader "
                                      "if you want it erased.")),
            OutgoingMessage(document=Document(document.filename, document.content,
                                              caption=t.gettext("Your data"))),
        ])
