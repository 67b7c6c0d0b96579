"""The people side of the fake: a Telegram user who writes, shares, presses and reads."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.fake_telegram.formatting import utf16_len
from sandbox.fake_telegram.models import ChatMessage

if TYPE_CHECKING:
    from sandbox.fake_telegram.server import FakeTelegram

__all__ = ["FakePerson", "Press"]

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,64})?(?=$|\s)")
_OWN = object()

Predicate = Callable[[ChatMessage], bool] | str


class Press:
    """One button press (a callback query); `await answer()` gives the bot's answer text."""

    def __init__(self, query_id: str, presser: FakePerson, message: ChatMessage, data: str,
                 button_text: str) -> None:
        self.query_id = query_id
        self.presser = presser
        self.message = message
        self.data = data
        self.button_text = button_text
        self.pressed_at = time.monotonic()
        self.answered = False
        self.answer_text: str | None = None
        self.show_alert = False
        self.answer_url: str | None = None
        self._done = asyncio.Event()

    def _set_answer(self, text: str | None, show_alert: bool, url: str | None) -> None:
        self.answered = True
        self.answer_text = text or None
        self.show_alert = show_alert
        self.answer_url = url
        self._done.set()

    async def answer(self, timeout: float = 5.0) -> str | None:  # noqa: ASYNC109
        """Waits for answerCallbackQuery and returns its text (None when answered without)."""
        try:
            await asyncio.wait_for(self._done.wait(), timeout)
        except TimeoutError:
            raise AssertionError(
                f"the bot did not answer the press of [{self.button_text}] "
                f"(callback_data={self.data!r}, query {self.query_id}) within {timeout}s"
            ) from None
        return self.answer_text

    def __repr__(self) -> str:
        state = f"answered {self.answer_text!r}" if self.answered else "unanswered"
        return f"Press({self.presser.first_name} [{self.button_text}] {self.data!r}, {state})"


