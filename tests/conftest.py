"""Shared fixtures; every test is kept off the real network."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.core_harness import open_core

_LOCAL = ("127.", "::1", "localhost")


def _is_local(address) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and (host.startswith(_LOCAL) or host == "")


@pytest.fixture(autouse=True)
def no_real_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection or name lookup beyond this machine fails the test at once."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def guarded_connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect(self, address)

    def guarded_connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address):
            raise AssertionError(f"test tried to reach the network: {address}")
        return real_connect_ex(self, address)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if host is not None and not _is_local(str(host)):
            raise AssertionError(f"test tried to look up {host}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", guarded_getaddrinfo)


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator:
    """The call-out core on a real SQLite file, with an in-memory messenger."""
    services, messenger, clock = await open_core(tmp_path)
    try:
        yield services, messenger, clock
    finally:
        await services.stop()
        await services.database.close()


@pytest.fixture
async def fake() -> AsyncIterator:
    """The project's fake Telegram Bot API server on a free loopback port."""
    from sandbox.fake_telegram import FakeTelegram
    from tests.e2e import TOKEN

    server = FakeTelegram(token=TOKEN, bot_username="posom_test_bot")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def world(fake, tmp_path: Path) -> AsyncIterator:
    """A running bot against the fake server; tests add people and act as them."""
    from tests.e2e import World, e2e_settings

    running = World(fake, e2e_settings(fake, tmp_path))
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


@pytest.fixture
async def daemon() -> AsyncIterator:
    """The project's fake signal-cli daemon on a free loopback port."""
    from sandbox.fake_signal import FakeSignalDaemon

    async with FakeSignalDaemon(keepalive=1.0) as running:
        yield running
