"""The Messenger port implemented with PTB's Bot, and Telegram's expected failures by name."""

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
    MessageGone,
    NotModified,
    Rejected,
    RetryLater,
    TransientFailure,
    Unreachable,
)

__all__ = ["TelegramMessenger", "inline_markup", "reply_markup"]

T = TypeVar("T")

_GONE = ("message to edit not found", "message to delete not found", "message can't be deleted",
         "message can't be edited", "message_id_invalid")


def inline_markup(message: OutgoingMessage) -> InlineKeyboardMarkup | None:
    """The inline keyboard of a message, if it has buttons."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(button.text, callback_data=button.data)
                                  for button in row] for row in message.buttons])


def reply_markup(
    message: OutgoingMessage,
) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None:
    """Inline buttons, a reply keyboard (with the share-contact button) or a keyboard removal."""
    if message.buttons:
        return inline_markup(message)
    if message.contact_button or message.keyboard:
        rows: list[list[KeyboardButton]] = []
        if message.contact_button:
            rows.append([KeyboardButton(message.contact_button, request_contact=True)])
        rows.extend([KeyboardButton(text) for text in row] for row in message.keyboard)
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if message.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


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

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, message: OutgoingMessage) -> int:
        """Sends text, a location/venue or a document; returns Telegram's message id."""
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

    async def edit(self, chat_id: int, message_id: int, message: OutgoingMessage) -> None:
        """Replaces a message's text; no buttons in `message` removes the old ones."""
        await _translated(lambda: self.bot.edit_message_text(
            message.text, chat_id=chat_id, message_id=message_id,
            reply_markup=inline_markup(message)))

    async def delete(self, chat_id: int, message_id: int) -> None:
        """Deletes a message (Telegram allows it within 48 hours)."""
        await _translated(lambda: self.bot.delete_message(chat_id, message_id))
