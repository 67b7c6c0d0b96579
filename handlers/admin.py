"""The leaders' records and people's rights: /report, /audit, /roster, /remove, and /mydata for
everyone."""

from __future__ import annotations

import logging

from bot.callout.render import headline
from bot.callout.skills import parse_skills, skill_labels
from bot.choices import RemoveConfirm
from bot.delivery.messages import Choice, Document, OutgoingMessage
from bot.i18n import Translator
from bot.people.enrolment import ROLE_LABELS
from bot.people.roster_admin import roster_messages
from bot.records.audit_trail import audit_messages
from bot.records.service import valid_year
from bot.services import Services
from handlers.callout import activation_named
from handlers.events import Command
from handlers.guard import Caller
from handlers.reply import Reply
from storage.models import Member

__all__ = ["AdminHandlers"]

logger = logging.getLogger(__name__)

# /roster VERB ID, in English and Swedish.
ROSTER_VERBS = {"pause": "pause", "pausa": "pause", "resume": "resume", "återuppta": "resume",
                "aterupta": "resume", "leader": "leader", "ledare": "leader",
                "volunteer": "volunteer", "stödperson": "volunteer", "stodperson": "volunteer"}


# /roster skills ID …, in English and Swedish.
SKILL_VERBS = ("skills", "skill", "kompetens", "kompetenser")


def member_id_from(text: str) -> int | None:
    """A member id as typed ("17"); None for anything else, however many digits."""
    return int(text) if text.isdecimal() and len(text) <= 9 else None


