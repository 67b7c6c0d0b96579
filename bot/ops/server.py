"""The operator's HTTP endpoint, a small aiohttp app on a port of its own (off by default,
loopback unless configured): GET /healthz (200 healthy, 503 sick, JSON saying which check
failed) and GET /metrics (Prometheus text format). It shares nothing with a transport's or the
intake's own server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.ops.health import Health
from bot.ops.metrics import CONTENT_TYPE_LATEST, Metrics

__all__ = ["OpsServer"]

logger = logging.getLogger(__name__)


class OpsServer:
    """/healthz and /metrics on `listen:port`."""

    def __init__(self, health: Health, metrics: Metrics,
                 before_scrape: Callable[[], Awaitable[None]], listen: str, port: int) -> None:
        self.health = health
        self.metrics = metrics
        self.before_scrape = before_scrape
        self.listen = listen
        self.port = port
        self._runner: web.AppRunner | None = None

    def app(self) -> web.Application:
        """The aiohttp application (also usable with aiohttp's test client)."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        await site.start()
        if self._runner.addresses:  # the real port when 0 (any free one) was asked
            self.port = self._runner.addresses[0][1]
        logger.info("health and metrics on http://%s:%d/healthz and /metrics", self.listen,
                    self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        report = await self.health.run()
        if not report.ok:
            logger.warning("healthz: sick: %s", "; ".join(report.problems))
        return web.json_response(report.as_json(), status=200 if report.ok else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        try:
            await self.before_scrape()
        except Exception:
            # The counters still say something; the gauges keep their last values.
            logger.exception("metrics: reading the database failed")
        return web.Response(body=self.metrics.exposition(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})
