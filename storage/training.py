"""SQL for training days and meetings: the events, who was invited and answered, attendance, and
each member's training status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.database import Database
from storage.models import Member
from storage.sql import Connection, fetch_all, fetch_one

__all__ = ["Invite", "NewTraining", "Training", "TrainingFacts", "TrainingReads",
           "TrainingStatus", "add_invite", "answer_invite", "insert_training", "invite_by_id",
           "invitees", "manual_status", "mark_attendance", "set_manual_status",
           "training_by_id", "training_facts", "training_invites"]


@dataclass(frozen=True, slots=True)
class NewTraining:
    kind: str  # 'introduction', 'training' or 'meeting'
    starts_at: datetime
    place: str
    details: str
    areas: tuple[str, ...] = ()  # empty: everyone


@dataclass(frozen=True, slots=True)
class Training:
    id: int
    kind: str
    starts_at: datetime
    place: str
    details: str
    areas: tuple[str, ...]
    created_by: int | None
    marked_at: datetime | None

    @classmethod
    def from_row(cls, row: Any) -> Training:
        return cls(id=row["id"], kind=row["kind"], starts_at=from_db(row["starts_at"]),
                   place=row["place"], details=row["details"],
                   areas=tuple(key for key in row["areas"].split(",") if key),
                   created_by=row["created_by"], marked_at=from_db(row["marked_at"]))


@dataclass(frozen=True, slots=True)
class Invite:
    """One member invited to one training: their answer and whether they came."""

    id: int
    training_id: int
    member_id: int
    answer: str | None  # 'yes', 'no' or None (no answer)
    attended: bool

    @classmethod
    def from_row(cls, row: Any) -> Invite:
        return cls(id=row["id"], training_id=row["training_id"], member_id=row["member_id"],
                   answer=row["answer"], attended=bool(row["attended"]))


@dataclass(frozen=True, slots=True)
class TrainingStatus:
    """A member's introduction and latest training (dates), None where not done."""

    introduction_on: date | None = None
    last_training_on: date | None = None


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


async def insert_training(connection: Connection, new: NewTraining, *, created_by: int,
                          now: datetime) -> Training:
    """Stores an announced training day or meeting."""
    row = await fetch_one(
        connection,
        "INSERT INTO trainings (kind, starts_at, place, details, areas, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (new.kind, to_db(new.starts_at), new.place, new.details, ",".join(new.areas),
         created_by, to_db(now)))
    return Training.from_row(row)


async def invitees(connection: Connection, areas: tuple[str, ...]) -> list[Member]:
    """Active members who can be reached: of these areas, or everyone when none are given."""
    condition = ""
    parameters: tuple[str, ...] = ()
    if areas:
        condition = f" AND area IN ({', '.join('?' for _ in areas)})"
        parameters = areas
    rows = await fetch_all(
        connection, "SELECT * FROM member_contacts WHERE status = 'active'"
                    f" AND address_id IS NOT NULL{condition} ORDER BY id", parameters)
    return [Member.from_row(row) for row in rows]


async def add_invite(connection: Connection, training_id: int, member_id: int) -> int:
    """Records that a member was invited; returns the invite's id."""
    row = await fetch_one(connection, "INSERT INTO training_invites (training_id, member_id)"
                                      " VALUES (?, ?) RETURNING id", (training_id, member_id))
    return int(row[0])


async def training_by_id(connection: Connection, training_id: int) -> Training | None:
    """The training with this id."""
    row = await fetch_one(connection, "SELECT * FROM trainings WHERE id = ?", (training_id,))
    return Training.from_row(row) if row else None


async def invite_by_id(connection: Connection, invite_id: int) -> Invite | None:
    """The invite with this id."""
    row = await fetch_one(connection, "SELECT * FROM training_invites WHERE id = ?",
                          (invite_id,))
    return Invite.from_row(row) if row else None


async def training_invites(connection: Connection,
                           training_id: int) -> list[tuple[Invite, Member]]:
    """Everyone invited to a training with their member row, by name."""
    rows = await fetch_all(
        connection,
        "SELECT m.*, i.id AS i_id, i.training_id AS i_training_id, i.answer AS i_answer,"
        " i.attended AS i_attended FROM training_invites AS i"
        " JOIN member_contacts AS m ON m.id = i.member_id WHERE i.training_id = ?"
        " ORDER BY m.name COLLATE NOCASE, m.id", (training_id,))
    return [(Invite(row["i_id"], row["i_training_id"], row["id"], row["i_answer"],
                    bool(row["i_attended"])), Member.from_row(row)) for row in rows]


async def answer_invite(connection: Connection, invite_id: int, answer: str,
                        now: datetime) -> bool:
    """Stores Kommer ('yes') / Kommer inte ('no'); False if it was already the answer."""
    cursor = await connection.execute(
        "UPDATE training_invites SET answer = ?, answered_at = ? WHERE id = ?"
        " AND answer IS NOT ?", (answer, to_db(now), invite_id, answer))
    return cursor.rowcount > 0