class FakePerson:
    """A Telegram user with a private chat (chat id == user id) with the bot."""

    def __init__(self, fake: FakeTelegram, user_id: int, first_name: str,
                 last_name: str | None = None, username: str | None = None,
                 language_code: str | None = "sv", *, started: bool = False,
                 phone_number: str | None = None, is_bot: bool = False) -> None:
        self._fake = fake
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.phone_number = phone_number
        self.is_bot = is_bot
        self.started = started
        self.blocked = False
        self.messages: list[ChatMessage] = []
        self.sent: list[dict[str, Any]] = []
        self.keyboard: list[list[dict[str, Any]]] | None = None
        self._one_time_keyboard = False
        self._by_id: dict[int, ChatMessage] = {}
        self._incoming: dict[int, dict[str, Any]] = {}
        self._next_message_id = 1
        self._log: list[tuple[str, Any]] = []
        self._changed: asyncio.Event | None = None

    # --- identity -----------------------------------------------------------------------

    @property
    def chat_id(self) -> int:
        """The private chat's id (equal to the user id)."""
        return self.user_id

    @property
    def full_name(self) -> str:
        """First and last name."""
        return " ".join(p for p in (self.first_name, self.last_name) if p)

    def user_dict(self) -> dict[str, Any]:
        """The Telegram User object."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": self.is_bot,
                                "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_dict(self) -> dict[str, Any]:
        """The Telegram Chat object of the private chat."""
        chat: dict[str, Any] = {"id": self.user_id, "type": "private",
                                "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    # --- what the person does -------------------------------------------------------------

    def _incoming_message(self, content: dict[str, Any], summary: str) -> dict[str, Any]:
        self.started = True
        message = {"message_id": self._take_message_id(), "from": self.user_dict(),
                   "chat": self.chat_dict(), "date": int(self._fake.now()), **content}
        self.sent.append(message)
        self._incoming[message["message_id"]] = message
        self._log.append(("in", summary))
        self._fake._enqueue("message", message)
        return message

    def _take_message_id(self) -> int:
        message_id = self._next_message_id
        self._next_message_id += 1
        return message_id

    async def send(self, text: str) -> dict[str, Any]:
        """Sends a text message; a leading /command gets a bot_command entity."""
        content: dict[str, Any] = {"text": text}
        match = _COMMAND.match(text)
        if match:
            content["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": utf16_len(match.group(0))}]
        message = self._incoming_message(content, text)
        await asyncio.sleep(0)
        return message

    async def share_contact(self, phone_number: str, *, user_id: Any = _OWN,
                            first_name: str | None = None, last_name: str | None = None,
                            vcard: str | None = None) -> dict[str, Any]:
        """Shares a contact: her own by default (user_id = her id), else pass user_id/None."""
        own = user_id is _OWN
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or (self.first_name if own else "Contact"),
        }
        last = last_name if last_name is not None else (self.last_name if own else None)
        if last:
            contact["last_name"] = last
        uid = self.user_id if own else user_id
        if uid is not None:
            contact["user_id"] = uid
        if vcard:
            contact["vcard"] = vcard
        whose = "her own" if own else f"{contact['first_name']}'s"
        message = self._incoming_message({"contact": contact},
                                         f"shares {whose} contact {phone_number}")
        await asyncio.sleep(0)
        return message

    async def share_location(self, latitude: float, longitude: float, *,
                             horizontal_accuracy: float | None = None) -> dict[str, Any]:
        """Shares a (static) location."""
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if horizontal_accuracy is not None:
            location["horizontal_accuracy"] = horizontal_accuracy
        message = self._incoming_message({"location": location},
                                         f"shares location {latitude}, {longitude}")
        await asyncio.sleep(0)
        return message

    async def tap(self, text: str) -> dict[str, Any]:
        """Taps a reply-keyboard button: sends its text, or her contact for request_contact."""
        button = next((b for row in self.keyboard or [] for b in row if b.get("text") == text),
                      None)
        if button is None:
            shown = [[b.get("text") for b in row] for row in self.keyboard or []]
            raise AssertionError(f"{self.first_name} has no reply-keyboard button {text!r}; "
                                 f"keyboard: {shown}")
        if self._one_time_keyboard:
            self.keyboard = None
        if button.get("request_contact"):
            if not self.phone_number:
                raise AssertionError(f"{self.first_name} has no phone_number to share")
            return await self.share_contact(self.phone_number)
        if button.get("request_location"):
            raise AssertionError("use share_location() for request_location buttons")
        return await self.send(text)

    async def press(self, button_text: str | None = None, *, message: ChatMessage | None = None,
                    callback_data: str | None = None) -> Press:
        """Presses an inline button on `message`, else on the newest message that has it."""
        if message is None:
            message = self._find_pressable(button_text, callback_data)
        return await self._fake.press_as(self, message, button_text, callback_data=callback_data)

    def _find_pressable(self, button_text: str | None, callback_data: str | None) -> ChatMessage:
        if button_text is None and callback_data is None:
            raise ValueError("press() needs button_text or callback_data")
        for message in reversed(self.messages):
            if not message.deleted and message.find_button(button_text, callback_data):
                return message
        available = [m.button_texts for m in self.messages if m.buttons and not m.deleted]
        wanted = button_text if button_text is not None else f"callback_data={callback_data!r}"
        raise AssertionError(f"{self.first_name} has no message with a button {wanted!r}; "
                             f"buttons on her messages: {available}")

    def block(self, notify: bool = True) -> None:
        """Blocks the bot: later sends get 403; notifies the bot with a my_chat_member update."""
        if not self.blocked:
            self.blocked = True
            self._log.append(("note", f"{self.first_name} blocks the bot"))
            if notify:
                self._fake._chat_member_update(self, "member", "kicked")

    def unblock(self, notify: bool = True) -> None:
        """Unblocks the bot (a my_chat_member update back to member)."""
        if self.blocked:
            self.blocked = False
            self._log.append(("note", f"{self.first_name} unblocks the bot"))
            if notify:
                self._fake._chat_member_update(self, "kicked", "member")

    # --- what the person sees -------------------------------------------------------------

    @property
    def visible(self) -> list[ChatMessage]:
        """The bot's messages that are not deleted."""
        return [m for m in self.messages if not m.deleted]

    @property
    def own_messages(self) -> list[dict[str, Any]]:
        """What she sent that is still in the chat (the bot may delete her messages)."""
        return list(self._incoming.values())

    @property
    def last(self) -> ChatMessage | None:
        """The newest message from the bot that is not deleted."""
        for message in reversed(self.messages):
            if not message.deleted:
                return message
        return None

    def message(self, message_id: int) -> ChatMessage | None:
        """The bot's message with that id in her chat."""
        return self._by_id.get(message_id)

    async def wait_for(self, predicate: Predicate | None = None,
                       timeout: float = 5.0, *,  # noqa: ASYNC109
                       after: ChatMessage | None = None,
                       include_deleted: bool = False) -> ChatMessage:
        """First (oldest) message matching `predicate` (a callable, or a substring of the text)."""
        if predicate is None:
            def matches(_: ChatMessage) -> bool:
                return True
        elif isinstance(predicate, str):
            needle = predicate

            def matches(m: ChatMessage) -> bool:
                return needle in (m.content or "")
        else:
            matches = predicate
        floor = after.message_id if after is not None else 0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for message in self.messages:
                if message.message_id > floor and (include_deleted or not message.deleted) \
                        and matches(message):
                    return message
            remaining = deadline - loop.time()
            if remaining <= 0:
                received = "\n".join(f"  {m!r}" for m in self.messages) or "  (nothing)"
                what = predicate if isinstance(predicate, str) else "the predicate"
                raise AssertionError(f"{self.first_name} ({self.user_id}) got no message matching "
                                     f"{what!r} within {timeout}s; she received:\n{received}")
            if self._changed is None:
                self._changed = asyncio.Event()
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def transcript(self, bot_name: str | None = None) -> list[str]:
        """Readable lines of the chat as she saw it, in order, messages in their current state."""
        bot = bot_name or self._fake.bot_name
        lines: list[str] = []
        for kind, item in self._log:
            if kind == "in":
                who = f"{self.first_name}: " if not item.startswith("shares") \
                    else f"{self.first_name} "
                lines.append(who + item)
            elif kind == "note":
                lines.append(f"({item})")
            elif kind == "press":
                press: Press = item
                line = f"{press.presser.first_name} presses [{press.button_text}]"
                if press.answer_text:
                    line += f" → {'alert' if press.show_alert else 'toast'}: {press.answer_text}"
                lines.append(line)
            else:
                lines.extend(_render(bot, item))
        return lines

    def __repr__(self) -> str:
        return f"FakePerson({self.user_id}, {self.full_name!r})"


def _render(bot: str, message: ChatMessage) -> list[str]:
    marks = []
    if message.edits:
        marks.append("edited")
    if message.deleted:
        marks.append("deleted")
    suffix = f"  ({', '.join(marks)})" if marks else ""
    body = message.summary().split("\n")
    lines = [f"{bot}: {body[0]}{suffix if len(body) == 1 else ''}"]
    lines.extend(f"    {part}" for part in body[1:])
    if len(body) > 1 and suffix:
        lines[-1] += suffix
    for row in message.buttons:
        lines.append("    " + " ".join(f"[{b.text}]" for b in row))
    if message.reply_keyboard:
        marker = " (asks for phone number)" if message.request_contact else ""
        rows = " / ".join(" ".join(f"[{t}]" for t in row) for row in message.reply_keyboard)
        lines.append(f"    keyboard: {rows}{marker}")
    if message.remove_keyboard:
        lines.append("    (keyboard removed)")
    return lines
