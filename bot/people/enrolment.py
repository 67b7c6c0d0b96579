"""How people get in: one-time invites, the /start dialogue, and linking a pre-registered roster.

The dialogue is a small state machine stored in the database (storage.dialogues), one step at a
time: name → area (unless the invite fixed it) → gender → phone (own contact, or skip).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.choices import EnrolChoice
from bot.config import Settings
from bot.delivery.messages import Choice, OutgoingMessage
from bot.i18n import N_, Translator
from bot.people.invitations import YES_WORDS
from bot.people.persons import Person, translator_for
from bot.people.phone import normalise_phone
from bot.typed import MAX_NAME, clean_name
from handlers.commands import help_text
from storage.clock import Clock
from storage.dialogues import Dialogue, DialogueStore
from storage.invitations import InvitationStore
from storage.members import (
    AddressTaken,
    DuplicatePhone,
    InviteUnavailable,
    MemberStore,
    NewMember,
)
from storage.models import Member, Role

__all__ = ["MAX_INVITE_LIFETIME", "EnrolmentResult", "EnrolmentService", "IssuedInvite",
           "check_invite_lifetime", "hash_token"]

logger = logging.getLogger(__name__)

KIND = "enrol"
LINK_KIND = "link"
GENDER_LABELS = {
    "female": N_("Woman"),
    "male": N_("Man"),
    "other": N_("Other"),
    "undisclosed": N_("Prefer not to say"),
}
ROLE_LABELS = {"leader": N_("leader"), "volunteer": N_("support person")}
# The name step's choice "use the name your app shows" (older messages carry "telegram").
SHOWN_NAME = "shown"


# An invite link is a key to the group: it may not be valid for long.
MAX_INVITE_LIFETIME = timedelta(days=30)


def check_invite_lifetime(lifetime: timedelta) -> timedelta:
    """How long an invite is valid: more than nothing and at most 30 days (else ValueError)."""
    if not timedelta() < lifetime <= MAX_INVITE_LIFETIME:
        raise ValueError("an invitation is valid for more than 0 and at most 30 days")
    return lifetime


def hash_token(token: str) -> str:
    """The form a token is stored in: a leaked database does not leak usable invites."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    token: str
    role: Role
    area: str | None
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class EnrolmentResult:
    messages: list[OutgoingMessage]
    enrolled: Member | None = None


