"""Unfinished multi-step dialogues (enrolment, /activate), kept in the database across restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.database import Database
from storage.models import Address

__all__ = ["Dialogue", "DialogueStore", "purge_dialogues"]


@dataclass(slots=True)
class Dialogue:
    address: Address
    kind: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


class DialogueStore:
    """Saves, loads and ends each person's current dialogue (at most one per person)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def get(self, address: Address) -> Dialogue | None:
        """Returns the open dialogue of whoever writes from this address, if any."""
        row = await self.db.fetch_one("SELECT * FROM dialogues WHERE address = ?", (str(address),))
        return _dialogue(row) if row else None

    async def save(self, dialogue: Dialogue, now: datetime) -> None:
        """Stores the dialogue, replacing the person's previous one."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "INSERT INTO dialogues (address, kind, step, data, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET"
                " kind = excluded.kind, step = excluded.step, data = excluded.data,"
                " updated_at = excluded.updated_at",
                (str(dialogue.address), dialogue.kind, dialogue.step,
                 json.dumps(dialogue.data, ensure_ascii=False), to_db(now)),
            )

    async def note(self, address: Address, kind: str, step: str, key: str, value: str) -> None:
        """Sets one value in the dialogue's data, if it is still of this kind at this step."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "UPDATE dialogues SET data = json_set(data, '$.' || ?, ?) WHERE address = ?"
                " AND kind = ? AND step = ?", (key, value, str(address), kind, step))

    async def take(self, address: Address, kind: str, step: str) -> Dialogue | None:
        """Ends the dialogue and returns it, if it is at this step; only one caller can win."""
        async with self.db.transaction() as connection:
            cursor = await connection.execute(
                "DELETE FROM dialogues WHERE address = ? AND kind = ? AND step = ?"
                " RETURNING *", (str(address), kind, step))
            row = await cursor.fetchone()
        return _dialogue(row) if row else None

    async def end(self, address: Address) -> None:
        """Forgets the dialogue of whoever writes from this address."""
        async with self.db.transaction() as connection:
            await connection.execute("DELETE FROM dialogues WHERE address = ?", (str(address),))


async def purge_dialogues(connection, before: datetime) -> list[Dialogue]:
    """Deletes, inside the caller's transaction, every dialogue not touched since `before`
    (an abandoned /activate with its typed briefing, a stranger's /start); returns them."""
    cursor = await connection.execute(
        "DELETE FROM dialogues WHERE updated_at < ? RETURNING *", (to_db(before),))
    return [_dialogue(row) for row in await cursor.fetchall()]


def _dialogue(row) -> Dialogue:
    return Dialogue(Address.parse(row["address"]), row["kind"], row["step"],
                    json.loads(row["data"]), from_db(row["updated_at"]))
