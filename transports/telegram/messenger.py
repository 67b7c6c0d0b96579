"""The Messenger port implemented with PTB's Bot, and Telegram's expected failures by name.

Choices become inline buttons (their ids are the callback data), suggestions and the contact
request a reply keyboard. Telegram's limits are checked here: 4,096 characters of text
(https://core.telegram.org/bots/api#sendmessage) and 64 bytes of callback data.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Awaitable, Callable
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

from bot.delivery.messages import OutgoingMessage
from bot.delivery.messenger import (
    Capabilities,
    MessageGone,
    NotModified,
    Rejected,
    RetryLater,
    TransientFailure,
    Unreachable,
)

__all__ = ["MAX_TEXT", "TRANSPORT", "TelegramMessenger", "inline_markup", "reply_markup"]

TRANSPORT = "telegram"
MAX_TEXT = 4096
MAX_CALLBACK_DATA = 64

T = TypeVar("T")

_GONE = ("message to edit not found", "message to delete not found", "message can't be deleted",
         "message can't be edited", "message_id_invalid")


def inline_markup(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a message, if it has choices."""
    if not message.choices:
        return None
    for row in message.choices:
        for choice in row:
            if len(choice.id.encode()) > MAX_CALLBACK_DATA:
                raise Rejected(f"callback data over {MAX_CALLBACK_DATA} bytes: {choice.id!r}")
    return InlineKeyboardMarkup([[InlineKeyboardButton(choice.label, callback_data=choice.id)
                                  for choice in row] for row in message.choices])


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


def _checked(message: OutgoingMessage) -> OutgoingMessage:
    if len(message.text) > MAX_TEXT:
        raise Rejected(f"message text is {len(message.text)} characters, over {MAX_TEXT}")
    return message


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
        """Sends text, a location/venue or a document; returns Telegram's message id."""
        chat_id = int(chat)
        message = _checked(message)
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
        return str(sent.message_id)

    async def edit(self, chat: str, message_id: str, message: OutgoingMessage) -> None:
        """Replaces a message's text; no choices in `message` removes the old buttons."""
        message = _checked(message)
        await _translated(lambda: self.bot.edit_message_text(
            message.text, chat_id=int(chat), message_id=int(message_id),
            reply_markup=inline_markup(message)))

    async def delete(self, chat: str, message_id: str) -> None:
        """Deletes a message (Telegram allows it within 48 hours)."""
        await _translated(lambda: self.bot.delete_message(int(chat), int(message_id)))
