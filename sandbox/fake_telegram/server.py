"""An in-process Telegram Bot API server on 127.0.0.1 that the real PTB talks to over HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, Self
from urllib.parse import urlsplit

from aiohttp import web

from sandbox.fake_telegram.formatting import parse_text
from sandbox.fake_telegram.models import (
    ApiCall,
    ApiError,
    ChatMessage,
    Contact,
    Document,
    Stats,
    Venue,
)
from sandbox.fake_telegram.people import FakePerson, Press

__all__ = ["FakeTelegram", "FaultKind"]

FaultKind = Literal["429", "403", "500", "timeout", "timeout_after_delivery"]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
# Telegram's limits on an inline keyboard: https://core.telegram.org/bots/api#inlinekeyboardmarkup
MAX_BUTTONS = 100
MAX_BUTTONS_IN_ROW = 8
# A message can only be deleted if it was sent less than 48 hours ago
# (https://core.telegram.org/bots/api#deletemessage), the bot's own as well as incoming ones.
DELETE_WINDOW = timedelta(hours=48)
# setWebhook: "Ports currently supported for webhooks: 443, 80, 88, 8443"
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
# The Bot API server clamps max_connections to 1..100 (tdlib/telegram-bot-api, Client.cpp,
# get_webhook_max_connections) rather than refusing a larger number.
MAX_WEBHOOK_CONNECTIONS = 100
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]*")
_LANGUAGE_CODE = re.compile(r"[a-z]{2}")

# Params Telegram treats as strings; everything else PTB sends JSON-encoded (numbers too).
_STRING_FIELDS = frozenset({
    "text", "caption", "parse_mode", "callback_query_id", "title", "address", "phone_number",
    "first_name", "last_name", "vcard", "url", "language_code", "description",
    "short_description", "name", "secret_token", "inline_message_id", "file_id",
    "foursquare_id", "foursquare_type", "google_place_id", "google_place_type", "action",
    "business_connection_id", "message_effect_id", "ip_address", "document", "emoji",
})
_INLINE_ACTIONS = frozenset({
    "url", "callback_data", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "callback_game",
    "pay", "web_app", "copy_text",
})
_NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                 "markup are exactly the same as a current content and reply markup of the "
                 "message")
_QUERY_TOO_OLD = ("Bad Request: query is too old and response timeout expired or query ID is "
                  "invalid")
_BLOCKED = "Forbidden: bot was blocked by the user"
_CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
_CHAT_NOT_FOUND = "Bad Request: chat not found"
_CANT_DELETE = "Bad Request: message can't be deleted for everyone"
_MARKUP_TOO_LONG = "Bad Request: reply markup is too long"
_BUTTON_TEXT_INVALID = "Bad Request: BUTTON_TEXT_INVALID"
_BAD_LANGUAGE = "Bad Request: invalid language code specified"
_dumps = functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


@dataclass(slots=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    data: bytes
    content_type: str | None

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes)"


@dataclass(slots=True)
class _Fault:
    chat_id: int | None
    kind: str
    times: int
    retry_after: int
    method: str | None
    hold: float | None
    skip: int = 0  # matching calls to let through before the fault starts


class FakeTelegram:
    """A fake Telegram Bot API server with scriptable people; see the package docstring."""

    def __init__(self, token: str = "123456:TEST-TOKEN", bot_username: str = "posom_test_bot",
                 bot_name: str = "POSOM", *, host: str = "127.0.0.1", port: int = 0,
                 callback_query_ttl: float = 15.0, hold_seconds: float = 60.0) -> None:
        self.token = token
        self.bot_username = bot_username
        self.bot_name = bot_name
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.host = host
        self.port = port
        self.callback_query_ttl = callback_query_ttl
        self.hold_seconds = hold_seconds
        # Telegram's clock as the messages' dates see it: the wall clock plus an offset a test
        # can move (`advance`), e.g. past the 48 hours after which a message cannot be deleted.
        self._clock_offset = 0.0
        self.people: dict[int, FakePerson] = {}
        self.calls: list[ApiCall] = []
        self.commands: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.webhook: dict[str, Any] = {"url": ""}
        # Where "the internet" routes the https webhook URL (e.g. http://127.0.0.1:PORT, like a
        # reverse proxy in front of the bot); the path of the webhook URL is kept.
        self.webhook_route: str | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status)
        self._pusher: asyncio.Task | None = None
        self.bot_texts: dict[tuple[str, str], str] = {}
        self.stats = Stats()
        self.files: dict[str, Document] = {}
        self._updates: deque[dict[str, Any]] = deque()
        self.produced: list[dict[str, Any]] = []  # every update ever queued, for redeliver()
        self._next_update_id = 1
        self._fetched_upto = 0
        self._allowed_updates: set[str] | None = None
        self._poll_waiter: asyncio.Future[str] | None = None
        self._queries: dict[str, Press] = {}
        self._query_ids = itertools.count(4_398_046_511_104 + self.bot_id % 1000 * 1_000_000)
        self._file_ids = itertools.count(1)
        self._faults: list[_Fault] = []
        self._flood_per_second: float | None = None
        self._flood_retry_after: int | None = None
        self._flood_window: deque[float] = deque()
        self._in_flight = 0
        self._last_activity = time.monotonic()
        self._stopping = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
            name.lower(): (name, handler) for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "setMyCommands": self._set_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getMyCommands": self._get_my_commands,
                "setChatMenuButton": self._set_chat_menu_button,
                "getChatMenuButton": self._get_chat_menu_button,
                "setMyDescription": functools.partial(self._set_bot_text, "description"),
                "setMyShortDescription": functools.partial(self._set_bot_text,
                                                           "short_description"),
                "setMyName": functools.partial(self._set_bot_text, "name"),
                "getMyDescription": functools.partial(self._get_bot_text, "description"),
                "getMyShortDescription": functools.partial(self._get_bot_text,
                                                           "short_description"),
                "getMyName": functools.partial(self._get_bot_text, "name"),
                "getChat": self._get_chat,
                "sendChatAction": self._send_chat_action,
                "sendMessage": self._send_message,
                "sendLocation": self._send_location,
                "sendVenue": self._send_venue,
                "sendContact": self._send_contact,
                "sendDocument": self._send_document,
                "editMessageText": self._edit_message_text,
                "editMessageCaption": self._edit_message_caption,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "getFile": self._get_file,
                "close": self._accept,
                "logOut": self._accept,
            }.items()
        }

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> Self:
        """Starts serving on host:port (port 0 = a free port)."""
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, handler_cancellation=True, access_log=None,
                                     shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._stopping.clear()
        self._pusher = asyncio.create_task(self._push_webhooks(), name="fake-telegram-webhook")
        return self

    async def stop(self) -> None:
        """Releases held requests and long polls, then shuts the server down."""
        self._stopping.set()
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("stop")
        if self._pusher is not None:
            self._pusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pusher
            self._pusher = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def now(self) -> float:
        """Telegram's current time (Unix seconds), as message dates and the 48-hour rule see it."""
        return time.time() + self._clock_offset

    def advance(self, **delta: float) -> None:
        """Moves Telegram's clock forward, e.g. `advance(hours=49)`."""
        self._clock_offset += timedelta(**delta).total_seconds()

    @property
    def api_url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:PORT (PTB base_url is this + "/bot")."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give PTB as base_url."""
        return f"{self.api_url}/bot"

    @property
    def base_file_url(self) -> str:
        """What to give PTB as base_file_url."""
        return f"{self.api_url}/file/bot"

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's User object."""
        return {"id": self.bot_id, "is_bot": True, "first_name": self.bot_name,
                "username": self.bot_username}

    # --- people -------------------------------------------------------------------------

    def person(self, user_id: int, first_name: str | None = None, last_name: str | None = None,
               username: str | None = None, language_code: str | None = "sv", *,
               started: bool = False, phone_number: str | None = None,
               is_bot: bool = False) -> FakePerson:
        """The person with that id, created on first use (later calls return the same one)."""
        existing = self.people.get(user_id)
        if existing is not None:
            if started:
                existing.started = True
            if phone_number and not existing.phone_number:
                existing.phone_number = phone_number
            return existing
        person = FakePerson(self, user_id, first_name or f"User{user_id}", last_name, username,
                            language_code, started=started, phone_number=phone_number,
                            is_bot=is_bot)
        self.people[user_id] = person
        return person

    async def press_as(self, presser: FakePerson, message: ChatMessage,
                       button_text: str | None = None, *,
                       callback_data: str | None = None) -> Press:
        """`presser` presses a button of `message` (which may be in someone else's chat)."""
        if button_text is None and callback_data is None:
            raise ValueError("press needs button_text or callback_data")
        if message.deleted:
            raise AssertionError(f"cannot press a button on deleted message {message!r}")
        button = message.find_button(button_text, callback_data)
        if button is None or button.callback_data is None:
            wanted = button_text if button_text is not None else f"data={callback_data!r}"
            raise AssertionError(f"message #{message.message_id} in chat {message.chat_id} has "
                                 f"no callback button {wanted!r}; it has {message.button_texts}")
        presser.started = True
        query_id = str(next(self._query_ids))
        press = Press(query_id, presser, message, button.callback_data, button.text)
        self._queries[query_id] = press
        owner = self.people.get(message.chat_id)
        if owner is not None:
            owner._log.append(("press", press))
            if owner is not presser:
                presser._log.append(("press", press))
        self._enqueue("callback_query", {
            "id": query_id,
            "from": presser.user_dict(),
            "message": self._message_wire(message),
            "chat_instance": str(-(message.chat_id * 7919 + self.bot_id) % 10**19),
            "data": button.callback_data,
        })
        await asyncio.sleep(0)
        return press

    def _chat_member_update(self, person: FakePerson, old: str, new: str) -> None:
        member = {"user": self.bot_user, "status": new}
        if new == "kicked":
            member["until_date"] = 0
        self._enqueue("my_chat_member", {
            "chat": person.chat_dict(), "from": person.user_dict(), "date": int(self.now()),
            "old_chat_member": {"user": self.bot_user, "status": old,
                                **({"until_date": 0} if old == "kicked" else {})},
            "new_chat_member": member,
        })

    # --- faults and flood control ---------------------------------------------------------

    def fail(self, chat_id: int | None, error: FaultKind | str, times: int = 1,
             retry_after: int = 1, *, method: str | None = None,
             hold: float | None = None, skip: int = 0) -> None:
        """Makes the next `times` calls for chat_id (None = any chat) fail with `error`, after
        letting `skip` of them through (e.g. the second part of a long message)."""
        if error not in ("429", "403", "500", "timeout", "timeout_after_delivery"):
            raise ValueError(f"unknown fault {error!r}")
        self._faults.append(_Fault(chat_id, error, times, retry_after,
                                   method.lower() if method else None, hold, skip))

    def flood_limit(self, per_second: float | None, *, retry_after: int | None = None) -> None:
        """Caps send/edit calls per sliding second globally (None = no cap); excess gets 429."""
        self._flood_per_second = per_second
        self._flood_retry_after = retry_after
        self._flood_window.clear()

    def _take_fault(self, method: str, chat_id: int | str | None) -> _Fault | None:
        if not self._faults or method == "getUpdates":
            return None
        for fault in self._faults:
            if fault.method is not None and fault.method != method.lower():
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            if fault.chat_id is None and chat_id is None and fault.method is None:
                continue
            if fault.skip > 0:
                fault.skip -= 1
                return None
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            self.stats.injected_faults += 1
            return fault
        return None

    def _check_flood(self, method: str) -> None:
        limit = self._flood_per_second
        if limit is None or not method.startswith(("send", "edit", "copy", "forward")) \
                or method == "sendChatAction":
            return
        now = time.monotonic()
        window = self._flood_window
        while window and now - window[0] >= 1.0:
            window.popleft()
        if len(window) >= limit:
            retry = self._flood_retry_after or max(1, math.ceil(window[0] + 1.0 - now))
            self.stats.limiter_429s += 1
            raise ApiError(429, f"Too Many Requests: retry after {retry}", retry_after=retry)
        window.append(now)

    async def _hold(self, seconds: float | None) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds or self.hold_seconds)

    # --- waiting ------------------------------------------------------------------------

    async def settle(self, quiet: float = 0.3, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Waits until every update was fetched and no API call came for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            fetched = not self._updates or self._updates[-1]["update_id"] <= self._fetched_upto
            if fetched and self._in_flight == 0 and now - self._last_activity >= quiet:
                return
            if now >= deadline:
                unfetched = sum(1 for u in self._updates if u["update_id"] > self._fetched_upto)
                raise TimeoutError(f"fake Telegram did not settle within {timeout}s: "
                                   f"{unfetched} updates not fetched, {self._in_flight} calls "
                                   f"in flight, last call {now - self._last_activity:.2f}s ago")
            await asyncio.sleep(min(0.02, max(quiet / 5, 0.001)))

    @property
    def pending_updates(self) -> int:
        """Updates produced but not yet confirmed by the bot."""
        return len(self._updates)

    def calls_of(self, method: str) -> list[ApiCall]:
        """The logged calls of one method (case-insensitive)."""
        wanted = method.lower()
        return [c for c in self.calls if c.method.lower() == wanted]

    def _touch(self) -> None:
        self._last_activity = time.monotonic()

    # --- updates ------------------------------------------------------------------------

    def _enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if self._allowed_updates is not None and kind not in self._allowed_updates:
            return None
        update = {"update_id": self._next_update_id, kind: payload}
        self._next_update_id += 1
        self._updates.append(update)
        self.produced.append(update)
        self.stats.updates_produced += 1
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("update")
        return update

    def redeliver(self, update_id: int) -> None:
        """Queues an already delivered update again with its own update_id, as Telegram does when
        a bot fetched a batch but stopped before confirming it with the next offset."""
        update = next(u for u in self.produced if u["update_id"] == update_id)
        self._updates = deque(sorted([*self._updates, update], key=lambda u: u["update_id"]))
        self._fetched_upto = min(self._fetched_upto, update_id - 1)
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("update")

    async def _push_webhooks(self) -> None:
        """While a webhook is set, POSTs each queued update to it, as Telegram does; an update
        is dropped from the queue only after a 2xx answer, otherwise it is tried again."""
        import aiohttp  # the client half, only needed when a webhook is used

        async with aiohttp.ClientSession() as session:
            while not self._stopping.is_set():
                url = self.webhook.get("url")
                if not url or not self._updates or self.webhook_route is None:
                    await asyncio.sleep(0.05)
                    continue
                update = self._updates[0]
                target = self.webhook_route.rstrip("/") + "/" + url.split("/", 3)[3] \
                    if url.count("/") >= 3 else self.webhook_route
                headers = {}
                if self.webhook.get("secret_token"):
                    headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
                try:
                    async with session.post(target, json=update, headers=headers,
                                            timeout=aiohttp.ClientTimeout(total=10)) as response:
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                self.webhook_deliveries.append((update["update_id"], status))
                if 200 <= status < 300:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                    self._fetched_upto = max(self._fetched_upto, update["update_id"])
                    self._touch()
                else:
                    await asyncio.sleep(0.2)

    def _confirm(self, offset: int) -> None:
        updates = self._updates
        if offset > 0:
            while updates and updates[0]["update_id"] < offset:
                updates.popleft()
        elif offset < 0:
            while len(updates) > -offset:
                updates.popleft()

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                "use deleteWebhook to delete the webhook first")
        offset = _int(p, "offset") or 0
        limit = min(max(_int(p, "limit") or 100, 1), 100)
        timeout = max(_float(p, "timeout") or 0.0, 0.0)
        allowed = _json(p, "allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = set(allowed) or None
        self._confirm(offset)
        if self._poll_waiter is not None and not self._poll_waiter.done():
            self._poll_waiter.set_result("conflict")
        if not self._updates and timeout > 0 and not self._stopping.is_set():
            waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            self._poll_waiter = waiter
            try:
                await asyncio.wait({waiter}, timeout=timeout)
            finally:
                if self._poll_waiter is waiter:
                    self._poll_waiter = None
                if not waiter.done():
                    waiter.cancel()
            if not waiter.cancelled() and waiter.result() == "conflict":
                raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure "
                                    "that only one bot instance is running")
        batch = list(itertools.islice(self._updates, limit))
        if batch:
            self._fetched_upto = max(self._fetched_upto, batch[-1]["update_id"])
            self._touch()
        return batch

    # --- HTTP plumbing ------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _respond(ApiError(401, "Unauthorized").body(), 401)
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return _respond(ApiError(404, "Not Found").body(), 404)
        method, handler = entry
        try:
            params = await _read_params(request)
        except ApiError as exc:
            return _respond(exc.body(), exc.status)
        chat_id = _chat_key(params.get("chat_id"))
        call = ApiCall(method, params, chat_id, time.monotonic())
        self.calls.append(call)
        self.stats.requests += 1
        self.stats.by_method[method] += 1
        counted = method != "getUpdates"
        if counted:
            self._in_flight += 1
            self._touch()
        try:
            fault = self._take_fault(method, chat_id)
            if fault is not None:
                if fault.kind in ("timeout", "timeout_after_delivery"):
                    body = None
                    if fault.kind == "timeout_after_delivery":
                        body = await self._run(handler, params)
                    call.status, call.description = 0, f"held ({fault.kind})"
                    if counted:
                        self._in_flight -= 1
                        counted = False
                    await self._hold(fault.hold)
                    if body is None:
                        raise ApiError(502, "Bad Gateway")
                    return _respond(body, 200)
                raise _fault_error(fault)
            self._check_flood(method)
            body = await self._run(handler, params)
            return _respond(body, 200)
        except ApiError as exc:
            call.status, call.description = exc.status, exc.description
            if exc.status == 429:
                self.stats.flood_429s += 1
            self.stats.by_status[exc.status] += 1
            return _respond(exc.body(), exc.status)
        finally:
            if counted:
                self._in_flight -= 1
                self._touch()
            if call.status == 200:
                self.stats.by_status[200] += 1

    async def _run(self, handler: Callable[[dict[str, Any]], Any],
                   params: dict[str, Any]) -> dict[str, Any]:
        result = handler(params)
        if inspect.isawaitable(result):
            result = await result
        return {"ok": True, "result": result}

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _respond(ApiError(401, "Unauthorized").body(), 401)
        path = request.match_info["path"]
        for document in self.files.values():
            if _file_path(document) == path:
                return web.Response(body=document.data,
                                    content_type=document.mime_type or "application/octet-stream")
        return _respond(ApiError(404, "Not Found").body(), 404)

    # --- chat and message helpers -------------------------------------------------------

    def _chat(self, p: dict[str, Any]) -> FakePerson:
        if p.get("chat_id") in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        person = self.people.get(_chat_key(p["chat_id"]))  # type: ignore[arg-type]
        if person is None:
            raise ApiError(400, _CHAT_NOT_FOUND)
        return person

    def _recipient(self, p: dict[str, Any]) -> FakePerson:
        person = self._chat(p)
        if person.blocked:
            raise ApiError(403, _BLOCKED)
        if not person.started:
            raise ApiError(403, _CANT_INITIATE)
        return person

    def _target(self, p: dict[str, Any], action: str) -> tuple[FakePerson, ChatMessage | None]:
        if p.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        person = self._chat(p)
        message_id = _int(p, "message_id")
        if message_id is None:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = person._by_id.get(message_id)
        if message is not None and not message.deleted:
            return person, message
        if message_id in person._incoming and action != "edit":
            return person, None
        if message_id in person._incoming:
            raise ApiError(400, "Bad Request: message can't be edited")
        raise ApiError(400, f"Bad Request: message to {action} not found")

    def _deliver(self, person: FakePerson, message: ChatMessage,
                 p: dict[str, Any]) -> dict[str, Any]:
        """Assigns the next id in her chat, stores the message and returns the wire object."""
        reply_to = _reply_to(p)
        if reply_to is not None:
            parameters = _json(p, "reply_parameters")
            allow = bool(_bool(p, "allow_sending_without_reply") or (
                isinstance(parameters, dict) and parameters.get("allow_sending_without_reply")))
            exists = reply_to in person._incoming or (
                reply_to in person._by_id and not person._by_id[reply_to].deleted)
            if not exists and not allow:
                raise ApiError(400, "Bad Request: message to be replied not found")
            message.reply_to_message_id = reply_to if exists else None
        message.silent = bool(_bool(p, "disable_notification"))
        message.message_id = person._take_message_id()
        person.messages.append(message)
        person._by_id[message.message_id] = message
        person._log.append(("out", message))
        if message.keyboard_buttons is not None:
            person.keyboard = message.keyboard_buttons
            person._one_time_keyboard = message.one_time_keyboard
        elif message.remove_keyboard:
            person.keyboard = None
        self.stats.messages_delivered += 1
        person._notify()
        return self._message_wire(message)

    def _new_message(self, person: FakePerson, kind: str, p: dict[str, Any]) -> ChatMessage:
        message = ChatMessage(message_id=0, chat_id=person.chat_id, date=int(self.now()),
                              kind=kind)
        self._apply_markup(message, p.get("reply_markup"), inline_only=False)
        return message

    def _apply_markup(self, message: ChatMessage, raw: Any, *, inline_only: bool) -> None:
        if raw is None or raw == "":
            message.inline_markup = None
            return
        markup = _decode_json(raw, "Bad Request: can't parse reply keyboard markup JSON object")
        if not isinstance(markup, dict):
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            message.inline_markup = _inline_keyboard(markup["inline_keyboard"])
            return
        if inline_only:
            raise ApiError(400, "Bad Request: inline keyboard expected")
        message.inline_markup = None
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError(400, "Bad Request: field \"keyboard\" of the ReplyKeyboardMarkup "
                                    "must be an Array of Arrays")
            buttons = [[b if isinstance(b, dict) else {"text": str(b)} for b in row]
                       for row in rows]
            if any(not isinstance(b.get("text"), str) or not b["text"] for row in buttons
                   for b in row):
                raise ApiError(400, "Bad Request: can't parse keyboard button: Text must be "
                                    "non-empty")
            message.reply_keyboard = [[b["text"] for b in row] for row in buttons]
            message.request_contact = any(b.get("request_contact") for row in buttons
                                          for b in row)
            message.keyboard_buttons = buttons
            message.one_time_keyboard = bool(markup.get("one_time_keyboard"))
        elif markup.get("remove_keyboard"):
            message.remove_keyboard = True
        elif markup.get("force_reply"):
            message.force_reply = True
        else:
            raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")

    def _message_wire(self, message: ChatMessage) -> dict[str, Any]:
        person = self.people[message.chat_id]
        wire: dict[str, Any] = {"message_id": message.message_id, "from": self.bot_user,
                                "chat": person.chat_dict(), "date": message.date}
        if message.edit_date is not None:
            wire["edit_date"] = message.edit_date
        if message.text is not None:
            wire["text"] = message.text
            if message.entities:
                wire["entities"] = message.entities
        if message.location is not None:
            wire["location"] = {"latitude": message.location[0],
                                "longitude": message.location[1]}
        if message.venue is not None:
            v = message.venue
            wire["venue"] = {"location": {"latitude": v.latitude, "longitude": v.longitude},
                             "title": v.title, "address": v.address}
        if message.contact is not None:
            c = message.contact
            wire["contact"] = {k: v for k, v in (
                ("phone_number", c.phone_number), ("first_name", c.first_name),
                ("last_name", c.last_name), ("user_id", c.user_id), ("vcard", c.vcard))
                if v is not None}
        if message.document is not None:
            d = message.document
            wire["document"] = {"file_id": d.file_id, "file_unique_id": d.file_unique_id,
                                "file_name": d.filename, "file_size": len(d.data)}
            if d.mime_type:
                wire["document"]["mime_type"] = d.mime_type
        if message.caption is not None:
            wire["caption"] = message.caption
            if message.entities:
                wire["caption_entities"] = message.entities
        if message.inline_markup:
            wire["reply_markup"] = message.inline_markup
        if message.reply_to_message_id is not None:
            replied = person._by_id.get(message.reply_to_message_id)
            if replied is not None:
                wire["reply_to_message"] = {k: v for k, v in self._message_wire(replied).items()
                                            if k != "reply_to_message"}
            elif message.reply_to_message_id in person._incoming:
                wire["reply_to_message"] = person._incoming[message.reply_to_message_id]
        return wire

    # --- methods: bot and setup -----------------------------------------------------------

    def _get_me(self, p: dict[str, Any]) -> dict[str, Any]:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    def _accept(self, p: dict[str, Any]) -> bool:
        return True

    def _set_webhook(self, p: dict[str, Any]) -> bool:
        url = _str(p, "url") or ""
        if url and not url.startswith("https://"):
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                                "webhook")
        if url:
            try:
                port = urlsplit(url).port or 443
            except ValueError:
                raise ApiError(400, "Bad Request: invalid webhook URL specified") from None
            if port not in WEBHOOK_PORTS:
                raise ApiError(400, "Bad Request: bad webhook: Webhook can be set up only on "
                                    "ports 80, 88, 443 or 8443")
            secret = _str(p, "secret_token") or ""
            if len(secret) > 256:
                raise ApiError(400, "Bad Request: secret token is too long")
            if not _SECRET_TOKEN.fullmatch(secret):
                raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        if _bool(p, "drop_pending_updates"):
            self._drop_pending()
        allowed = _json(p, "allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = set(allowed) or None
        connections = _int(p, "max_connections")
        if connections is not None:
            connections = min(max(connections, 1), MAX_WEBHOOK_CONNECTIONS)
        self.webhook = {"url": url, "secret_token": _str(p, "secret_token"),
                        "max_connections": connections, "allowed_updates": allowed}
        return True

    def _delete_webhook(self, p: dict[str, Any]) -> bool:
        if _bool(p, "drop_pending_updates"):
            self._drop_pending()
        self.webhook = {"url": ""}
        return True

    def _drop_pending(self) -> None:
        if self._updates:
            self._fetched_upto = max(self._fetched_upto, self._updates[-1]["update_id"])
        self._updates.clear()

    def _get_webhook_info(self, p: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {"url": self.webhook.get("url", ""),
                                "has_custom_certificate": False,
                                "pending_update_count": len(self._updates)}
        if self.webhook.get("max_connections"):
            info["max_connections"] = self.webhook["max_connections"]
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    def _scope_key(self, p: dict[str, Any]) -> tuple[str, str]:
        scope = _json(p, "scope") or {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
        kind = scope["type"]
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat_id = _chat_key(scope.get("chat_id"))
            if chat_id not in self.people:
                raise ApiError(400, _CHAT_NOT_FOUND)
            key = f"{kind}:{chat_id}"
            if kind == "chat_member":
                key += f":{scope.get('user_id')}"
        elif kind in ("default", "all_private_chats", "all_group_chats",
                      "all_chat_administrators"):
            key = kind
        else:
            raise ApiError(400, "Bad Request: wrong parameter scope")
        return key, _language_code(p)

    def _set_my_commands(self, p: dict[str, Any]) -> bool:
        commands = _json(p, "commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands")
        parsed: list[tuple[str, str]] = []
        for entry in commands:
            if not isinstance(entry, dict) or "command" not in entry:
                raise ApiError(400, 'Bad Request: can\'t parse BotCommand: Can\'t find field '
                                    '"command"')
            if "description" not in entry:
                raise ApiError(400, 'Bad Request: can\'t parse BotCommand: Can\'t find field '
                                    '"description"')
            command, description = str(entry["command"]), str(entry["description"]).strip()
            if not (1 <= len(command) <= 32) or not all(
                    c.isascii() and (c.islower() or c.isdigit() or c == "_") for c in command):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not description:
                raise ApiError(400, "Bad Request: command description must be non-empty")
            if len(description) > 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            parsed.append((command, description))
        key = self._scope_key(p)
        if parsed:
            self.commands[key] = parsed
        else:
            self.commands.pop(key, None)
        return True

    def _delete_my_commands(self, p: dict[str, Any]) -> bool:
        self.commands.pop(self._scope_key(p), None)
        return True

    def _get_my_commands(self, p: dict[str, Any]) -> list[dict[str, str]]:
        return [{"command": c, "description": d}
                for c, d in self.commands.get(self._scope_key(p), [])]

    def _set_chat_menu_button(self, p: dict[str, Any]) -> bool:
        chat_id = _chat_key(p.get("chat_id"))
        if chat_id is not None and chat_id not in self.people:
            raise ApiError(400, _CHAT_NOT_FOUND)
        button = _json(p, "menu_button") or {"type": "default"}
        self.menu_buttons[chat_id] = button  # type: ignore[index]
        return True

    def _get_chat_menu_button(self, p: dict[str, Any]) -> dict[str, Any]:
        chat_id = _chat_key(p.get("chat_id"))
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {  # type: ignore[arg-type]
            "type": "default"}

    def _set_bot_text(self, field: str, p: dict[str, Any]) -> bool:
        self.bot_texts[(field, _language_code(p))] = _str(p, field) or ""
        return True

    def _get_bot_text(self, field: str, p: dict[str, Any]) -> dict[str, str]:
        return {field: self.bot_texts.get((field, _language_code(p)), "")}

    def _get_chat(self, p: dict[str, Any]) -> dict[str, Any]:
        person = self._chat(p)
        return {**person.chat_dict(), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False}}

    def _send_chat_action(self, p: dict[str, Any]) -> bool:
        self._recipient(p)
        return True

    # --- methods: sending -----------------------------------------------------------------

    def _send_message(self, p: dict[str, Any]) -> dict[str, Any]:
        person = self._recipient(p)
        text, entities = self._parse_content(p, "text", MAX_TEXT, "message text is empty",
                                             "message is too long")
        message = self._new_message(person, "text", p)
        message.text, message.entities = text, entities
        message.raw_text, message.parse_mode = _str(p, "text"), _str(p, "parse_mode")
        return self._deliver(person, message, p)

    def _parse_content(self, p: dict[str, Any], field: str, limit: int, empty: str | None,
                       too_long: str) -> tuple[str, list[dict[str, Any]]]:
        raw = _str(p, field) or ""
        text, entities = parse_text(raw, _str(p, "parse_mode"))
        if not _str(p, "parse_mode"):
            given = _json(p, "entities" if field == "text" else "caption_entities")
            if isinstance(given, list):
                entities = given
        if not text and empty is not None:
            raise ApiError(400, f"Bad Request: {empty}")
        if len(text) > limit:
            raise ApiError(400, f"Bad Request: {too_long}")
        return text, entities

    def _send_location(self, p: dict[str, Any]) -> dict[str, Any]:
        person = self._recipient(p)
        latitude, longitude = _coordinates(p)
        message = self._new_message(person, "location", p)
        message.location = (latitude, longitude)
        return self._deliver(person, message, p)

    def _send_venue(self, p: dict[str, Any]) -> dict[str, Any]:
        person = self._recipient(p)
        latitude, longitude = _coordinates(p)
        title, address = _str(p, "title"), _str(p, "address")
        if not title:
            raise ApiError(400, "Bad Request: venue title is empty")
        if not address:
            raise ApiError(400, "Bad Request: venue address is empty")
        message = self._new_message(person, "venue", p)
        message.venue = Venue(latitude, longitude, title, address)
        message.location = (latitude, longitude)
        return self._deliver(person, message, p)

    def _send_contact(self, p: dict[str, Any]) -> dict[str, Any]:
        person = self._recipient(p)
        phone, first = _str(p, "phone_number"), _str(p, "first_name")
        if not phone:
            raise ApiError(400, "Bad Request: phone number is empty")
        if not first:
            raise ApiError(400, "Bad Request: contact first name is empty")
        message = self._new_message(person, "contact", p)
        message.contact = Contact(phone, first, _str(p, "last_name"), None, _str(p, "vcard"))
        return self._deliver(person, message, p)

    def _send_document(self, p: dict[str, Any]) -> dict[str, Any]:
        person = self._recipient(p)
        raw = p.get("document")
        if isinstance(raw, str) and raw.startswith("attach://"):
            raw = p.get(raw.removeprefix("attach://"))
        if isinstance(raw, UploadedFile):
            if not raw.data:
                raise ApiError(400, "Bad Request: file must be non-empty")
            file_no = next(self._file_ids)
            document = Document(raw.filename or "document", raw.data, None, raw.content_type,
                                f"BQACAgQAAxkDAAF{file_no:08d}", f"AgAD{file_no:06d}")
        elif isinstance(raw, str) and raw in self.files:
            document = self.files[raw]
        elif isinstance(raw, str) and raw.startswith(("http://", "https://")):
            file_no = next(self._file_ids)
            document = Document(raw.rsplit("/", 1)[-1] or "document", b"", None, None,
                                f"BQACAgQAAxkDAAF{file_no:08d}", f"AgAD{file_no:06d}")
        elif raw is None or raw == "":
            raise ApiError(400, "Bad Request: there is no document in the request")
        else:
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        caption, entities = self._parse_content(p, "caption", MAX_CAPTION, None,
                                                "message caption is too long")
        self.files[document.file_id] = document
        message = self._new_message(person, "document", p)
        message.document = Document(document.filename, document.data, caption or None,
                                    document.mime_type, document.file_id,
                                    document.file_unique_id)
        message.caption = caption or None
        message.raw_text, message.parse_mode = _str(p, "caption"), _str(p, "parse_mode")
        message.entities = entities
        return self._deliver(person, message, p)

    def _get_file(self, p: dict[str, Any]) -> dict[str, Any]:
        document = self.files.get(_str(p, "file_id") or "")
        if document is None:
            raise ApiError(400, "Bad Request: wrong file_id or the file is temporarily "
                                "unavailable")
        return {"file_id": document.file_id, "file_unique_id": document.file_unique_id,
                "file_size": len(document.data), "file_path": _file_path(document)}

    # --- methods: editing -----------------------------------------------------------------

    def _edit_message_text(self, p: dict[str, Any]) -> dict[str, Any]:
        person, message = self._target(p, "edit")
        assert message is not None
        if message.kind != "text":
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if person.blocked:
            raise ApiError(403, _BLOCKED)
        text, entities = self._parse_content(p, "text", MAX_TEXT, "message text is empty",
                                             "message is too long")
        probe = ChatMessage(0, message.chat_id, 0, "text")
        self._apply_markup(probe, p.get("reply_markup"), inline_only=True)
        if (text, entities, probe.inline_markup) == (message.text, message.entities,
                                                     message.inline_markup):
            raise ApiError(400, _NOT_MODIFIED)
        message.edits.append(message.text)
        message.text, message.entities = text, entities
        message.raw_text, message.parse_mode = _str(p, "text"), _str(p, "parse_mode")
        message.inline_markup = probe.inline_markup
        return self._edited(person, message)

    def _edit_message_caption(self, p: dict[str, Any]) -> dict[str, Any]:
        person, message = self._target(p, "edit")
        assert message is not None
        if message.kind != "document":
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        if person.blocked:
            raise ApiError(403, _BLOCKED)
        caption, entities = self._parse_content(p, "caption", MAX_CAPTION, None,
                                                "message caption is too long")
        probe = ChatMessage(0, message.chat_id, 0, "document")
        self._apply_markup(probe, p.get("reply_markup"), inline_only=True)
        new_caption = caption or None
        if (new_caption, entities, probe.inline_markup) == (message.caption, message.entities,
                                                            message.inline_markup):
            raise ApiError(400, _NOT_MODIFIED)
        message.edits.append(message.caption)
        message.caption, message.entities = new_caption, entities
        message.inline_markup = probe.inline_markup
        return self._edited(person, message)

    def _edit_message_reply_markup(self, p: dict[str, Any]) -> dict[str, Any]:
        person, message = self._target(p, "edit")
        assert message is not None
        if person.blocked:
            raise ApiError(403, _BLOCKED)
        probe = ChatMessage(0, message.chat_id, 0, message.kind)
        self._apply_markup(probe, p.get("reply_markup"), inline_only=True)
        if probe.inline_markup == message.inline_markup:
            raise ApiError(400, _NOT_MODIFIED)
        message.edits.append(message.content)
        message.inline_markup = probe.inline_markup
        return self._edited(person, message)

    def _edited(self, person: FakePerson, message: ChatMessage) -> dict[str, Any]:
        message.edit_date = int(self.now())
        person._notify()
        return self._message_wire(message)

    def _delete_message(self, p: dict[str, Any]) -> bool:
        person, message = self._target(p, "delete")
        if message is None:  # one of her own messages
            message_id = _int(p, "message_id")
            if self.now() - person._incoming[message_id]["date"] >= DELETE_WINDOW.total_seconds():
                raise ApiError(400, _CANT_DELETE)
            del person._incoming[message_id]  # type: ignore[arg-type]
            return True
        if self.now() - message.date >= DELETE_WINDOW.total_seconds():
            raise ApiError(400, _CANT_DELETE)
        message.deleted = True
        person._notify()
        return True

    def _answer_callback_query(self, p: dict[str, Any]) -> bool:
        query = self._queries.get(_str(p, "callback_query_id") or "")
        if query is None or query.answered or \
                time.monotonic() - query.pressed_at > self.callback_query_ttl:
            raise ApiError(400, _QUERY_TOO_OLD)
        text = _str(p, "text")
        if text is not None and len(text) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        query._set_answer(text, bool(_bool(p, "show_alert")), _str(p, "url"))
        return True


# --- module helpers --------------------------------------------------------------------


def _language_code(p: dict[str, Any]) -> str:
    """A two-letter ISO 639-1 code or empty, as Telegram accepts in the bot's menus and texts."""
    code = _str(p, "language_code") or ""
    if code and not _LANGUAGE_CODE.fullmatch(code):
        raise ApiError(400, _BAD_LANGUAGE)
    return code


def _respond(body: dict[str, Any], status: int) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _fault_error(fault: _Fault) -> ApiError:
    if fault.kind == "429":
        return ApiError(429, f"Too Many Requests: retry after {fault.retry_after}",
                        retry_after=fault.retry_after)
    if fault.kind == "403":
        return ApiError(403, _BLOCKED)
    return ApiError(500, "Internal Server Error")


async def _read_params(request: web.Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query)
    raw: dict[str, Any] = {}
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON encoded request") from None
        if isinstance(body, dict):
            params.update(body)
        return params
    if request.body_exists:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                params[key] = UploadedFile(value.filename, value.file.read(), value.content_type)
            else:
                raw[key] = value
    raw = {**params, **raw}
    for key, value in raw.items():
        if isinstance(value, str) and key not in _STRING_FIELDS:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        params[key] = value
    return params


def _chat_key(value: Any) -> int | str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        return text


def _str(p: dict[str, Any], key: str) -> str | None:
    value = p.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _int(p: dict[str, Any], key: str) -> int | None:
    value = p.get(key)
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f'Bad Request: field "{key}" must be a valid Number') from None


def _float(p: dict[str, Any], key: str) -> float | None:
    value = p.get(key)
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiError(400, f'Bad Request: field "{key}" must be a valid Number') from None


def _bool(p: dict[str, Any], key: str) -> bool | None:
    value = p.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower() in ("true", "1")
    return bool(value)


def _decode_json(value: Any, error: str) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, error) from None
    return value


