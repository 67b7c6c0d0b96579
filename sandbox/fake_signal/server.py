"""A fake signal-cli HTTP daemon on 127.0.0.1: JSON-RPC at /api/v1/rpc, Server-Sent Events at
/api/v1/events and liveness at /api/v1/check, as `signal-cli -a +46… daemon --http` serves them.

Strict where signal-cli is (Host header, content type, JSON-RPC errors with its own codes,
per-recipient results, the 2,000-byte body, edits and deletes only to the bot's own messages
within 48 hours) and stricter where a silent mistake would hide a bug (unknown params).
Faults can be injected: rate limits with Retry-After, proof-required rate limits, identity
failures (a changed safety number), network failures, unregistered numbers, whole-call errors,
a daemon that is down, an event stream that breaks.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
import time
import uuid as uuidlib
from collections import deque
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, Self

from aiohttp import web

from sandbox.fake_signal.models import (
    EDIT_WINDOW_MS,
    MAX_MESSAGE_SIZE_BYTES,
    Attachment,
    Fault,
    FaultKind,
    RpcCall,
    RpcError,
    SignalMessage,
)
from sandbox.fake_signal.params import METHODS, MULTI_ACCOUNT_ONLY, checked_params, listed
from sandbox.fake_signal.people import FakeSignalPerson

__all__ = ["FakeSignalDaemon"]

ReceiveMode = Literal["on-start", "on-connection"]
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_DATA_URI = re.compile(r"^data:(?P<mime>[^;,]+)(?:;filename=(?P<name>[^;,]+))?;base64,"
                       r"(?P<data>.*)$", re.DOTALL)
_MAX_EDITS = 10  # the Signal apps stop applying edits to a message after ten
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _utf8_cut(text: str, limit: int) -> str:
    """The longest prefix of `text` of at most `limit` UTF-8 bytes (splitByByteLength)."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


class _Client:
    """One connected /api/v1/events stream."""

    def __init__(self, response: web.StreamResponse) -> None:
        self.response = response
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()


