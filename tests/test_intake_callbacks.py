"""A caller with a callback URL gets a signed POST on each change of its request, in order,
retried when its server fails; and `posom intake key …` as an operator uses it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import sqlite3
from pathlib import Path

from aiohttp import web

from tests.intake_harness import BODY, call, running_intake
from tests.test_cli import posom, write_config


class CallbackServer:
    """The caller's own server: records each POST; answers 500 to the first `fail` of them."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.received: list[tuple[dict, dict]] = []
        self.changed = asyncio.Event()

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.fail:
            self.fail -= 1
            return web.Response(status=500)
        self.received.append((dict(request.headers), json.loads(body) | {"_raw": body}))
        self.changed.set()
        return web.Response(status=204)

    async def __aenter__(self) -> CallbackServer:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hook"
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.runner.cleanup()

    async def until(self, state: str, limit: float = 15) -> dict:
        async with asyncio.timeout(limit):
            while True:
                for _, body in self.received:
                    if body["state"] == state:
                        return body
                self.changed.clear()
                await self.changed.wait()


def verified(headers: dict, raw: bytes, secret: str) -> bool:
    """The Standard Webhooks check a caller makes."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + raw
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(headers["webhook-signature"], f"v1,{expected}")


async def test_each_change_is_posted_signed_in_order_and_retried(fake, tmp_path: Path) -> None:
    async with CallbackServer(fail=1) as recorder, running_intake(fake, tmp_path) as world:
        lena = await world.add(1, "Lena Ledare", role="leader", area=None, language="sv",
                               phone="+46705550001")
        crew = [await world.add(100 + i, f"V{i} V", language="sv") for i in range(2)]
        _, key = await world.services.intake.add_key("SOS Alarm", "cli")
        code, created = await call("POST", f"{world.url}/api/v1/requests", key.key,
                                   json={**BODY, "callback_url": recorder.url})
        assert code == 201
        await lena.wait_for("Begäran om POSOM")
        await lena.press("Aktivera")
        for person in crew:
            await person.wait_for("Kan du åka?")
            await person.press("Ja, jag kan")
        staffed = await recorder.until("staffed")
        assert (staffed["confirmed"], staffed["needed"]) == (2, 2)
        states = [body["state"] for _, body in recorder.received]
        assert states[0] == "received" and states.index("asking") < states.index("staffed")
        assert all(body["id"] == created["id"] for _, body in recorder.received)
        for headers, body in recorder.received:
            assert verified({k.lower(): v for k, v in headers.items()}, body["_raw"],
                            key.signing_secret)
            assert BODY["briefing"] not in body["_raw"].decode()
        with sqlite3.connect(world.settings.storage.path) as connection:
            first = connection.execute("SELECT attempts, state FROM intake_callbacks"
                                       " ORDER BY id LIMIT 1").fetchone()
        assert first == (2, "sent"), "the first POST failed once and was sent again"


async def test_intake_key_cli_prints_once_lists_and_revokes(tmp_path: Path) -> None:
    config = write_config(tmp_path, extra="")
    config.write_text(config.read_text() + '[intake]\nenabled = true\ntrusted = ["SOS Alarm"]\n'
                      'public_url = "https://posom.example.se"\n', encoding="utf-8")
    code, out, err = await posom("intake", "key", "add", "SOS Alarm", "--config", str(config))
    assert code == 0, err
    key = next(line.split()[-1] for line in out.splitlines() if line.strip().startswith("key:"))
    assert key.startswith("posom_")
    assert f"https://posom.example.se/page/login#key={key}" in out
    assert "trusted" in out
    with sqlite3.connect(tmp_path / "posom.db") as connection:
        stored = connection.execute("SELECT key_hash FROM intake_callers").fetchall()
    assert stored == [(hashlib.sha256(key.encode()).hexdigest(),)], "only the hash is kept"

    code, listed, _ = await posom("intake", "key", "list", "--config", str(config))
    assert code == 0 and "SOS Alarm" in listed and "active, trusted" in listed
    assert key not in listed
    code, out, _ = await posom("intake", "key", "revoke", "1", "--config", str(config))
    assert code == 0 and "revoked" in out
    code, _, err = await posom("intake", "key", "revoke", "1", "--config", str(config))
    assert code == 2 and err.count("\n") == 1 and "no active key 1" in err
    code, listed, _ = await posom("intake", "key", "list", "--config", str(config))
    assert "revoked" in listed
