"""The Messenger port implemented with PTB's Bot, and Telegram's expected failures by name.

Choices become inline buttons (their ids are the callback data), suggestions and the contact
request a reply keyboard. Telegram's limits are kept here: a text over 4,096 characters
(https://core.telegram.org/bots/api#sendmessage) is sent in parts cut at line boundaries, the
headline in the first part and the choices under the last, and its id is the parts' ids joined
with "+" ("120+121"), so that an edit changes every part and a delete removes them all. A row of
more than 8 buttons is folded into rows of 8; callback data over 64 bytes, an empty label or
more than 100 buttons are refused (https://core.telegram.org/bots/api#inlinekeyboardmarkup).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.delivery.messages import OutgoingMessage, split_text
from bot.delivery.messenger import (
    Capabilities,
    DeliveryError,
    MessageGone,
    NotModified,
    Rejected,
    RetryLater,
    TransientFailure,
    Unreachable,
)

__all__ = ["MAX_TEXT", "PART_SEPARATOR", "TRANSPORT", "TelegramMessenger", "inline_markup",
           "reply_markup", "utf16_length"]

logger = logging.getLogger(__name__)

TRANSPORT = "telegram"
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_BUTTONS = 100
MAX_BUTTONS_IN_ROW = 8
PART_SEPARATOR = "+"
# What is left of a part that can no longer be deleted (older than 48 hours): a bot may still
# edit its own message in a private chat, so the part is emptied to this instead.
EMPTIED = "⋯"
# The later parts of a long message follow the first at once; a flood wait or a network error
# between them is waited out here (a few times), so the first part is never sent twice.
PART_ATTEMPTS = 4
PART_WAIT_CAP = 60.0

T = TypeVar("T")

_GONE = ("message to edit not found", "message to delete not found", "message can't be deleted",
         "message can't be edited", "message_id_invalid")


def utf16_length(text: str) -> int:
    """The length Telegram counts a text in: UTF-16 code units (an emoji such as 📋 is two)."""
    return len(text.encode("utf-16-le")) // 2


def inline_markup(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a message, if it has choices (a row of more than 8 is folded)."""
    if not message.choices:
        return None
    choices = [choice for row in message.choices for choice in row]
    if len(choices) > MAX_BUTTONS:
        raise Rejected(f"{len(choices)} buttons, over {MAX_BUTTONS}")
    for choice in choices:
        if len(choice.id.encode()) > MAX_CALLBACK_DATA:
            raise Rejected(f"callback data over {MAX_CALLBACK_DATA} bytes: {choice.id!r}")
        if not choice.label.strip():
            raise Rejected(f"empty button label for {choice.id!r}")
    rows = [row[start:start + MAX_BUTTONS_IN_ROW] for row in message.choices
            for start in range(0, len(row), MAX_BUTTONS_IN_ROW)]
    return InlineKeyboardMarkup([[InlineKeyboardButton(choice.label, callback_data=choice.id)
                                  for choice in row] for row in rows])


