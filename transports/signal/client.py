"""The signal-cli daemon's HTTP interface: JSON-RPC calls, the event stream, the liveness check.

`signal-cli -a +46… daemon --http=127.0.0.1:PORT --receive-mode=on-connection` serves
POST /api/v1/rpc (JSON-RPC 2.0; errors come back as HTTP 200 with an `error` member),
GET /api/v1/events (Server-Sent Events, event `receive`, data `{"envelope": …, "account": …}`)
and GET /api/v1/check (200 while the daemon runs). See signal-cli-jsonrpc(5).

In single-account mode (`-a`) no `account` param may be sent; a daemon started without `-a`
(multi-account) needs it on every call and as `?account=` on the stream: `detect_mode` asks
the daemon which one it is (`listAccounts` exists only in multi-account mode).
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from httpx_sse import SSEError, aconnect_sse

__all__ = ["DaemonUnreachable", "SignalClient", "SignalRpcError"]

logger = logging.getLogger(__name__)

# signal-cli's own error codes (jsonrpc/SignalJsonRpcCommandHandler.java) beside JSON-RPC's.
USER_ERROR = -1
IO_ERROR = -3
UNTRUSTED_KEY = -4
RATE_LIMITED = -5
METHOD_NOT_FOUND = -32601
INTERNAL_ERROR = -32603


class SignalRpcError(Exception):
    """The daemon answered a call with a JSON-RPC error."""

    def __init__(self, method: str, code: int, message: str, data: Any) -> None:
        super().__init__(f"{method}: {code} {message}")
        self.method = method
        self.code = code
        self.message = message
        self.data = data

    @property
    def response(self) -> dict[str, Any] | None:
        """The per-recipient results a failed send carries (`error.data.response`)."""
        if isinstance(self.data, dict) and isinstance(self.data.get("response"), dict):
            return self.data["response"]
        return None


class DaemonUnreachable(Exception):
    """The daemon could not be asked: down, a wrong URL, or an HTTP-level refusal.

    `sent` is False when the request certainly never reached it (nothing can have been sent);
    True when it may have (a timeout after the request went out).
    """

    def __init__(self, text: str, *, sent: bool = False) -> None:
        super().__init__(text)
        self.sent = sent


# What an HTTP status other than 200/201 means with signal-cli (http/HttpServerHandler.java).
_HTTP_MEANING = {
    421: "the daemon refused the Host header (bind it to 127.0.0.1 or call it as localhost)",
    404: "no signal-cli daemon at this URL (wrong path?)",
    405: "wrong HTTP method",
    415: "the daemon wants Content-Type: application/json",
    400: "the daemon does not know this account",
}


class SignalClient:
    """One account on one signal-cli HTTP daemon."""

    def __init__(self, url: str, account: str, *, timeout: float = 10.0,
                 stream_timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        self.account = account
        self.multi_account = False
        # A read that takes longer than the daemon's 15-second keep-alive (plus margin) means
        # the stream is dead.
        self._stream_timeout = httpx.Timeout(timeout, read=stream_timeout)
        self._http = httpx.AsyncClient(timeout=timeout, trust_env=False)
        self._ids = itertools.count(1)

    async def close(self) -> None:
        await self._http.aclose()

    async def check(self) -> None:
        """GET /api/v1/check: raises DaemonUnreachable unless the daemon answers 200."""
        try:
            response = await self._http.get(f"{self.url}/api/v1/check")
        except httpx.HTTPError as error:
            raise DaemonUnreachable(f"{self.url}: {_describe(error)}") from None
        if response.status_code != 200:
            raise DaemonUnreachable(f"{self.url}/api/v1/check: HTTP {response.status_code}")

    async def detect_mode(self) -> list[str]:
        """Asks whether the daemon serves one account (-a) or several; returns the accounts
        it lists ([] in single-account mode) and remembers the mode for later calls."""
        self.multi_account = False
        try:
            accounts = await self.call("listAccounts")
        except SignalRpcError as error:
            if error.code == METHOD_NOT_FOUND:
                return []
            raise
        self.multi_account = True
        return [entry.get("number") for entry in accounts or [] if isinstance(entry, dict)]

    async def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """One JSON-RPC call; returns its result or raises SignalRpcError/DaemonUnreachable."""
        params = dict(params or {})  # always an object: some commands fail on a null params
        if self.multi_account and method != "listAccounts":
            params["account"] = self.account
        request = {"jsonrpc": "2.0", "method": method, "params": params, "id": next(self._ids)}
        try:
            response = await self._http.post(f"{self.url}/api/v1/rpc", json=request)
        except (httpx.ConnectError, httpx.ConnectTimeout) as error:
            raise DaemonUnreachable(f"{self.url}: {_describe(error)}") from None
        except httpx.HTTPError as error:
            # The request may have reached the daemon (e.g. a read timeout): a send may have
            # gone out.
            raise DaemonUnreachable(f"{self.url}: {_describe(error)}", sent=True) from None
        if response.status_code == 201:
            return None
        if response.status_code != 200:
            meaning = _HTTP_MEANING.get(response.status_code, "unexpected answer")
            raise DaemonUnreachable(f"{self.url}: HTTP {response.status_code}: {meaning}")
        try:
            body = response.json()
        except ValueError:
            raise DaemonUnreachable(f"{self.url}: the answer is not JSON") from None
        error = body.get("error") if isinstance(body, dict) else None
        if error is not None:
            raise SignalRpcError(method, int(error.get("code", 0)), str(error.get("message")),
                                 error.get("data"))
        return body.get("result") if isinstance(body, dict) else None

    @asynccontextmanager
    async def events(self) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """Opens GET /api/v1/events; yields an iterator of the `receive` events' data.

        Raises DaemonUnreachable when the stream cannot be opened; the iterator ends (or raises
        DaemonUnreachable) when it breaks.
        """
        query = {"account": self.account} if self.multi_account else None
        try:
            async with aconnect_sse(self._http, "GET", f"{self.url}/api/v1/events",
                                    params=query, timeout=self._stream_timeout) as source:
                if source.response.status_code != 200:
                    status = source.response.status_code
                    raise DaemonUnreachable(f"{self.url}/api/v1/events: HTTP {status}: "
                                            f"{_HTTP_MEANING.get(status, 'unexpected answer')}")
                yield self._receive_events(source)
        except httpx.HTTPError as error:
            raise DaemonUnreachable(f"{self.url}/api/v1/events: {_describe(error)}") from None

    @staticmethod
    async def _receive_events(source) -> AsyncIterator[dict[str, Any]]:
        try:
            async for event in source.aiter_sse():
                if event.event != "receive":
                    continue
                try:
                    data = json.loads(event.data)
                except ValueError:
                    logger.warning("signal: an event that is not JSON was skipped")
                    continue
                if isinstance(data, dict):
                    yield data
        except (httpx.HTTPError, SSEError) as error:
            raise DaemonUnreachable(f"event stream: {_describe(error)}") from None


def _describe(error: Exception) -> str:
    """A short reason for a transport error (httpx messages can be empty)."""
    return str(error) or type(error).__name__
