"""Every call the intake refuses gets its own status code and changes nothing: no request, no
message to anyone, no call-out. And a field outside the call-out's limits is named, never a 500."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import aiohttp
import pytest

from tests.intake_harness import BODY, call, running_intake


def footprint(world) -> tuple:
    """Everything a refused call must leave as it was (its own audit row aside)."""
    with sqlite3.connect(world.settings.storage.path) as connection:
        return tuple(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                     for table in ("intake_requests", "outbox", "activations", "deadlines",
                                   "intake_callbacks"))


async def test_each_refusal_has_its_status_and_changes_nothing(fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path, max_body_bytes=2048) as world:
        await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
        key = await world.key("SOS Alarm")
        revoked = await world.key("Gammal nyckel")
        await world.services.intake.revoke_key(2, "cli")
        url = f"{world.url}/api/v1/requests"
        code, first = await call("POST", url, key, json=BODY, idempotency="larm-17")
        assert code == 201
        await world.settle()
        before = footprint(world)

        refusals = [
            (await call("POST", url, "posom_wrong", json=BODY), 401),
            (await call("POST", url, None, json=BODY), 401),
            (await call("POST", url, revoked, json=BODY), 403),
            (await call("GET", f"{url}/{first['id']}", revoked), 403),
            (await call("POST", url, key, json={**BODY, "summary": "Något annat"},
                        idempotency="larm-17"), 409),
            (await call("POST", url, key, json={**BODY, "briefing": "x" * 3000}), 413),
            (await call("POST", url, key, data=b'{"kind": "fire", ',
                        headers={"Content-Type": "application/json"}), 400),
            (await call("GET", f"{url}/rAAAAAAAAAAAA", key), 404),
        ]
        for (code, body), expected in refusals:
            assert code == expected, (expected, body)
            assert isinstance(body, dict) and body["detail"]
        # The same alarm sent again is the same request: 200, its id, nothing new.
        code, again = await call("POST", url, key, json=BODY, idempotency="larm-17")
        assert (code, again["id"]) == (200, first["id"])
        await world.settle()
        assert footprint(world) == before


async def test_a_flood_over_the_rate_limit_gets_429_and_changes_nothing(
        fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path, rate_per_minute=5) as world:
        await world.add(1, "Lena Ledare", role="leader", area=None, language="sv")
        key = await world.key("SOS Alarm")
        url = f"{world.url}/api/v1/requests"
        async with aiohttp.ClientSession() as session:
            async def post(index: int) -> int:
                async with session.post(url, json=BODY, headers={
                        "Authorization": f"Bearer {key}",
                        "Idempotency-Key": f"flood-{index}"}) as response:
                    if response.status == 429:
                        assert int(response.headers["Retry-After"]) >= 1
                    return response.status
            codes = await asyncio.gather(*(post(index) for index in range(40)))
        assert codes.count(201) == 5 and codes.count(429) == 35
        await world.settle()
        assert footprint(world)[0] == 5
        with sqlite3.connect(world.settings.storage.path) as connection:
            audited = connection.execute("SELECT count(*) FROM audit_log"
                                         " WHERE event = 'intake.call'").fetchone()[0]
        assert audited == 5, "a flood writes nothing, not even audit rows"


DROP = object()  # the field is left out


@pytest.mark.parametrize(("change", "field"), [
    ({"summary": "   "}, ["body", "summary"]),
    ({"summary": "x" * 301}, ["body", "summary"]),
    ({"kind": "earthquake"}, ["body", "kind"]),
    ({"area": "oslo"}, ["body", "area"]),
    ({"area": DROP, "municipality": "Oslo"}, ["body", "municipality"]),
    ({"area": DROP}, ["body", "area"]),
    ({"needed": 0}, ["body", "needed"]),
    ({"needed": 21}, ["body", "needed"]),
    ({"position": {"latitude": 95.0, "longitude": 13.5}}, ["body", "position"]),
    ({"position": {"latitude": 59.4}}, ["body", "position", "longitude"]),
    ({"area": None, "municipality": "Karlstad"}, ["body", "area"]),
    ({"place": "p" * 301}, ["body", "place"]),
    ({"summary": "Brand\u0000"}, ["body", "summary"]),
    ({"requester": {**BODY["requester"], "phone": "ring mig"}}, ["body", "requester", "phone"]),
    ({"requester": {**BODY["requester"], "name": ""}}, ["body", "requester", "name"]),
    ({"callback_url": "ftp://sos.example/hook"}, ["body", "callback_url"]),
    ({"needed": "två"}, ["body", "needed"]),
    ({"colour": "red"}, ["body", "colour"]),
])
async def test_a_field_outside_the_limits_is_named(fake, tmp_path: Path, change: dict,
                                                   field: list[str]) -> None:
    async with running_intake(fake, tmp_path) as world:
        key = await world.key()
        sent = {name: value for name, value in {**BODY, **change}.items() if value is not DROP}
        code, body = await call("POST", f"{world.url}/api/v1/requests", key, json=sent)
        assert code == 422, body
        assert body["detail"][0]["loc"] == field
        assert footprint(world)[0] == 0


async def test_municipality_by_name_finds_the_area(fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path) as world:
        key = await world.key()
        body = {**{name: value for name, value in BODY.items() if name != "area"},
                "municipality": "hammarö"}
        code, created = await call("POST", f"{world.url}/api/v1/requests", key, json=body)
        assert (code, created["area"], created["area_name"]) == (201, "hammaro", "Hammarö")


async def test_another_callers_request_is_not_found(fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path) as world:
        sos, rescue = await world.key("SOS Alarm"), await world.key("Räddningstjänsten")
        _, created = await call("POST", f"{world.url}/api/v1/requests", sos, json=BODY)
        code, _ = await call("GET", f"{world.url}/api/v1/requests/{created['id']}", rescue)
        assert code == 404


async def test_openapi_document_is_generated_with_the_configured_choices(
        fake, tmp_path: Path) -> None:
    async with running_intake(fake, tmp_path) as world:
        code, document = await call("GET", f"{world.url}/openapi.json")
        assert code == 200 and document["openapi"].startswith("3.")
        new = document["components"]["schemas"]["NewRequest"]["properties"]
        assert new["kind"]["enum"][:2] == ["suicide", "fire"]
        assert new["area"]["enum"] == ["karlstad", "kil", "hammaro"]
        post = document["paths"]["/api/v1/requests"]["post"]
        assert {"200", "201", "400", "401", "403", "409", "413", "422", "429"} <= set(
            post["responses"])
        assert json.dumps(document).count("briefing") >= 1


async def test_intake_is_off_by_default_and_on_localhost_when_on(fake, tmp_path: Path) -> None:
    from bot.config import Settings

    assert Settings().intake.enabled is False
    assert Settings().intake.listen == "127.0.0.1"
    async with running_intake(fake, tmp_path) as world:
        assert world.url.startswith("http://127.0.0.1:")


async def test_a_port_in_use_is_one_line_naming_the_key(fake, tmp_path: Path) -> None:
    import socket

    from intake.server import IntakeUnavailable

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        world = running_intake(fake, tmp_path, port=port).world
        with pytest.raises(IntakeUnavailable, match=r"^intake.listen/intake.port: cannot listen"):
            await world.start()
    assert world.runtime.database is None, "the bot closed what it had opened"
