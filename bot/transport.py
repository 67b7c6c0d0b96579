"""The port a chat transport implements, as the runtime (bot.app) uses it.

A transport is one folder under transports/ that translates and nothing more: it connects to its
service (`open`), lends the outbox its messenger, turns what people do into chat events for the
handlers and sends their replies back (`serve`), stops taking updates (`stop`) and, once the
outbox has stopped too, closes its connection (`close`). Failures to connect are reported with
the two exceptions below, phrased so that they never quote a secret.

Two more methods serve the health check and the metrics (bot.ops) and are read with getattr, so
a transport without them still runs: `probe()`, a cheap call proving the service answers (made
when nothing else went through for a while), and `updates_waiting()`, how many updates were
received and not yet handled.
"""

from __future__ import annotations

from typing import Protocol

from bot.delivery.messenger import Messenger
from bot.services import Services

__all__ = ["ServiceUnreachable", "Transport", "TransportRefused"]


class TransportRefused(Exception):
    """The service refused our credentials (e.g. a wrong bot token); the message names the
    config key, never the secret."""


class ServiceUnreachable(Exception):
    """The service could not be reached at start-up (network, DNS, a server down)."""


class Transport(Protocol):
    """One chat service the bot speaks through."""

    name: str

    @property
    def messenger(self) -> Messenger:
        """Sends, edits and deletes for the outbox (after `open`)."""
        ...

    async def open(self) -> None:
        """Connects and checks the credentials; raises TransportRefused or ServiceUnreachable."""
        ...

    async def serve(self, services: Services, handlers: object) -> None:
        """Starts taking updates and handing them to `handlers` (handlers.chat.ChatHandlers)."""
        ...

    def invite_link(self, token: str) -> str | None:
        """A link that opens the bot with this invite token, where the service has one."""
        ...

    async def stop(self) -> None:
        """Stops taking updates (the outbox may still send until `close`)."""
        ...

    async def close(self) -> None:
        """Closes the connection to the service."""
        ...

    async def probe(self) -> None:
        """A cheap call that raises if the service does not answer (optional)."""
        ...

    def updates_waiting(self) -> int:
        """Updates received and not handled yet (optional)."""
        ...
