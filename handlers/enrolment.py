"""Adapters for getting in and about oneself: /start, contacts, /invite, /me, /help, /language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from bot.callout.render import area_name
from bot.choices import EnrolChoice, LanguageChoice
from bot.delivery.messages import Button, OutgoingMessage
from bot.durations import parse_duration
from bot.people.enrolment import GENDER_LABELS, ROLE_LABELS, EnrolmentResult
from bot.people.persons import translator_for
from handlers.commands import help_text
from handlers.common import Adapter, person_of
from transports.telegram.menus import Menus

__all__ = ["EnrolmentHandlers"]

Context = ContextTypes.DEFAULT_TYPE


class EnrolmentHandlers(Adapter):
    """Enrolment and profile commands."""

    def __init__(self, services, messenger, menus: Menus) -> None:
        super().__init__(services, messenger)
        self.menus = menus

    async def _deliver(self, update: Update, result: EnrolmentResult) -> None:
        await self.reply(update, result.messages)
        if result.enrolled is not None:
            await self.menus.refresh_for(result.enrolled)

    async def start(self, update: Update, context: Context) -> None:
        """/start [token]: welcome back, begin an invite dialogue, or ask for a contact."""
        token = context.args[0] if context.args else None
        result = await self.services.enrolment.start(person_of(update), token)
        await self._deliver(update, result)

    async def contact(self, update: Update, context: Context) -> None:
        """A shared contact: the phone step, or linking a roster member."""
        contact = update.effective_message.contact
        result = await self.services.enrolment.handle_contact(
            person_of(update), contact.phone_number, contact.user_id)
        if result is not None:
            await self._deliver(update, result)

    async def choice(self, update: Update, context: Context, choice: EnrolChoice) -> None:
        """A button in the enrolment dialogue."""
        await self.toast(update, None)
        result = await self.services.enrolment.handle_choice(person_of(update), choice)
        await self._deliver(update, result)

    async def text(self, update: Update) -> bool:
        """Typed text inside the enrolment dialogue; False if the person is not in it."""
        result = await self.services.enrolment.handle_text(person_of(update),
                                                           update.effective_message.text)
        if result is None:
            return False
        await self._deliver(update, result)
        return True

    async def invite(self, update: Update, context: Context) -> None:
        """/invite volunteer|leader [area] [expiry]: a one-time link for someone new."""
        leader = await self.leader_or_refuse(update)
        if leader is None:
            return
        t = self.t(update, leader)
        settings = self.services.settings
        args = [arg.lower() for arg in context.args or []]
        roles = {"volunteer": "volunteer", "stödperson": "volunteer", "stodperson": "volunteer",
                 "leader": "leader", "ledare": "leader"}
        usage = t.gettext("Usage: /invite volunteer|leader [area] [expiry, e.g. 7d]. "
                          "Areas: {areas}").format(areas=", ".join(settings.area_keys))
        if not args or args[0] not in roles:
            await self.reply_text(update, usage)
            return
        area, expires = None, None
        for arg in args[1:]:
            if settings.area(arg):
                area = arg
                continue
            try:
                expires = parse_duration(arg)
            except ValueError:
                await self.reply_text(update, usage)
                return
        issued = await self.services.enrolment.issue_invite(
            roles[args[0]], area, f"member:{leader.id}", expires)
        lines = [t.gettext("Invitation for a {role}{area}, valid until {time}:").format(
            role=t.gettext(ROLE_LABELS[issued.role]),
            area=f" ({area_name(settings, area)})" if area else "",
            time=t.datetime(issued.expires_at))]
        if issued.link:
            lines.append(issued.link)
        lines.append(t.gettext("Or in the bot: /start {token}").format(token=issued.token))
        lines.append(t.gettext("It works once. Send it only to the person it is for."))
        await self.reply_text(update, "\n".join(lines))

    async def me(self, update: Update, context: Context) -> None:
        """/me: the member's own profile."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        t = self.t(update, member)
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
            t.gettext("Language: {language}").format(language=t.locale),
            t.gettext("Availability: {state}").format(state=away),
        ]
        await self.reply_text(update, "\n".join(lines))

    async def help(self, update: Update, context: Context) -> None:
        """/help: what this person's role can do."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        await self.reply_text(update, help_text(member.role, self.t(update, member)))

    async def language(self, update: Update, context: Context) -> None:
        """/language: offers Svenska / English / follow Telegram."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        t = self.t(update, member)
        buttons = ((Button("Svenska", LanguageChoice("sv").pack()),
                    Button("English", LanguageChoice("en").pack())),
                   (Button(t.gettext("Same as Telegram"), LanguageChoice("auto").pack()),))
        await self.reply(update, [OutgoingMessage(t.gettext("Choose your language:"),
                                                  buttons=buttons)])

    async def language_chosen(self, update: Update, context: Context,
                              choice: LanguageChoice) -> None:
        """A language button: store it and answer in the new language."""
        member = await self.member_or_refuse(update)
        if member is None:
            return
        locale = None if choice.locale == "auto" else choice.locale
        await self.services.members.set_locale(member.id, locale, now=self.services.clock())
        member = await self.services.members.by_id(member.id)
        t = translator_for(self.services.settings, member, person_of(update))
        await self.toast(update, None)
        await self.reply_text(update, t.gettext("Language set: {language}.").format(
            language=t.locale))
        await self.menus.refresh_for(member)