async def mark_attendance(connection: Connection, invite_id: int, attended: bool,
                          now: datetime) -> bool:
    """Marks one invited member as there or not; False if nothing changed."""
    cursor = await connection.execute(
        "UPDATE training_invites SET attended = ? WHERE id = ? AND attended != ?",
        (int(attended), invite_id, int(attended)))
    if cursor.rowcount:
        await connection.execute(
            "UPDATE trainings SET marked_at = ? WHERE id ="
            " (SELECT training_id FROM training_invites WHERE id = ?)", (to_db(now), invite_id))
    return cursor.rowcount > 0


async def manual_status(connection: Connection, member_id: int) -> TrainingStatus:
    """The status a leader set for a member (training done before the bot)."""
    row = await fetch_one(connection, "SELECT * FROM member_training WHERE member_id = ?",
                          (member_id,))
    if row is None:
        return TrainingStatus()
    return TrainingStatus(_day(row["introduction_on"]), _day(row["last_training_on"]))


async def set_manual_status(connection: Connection, member_id: int,
                            status: TrainingStatus) -> None:
    """Stores the status a leader set for a member."""
    await connection.execute(
        "INSERT INTO member_training (member_id, introduction_on, last_training_on)"
        " VALUES (?, ?, ?) ON CONFLICT (member_id) DO UPDATE SET"
        " introduction_on = excluded.introduction_on,"
        " last_training_on = excluded.last_training_on",
        (member_id, status.introduction_on.isoformat() if status.introduction_on else None,
         status.last_training_on.isoformat() if status.last_training_on else None))


@dataclass(frozen=True, slots=True)
class TrainingFacts:
    """What a member's training status is made of: what a leader set, and what they attended
    (kind and start of each training)."""

    manual: TrainingStatus = TrainingStatus()
    attended: tuple[tuple[str, datetime], ...] = ()


async def training_facts(connection: Connection) -> dict[int, TrainingFacts]:
    """The training facts of every member who has any."""
    facts: dict[int, tuple[TrainingStatus, list[tuple[str, datetime]]]] = {}
    for row in await fetch_all(connection, "SELECT * FROM member_training"):
        facts[row["member_id"]] = (TrainingStatus(_day(row["introduction_on"]),
                                                  _day(row["last_training_on"])), [])
    rows = await fetch_all(
        connection, "SELECT i.member_id, t.kind, t.starts_at FROM training_invites AS i"
                    " JOIN trainings AS t ON t.id = i.training_id WHERE i.attended = 1"
                    " ORDER BY t.starts_at")
    for row in rows:
        facts.setdefault(row["member_id"], (TrainingStatus(), []))[1].append(
            (row["kind"], from_db(row["starts_at"])))
    return {member_id: TrainingFacts(manual, tuple(attended))
            for member_id, (manual, attended) in facts.items()}


class TrainingReads:
    """Reads outside a write transaction: lists, a member's trainings, the report's rows."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def facts(self) -> dict[int, TrainingFacts]:
        """Every member's training facts (members without any are left out)."""
        return await training_facts(self.db.connection)

    async def by_id(self, training_id: int) -> Training | None:
        """The training with this id."""
        return await training_by_id(self.db.connection, training_id)

    async def between(self, start: datetime, end: datetime) -> list[Training]:
        """Trainings starting in [start, end), earliest first."""
        rows = await self.db.fetch_all(
            "SELECT * FROM trainings WHERE starts_at >= ? AND starts_at < ?"
            " ORDER BY starts_at, id", (to_db(start), to_db(end)))
        return [Training.from_row(row) for row in rows]

    async def invites(self, training_id: int) -> list[tuple[Invite, Member]]:
        """Everyone invited to a training."""
        return await training_invites(self.db.connection, training_id)

    async def of_member(self, member_id: int, since: datetime) -> list[tuple[Training, Invite]]:
        """The member's invitations to trainings starting from `since`, earliest first."""
        rows = await self.db.fetch_all(
            "SELECT t.*, i.id AS i_id, i.answer AS i_answer, i.attended AS i_attended"
            " FROM training_invites AS i JOIN trainings AS t ON t.id = i.training_id"
            " WHERE i.member_id = ? AND t.starts_at >= ? ORDER BY t.starts_at",
            (member_id, to_db(since)))
        return [(Training.from_row(row), Invite(row["i_id"], row["id"], member_id,
                                                row["i_answer"], bool(row["i_attended"])))
                for row in rows]

    async def year_attendance(self, start: datetime, end: datetime) -> list[tuple[int, str | None]]:
        """(training id, area of the member) for every attendance at a training in the
        period."""
        rows = await self.db.fetch_all(
            "SELECT i.training_id, m.area FROM training_invites AS i JOIN trainings AS t"
            " ON t.id = i.training_id JOIN members AS m ON m.id = i.member_id"
            " WHERE i.attended = 1 AND t.starts_at >= ? AND t.starts_at < ?",
            (to_db(start), to_db(end)))
        return [(row["training_id"], row["area"]) for row in rows]

    async def active_members(self) -> list[tuple[int, str | None, str]]:
        """(id, area, role) of every active member, for counting the trained."""
        rows = await self.db.fetch_all(
            "SELECT id, area, role FROM members WHERE status = 'active'")
        return [(row["id"], row["area"], row["role"]) for row in rows]