class AdminHandlers:
    """Reports, the audit trail, the roster and data-protection commands."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def _name_of(self, member_id: int) -> str | None:
        member = await self.services.members.by_id(member_id)
        return member.name if member else None

    # -- /report -------------------------------------------------------------------------------

    async def report(self, caller: Caller, command: Command) -> Reply:
        """/report [YEAR]: the annual report's key figures, and the whole report as a file."""
        t = caller.t
        reports = self.services.reports
        year = reports.current_year()
        if command.args:
            year = valid_year(command.args[0], reports.current_year())
            if year is None or len(command.args) > 1:
                return Reply.text(t.gettext("Usage: /report or /report YEAR, e.g. /report 2026"))
        files = await reports.build(year, t.locale)
        caption = t.gettext("Annual report {year}").format(year=year)
        return Reply([
            OutgoingMessage(files.text),
            OutgoingMessage(document=Document(f"report-{year}.html", files.html.encode("utf-8"),
                                              caption=caption)),
        ])

    # -- /audit --------------------------------------------------------------------------------

    async def audit(self, caller: Caller, command: Command) -> Reply:
        """/audit CODE: every state change of one call-out — when, who, what."""
        t = caller.t
        if not command.args:
            return Reply.text(t.gettext("Usage: /audit CODE"))
        activation = await activation_named(self.services, caller, command.args)
        if isinstance(activation, Reply):
            return activation
        entries = await self.services.audit.for_activation(activation.id)
        title = t.gettext("Audit trail – {headline}").format(
            headline=headline(self.services.settings, activation, t))
        return Reply(await audit_messages(title, entries, self._name_of, t))

    # -- /roster -------------------------------------------------------------------------------

    async def roster(self, caller: Caller, command: Command) -> Reply:
        """/roster lists the members; /roster pause|resume|leader|volunteer ID changes one."""
        t, args = caller.t, command.args
        if not args:
            members = await self.services.members.all_members()
            skills = await self.services.skills.of(member.id for member in members)
            return Reply(roster_messages(self.services.settings, members, t, skills))
        if args[0].lower() in SKILL_VERBS:
            return await self._roster_skills(caller, args[1:])
        verb = ROSTER_VERBS.get(args[0].lower())
        member_id = member_id_from(args[1]) if len(args) == 2 else None
        if verb is None or member_id is None:
            return Reply.text(t.gettext(
                "Usage: /roster, or /roster pause|resume|leader|volunteer ID"))
        admin = self.services.roster
        if verb == "pause":
            change = await admin.pause(caller.member, member_id)
        elif verb == "resume":
            change = await admin.resume(caller.member, member_id)
        else:
            change = await admin.set_role(caller.member, member_id, verb)
        text = self._change_text(change.outcome, change.member, member_id, t)
        if change.confirmed_on:
            text += "\n" + t.gettext("They are still confirmed on {codes}: cancel or close that "
                                     "call-out if they should not go.").format(
                codes=", ".join(change.confirmed_on))
        reply = Reply.text(text)
        if change.outcome == "done" and verb in ("leader", "volunteer"):
            reply.profile_changed = change.member
        return reply

    async def _roster_skills(self, caller: Caller, args: tuple[str, ...]) -> Reply:
        """/roster skills ID KEY, KEY…: sets a member's skills ("-" clears them)."""
        t, settings = caller.t, self.services.settings
        member_id = member_id_from(args[0]) if args else None
        usage = t.gettext("Usage: /roster skills ID arabic, first_aid (or - for none). Known: "
                          "{keys}").format(keys=", ".join(skill.key for skill in settings.skills))
        if member_id is None or len(args) < 2:
            return Reply.text(usage)
        text = " ".join(args[1:])
        try:
            skills = () if text.strip() in ("-", "–") else parse_skills(settings, text)
        except ValueError as unknown:
            return Reply.text(t.gettext("There is no skill “{name}”.").format(
                name=str(unknown)[:40]) + "\n" + usage)
        change = await self.services.roster.set_skills(caller.member, member_id, skills)
        if change.outcome == "unknown" or change.member is None:
            return Reply.text(t.gettext("There is no member {id}. /roster lists them.").format(
                id=member_id))
        return Reply.text(t.gettext("{name}'s skills: {skills}").format(
            name=change.member.name, skills=skill_labels(settings, skills, t) or "–"))

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

    async def remove(self, caller: Caller, command: Command) -> Reply:
        """/remove ID: asks the leader to confirm the erasure of a member's personal data."""
        t, args = caller.t, command.args
        member_id = member_id_from(args[0]) if len(args) == 1 else None
        if member_id is None:
            return Reply.text(t.gettext("Usage: /remove ID (the number in /roster)"))
        member = await self.services.members.by_id(member_id)
        if member is None or member.status == "removed":
            return Reply.text(t.gettext("There is no member {id}. /roster lists them.").format(
                id=args[0]))
        confirm = ((Choice(t.gettext("Yes, erase"), RemoveConfirm(member.id).pack()),),)
        return Reply([OutgoingMessage(t.gettext(
            "Erase the personal data of {name} ({id})? Name, phone number and their chat "
            "accounts (Telegram, Signal) are deleted; the anonymous statistics stay. This cannot "
            "be undone.").format(
                name=member.name, id=member.id), choices=confirm)])

    async def remove_confirm(self, caller: Caller, action: RemoveConfirm) -> Reply:
        """[Ja, radera]: erases the member (refused while they are on a running call-out)."""
        t = caller.t
        addresses = await self.services.members.addresses(action.member_id)
        result = await self.services.roster.remove(caller.member, action.member_id)
        if result.done:
            return Reply([OutgoingMessage(t.gettext(
                "The personal data of member {id} is erased; the statistics keep counting "
                "them anonymously.").format(id=action.member_id))], toast=t.gettext("Erased."),
                forgotten=tuple(addresses))
        if result.refusal == "last_leader":
            text = t.gettext("That is the last active leader. Make someone else a leader first.")
        elif result.refusal == "busy":
            text = t.gettext("Member {id} is on call-out {code} right now. Erase them after it "
                             "has ended.").format(id=action.member_id, code=result.busy_on)
        else:
            text = t.gettext("There is no member {id}. /roster lists them.").format(
                id=action.member_id)
        return Reply.pressed(None, OutgoingMessage(text))

    # -- /mydata -------------------------------------------------------------------------------

    async def mydata(self, caller: Caller, command: Command) -> Reply:
        """/mydata: everything the bot holds about the person, as a file."""
        t = caller.t
        document = await self.services.privacy.my_data(caller.member)
        return Reply([
            OutgoingMessage(t.gettext("Here is everything the bot stores about you. Ask a leader "
                                      "if you want it erased.")),
            OutgoingMessage(document=Document(document.filename, document.content,
                                              caption=t.gettext("Your data"))),
        ])
