"""/intyg: a certificate of hours for an employer – a volunteer's own, or (leaders) anyone's."""

from __future__ import annotations

from bot.delivery.messages import Document, OutgoingMessage
from bot.records.service import valid_year
from bot.services import Services
from handlers.admin import member_id_from
from handlers.events import Command
from handlers.guard import Caller
from handlers.reply import Reply

__all__ = ["CertificateHandlers"]


class CertificateHandlers:
    """/intyg [YEAR] for oneself; /intyg ID YEAR for leaders."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def intyg(self, caller: Caller, command: Command) -> Reply:
        """/intyg [YEAR] or (leaders) /intyg ID YEAR: the certificate as a message and a file."""
        t, args = caller.t, command.args
        current = self.services.reports.current_year()
        usage = (t.gettext("Usage: /intyg or /intyg YEAR; for a member: /intyg ID YEAR")
                 if caller.is_leader else t.gettext("Usage: /intyg or /intyg YEAR"))
        member, year = caller.member, current
        if len(args) == 1:
            year = valid_year(args[0], current)
        elif len(args) == 2:
            if member_id_from(args[0]) is None:
                return Reply.text(usage)
            if not caller.is_leader:
                return Reply.text(t.gettext("Only leaders can make a certificate for someone "
                                            "else.") + "\n" + usage)
            member_id, year = member_id_from(args[0]), valid_year(args[1], current)
            member = await self.services.members.by_id(member_id) if member_id else None
            if member is None or member.status == "removed":
                return Reply.text(t.gettext("There is no member {id}. /roster lists them.")
                                  .format(id=args[0]))
        elif args:
            return Reply.text(usage)
        if year is None:
            return Reply.text(usage)
        files = await self.services.certificates.build(member, year, t.locale,
                                                       issued_by=caller.member)
        messages = [OutgoingMessage(files.text)]
        if files.html is not None:
            name = f"intyg-{year}.html" if member.id == caller.member.id \
                else f"intyg-{member.id}-{year}.html"
            messages.append(OutgoingMessage(document=Document(
                name, files.html.encode("utf-8"),
                caption=t.gettext("Certificate {year} – {name}").format(year=year,
                                                                        name=member.name))))
        return Reply(messages)