class EnrolmentService:
    """Issues invites and walks new people through registration."""

    def __init__(self, settings: Settings, members: MemberStore, dialogues: DialogueStore,
                 clock: Clock) -> None:
        self.settings = settings
        self.members = members
        self.dialogues = dialogues
        self.clock = clock

    # -- invites -------------------------------------------------------------------------------

    async def issue_invite(self, role: Role, area: str | None, created_by: str,
                           expires: timedelta | None = None) -> IssuedInvite:
        """Creates a single-use invite and returns its token and deep link (ValueError for an
        unknown area or a lifetime outside check_invite_lifetime)."""
        if area is not None and self.settings.area(area) is None:
            raise ValueError(f"unknown area {area!r}")
        lifetime = check_invite_lifetime(
            self.settings.enrolment.invite_expires if expires is None else expires)
        token = secrets.token_urlsafe(16)  # 22 characters: short enough for any deep link
        now = self.clock()
        expires_at = now + lifetime
        await self.members.create_invite(hash_token(token), role, area, created_by=created_by,
                                         now=now, expires_at=expires_at)
        logger.info("invite created role=%s area=%s by=%s", role, area, created_by)
        return IssuedInvite(token, role, area, expires_at)

    # -- /start --------------------------------------------------------------------------------

    async def start(self, person: Person, token: str | None) -> EnrolmentResult:
        """Answers /start, with or without an invite token."""
        member = await self.members.by_address(person.address)
        t = translator_for(self.settings, member, person)
        if member is not None:
            text = t.gettext("Welcome back, {name}. You are registered as {role}.").format(
                name=member.name, role=t.gettext(ROLE_LABELS[member.role]))
            return EnrolmentResult([OutgoingMessage(text + "\n\n" + help_text(member.role, t))])
        if not token:
            await self.dialogues.save(Dialogue(person.address, LINK_KIND, "contact"),
                                      self.clock())
            return EnrolmentResult([self._ask_contact(t, t.gettext(
                "Welcome to the POSOM call-out bot. If the leadership has put you on the list of "
                "support persons, share your phone number with the button below to connect."
            ), allow_skip=False)])
        invite = await self.members.invite_by_hash(hash_token(token))
        problem = self._invite_problem(invite, t)
        if problem:
            return EnrolmentResult([OutgoingMessage(problem)])
        data = {"invite_id": invite.id, "role": invite.role, "area": invite.area}
        dialogue = Dialogue(person.address, KIND, "name", data)
        await self.dialogues.save(dialogue, self.clock())
        return EnrolmentResult([
            OutgoingMessage(t.gettext("Welcome to POSOM! You have been invited as {role}. "
                                      "A few questions and you are in.").format(
                                          role=t.gettext(ROLE_LABELS[invite.role]))),
            self._ask_name(t, person),
        ])

    def _invite_problem(self, invite, t: Translator) -> str | None:
        if invite is None:
            return t.gettext("This invitation link is not valid. Ask the leadership for a new one.")
        if invite.used_at is not None:
            return t.gettext("This invitation has already been used. Ask the leadership for a "
                             "new one.")
        if invite.expires_at <= self.clock():
            return t.gettext("This invitation has expired. Ask the leadership for a new one.")
        return None

    # -- dialogue steps ------------------------------------------------------------------------

    async def handle_text(self, person: Person, text: str) -> EnrolmentResult | None:
        """Takes a typed answer in the dialogue; None when the person is not in one."""
        dialogue = await self.dialogues.get(person.address)
        if dialogue is None or dialogue.kind not in (KIND, LINK_KIND):
            return await self.answer_invitation(person, text)
        t = translator_for(self.settings, None, person)
        if dialogue.kind == LINK_KIND:
            return EnrolmentResult([self._ask_contact(t, t.gettext(
                "Please use the button below to share your own phone number."), allow_skip=False)])
        if dialogue.step == "name":
            name = clean_name(text)
            if name is None or name.startswith("/"):
                return EnrolmentResult([OutgoingMessage(t.gettext(
                    "Please write your name (2–{count} characters, with letters).").format(
                        count=MAX_NAME))])
            return await self._after_name(person, dialogue, name, t)
        if dialogue.step == "phone" and text.strip().lower() in {
                t.gettext("Skip").lower(), "skip", "hoppa över"}:
            return await self._finish(person, dialogue, None, t)
        return EnrolmentResult([self._repeat_step(person, dialogue, t)])

    async def handle_choice(self, person: Person, choice: EnrolChoice) -> EnrolmentResult:
        """Takes a button press in the dialogue."""
        dialogue = await self.dialogues.get(person.address)
        t = translator_for(self.settings, None, person)
        if dialogue is None or dialogue.kind != KIND or dialogue.step != choice.step:
            return EnrolmentResult([OutgoingMessage(t.gettext(
                "That button belongs to an earlier step. Please answer the latest question."))])
        if choice.step == "name" and choice.value in (SHOWN_NAME, "telegram"):
            shown = clean_name(person.display_name)
            if shown is None:  # a name of invisible characters only: ask them to write one
                return EnrolmentResult([self._ask_name(t, person)])
            return await self._after_name(person, dialogue, shown, t)
        if choice.step == "area" and self.settings.area(choice.value):
            dialogue.data["area"] = choice.value
            return await self._save_and_ask(person, dialogue, "gender", t)
        if choice.step == "gender" and choice.value in GENDER_LABELS:
            dialogue.data["gender"] = choice.value
            return await self._save_and_ask(person, dialogue, "phone", t)
        return EnrolmentResult([self._repeat_step(person, dialogue, t)])

    async def handle_contact(self, person: Person, phone: str,
                             own: bool) -> EnrolmentResult | None:
        """Takes a shared contact (`own`: the sender's own number): the phone step of the
        dialogue, or a roster link."""
        dialogue = await self.dialogues.get(person.address)
        member = await self.members.by_address(person.address)
        t = translator_for(self.settings, member, person)
        if member is not None:
            return EnrolmentResult([OutgoingMessage(t.gettext("You are already registered."),
                                                    clear_suggestions=True)])
        if not own:
            return EnrolmentResult([OutgoingMessage(t.gettext(
                "That is not your own contact. Please use the button to share your own number."))])
        try:
            normalised = normalise_phone(phone)
        except ValueError:
            return EnrolmentResult([OutgoingMessage(t.gettext(
                "That phone number could not be read."))])
        if dialogue is not None and dialogue.kind == KIND and dialogue.step == "phone":
            return await self._finish(person, dialogue, normalised, t)
        return await self._link_roster(person, normalised, t)

    async def answer_invitation(self, person: Person, text: str) -> EnrolmentResult | None:
        """A stranger answering the greeting the bot wrote first (bot.people.invitations):
        "JA" links their address to the roster member; None if nobody was invited there."""
        invitations = InvitationStore(self.members.db)
        member_id = await invitations.pending_member(person.address)
        if member_id is None:
            return None
        listed = await self.members.by_id(member_id)
        t = translator_for(self.settings, listed, person)
        if text.strip().strip("!.").casefold() not in YES_WORDS:
            return EnrolmentResult([OutgoingMessage(t.gettext("Reply YES to connect."))])
        try:
            member = await self.members.link_address(member_id, person.address,
                                                     person.language_code, now=self.clock())
        except AddressTaken:
            return EnrolmentResult([OutgoingMessage(self.unknown_text(t))])
        async with self.members.db.transaction() as tx:
            await InvitationStore.answered(tx, member_id, self.clock())
        logger.info("invited member connected member=%d transport=%s", member.id,
                    person.address.transport)
        return self._welcome(member, person)

    def _welcome(self, member: Member, person: Person) -> EnrolmentResult:
        t = translator_for(self.settings, member, person)
        return EnrolmentResult([OutgoingMessage(
            t.gettext("Welcome, {name}! You are now connected as {role}.").format(
                name=member.name, role=t.gettext(ROLE_LABELS[member.role]))
            + "\n\n" + help_text(member.role, t), clear_suggestions=True)], enrolled=member)

    async def _link_roster(self, person: Person, phone: str, t: Translator) -> EnrolmentResult:
        listed = await self.members.by_phone(phone)
        if listed is None:
            await self.dialogues.end(person.address)
            return EnrolmentResult([OutgoingMessage(self.unknown_text(t), clear_suggestions=True)])
        try:
            member = await self.members.link_address(listed.id, person.address,
                                                     person.language_code, now=self.clock())
        except AddressTaken:
            # Already linked on this transport (someone else's account, or theirs before).
            await self.dialogues.end(person.address)
            return EnrolmentResult([OutgoingMessage(self.unknown_text(t), clear_suggestions=True)])
        await self.dialogues.end(person.address)
        logger.info("roster member linked member=%d", member.id)
        return self._welcome(member, person)

    async def _after_name(self, person: Person, dialogue: Dialogue, name: str,
                          t: Translator) -> EnrolmentResult:
        dialogue.data["name"] = name
        needs_area = dialogue.data.get("area") is None and dialogue.data["role"] == "volunteer"
        if needs_area and len(self.settings.areas) == 1:
            dialogue.data["area"] = self.settings.areas[0].key
            needs_area = False
        return await self._save_and_ask(person, dialogue, "area" if needs_area else "gender", t)

    async def _save_and_ask(self, person: Person, dialogue: Dialogue, step: str,
                            t: Translator) -> EnrolmentResult:
        dialogue.step = step
        await self.dialogues.save(dialogue, self.clock())
        return EnrolmentResult([self._repeat_step(person, dialogue, t)])

    async def _finish(self, person: Person, dialogue: Dialogue, phone: str | None,
                      t: Translator) -> EnrolmentResult:
        data = dialogue.data
        new = NewMember(name=data["name"], role=data["role"], phone=phone, area=data.get("area"),
                        gender=data.get("gender", "undisclosed"), address=person.address,
                        reported_locale=person.language_code)
        try:
            member = await self.members.enrol_with_invite(data["invite_id"], new, now=self.clock())
        except InviteUnavailable:
            await self.dialogues.end(person.address)
            return EnrolmentResult([OutgoingMessage(t.gettext(
                "This invitation has already been used. Ask the leadership for a new one."),
                clear_suggestions=True)])
        except DuplicatePhone:
            return EnrolmentResult([self._ask_contact(t, t.gettext(
                "That phone number is already registered to someone else. Contact the "
                "leadership, or skip the phone number for now."), allow_skip=True)])
        await self.dialogues.end(person.address)
        logger.info("member enrolled member=%d role=%s", member.id, member.role)
        t = translator_for(self.settings, member, person)
        text = t.gettext("Thank you, {name}! You are registered as {role}.").format(
            name=member.name, role=t.gettext(ROLE_LABELS[member.role]))
        return EnrolmentResult([OutgoingMessage(text + "\n\n" + help_text(member.role, t),
                                                clear_suggestions=True)], enrolled=member)

    # -- questions -----------------------------------------------------------------------------

    def _repeat_step(self, person: Person, dialogue: Dialogue, t: Translator) -> OutgoingMessage:
        if dialogue.step == "name":
            return self._ask_name(t, person)
        if dialogue.step == "area":
            rows = tuple((Choice(area.name, EnrolChoice("area", area.key).pack()),)
                         for area in self.settings.areas)
            return OutgoingMessage(t.gettext("Which area do you belong to?"), choices=rows)
        if dialogue.step == "gender":
            buttons = tuple(Choice(t.gettext(label), EnrolChoice("gender", key).pack())
                            for key, label in GENDER_LABELS.items())
            return OutgoingMessage(
                t.gettext("Gender? It is only used to send, when possible, a woman and a man "
                          "together."), choices=(buttons[:2], buttons[2:]))
        return self._ask_contact(t, t.gettext(
            "Last step: share your phone number with the button below, so the other support "
            "person and the duty leader can call you. Or skip it."), allow_skip=True)

    @staticmethod
    def _ask_name(t: Translator, person: Person) -> OutgoingMessage:
        buttons = ()
        shown = clean_name(person.display_name)
        if shown is not None:
            label = t.gettext("Use “{name}”").format(name=shown)
            buttons = ((Choice(label[:60], EnrolChoice("name", SHOWN_NAME).pack()),),)
        return OutgoingMessage(t.gettext("What is your name? Write it, or use the name your "
                                         "app shows."), choices=buttons)

    @staticmethod
    def _ask_contact(t: Translator, text: str, *, allow_skip: bool) -> OutgoingMessage:
        suggestions = (t.gettext("Skip"),) if allow_skip else ()
        return OutgoingMessage(text, request_contact=t.gettext("Share my phone number"),
                               suggestions=suggestions)

    @staticmethod
    def unknown_text(t: Translator) -> str:
        """The one polite line an unknown person gets, revealing nothing else."""
        return t.gettext("Hello! This bot is only for POSOM's support persons. If you want to "
                         "take part, please contact the POSOM leadership.")