def reply_markup(
    message: OutgoingMessage,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    """Inline buttons, a reply keyboard (with the share-contact button) or a keyboard removal."""
    if message.choices:
        return inline_markup(message)
    if message.request_contact or message.suggestions:
        rows: list[list[KeyboardButton]] = []
        if message.request_contact:
            rows.append([KeyboardButton(message.request_contact, request_contact=True)])
        rows.extend([KeyboardButton(text)] for text in message.suggestions)
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if message.clear_suggestions:
        return ReplyKeyboardRemove()
    return None


def parts_of(message: OutgoingMessage) -> list[OutgoingMessage]:
    """The message as Telegram can take it: a long text in parts at line boundaries, the choices
    (and any reply keyboard) under the last part."""
    if message.document is not None:
        if message.document.caption and utf16_length(message.document.caption) > MAX_CAPTION:
            raise Rejected(f"document caption over {MAX_CAPTION} characters")
        return [message]
    if message.location is not None or utf16_length(message.text) <= MAX_TEXT:
        return [message]
    texts = split_text(message.text, MAX_TEXT, utf16_length)
    return [OutgoingMessage(text) for text in texts[:-1]] + [replace(message, text=texts[-1])]


def _ids(message_id: str) -> list[int]:
    return [int(part) for part in message_id.split(PART_SEPARATOR)]


def _retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # int vs timedelta deprecation in PTB 22
        value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


async def _translated(call: Callable[[], Awaitable[T]]) -> T:
    """Runs a Bot API call, turning Telegram's errors into the Messenger port's."""
    try:
        return await call()
    except RetryAfter as error:
        raise RetryLater(_retry_seconds(error)) from error
    except Forbidden as error:
        raise Unreachable(error.message) from error
    except BadRequest as error:
        text = error.message.lower()
        if "message is not modified" in text:
            raise NotModified(error.message) from error
        if any(marker in text for marker in _GONE):
            raise MessageGone(error.message) from error
        if "chat not found" in text:
            raise Unreachable(error.message) from error
        raise Rejected(error.message) from error
    except NetworkError as error:  # includes TimedOut and 5xx answers
        raise TransientFailure(str(error)) from error
    except TelegramError as error:
        raise Rejected(str(error)) from error


class TelegramMessenger:
    """Sends the core's messages through PTB (and so through its rate limiter)."""

    transport = TRANSPORT
    capabilities = Capabilities(buttons=True, edit=True, delete=True, contact_request=True,
                                location_pins=True, receipts=False)

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat: str, message: OutgoingMessage) -> str:
        """Sends text (in parts if long), a location/venue or a document; returns the id."""
        chat_id = int(chat)
        parts = parts_of(message)
        sent = [await self._send_one(chat_id, parts[0])]
        for part in parts[1:]:
            try:
                sent.append(await self._following(lambda part=part: self._send_one(chat_id,
                                                                                    part)))
            except Exception:
                # All or nothing: take back the parts already sent, so that the outbox's retry
                # of the whole message does not show the first part twice.
                for message_id in sent:
                    await self._delete_quietly(chat_id, message_id)
                raise
        return PART_SEPARATOR.join(str(message_id) for message_id in sent)

    async def _send_one(self, chat_id: int, message: OutgoingMessage) -> int:
        location, document = message.location, message.document
        if location is not None and location.latitude is not None:
            if location.title and location.address:
                sent = await _translated(lambda: self.bot.send_venue(
                    chat_id, location.latitude, location.longitude, location.title,
                    location.address))
            else:
                sent = await _translated(lambda: self.bot.send_location(
                    chat_id, location.latitude, location.longitude))
        elif document is not None:
            sent = await _translated(lambda: self.bot.send_document(
                chat_id, document.content, filename=document.filename, caption=document.caption,
                reply_markup=reply_markup(message)))
        else:
            sent = await _translated(lambda: self.bot.send_message(
                chat_id, message.text, reply_markup=reply_markup(message)))
        return sent.message_id

    async def edit(self, chat: str, message_id: str, message: OutgoingMessage) -> str | None:
        """Replaces a message's text; no choices in `message` removes the old buttons.

        A message sent in parts is edited part by part: parts no longer needed are deleted
        (emptied to "⋯" once Telegram no longer lets them be deleted), parts still missing are
        sent after it. Returns the message's new id when its parts changed, else None.
        """
        chat_id = int(chat)
        old = _ids(message_id)
        new = parts_of(message)
        for index, (part_id, part) in enumerate(zip(old, new, strict=False)):
            try:
                await self._edit_one(chat_id, part_id, part)
            except NotModified:
                continue
            except MessageGone:
                if index == 0:
                    raise
        for part_id in old[len(new):]:
            await self._retire_part(chat_id, part_id)
        added = [await self._following(lambda part=part: self._send_one(chat_id, part))
                 for part in new[len(old):]]
        if len(old) == len(new):
            return None
        return PART_SEPARATOR.join(str(part_id) for part_id in [*old[:len(new)], *added])

    async def _edit_one(self, chat_id: int, message_id: int, message: OutgoingMessage) -> None:
        await _translated(lambda: self.bot.edit_message_text(
            message.text, chat_id=chat_id, message_id=message_id,
            reply_markup=inline_markup(message)))

    async def delete(self, chat: str, message_id: str) -> None:
        """Deletes a message, every part of it (Telegram allows it within 48 hours)."""
        chat_id = int(chat)
        gone: MessageGone | None = None
        parts = _ids(message_id)
        for part_id in parts:
            try:
                await _translated(lambda part_id=part_id: self.bot.delete_message(chat_id,
                                                                                  part_id))
            except MessageGone as error:
                gone = gone or error
        if gone is not None and len(parts) == 1:
            raise gone

    async def clear_choices(self, chat: str, message_id: str) -> None:
        """Takes the buttons off a message (its last part carries them); the text stays."""
        last = _ids(message_id)[-1]
        with contextlib.suppress(NotModified, MessageGone):
            await _translated(lambda: self.bot.edit_message_reply_markup(
                int(chat), last, reply_markup=None))

    async def _retire_part(self, chat_id: int, message_id: int) -> None:
        """Removes a part an edit no longer needs; empties it if it can no longer be deleted."""
        try:
            await _translated(lambda: self.bot.delete_message(chat_id, message_id))
        except MessageGone:
            with contextlib.suppress(NotModified, MessageGone):
                await self._edit_one(chat_id, message_id, OutgoingMessage(EMPTIED))

    async def _delete_quietly(self, chat_id: int, message_id: int) -> None:
        try:
            await _translated(lambda: self.bot.delete_message(chat_id, message_id))
        except DeliveryError:
            logger.warning("could not take back part %d of a message sent in parts", message_id)

    @staticmethod
    async def _following(call: Callable[[], Awaitable[T]]) -> T:
        """A later part of a long message: flood waits and network errors are waited out a few
        times here rather than failing a message whose first part has already arrived."""
        for attempt in range(1, PART_ATTEMPTS + 1):
            try:
                return await call()
            except RetryLater as error:
                if attempt == PART_ATTEMPTS:
                    raise
                await asyncio.sleep(min(error.seconds, PART_WAIT_CAP))
            except TransientFailure:
                if attempt == PART_ATTEMPTS:
                    raise
                await asyncio.sleep(2 ** (attempt - 1))
        raise AssertionError("unreachable")
