"""Getting in on Signal: the bot writes first to a roster number, an invite code, and the
operator's `posom roster import` and `posom check` with [signal]."""

from __future__ import annotations

from pathlib import Path

from bot.people.invitations import import_roster
from bot.people.roster import parse_roster
from tests.e2e_signal import number, running_signal_world, signal
from tests.test_cli import members, posom, write_config

ROSTER = """name,phone,area,gender,role,locale,transport
Anna Andersson,{anna},karlstad,kvinna,volunteer,sv,signal
Bo Berg,070-111 22 33,karlstad,man,volunteer,,
"""


async def test_the_bot_writes_first_and_yes_connects(fake, daemon, tmp_path) -> None:
    async with running_signal_world(fake, daemon, tmp_path) as world:
        anna = daemon.person(number(10), "Anna")
        rows = parse_roster(ROSTER.format(anna=number(10)), world.settings)
        assert [row.transport for row in rows] == ["signal", None]
        await import_roster(world.settings, world.services.members, rows, actor="test",
                            now=world.clock())
        world.services.sender.wake()
        greeting = await anna.wait_for("vill nå dig här vid larm")
        assert greeting.text.startswith(
            "POSOM Test vill nå dig här vid larm – svara JA för att ansluta.")
        await anna.send("Vem är det?")
        await anna.wait_for("Svara JA för att ansluta.")
        assert await world.services.members.by_address(signal(number(10))) is None
        await anna.send("Ja!")
        welcome = await anna.wait_for("Välkommen, Anna Andersson!")
        assert "stödperson" in welcome.text
        member = await world.services.members.by_address(signal(number(10)))
        assert member is not None and member.name == "Anna Andersson"
        await anna.send("ja")  # a second yes changes nothing
        await world.settle()
        assert [m.address for m in await world.services.members.all_members()
                if m.name == "Anna Andersson"] == [signal(number(10))]
        # A stranger who was not invited learns nothing.
        eve = daemon.person(number(99), "Eve")
        await eve.send("ja")
        await eve.wait_for("Den här boten är bara för POSOM:s stödpersoner")


async def test_an_invite_code_works_on_signal(fake, daemon, tmp_path) -> None:
    async with running_signal_world(fake, daemon, tmp_path) as world:
        leader = await world.add_signal(1, "Lena Ledare", role="leader", area=None)
        await leader.send("/invite volunteer")
        invite = await leader.wait_for("Inbjudan för en stödperson")
        assert f"https://signal.me/#p/{daemon.account}" in invite.text
        token = next(line.split()[4] for line in invite.text.splitlines()
                     if line.startswith("På Signal: skicka START"))
        bertil = daemon.person(number(20), "Bertil")
        await bertil.send(f"START {token}")
        name = await bertil.wait_for("Vad heter du?")
        assert "Svara 1 = Använd ”Bertil”" in name.text or "1 = Använd" in name.text
        await bertil.send("Bertil Berg")
        await bertil.wait_for("Vilket område hör du till?")
        await bertil.send("2")  # Kil
        gender = await bertil.wait_for("Kön?")
        assert "2 = Man" in gender.text
        await bertil.send("man")  # a label works as well as its number
        phone = await bertil.wait_for("Sista steget")
        assert "Svara med: Dela mitt telefonnummer · Hoppa över" in phone.text
        await bertil.send("dela mitt telefonnummer")
        await bertil.wait_for("Tack, Bertil Berg! Du är registrerad som stödperson.")
        member = await world.services.members.by_address(signal(number(20)))
        assert (member.area, member.gender, member.phone) == ("kil", "male", number(20))


async def test_roster_import_refuses_signal_rows_without_signal(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER.format(anna="+46701234567"), encoding="utf-8")
    code, _out, err = await posom("roster", "import", str(roster), "--config",
                                 str(write_config(tmp_path)))
    assert code == 2 and "line 2: transport signal, but [signal] is not enabled" in err
    assert not (tmp_path / "posom.db").exists() or members(tmp_path) == []


async def test_check_asks_the_daemon(daemon, tmp_path: Path) -> None:
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8") + (
        f'[signal]\nenabled = true\nurl = "{daemon.url}"\naccount = "{daemon.account}"\n')
    config.write_text(text, encoding="utf-8")
    _code, out, _err = await posom("check", "--config", str(config))
    assert f"signal: {daemon.url}: ok (signal-cli 0.14.6, single-account daemon; " \
           f"{daemon.account} is registered on Signal)" in out
    await daemon.go_down()
    code, out, err = await posom("check", "--config", str(config))
    assert code == 1 and f"signal: {daemon.url}: " in out and "Traceback" not in err
    await daemon.come_up()
