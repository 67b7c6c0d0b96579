"""Telegram's Update → the handlers' chat events. Nothing else: no meaning, no replies."""

from __future__ import annotations

from telegram import MessageEntity, Update, User

from bot.people.persons import Person
from handlers.events import (
    ChatEvent,
    Command,
    Press,
    Reachability,
    SharedContact,
    SharedLocation,
    Text,
)
from storage.models import Address
from transports.telegram.messenger import TRANSPORT

__all__ = ["event_of", "person_of"]


def person_of(user: User) -> Person:
    """A Telegram user as the core knows people: at their private chat's address."""
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return Person(Address(TRANSPORT, str(user.id)), name, user.language_code)


def event_of(update: Update) -> ChatEvent | None:
    """The chat event an update from a private chat carries; None for anything else."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or chat.type != "private" or user is None:
        return None
    sender = person_of(user)
    if update.callback_query is not None:
        query = update.callback_query
        pressed = query.message.message_id if query.message is not None else None
        return Press(sender, query.data or "", str(pressed) if pressed is not None else None)
    if update.my_chat_member is not None:
        status = update.my_chat_member.new_chat_member.status
        return Reachability(sender, blocked=status in ("kicked", "left"))
    message = update.message
    if message is None:
        return None
    if message.contact is not None:
        return SharedContact(sender, message.contact.phone_number,
                             own=message.contact.user_id == user.id)
    if message.venue is not None:
        venue = message.venue
        return SharedLocation(sender, venue.location.latitude, venue.location.longitude,
                              venue.title, venue.address, message.message_id)
    if message.location is not None:
        return SharedLocation(sender, message.location.latitude, message.location.longitude,
                              message_id=message.message_id)
    if message.text is None:
        return None
    first = message.entities[0] if message.entities else None
    if first is not None and first.type == MessageEntity.BOT_COMMAND and first.offset == 0:
        # "/status@posom_bot 2026-014": read as PTB's CommandHandler reads commands,
        # case-insensitively and with the arguments split on white space.
        head, *args = message.text.split()
        name = head[1:].split("@", 1)[0].lower()
        return Command(sender, name, tuple(args))
    return Text(sender, message.text, message.message_id)
