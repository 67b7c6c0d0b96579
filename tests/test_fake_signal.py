"""The fake signal-cli daemon speaks the real protocol and is as strict as signal-cli 0.14."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from sandbox.fake_signal import FakeSignalDaemon
from transports.signal.client import DaemonUnreachable, SignalClient, SignalRpcError

ANNA = "+46701234567"


@pytest.fixture
async def daemon():
    async with FakeSignalDaemon(keepalive=0.2) as running:
        yield running


@pytest.fixture
async def client(daemon):
    signal = SignalClient(daemon.url, daemon.account)
    yield signal
    await signal.close()


async def rpc(daemon, body, *, headers=None) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(f"{daemon.url}/api/v1/rpc", content=body,
                               headers={"Content-Type": "application/json", **(headers or {})})


async def test_http_layer_is_strict_like_signal_cli(daemon) -> None:
    async with httpx.AsyncClient() as http:
        assert (await http.get(f"{daemon.url}/api/v1/check")).status_code == 200
        assert (await http.post(f"{daemon.url}/api/v1/check")).status_code == 405
        assert (await http.get(f"{daemon.url}/api/v1/rpc")).status_code == 405
        assert (await http.post(f"{daemon.url}/api/v1/rpc/x", json={})).status_code == 404
        wrong_type = await http.post(f"{daemon.url}/api/v1/rpc", content=b"{}",
                                     headers={"Content-Type": "text/plain"})
        assert wrong_type.status_code == 415
        # Called by a name the daemon is not bound to (e.g. a Docker service name): 421.
        other_host = await http.get(f"{daemon.url}/api/v1/events",
                                    headers={"Host": f"signal:{daemon.port}"})
        assert other_host.status_code == 421
        wrong_port = await http.post(f"{daemon.url}/api/v1/rpc", json={},
                                     headers={"Host": "localhost:1"})
        assert wrong_port.status_code == 421


async def test_json_rpc_errors_come_with_http_200(daemon) -> None:
    parse = await rpc(daemon, b"{not json")
    assert parse.status_code == 200 and parse.json()["error"]["code"] == -32700
    unknown = (await rpc(daemon, b'{"jsonrpc":"2.0","method":"sendSms","id":1}')).json()
    assert unknown == {"jsonrpc": "2.0", "error": {"code": -32601,
                       "message": "Method not implemented", "data": None}, "id": 1}
    # Single-account mode: registration and account listing are not offered.
    listed = (await rpc(daemon, b'{"jsonrpc":"2.0","method":"listAccounts","id":2}')).json()
    assert listed["error"]["code"] == -32601
    version = (await rpc(daemon, b'{"jsonrpc":"2.0","method":"version","id":3}')).json()
    assert version == {"jsonrpc": "2.0", "result": {"version": "0.14.6"}, "id": 3}
    notification = await rpc(daemon, b'{"jsonrpc":"2.0","method":"version"}')
    assert notification.status_code == 201 and notification.content == b""
    empty_batch = (await rpc(daemon, b"[]")).json()
    assert empty_batch["error"]["code"] == -32600


async def test_a_batch_answers_each_call_by_id(daemon) -> None:
    daemon.person(ANNA, "Anna")
    body = (b'[{"jsonrpc":"2.0","method":"version","id":"v"},'
            b'{"jsonrpc":"2.0","method":"getUserStatus","params":{"recipient":["+46701234567",'
            b'"+46709999999"]},"id":"s"},{"jsonrpc":"2.0","method":"version"}]')
    answers = {answer["id"]: answer for answer in (await rpc(daemon, body)).json()}
    assert set(answers) == {"v", "s"}
    statuses = answers["s"]["result"]
    assert [status["isRegistered"] for status in statuses] == [True, False]


async def test_bad_params_are_refused_as_signal_cli_would(client, daemon) -> None:
    daemon.person(ANNA, "Anna")
    # A timestamp in seconds is an Integer, not a Long: a ClassCastException (-32603).
    with pytest.raises(SignalRpcError) as cast:
        await client.call("remoteDelete", {"recipient": [ANNA], "targetTimestamp": 1752400})
    assert cast.value.code == -32603 and "ClassCastException" in cast.value.message
    with pytest.raises(SignalRpcError) as missing:
        await client.call("remoteDelete", {"recipient": [ANNA]})
    assert missing.value.code == -32603
    # The real daemon ignores an unknown key silently; the fake refuses it so a typo shows.
    with pytest.raises(SignalRpcError) as unknown:
        await client.call("send", {"recipient": [ANNA], "message": "x", "expiresInSeconds": 5})
    assert unknown.value.code == -32602
    with pytest.raises(SignalRpcError) as typed:
        await client.call("receive", {"timeout": 1, "account": ANNA})
    assert typed.value.code == -32600
    with pytest.raises(SignalRpcError) as empty:
        await client.call("send", {"recipient": [ANNA], "message": ""})
    assert empty.value.code == -1 and "empty message" in empty.value.message
    with pytest.raises(SignalRpcError) as quote:
        await client.call("send", {"recipient": [ANNA], "message": "x",
                                   "quoteTimestamp": 1752400000000})
    assert quote.value.code == -1 and "Quote author" in quote.value.message
    with pytest.raises(SignalRpcError) as number:
        await client.call("send", {"recipient": ["0701234567"], "message": "x"})
    assert number.value.code == -1 and "Invalid phone number" in number.value.message


async def test_send_results_come_per_recipient(client, daemon) -> None:
    anna = daemon.person(ANNA, "Anna")
    bo = daemon.person("+46701111111", "Bo")
    bo.change_safety_number()
    result = await client.call("send", {"recipients": [ANNA, bo.number, "+46709999999"],
                                        "message": "Hej"})
    types = [entry["type"] for entry in result["results"]]
    assert types == ["SUCCESS", "IDENTITY_FAILURE", "UNREGISTERED_FAILURE"]
    assert result["results"][0]["recipientAddress"] == {"uuid": anna.uuid, "number": ANNA,
                                                         "username": None}
    assert anna.last.timestamp == result["timestamp"] and anna.last.text == "Hej"

    with pytest.raises(SignalRpcError) as untrusted:
        await client.call("send", {"recipient": bo.number, "message": "Hej"})
    assert untrusted.value.code == -4
    assert untrusted.value.response["results"][0]["type"] == "IDENTITY_FAILURE"
    with pytest.raises(SignalRpcError) as unregistered:
        await client.call("send", {"recipient": "+46709999999", "message": "Hej"})
    assert unregistered.value.code == -1
    assert unregistered.value.response["results"][0]["type"] == "UNREGISTERED_FAILURE"

    daemon.fail(ANNA, "rate_limit", retry_after=7)
    with pytest.raises(SignalRpcError) as limited:
        await client.call("send", {"recipient": [ANNA], "message": "Hej"})
    assert limited.value.code == -5
    assert limited.value.response["results"][0]["retryAfterSeconds"] == 7
    daemon.fail(ANNA, "proof_required", retry_after=3600)
    with pytest.raises(SignalRpcError) as proof:
        await client.call("send", {"recipient": [ANNA], "message": "Hej"})
    assert proof.value.response["results"][0]["token"]
    daemon.fail(ANNA, "network")
    with pytest.raises(SignalRpcError) as network:
        await client.call("send", {"recipient": [ANNA], "message": "Hej"})
    assert network.value.code == -1
    assert network.value.response["results"][0]["type"] == "NETWORK_FAILURE"

    # Trust: only the safety number the person really has, or every known key.
    with pytest.raises(SignalRpcError):
        await client.call("trust", {"recipient": bo.number, "verifiedSafetyNumber": "1" * 60})
    [identity] = await client.call("listIdentities", {"number": bo.number})
    assert identity["trustLevel"] == "UNTRUSTED"
    assert await client.call("trust", {"recipient": bo.number,
                                       "verifiedSafetyNumber": identity["safetyNumber"]}) == {}
    assert (await client.call("send", {"recipient": bo.number, "message": "Hej"}))["results"]


async def test_long_texts_become_an_attachment_and_files_go_as_data_uris(client, daemon) -> None:
    anna = daemon.person(ANNA, "Anna")
    text = "å" * 1001  # 2,002 UTF-8 bytes, only 1,001 characters
    await client.call("send", {"recipient": [ANNA], "message": text})
    assert anna.last.long_text and anna.last.attachments[0].content_type == "text/x-signal-plain"
    data = base64.b64encode(b"a;b\n1;2\n").decode()
    await client.call("send", {"recipient": [ANNA], "message": "Rapport",
                               "attachment": f"data:text/csv;filename=r.csv;base64,{data}"})
    assert anna.last.attachments[0].filename == "r.csv" and not anna.last.long_text
    with pytest.raises(SignalRpcError) as path:
        await client.call("send", {"recipient": [ANNA], "attachment": "/etc/passwd"})
    assert path.value.code == -32603


async def test_edits_and_deletes_apply_only_within_48_hours() -> None:
    now = [datetime(2026, 3, 1, 3, 0, tzinfo=UTC)]
    async with FakeSignalDaemon(clock=lambda: now[0]) as daemon:
        anna = daemon.person(ANNA, "Anna")
        client = SignalClient(daemon.url, daemon.account)
        try:
            first = (await client.call("send", {"recipient": [ANNA], "message": "Kan du?"}))
            await client.call("send", {"recipient": [ANNA], "message": "Bemannat",
                                       "editTimestamp": first["timestamp"]})
            message = anna.by_timestamp(first["timestamp"])
            assert message.text == "Bemannat" and message.history == ["Kan du?", "Bemannat"]
            second = await client.call("send", {"recipient": [ANNA], "message": "Adress"})
            now[0] += timedelta(hours=49)
            await client.call("send", {"recipient": [ANNA], "message": "Sent",
                                       "editTimestamp": first["timestamp"]})
            await client.call("remoteDelete", {"recipient": [ANNA],
                                               "targetTimestamp": second["timestamp"]})
            assert message.text == "Bemannat"  # too old: the app ignores the edit
            assert anna.by_timestamp(second["timestamp"]).text == "Adress"
            assert anna.ignored == [("edit", first["timestamp"]),
                                    ("delete", second["timestamp"])]
            third = await client.call("send", {"recipient": [ANNA], "message": "Ny"})
            await client.call("remoteDelete", {"recipient": [ANNA],
                                               "targetTimestamp": third["timestamp"]})
            assert anna.by_timestamp(third["timestamp"]).deleted
        finally:
            await client.close()


async def test_two_event_clients_both_get_every_event_and_receipts(client, daemon) -> None:
    anna = daemon.person(ANNA, "Anna")
    got: list[list[dict]] = [[], []]

    async def listen(index: int) -> None:
        async with client.events() as events:
            async for event in events:
                got[index].append(event)

    listeners = [asyncio.create_task(listen(i)) for i in range(2)]
    await daemon.wait_for_streams(2)
    sent = await client.call("send", {"recipient": [ANNA], "message": "Kan du?"})
    await daemon.settle(quiet=0.05)
    await anna.reply(anna.last, "1")
    await anna.react(anna.last, "👍")
    anna.read_all()
    await daemon.settle()
    for task in listeners:
        task.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    for events in got:
        kinds = [next(key for key in ("receiptMessage", "dataMessage")
                      if key in event["envelope"]) for event in events]
        assert kinds == ["receiptMessage", "dataMessage", "dataMessage", "receiptMessage"]
        delivery, reply, reaction, read = (event["envelope"] for event in events)
        assert delivery["receiptMessage"]["isDelivery"]
        assert delivery["receiptMessage"]["timestamps"] == [sent["timestamp"]]
        assert reply["dataMessage"]["quote"]["id"] == sent["timestamp"]
        assert reply["sourceUuid"] == anna.uuid and reply["sourceNumber"] == ANNA
        assert reaction["dataMessage"]["reaction"]["targetSentTimestamp"] == sent["timestamp"]
        assert reaction["dataMessage"]["message"] is None
        assert read["receiptMessage"]["isRead"]
        assert events[0]["account"] == daemon.account


async def test_on_connection_holds_messages_and_on_start_loses_them(client) -> None:
    for mode, kept in (("on-connection", True), ("on-start", False)):
        async with FakeSignalDaemon(receive_mode=mode, keepalive=0.1) as daemon:
            anna = daemon.person(ANNA, "Anna")
            await anna.send("Ja")
            signal = SignalClient(daemon.url, daemon.account)
            try:
                received = []
                async with signal.events() as events:
                    await anna.send("Nej")
                    async for event in events:
                        received.append(event["envelope"]["dataMessage"]["message"])
                        if event["envelope"]["dataMessage"]["message"] == "Nej":
                            break
            finally:
                await signal.close()
            assert received == (["Ja", "Nej"] if kept else ["Nej"])
            assert len(daemon.lost) == (0 if kept else 1)


async def test_the_receive_method_refuses_while_a_stream_is_open(client, daemon) -> None:
    anna = daemon.person(ANNA, "Anna")
    await anna.send("Hej")
    polled = await client.call("receive", {"timeout": 1.0})
    assert polled[0]["envelope"]["dataMessage"]["message"] == "Hej"
    async with client.events():
        await daemon.wait_for_streams(1)
        with pytest.raises(SignalRpcError) as busy:
            await client.call("receive", {})
        assert busy.value.code == -1


async def test_a_changed_identity_holds_incoming_messages_until_trusted(client, daemon) -> None:
    bo = daemon.person("+46701111111", "Bo")
    bo.change_safety_number()
    async with client.events() as events:
        await bo.send("Ja")
        first = await anext(events)
        assert first["exception"]["type"] == "UntrustedIdentityException"
        assert "dataMessage" not in first["envelope"]
        await client.call("trust", {"recipient": bo.number, "trustAllKnownKeys": True})
        second = await anext(events)
        assert second["envelope"]["dataMessage"]["message"] == "Ja"


async def test_a_daemon_that_is_down_is_unreachable_until_it_is_back(client, daemon) -> None:
    await daemon.go_down()
    with pytest.raises(DaemonUnreachable) as down:
        await client.call("version")
    assert not down.value.sent
    with pytest.raises(DaemonUnreachable):
        await client.check()
    await daemon.come_up()
    await client.check()
    assert await client.call("version") == {"version": "0.14.6"}


async def test_multi_account_mode_needs_the_account(daemon) -> None:
    async with FakeSignalDaemon(multi_account=True) as multi:
        multi.person(ANNA, "Anna")
        signal = SignalClient(multi.url, multi.account)
        try:
            assert await signal.detect_mode() == [multi.account]
            await signal.call("send", {"recipient": [ANNA], "message": "Hej"})
            assert multi.calls_of("send")[0].params["account"] == multi.account
            other = SignalClient(multi.url, "+46700000009")
            other.multi_account = True
            with pytest.raises(SignalRpcError) as unknown:
                await other.call("version")
            assert unknown.value.code == -32602
            await other.close()
        finally:
            await signal.close()
