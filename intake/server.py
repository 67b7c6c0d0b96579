"""The intake's HTTP server inside the bot's own process and event loop (uvicorn), started and
stopped with the bot (bot.app.BotRuntime). It binds its own socket first, so a port in use is
one clear line instead of uvicorn's exit, and tests can ask for any free port (port 0)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

import uvicorn

from bot.services import Services
from intake.app import create_app

__all__ = ["IntakeServer", "IntakeUnavailable"]

logger = logging.getLogger(__name__)


class IntakeUnavailable(Exception):
    """The intake cannot listen where it is configured to (the message names the key)."""


class IntakeServer:
    """Serves the intake API and page on intake.listen:intake.port."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings.intake
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        """The port it listens on (the one chosen when configured as 0)."""
        return self._socket.getsockname()[1] if self._socket else self.settings.port

    @property
    def url(self) -> str:
        """Where it can be reached from this machine."""
        host = self.settings.listen
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        """Binds the port and starts serving in the running event loop."""
        try:
            self._socket = socket.create_server(
                (self.settings.listen, self.settings.port),
                family=socket.AF_INET6 if ":" in self.settings.listen else socket.AF_INET)
        except OSError as error:
            raise IntakeUnavailable(
                f"intake.listen/intake.port: cannot listen on {self.settings.listen}:"
                f"{self.settings.port}: {error.strerror or error}") from None
        config = uvicorn.Config(
            create_app(self.services), lifespan="off", log_config=None, access_log=False,
            server_header=False, proxy_headers=False, timeout_graceful_shutdown=5)
        config.load()
        server = uvicorn.Server(config)
        # What uvicorn's own serve() does, without taking over the process's signals: the bot
        # stops on SIGTERM by itself and stops this server with it.
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[self._socket])
        self._server = server
        self._task = asyncio.create_task(server.main_loop(), name="intake-server")
        logger.info("intake listening on %s", self.url)

    async def stop(self) -> None:
        """Stops taking calls and lets the ones under way finish (briefly)."""
        if self._server is None:
            return
        self._server.should_exit = True
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._server.shutdown(sockets=[self._socket] if self._socket else None)
        self._server = self._task = None
        self._socket = None
