"""Unfinished multi-step dialogues (enrolment, /activate), kept in the database across restarts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.database import Database

__all__ = ["Dialogue", "DialogueStore"]


@dataclass(slots=True)
class Dialogue:
    telegram_id: int
    kind: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None


class DialogueStore:
    """Saves, loads and ends each person's current dialogue (at most one per person)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def get(self, telegram_id: int) -> Dialogue | None:
        """Returns the person's open dialogue, if any."""
        row = await self.db.fetch_one(
            "SELECT * FROM dialogues WHERE telegram_id = ?", (telegram_id,)
        )
        if row is None:
            return None
        return Dialogue(row["telegram_id"], row["kind"], row["step"], json.loads(row["data"]),
                        from_db(row["updated_at"]))

    async def save(self, dialogue: Dialogue, now: datetime) -> None:
        """Stores the dialogue, replacing the person's previous one."""
        async with self.db.transaction() as connection:
            await connection.execute(
                "INSERT INTO dialogues (telegram_id, kind, step, data, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (telegram_id) DO UPDATE SET"
                " kind = excluded.kind, step = excluded.step, data = excluded.data,"
                " updated_at = excluded.updated_at",
                (dialogue.telegram_id, dialogue.kind, dialogue.step,
                 json.dumps(dialogue.data, ensure_ascii=False), to_db(now)),
            )

    async def take(self, telegram_id: int, kind: str, step: str) -> Dialogue | None:
        """Ends the dialogue and returns it, if it is at this step; only one caller can win."""
        async with self.db.transaction() as connection:
            cursor = await connection.execute(
                "DELETE FROM dialogues WHERE telegram_id = ? AND kind = ? AND step = ?"
                " RETURNING *", (telegram_id, kind, step))
            row = await cursor.fetchone()
        if row is None:
            return None
        return Dialogue(row["telegram_id"], row["kind"], row["step"], json.loads(row["data"]),
                        from_db(row["updated_at"]))

    async def end(self, telegram_id: int) -> None:
        """Forgets the person's dialogue."""
        async with self.db.transaction() as connection:
            await connection.execute("DELETE FROM dialogues WHERE telegram_id = ?", (telegram_id,))
