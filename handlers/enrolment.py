"""Getting in and about oneself: /start, shared contacts, /invite, /me, /help, /language."""

from __future__ import annotations

from collections.abc import Callable

from bot.callout.render import area_name
from bot.callout.skills import skill_labels
from bot.choices import EnrolChoice, LanguageChoice
from bot.delivery.messages import Choice, OutgoingMessage
from bot.durations import parse_duration
from bot.people.enrolment import (
    GENDER_LABELS,
    MAX_INVITE_LIFETIME,
    ROLE_LABELS,
    EnrolmentResult,
    check_invite_lifetime,
)
from bot.people.persons import translator_for
from bot.services import Services
from bot.training.render import status_lines
from handlers.commands import help_text
from handlers.events import Command, SharedContact, Text
from handlers.guard import Caller
from handlers.reply import Reply

__all__ = ["EnrolmentHandlers", "InviteLinks"]

# Each running transport's deep link for an invite token (None where it has none).
InviteLinks = Callable[[str], list[str]]

# /invite ROLE in English and Swedish.
INVITE_ROLES = {"volunteer": "volunteer", "stödperson": "volunteer", "stodperson": "volunteer",
                "leader": "leader", "ledare": "leader"}


def _reply(result: EnrolmentResult) -> Reply:
    return Reply(list(result.messages), profile_changed=result.enrolled)


class EnrolmentHandlers:
    """Enrolment and profile commands."""

    def __init__(self, services: Services, invite_links: InviteLinks) -> None:
        self.services = services
        self.invite_links = invite_links

    async def start(self, caller: Caller, command: Command) -> Reply:
        """/start [token]: welcome back, begin an invite dialogue, or ask for a contact."""
        token = command.args[0] if command.args else None
        return _reply(await self.services.enrolment.start(caller.person, token))

    async def contact(self, caller: Caller, contact: SharedContact) -> Reply:
        """A shared contact: the phone step, or linking a roster member."""
        result = await self.services.enrolment.handle_contact(caller.person, contact.phone,
                                                              contact.own)
        return _reply(result) if result is not None else Reply()

    async def choice(self, caller: Caller, choice: EnrolChoice) -> Reply:
        """A choice in the enrolment dialogue."""
        result = await self.services.enrolment.handle_choice(caller.person, choice)
        return Reply(list(result.messages), toast=None, profile_changed=result.enrolled)

    async def text(self, caller: Caller, text: Text) -> Reply | None:
        """Typed text inside the enrolment dialogue; None if the person is not in it."""
        result = await self.services.enrolment.handle_text(caller.person, text.text)
        return _reply(result) if result is not None else None

    async def invite(self, caller: Caller, command: Command) -> Reply:
        """/invite volunteer|leader [area] [expiry]: a one-time link for someone new."""
        t = caller.t
        settings = self.services.settings
        args = [arg.lower() for arg in command.args]
        usage = t.gettext("Usage: /invite volunteer|leader [area] [expiry, e.g. 7d]. "
                          "Areas: {areas}").format(areas=", ".join(settings.area_keys))
        if not args or args[0] not in INVITE_ROLES:
            return Reply.text(usage)
        area, expires = None, None
        for arg in args[1:]:
            if settings.area(arg):
                area = arg
                continue
            try:
                expires = parse_duration(arg)
            except ValueError:
                return Reply.text(usage)
            try:
                check_invite_lifetime(expires)
            except ValueError:
                return Reply.text(t.gettext(
                    "An invitation can be valid for at most {days} days, and not for 0. "
                    "Example: /invite volunteer 7d").format(days=MAX_INVITE_LIFETIME.days))
        issued = await self.services.enrolment.issue_invite(
            INVITE_ROLES[args[0]], area, f"member:{caller.member.id}", expires)
        lines = [t.gettext("Invitation for a {role}{area}, valid until {time}:").format(
            role=t.gettext(ROLE_LABELS[issued.role]),
            area=f" ({area_name(settings, area)})" if area else "",
            time=t.datetime(issued.expires_at))]
        links = self.invite_links(issued.token)
        lines += links
        lines.append(t.gettext("Or in the bot: /start {token}").format(token=issued.token))
        if any(link.startswith("https://signal.me/") for link in links):
            # Signal has no deep links that carry a token: the person writes it.
            lines.append(t.gettext("On Signal: send START {token} to the bot's number.").format(
                token=issued.token))
        lines.append(t.gettext("It works once. Send it only to the person it is for."))
        return Reply.text("\n".join(lines))

    async def me(self, caller: Caller, command: Command) -> Reply:
        """/me: the member's own profile."""
        member, t = caller.member, caller.t
        settings = self.services.settings
        now = self.services.clock()
        away = (t.gettext("away until {time}").format(time=t.datetime(member.away_until))
                if member.away_until and member.away_until > now else t.gettext("available"))
        lines = [
            t.gettext("Name: {name}").format(name=member.name),
            t.gettext("Role: {role}").format(role=t.gettext(ROLE_LABELS[member.role])),
            t.gettext("Area: {area}").format(area=area_name(settings, member.area)),
            t.gettext("Gender: {gender}").format(gender=t.gettext(GENDER_LABELS[member.gender])),
            t.gettext("Phone: {phone}").format(phone=member.phone or "–"),
            t.gettext("Skills: {skills}").format(skills=skill_labels(
                settings, await self.services.skills.member(member.id), t) or "–"),
            t.gettext("Language: {language}").format(language=t.locale),
            t.gettext("Availability: {state}").format(state=away),
            *status_lines(*await self.services.training.status(member.id), t),
        ]
        return Reply.text("\n".join(lines))

    async def help(self, caller: Caller, command: Command) -> Reply:
        """/help: what this person's role can do."""
        return Reply.text(help_text(caller.member.role, caller.t))

    async def language(self, caller: Caller, command: Command) -> Reply:
        """/language: offers Svenska / English / follow the app."""
        t = caller.t
        choices = ((Choice("Svenska", LanguageChoice("sv").pack()),
                    Choice("English", LanguageChoice("en").pack())),
                   (Choice(t.gettext("Same as my app"), LanguageChoice("auto").pack()),))
        return Reply([OutgoingMessage(t.gettext("Choose your language:"), choices=choices)])

    async def language_chosen(self, caller: Caller, choice: LanguageChoice) -> Reply:
        """A language choice: store it and answer in the new language."""
        locale = None if choice.locale == "auto" else choice.locale
        members = self.services.members
        await members.set_locale(caller.member.id, locale, now=self.services.clock())
        member = await members.by_id(caller.member.id)
        t = translator_for(self.services.settings, member, caller.person)
        return Reply([OutgoingMessage(t.gettext("Language set: {language}.").format(
            language=t.locale))], toast=None, profile_changed=member)