class FakeSignalDaemon:
    """A fake signal-cli daemon with scriptable people; see the module docstring."""

    def __init__(self, account: str = "+46700000001", *, host: str = "127.0.0.1",
                 port: int = 0, multi_account: bool = False,
                 receive_mode: ReceiveMode = "on-connection", keepalive: float = 15.0,
                 version: str = "0.14.6", strict: bool = True,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.account = account
        self.account_uuid = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"signal-bot:{account}"))
        self.host = host
        self.port = port
        self.multi_account = multi_account
        self.receive_mode = receive_mode
        self.keepalive = keepalive
        self.version = version
        self.strict = strict
        self.clock = clock
        self.people: list[FakeSignalPerson] = []
        self.calls: list[RpcCall] = []
        self.http_statuses: list[tuple[str, int]] = []  # (path, status) of every request
        self.held: deque[dict[str, Any]] = deque()  # queued at the "server" with no client
        self.lost: list[dict[str, Any]] = []  # events nobody could receive
        self.bot_reactions: list[dict[str, Any]] = []
        self.receipts_sent: list[dict[str, Any]] = []
        self.faults: list[Fault] = []
        self.call_faults: list[tuple[str, RpcError, int]] = []
        self.connections = 0  # /api/v1/events connections ever made
        self._clients: list[_Client] = []
        self._streams_changed = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._in_flight = 0
        self._last_activity = time.monotonic()
        self._last_timestamp = 0
        self._untrusted_inbox: dict[str, list[dict[str, Any]]] = {}
        self._timers: set[asyncio.TimerHandle] = set()
        self._current_timestamp = 0
        self.profile: dict[str, Any] = {}
        self.up = False

    # -- life ----------------------------------------------------------------------------------

    async def start(self) -> Self:
        """Starts listening (on a free port the first time, the same port afterwards)."""
        app = web.Application()
        app.router.add_route("*", "/api/v1/rpc{tail:.*}", self._rpc)
        app.router.add_route("*", "/api/v1/events{tail:.*}", self._events)
        app.router.add_route("*", "/api/v1/check{tail:.*}", self._check)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        if not self.port:
            self.port = self._runner.addresses[0][1]
        self.up = True
        return self

    async def stop(self) -> None:
        """Stops listening; open event streams end."""
        self.up = False
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        for client in list(self._clients):
            client.queue.put_nowait(None)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self._clients.clear()

    async def go_down(self) -> None:
        """The daemon dies: connections are refused until `come_up` (state is kept)."""
        await self.stop()

    async def come_up(self) -> None:
        """The daemon is back on the same port."""
        await self.start()

    def break_streams(self) -> None:
        """Every open event stream ends now (a network blip); clients must reconnect."""
        for client in list(self._clients):
            client.queue.put_nowait(None)

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """The daemon's root, as `signal.url` in the bot's config."""
        return f"http://{self.host}:{self.port}"

    @property
    def stream_clients(self) -> int:
        """How many /api/v1/events streams are connected now."""
        return len(self._clients)

    async def wait_for_streams(self, count: int = 1, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Waits until at least `count` event streams are connected."""
        async with asyncio.timeout(timeout):
            while len(self._clients) < count:
                self._streams_changed.clear()
                await self._streams_changed.wait()

    async def wait_for_no_streams(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Waits until every event stream has ended (e.g. after `break_streams`)."""
        async with asyncio.timeout(timeout):
            while self._clients:
                self._streams_changed.clear()
                await self._streams_changed.wait()

    # -- people --------------------------------------------------------------------------------

    def person(self, number: str | None, name: str, **kwargs: Any) -> FakeSignalPerson:
        """A Signal user (registered unless told otherwise)."""
        person = FakeSignalPerson(self, number, name, **kwargs)
        self.people.append(person)
        return person

    def _person(self, identifier: str) -> FakeSignalPerson | None:
        return next((p for p in self.people if identifier in p.identifiers), None)

    def fail(self, recipient: str | None, kind: FaultKind, times: int = 1, *,
             retry_after: int | None = None) -> None:
        """The next `times` sends to this recipient (None: anyone) fail this way."""
        self.faults.append(Fault(recipient, kind, times, retry_after))

    def fail_call(self, method: str, code: int, message: str, times: int = 1) -> None:
        """The next `times` calls of `method` end in this JSON-RPC error (e.g. -3 IO error)."""
        self.call_faults.append((method, RpcError(code, message), times))

    def calls_of(self, method: str) -> list[RpcCall]:
        return [call for call in self.calls if call.method == method]

    # -- time ----------------------------------------------------------------------------------

    def now_ms(self) -> int:
        if self.clock is not None:
            return int(self.clock().timestamp() * 1000)
        return int(time.time() * 1000)

    def _timestamp(self) -> int:
        """A new unique, growing timestamp: the id of the next message."""
        self._last_timestamp = max(self.now_ms(), self._last_timestamp + 1)
        return self._last_timestamp

    def _later(self, delay: float, callback: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def run() -> None:
            self._timers.discard(handle)
            if self.up:
                callback()

        handle = loop.call_later(delay, run)
        self._timers.add(handle)

    async def settle(self, quiet: float = 0.2, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Waits until no call is in flight, every event was written and nothing happened for
        `quiet` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            idle = (self._in_flight == 0 and not self._timers
                    and all(c.queue.empty() for c in self._clients))
            if idle and now - self._last_activity >= quiet:
                return
            if now >= deadline:
                raise TimeoutError(f"fake signal-cli did not settle within {timeout}s "
                                   f"({self._in_flight} calls in flight)")
            await asyncio.sleep(0.02)

    # -- HTTP ----------------------------------------------------------------------------------

    def _host_allowed(self, request: web.Request) -> bool:
        """signal-cli's Host pinning: the bind host, localhost, 127.0.0.1 or ::1, same port."""
        header = request.headers.get("Host")
        if not header:
            return False
        host, port = header, None
        if header.startswith("["):
            end = header.find("]")
            if end == -1:
                return False
            host, rest = header[1:end], header[end + 1:]
            port = rest[1:] if rest.startswith(":") else None
        elif ":" in header and header.rsplit(":", 1)[1].isdigit():
            host, port = header.rsplit(":", 1)
        if host.lower() not in {self.host.lower(), "localhost", "127.0.0.1", "::1"}:
            return False
        return port is None or int(port) == self.port

    def _refused(self, request: web.Request, path: str, method: str) -> web.Response | None:
        if not self._host_allowed(request) and path != "/api/v1/check":
            return web.Response(status=421)
        if request.path != path:
            return web.Response(status=404)
        if request.method != method:
            return web.Response(status=405)
        return None

    def _logged(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        self.http_statuses.append((request.path, response.status))
        self._last_activity = time.monotonic()
        return response

    async def _check(self, request: web.Request) -> web.StreamResponse:
        refused = self._refused(request, "/api/v1/check", "GET")
        return self._logged(request, refused or web.Response(status=200))

    async def _rpc(self, request: web.Request) -> web.StreamResponse:
        refused = self._refused(request, "/api/v1/rpc", "POST")
        if refused is not None:
            return self._logged(request, refused)
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return self._logged(request, web.Response(status=415))
        self._in_flight += 1
        try:
            body = await request.read()
            try:
                message = json.loads(body)
            except (ValueError, UnicodeDecodeError):
                return self._logged(request, _json_response(
                    _error_response(RpcError(-32700, "Parse error"), None)))
            if isinstance(message, list):
                if not message:
                    return self._logged(request, _json_response(
                        _error_response(RpcError(-32600, "invalid request"), None)))
                # Run concurrently; answers come in completion order (match them by id).
                answers: list[dict[str, Any]] = []

                async def run(item: Any) -> None:
                    answer = await self._one(item)
                    if answer is not None:
                        answers.append(answer)

                await asyncio.gather(*(run(item) for item in message))
                if not answers:
                    return self._logged(request, web.Response(status=201))
                return self._logged(request, _json_response(answers))
            answer = await self._one(message)
            if answer is None:
                return self._logged(request, web.Response(status=201))
            return self._logged(request, _json_response(answer))
        finally:
            self._in_flight -= 1
            self._last_activity = time.monotonic()

    async def _one(self, message: Any) -> dict[str, Any] | None:
        """One JSON-RPC request: its response, or None for a notification."""
        if not isinstance(message, dict):
            return _error_response(RpcError(-32600, "invalid request"), None)
        ident = message.get("id")
        if message.get("jsonrpc") != "2.0" or not isinstance(message.get("method"), str):
            return _error_response(RpcError(-32600, "invalid request"), ident)
        method, params = message["method"], message.get("params")
        call = RpcCall(method, params if isinstance(params, dict) else {})
        self.calls.append(call)
        try:
            result = self._dispatch(method, params)
        except RpcError as error:
            call.error = error.wire()
            response = _error_response(error, ident)
        else:
            call.result = result
            response = {"jsonrpc": "2.0", "result": result, "id": ident}
        await asyncio.sleep(0)
        return response if "id" in message else None

    def _dispatch(self, method: str, params: Any) -> Any:
        if method not in METHODS or (method in MULTI_ACCOUNT_ONLY and not self.multi_account):
            raise RpcError(-32601, "Method not implemented")
        if self.multi_account and isinstance(params, dict) and "account" in params:
            params = dict(params)
            if params.pop("account") != self.account:
                raise RpcError(-32602, "Specified account does not exist")
        params = checked_params(method, params, strict=self.strict)
        for index, (name, error, times) in enumerate(self.call_faults):
            if name == method and times > 0:
                self.call_faults[index] = (name, error, times - 1)
                raise error
        return getattr(self, f"_m_{method}")(params)

    # -- events --------------------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        refused = self._refused(request, "/api/v1/events", "GET")
        if refused is not None:
            return self._logged(request, refused)
        wanted = request.query.get("account")
        if self.multi_account and wanted and wanted not in (self.account, self.account_uuid):
            return self._logged(request, web.Response(status=400))
        response = web.StreamResponse(status=200, headers={"Content-Type": "text/event-stream"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        client = _Client(response)
        self._clients.append(client)
        self._streams_changed.set()
        self.connections += 1
        self.http_statuses.append((request.path, 200))
        if self.receive_mode == "on-connection":
            # Receiving starts with the first client: what waited at the server comes now.
            while self.held:
                self._broadcast(self.held.popleft())
        try:
            while True:
                try:
                    event = await asyncio.wait_for(client.queue.get(), self.keepalive)
                except TimeoutError:
                    await response.write(b":\n")
                    continue
                if event is None:
                    break
                try:
                    data = _dumps(event)
                    await response.write(f"event:receive\ndata:{data}\n\n".encode())
                except (ConnectionError, RuntimeError):
                    # Already acknowledged to the Signal server: an event whose write fails is
                    # lost, as with the real daemon.
                    self.lost.append(event)
                    break
                self._last_activity = time.monotonic()
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            pass
        finally:
            with contextlib.suppress(ValueError):
                self._clients.remove(client)
            self._streams_changed.set()
            while not client.queue.empty():
                leftover = client.queue.get_nowait()
                if leftover is not None:
                    self.lost.append(leftover)
        return response

    def _broadcast(self, event: dict[str, Any]) -> None:
        for client in self._clients:
            client.queue.put_nowait(event)

    def emit(self, event: dict[str, Any]) -> None:
        """An envelope arrives for the account: to every connected stream, else held at the
        server (on-connection) or lost to HTTP clients (on-start)."""
        self._last_activity = time.monotonic()
        if self._clients:
            self._broadcast(event)
        elif self.receive_mode == "on-connection":
            self.held.append(event)
        else:
            self.lost.append(event)

    def _envelope(self, person: FakeSignalPerson, timestamp: int,
                  **parts: Any) -> dict[str, Any]:
        number = None if person.hide_number else person.number
        envelope = {
            "source": number or person.uuid, "sourceNumber": number,
            "sourceUuid": person.uuid, "sourceName": person.name, "sourceDevice": 1,
            "timestamp": timestamp, "serverReceivedTimestamp": timestamp + 40,
            "serverDeliveredTimestamp": timestamp + 80,
        }
        envelope.update(parts)
        return {"envelope": envelope, "account": self.account}

    async def incoming(self, person: FakeSignalPerson, data: dict[str, Any]) -> int:
        """A data message from a person to the bot; returns its timestamp."""
        timestamp = self._timestamp()
        message = {"timestamp": timestamp, "message": data.get("message"),
                   "expiresInSeconds": 0, "isExpirationUpdate": False, "viewOnce": False}
        message.update({key: value for key, value in data.items() if key != "message"})
        event = self._envelope(person, timestamp, dataMessage=message)
        person.sent.append(event)
        if person.identity_changed:
            # Decryption fails on the daemon: the event says so and the message waits in its
            # cache until the new identity is trusted.
            self._untrusted_inbox.setdefault(person.uuid, []).append(event)
            failed = self._envelope(person, timestamp)
            failed["exception"] = {"message": f"Untrusted identity: {person.uuid}",
                                   "type": "UntrustedIdentityException"}
            self.emit(failed)
        else:
            self.emit(event)
        await asyncio.sleep(0)
        return timestamp

    def receipt(self, person: FakeSignalPerson, timestamps: list[int], *, kind: str) -> None:
        """A delivery or read receipt from a person's phone for the bot's messages."""
        when = self._timestamp()
        self.emit(self._envelope(person, when, receiptMessage={
            "when": when, "isDelivery": kind == "delivery", "isRead": kind == "read",
            "isViewed": False, "timestamps": timestamps}))

    def quote_of(self, message: SignalMessage, person: FakeSignalPerson) -> dict[str, Any]:
        """The `quote` of a reply to one of the bot's messages."""
        return {"id": message.timestamp, **self.author_fields("author"),
                "text": message.text, "attachments": []}

    def author_fields(self, prefix: str) -> dict[str, Any]:
        """author / authorNumber / authorUuid naming the bot's account."""
        return {prefix: self.account, f"{prefix}Number": self.account,
                f"{prefix}Uuid": self.account_uuid}

    # -- recipients and results ----------------------------------------------------------------

    def _recipients(self, params: dict[str, Any]) -> list[str]:
        recipients = listed(params, "recipient")
        if listed(params, "groupId") or params.get("groupIds"):
            raise RpcError(-1, "Invalid group id: the fake knows no groups")
        if listed(params, "username"):
            raise RpcError(-1, "Username lookups are not part of the fake")
        for recipient in recipients:
            if not (_E164.match(recipient) or _UUID.match(recipient)
                    or recipient.startswith("PNI:")):
                raise RpcError(-1, f"Invalid phone number '{recipient}': The string supplied "
                                   "did not seem to be a phone number.")
        return recipients

    def _take_fault(self, recipient: str, person: FakeSignalPerson | None) -> Fault | None:
        names = person.identifiers if person else {recipient}
        for fault in self.faults:
            if fault.times > 0 and (fault.recipient is None or fault.recipient in names):
                fault.times -= 1
                return fault
        return None

    def _result(self, recipient: str, person: FakeSignalPerson | None, kind: str,
                fault: Fault | None = None) -> dict[str, Any]:
        address = {"uuid": person.uuid if person else None,
                   "number": (person.number if person else None) or
                   (recipient if _E164.match(recipient) else None),
                   "username": None}
        result: dict[str, Any] = {"recipientAddress": address, "type": kind}
        if fault is not None and fault.kind == "proof_required":
            result["token"] = "c0ffee00-0000-4000-8000-" + "0" * 12
        if fault is not None and fault.retry_after is not None:
            result["retryAfterSeconds"] = fault.retry_after
        return result

    def _outcome(self, timestamp: int, results: list[dict[str, Any]]) -> dict[str, Any]:
        """SendMessageResultUtils.outputResult: a normal result if anyone succeeded, else -4
        (all identity), -5 (all rate limited) or -1, each carrying the results."""
        response = {"timestamp": timestamp, "results": results}
        types = {result["type"] for result in results}
        if not results or "SUCCESS" in types:
            return response
        data = {"response": response}
        if types == {"IDENTITY_FAILURE"}:
            raise RpcError(-4, "Failed to send message due to untrusted identities", data)
        if types == {"RATE_LIMIT_FAILURE"}:
            raise RpcError(-5, "Failed to send message due to rate limiting", data)
        raise RpcError(-1, "Failed to send message", data)

    def _per_recipient(self, params: dict[str, Any], deliver: Callable[[FakeSignalPerson],
                                                                       None]) -> dict[str, Any]:
        recipients = self._recipients(params)
        if not recipients and not params.get("noteToSelf"):
            raise RpcError(-1, "No recipients given")
        timestamp = self._timestamp()
        results = []
        for recipient in recipients:
            person = self._person(recipient)
            fault = self._take_fault(recipient, person)
            if person is None or not person.registered or (fault and fault.kind ==
                                                            "unregistered"):
                results.append(self._result(recipient, person, "UNREGISTERED_FAILURE"))
            elif person.identity_changed or (fault and fault.kind == "identity"):
                results.append(self._result(recipient, person, "IDENTITY_FAILURE"))
            elif fault and fault.kind in ("rate_limit", "proof_required"):
                results.append(self._result(recipient, person, "RATE_LIMIT_FAILURE", fault))
            elif fault and fault.kind == "network":
                results.append(self._result(recipient, person, "NETWORK_FAILURE"))
            else:
                results.append(self._result(recipient, person, "SUCCESS"))
                self._current_timestamp = timestamp
                deliver(person)
        return self._outcome(timestamp, results)

    # -- methods -------------------------------------------------------------------------------

    def _m_send(self, params: dict[str, Any]) -> dict[str, Any]:
        text = params.get("message") or ""
        attachments = [self._attachment(value) for value in listed(params, "attachment")]
        quote = params.get("quoteTimestamp")
        if quote is not None and not params.get("quoteAuthor"):
            raise RpcError(-1, "Quote author parameter is missing")
        if not text and not attachments and not params.get("sticker") and quote is None:
            raise RpcError(-1, "Sending empty message is not allowed, either a message, "
                               "attachment or sticker must be given.")
        edit = params.get("editTimestamp")
        long_text = len(text.encode()) > MAX_MESSAGE_SIZE_BYTES
        if long_text:
            # The body is cut to 2,000 bytes and the whole text goes first as an attachment.
            attachments.insert(0, Attachment("text/x-signal-plain", None, text.encode()))

        def deliver(person: FakeSignalPerson) -> None:
            if person.blocked:
                return  # accepted by the server, discarded by the phone, never reported
            timestamp = self._current_timestamp
            if edit is not None:
                self._apply_edit(person, edit, timestamp, text, attachments)
                return
            message = SignalMessage(timestamp, text, attachments, quote=quote,
                                    long_text=long_text, expires_in=person.expiration)
            person.messages.append(message)
            person._arrived()
            if person.online:
                message.delivered = True
                self._later(0.01, lambda: self.receipt(person, [timestamp], kind="delivery"))

        return self._per_recipient(params, deliver)

    def _apply_edit(self, person: FakeSignalPerson, target: int, timestamp: int, text: str,
                    attachments: list[Attachment]) -> None:
        message = person.by_timestamp(target)
        if (message is None or message.deleted or len(message.edits) >= _MAX_EDITS
                or timestamp - message.timestamp > EDIT_WINDOW_MS):
            person.ignored.append(("edit", target))
            return
        message.edits.append(message.text)
        message.edit_timestamps.append(timestamp)
        message.text = text
        message.attachments = attachments
        person._arrived()

    def _attachment(self, value: str) -> Attachment:
        match = _DATA_URI.match(value)
        if match is None:
            # A path on the daemon's machine; the fake has no files to read.
            raise RpcError(-32603, f"Failed to send message: {value} (No such file or directory)"
                                   " (UnexpectedErrorException)")
        try:
            data = base64.b64decode(match["data"], validate=True)
        except ValueError:
            raise RpcError(-32603, "Failed to send message: invalid base64 data URI "
                                   "(UnexpectedErrorException)") from None
        return Attachment(match["mime"], match["name"], data)

    def _m_remoteDelete(self, params: dict[str, Any]) -> dict[str, Any]:
        target = params.get("targetTimestamp")
        if target is None:
            raise RpcError(-32603, "Cannot invoke \"java.lang.Long.longValue()\" because the "
                                   "return value is null (NullPointerException)")

        def deliver(person: FakeSignalPerson) -> None:
            message = person.by_timestamp(target)
            if (message is None or message.deleted
                    or self._current_timestamp - message.timestamp > EDIT_WINDOW_MS):
                person.ignored.append(("delete", target))
                return
            message.deleted = True
            message.text = ""
            message.edits.clear()
            message.attachments.clear()
            person._arrived()

        return self._per_recipient(params, deliver)

    def _m_sendReaction(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("emoji") or params.get("targetTimestamp") is None:
            raise RpcError(-32603, "emoji and targetTimestamp are required "
                                   "(NullPointerException)")
        self.bot_reactions.append(params)
        return self._per_recipient(params, lambda person: None)

    def _m_sendReceipt(self, params: dict[str, Any]) -> dict[str, Any]:
        timestamps = listed(params, "targetTimestamp")
        if not params.get("recipient") or not timestamps:
            raise RpcError(-32603, "recipient and targetTimestamp are required "
                                   "(NullPointerException)")
        kind = params.get("type", "read")
        if kind not in ("read", "viewed"):
            raise RpcError(-1, f"Unknown receipt type: {kind}")
        self.receipts_sent.append(params)
        return self._per_recipient({"recipient": params["recipient"]}, lambda person: None)

    def _m_sendTyping(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._per_recipient(params, lambda person: None)

    def _m_listContacts(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        wanted = set(listed(params, "recipient"))
        return [{"number": p.number, "uuid": p.uuid, "username": None, "name": p.name,
                 "givenName": p.name, "familyName": "", "nickName": None, "nickGivenName": None,
                 "nickFamilyName": None, "note": None, "color": None, "isArchived": False,
                 "isBlocked": False, "isHidden": False,
                 "messageExpirationTime": p.expiration, "profileSharing": True,
                 "unregistered": not p.registered, "profile": None}
                for p in self.people if not wanted or wanted & p.identifiers]

    def _m_getUserStatus(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        statuses = []
        for recipient in self._recipients(params):
            if recipient == self.account:
                statuses.append({"recipient": recipient, "number": self.account,
                                 "uuid": self.account_uuid, "isRegistered": True})
                continue
            person = self._person(recipient)
            registered = person is not None and person.registered
            statuses.append({"recipient": recipient,
                             "number": person.number if person else recipient,
                             "uuid": person.uuid if registered else None,
                             "isRegistered": registered})
        return statuses

    def _m_version(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"version": self.version}

    def _m_listAccounts(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"number": self.account}]

    def _m_trust(self, params: dict[str, Any]) -> dict[str, Any]:
        recipient = params.get("recipient")
        person = self._person(recipient) if recipient else None
        all_keys = params.get("trustAllKnownKeys") is True
        verified = params.get("verifiedSafetyNumber")
        if all_keys == (verified is not None):
            raise RpcError(-1, "You need to specify a fingerprint/safety number or "
                               "--trust-all-known-keys")
        if person is None:
            raise RpcError(-1, f"Failed to set the trust for {recipient}: unknown recipient")
        if verified is not None and verified.replace(" ", "") != \
                person.safety_number.replace(" ", ""):
            raise RpcError(-1, "Failed to set the trust for this number, make sure the number "
                               "and the fingerprint/safety number are correct.")
        person.identity_changed = False
        # Messages that failed to decrypt are retried once the identity is trusted.
        for event in self._untrusted_inbox.pop(person.uuid, []):
            self.emit(event)
        return {}

    def _m_listIdentities(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        number = params.get("number")
        people = [self._person(number)] if number else self.people
        return [{"number": p.number, "uuid": p.uuid, "fingerprint": p.uuid.replace("-", ""),
                 "safetyNumber": p.safety_number, "scannableSafetyNumber": "",
                 "trustLevel": "UNTRUSTED" if p.identity_changed else "TRUSTED_UNVERIFIED",
                 "addedTimestamp": 0} for p in people if p is not None]

    def _m_updateContact(self, params: dict[str, Any]) -> dict[str, Any]:
        recipient = params.get("recipient")
        person = self._person(recipient) if recipient else None
        if person is None:
            raise RpcError(-1, f"Invalid recipient: {recipient}")
        if "expiration" in params:
            person.expiration = params["expiration"]
        return {}

    def _m_updateProfile(self, params: dict[str, Any]) -> dict[str, Any]:
        self.profile = params
        return {}

    def _m_receive(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self._clients or self.receive_mode == "on-start":
            raise RpcError(-1, "Receive command cannot be used if messages are already being "
                               "received.")
        limit = params.get("maxMessages") or len(self.held)
        events = []
        while self.held and len(events) < limit:
            events.append(self.held.popleft())
        return events


def _error_response(error: RpcError, ident: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "error": error.wire(), "id": ident}


def _json_response(body: Any) -> web.Response:
    return web.Response(status=200, body=_dumps(body).encode(),
                        content_type="application/json")