def _json(p: dict[str, Any], key: str) -> Any:
    return _decode_json(p.get(key), f"Bad Request: can't parse {key} JSON object")


def _reply_to(p: dict[str, Any]) -> int | None:
    parameters = _json(p, "reply_parameters")
    if isinstance(parameters, dict) and parameters.get("message_id") is not None:
        return int(parameters["message_id"])
    return _int(p, "reply_to_message_id")


def _coordinates(p: dict[str, Any]) -> tuple[float, float]:
    latitude, longitude = _float(p, "latitude"), _float(p, "longitude")
    if latitude is None or longitude is None:
        raise ApiError(400, "Bad Request: wrong coordinates specified")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ApiError(400, "Bad Request: wrong coordinates specified")
    return latitude, longitude


def _file_path(document: Document) -> str:
    return f"documents/file_{document.file_unique_id}_{document.filename}"


def _inline_keyboard(rows: Any) -> dict[str, Any] | None:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(400, 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                            "must be an Array of Arrays")
    if sum(len(row) for row in rows) > MAX_BUTTONS or any(len(row) > MAX_BUTTONS_IN_ROW
                                                         for row in rows):
        raise ApiError(400, _MARKUP_TOO_LONG)
    clean: list[list[dict[str, Any]]] = []
    for row in rows:
        clean_row = []
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Field "
                                    '"text" must be of type String')
            if not button["text"].strip():
                raise ApiError(400, _BUTTON_TEXT_INVALID)
            if not _INLINE_ACTIONS & button.keys():
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text "
                                    "buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) \
                        <= MAX_CALLBACK_BYTES:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not url.startswith(("http://", "https://",
                                                                    "tg://")):
                    raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is "
                                        "invalid: Wrong HTTP URL")
            clean_row.append(button)
        if clean_row:
            clean.append(clean_row)
    return {"inline_keyboard": clean} if clean else None

