"""SQL for skills: what each member can do, and what a call-out asks for.

Skill keys come from the config's `[[skills]]` list; storage keeps the keys only, so a label can
be reworded without touching the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from storage.database import Database
from storage.models import Activation
from storage.sql import Connection, fetch_all, fetch_one

__all__ = ["SkillReads", "set_member_skills", "set_required_skills", "skills_of"]


async def skills_of(connection: Connection,
                    member_ids: Iterable[int]) -> dict[int, frozenset[str]]:
    """Each member's skills (an empty set for a member without any)."""
    ids = sorted(set(member_ids))
    found: dict[int, set[str]] = {member_id: set() for member_id in ids}
    for start in range(0, len(ids), 500):  # SQLite's limit on parameters
        chunk = ids[start:start + 500]
        rows = await fetch_all(
            connection, "SELECT member_id, skill FROM member_skills WHERE member_id IN"
                        f" ({', '.join('?' for _ in chunk)})", tuple(chunk))
        for row in rows:
            found[row["member_id"]].add(row["skill"])
    return {member_id: frozenset(skills) for member_id, skills in found.items()}


async def set_member_skills(connection: Connection, member_id: int,
                            skills: Sequence[str]) -> None:
    """Replaces a member's skills inside the caller's transaction."""
    await connection.execute("DELETE FROM member_skills WHERE member_id = ?", (member_id,))
    await connection.executemany(
        "INSERT INTO member_skills (member_id, skill) VALUES (?, ?)",
        [(member_id, skill) for skill in dict.fromkeys(skills)])


async def set_required_skills(connection: Connection, activation_id: int,
                              skills: Sequence[str]) -> Activation:
    """Records the skills a call-out asks for; returns the activation as it now is."""
    row = await fetch_one(
        connection, "UPDATE activations SET required_skills = ? WHERE id = ? RETURNING *",
        (",".join(dict.fromkeys(skills)), activation_id))
    return Activation.from_row(row)


class SkillReads:
    """Skills read outside a write transaction (/me, /roster, /status)."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def of(self, member_ids: Iterable[int]) -> dict[int, frozenset[str]]:
        """Each member's skills."""
        return await skills_of(self.db.connection, member_ids)

    async def member(self, member_id: int) -> frozenset[str]:
        """One member's skills."""
        return (await skills_of(self.db.connection, [member_id]))[member_id]
