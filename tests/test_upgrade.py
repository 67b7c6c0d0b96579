"""An upgrade: a database made by main before the chat boundary (tests/data/main-91e9847.db,
written by that commit's own code: members linked by Telegram id or not linked at all, one who had
blocked the bot, one erased, a closed intervention with its questionnaires and purge pending, a
call-out still open, two unfinished dialogues) is migrated at start-up, and the bot then runs a
call-out on it with every member still linked."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from storage.database import Database
from tests.e2e import running_world

FIXTURE = Path(__file__).resolve().parent / "data" / "main-91e9847.db"
# Telegram ids main had stored, by member name.
LINKED = {"Lena Ledare": 1001, "Olle Ledare": 1002, "Anna Andersson": 2001, "Bo Berg": 2002,
          "Cia Carlsson": 2003, "Dan Dahl": 2004, "Fia Falk": 2006}


def _rows(path: Path, sql: str) -> list[sqlite3.Row]:
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute(sql).fetchall()


async def test_a_database_from_before_the_boundary_is_migrated_and_runs_a_call_out(
        fake, tmp_path: Path) -> None:
    database = tmp_path / "posom.db"
    shutil.copy(FIXTURE, database)
    assert _rows(database, "PRAGMA user_version")[0][0] == 5
    people = {name: fake.person(user_id, name.split()[0], language_code="sv", started=True)
              for name, user_id in LINKED.items()}
    eva = fake.person(2005, "Eva", language_code="sv", phone_number="+46705550015")

    # The migration alone keys the open dialogues by address.
    migrated = await Database.open(database)
    await migrated.close()
    assert {row["address"] for row in _rows(database, "SELECT address FROM dialogues")} == {
        "telegram:1002", "telegram:3001"}

    async with running_world(fake, tmp_path, storage={"path": database}) as world:
        # Every member main had linked is linked at the same Telegram id, nobody else is.
        addresses = {row["name"]: row for row in _rows(database, (
            "SELECT m.name, a.transport, a.address, a.reported_locale, a.reachable"
            " FROM member_addresses AS a JOIN members AS m ON m.id = a.member_id"))}
        assert {name: (row["transport"], int(row["address"]))
                for name, row in addresses.items()} == {
            name: ("telegram", user_id) for name, user_id in LINKED.items()}
        assert addresses["Cia Carlsson"]["reachable"] == 0  # she had blocked the bot
        assert addresses["Olle Ledare"]["reported_locale"] == "en"
        columns = {row["name"] for row in _rows(database, "PRAGMA table_info(members)")}
        assert not columns & {"telegram_id", "telegram_locale", "unreachable", "linked_at"}
        # Left unfinished long ago, they are stale drafts: purged at start (issue 13).
        assert _rows(database, "SELECT address FROM dialogues") == []
        assert _rows(database, "PRAGMA foreign_key_check") == []

        # The roster entry main had not linked yet connects by sharing her number.
        await eva.send("/start")
        await eva.wait_for("dela ditt telefonnummer")
        await eva.share_contact("46705550015")
        await eva.wait_for("Välkommen, Eva Ek!")

        # A new call-out: asked, confirmed, briefed and the rest stood down, as before.
        lena, anna, bo = people["Lena Ledare"], people["Anna Andersson"], people["Bo Berg"]
        await lena.send("/activate")
        await lena.press("Brand", message=await lena.wait_for("Nytt larm"))
        await lena.press("Karlstad", message=await lena.wait_for("Var?"))
        await lena.press("2 ✓", message=await lena.wait_for("Hur många"))
        await lena.wait_for("Skriv en kort sammanfattning")
        await lena.send("Brand i villa")
        await lena.wait_for("Skriv genomgången")
        await lena.send("Villagatan 3, ring Eva")
        await lena.press("Ingen plats", message=await lena.wait_for("Dela platsen"))
        await lena.press("Skicka larm", message=await lena.wait_for("Kontrollera larmet"))
        sent = await lena.wait_for("skickat till")
        code = sent.text.split()[1]
        # Anna follows her app (Swedish), Bo had chosen English before the upgrade.
        await anna.press("Ja, jag kan", message=await anna.wait_for(f"Larm {code}"))
        await bo.press("Yes, I can", message=await bo.wait_for(f"Call-out {code}"))
        for person in (anna, bo):
            await person.wait_for(lambda m: m.text and "Villagatan 3, ring Eva" in m.text)
        await eva.wait_for(lambda m: m.text and f"Larm {code}" in m.text
                           and "du behövs inte nu" in m.text)
        await world.settle()
        states = {row["name"]: row["state"] for row in _rows(database, (
            "SELECT m.name, r.state FROM requests AS r JOIN members AS m ON m.id = r.member_id"
            f" JOIN activations AS a ON a.id = r.activation_id WHERE a.code = '{code}'"))}
        assert states["Anna Andersson"] == states["Bo Berg"] == "confirmed"
        assert list(states.values()).count("confirmed") == 2
