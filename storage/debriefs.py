"""SQL for questionnaires after an intervention (debrief and check-in) and their answers.

Functions taking a `connection` run inside the caller's transaction; `DebriefReads` holds the plain
reads for leaders. Free-text answers live in their own column (`text_value`) so they can be purged
while the figures stay.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.clock import from_db, to_db
from storage.database import Database
from storage.models import Activation
from storage.sql import fetch_all, fetch_one

__all__ = [
    "Answer",
    "Debrief",
    "DebriefReads",
    "Figures",
    "activation_figures",
    "answers_of",
    "debrief_by_id",
    "debrief_by_request",
    "focused_debrief",
    "insert_debrief",
    "save_answer",
    "save_progress",
    "unfinished_debrief",
]

Connection = aiosqlite.Connection


@dataclass(frozen=True, slots=True)
class Debrief:
    """One volunteer's questionnaire about one activation, and where they are in it."""

    id: int
    activation_id: int
    request_id: int
    member_id: int
    kind: str  # 'debrief' or 'followup'
    state: str  # 'scheduled', 'open', 'paused', 'done', 'cancelled'
    questions: tuple[str, ...]
    position: int
    asked: int
    selection: tuple[str, ...]
    last_message_id: int | None
    created_at: datetime
    sent_at: datetime | None
    asked_at: datetime | None
    reminded_at: datetime | None
    finished_at: datetime | None
    welfare_alert_at: datetime | None

    @property
    def unfinished(self) -> bool:
        return self.state in ("open", "paused")

    @classmethod
    def from_row(cls, row: Any) -> Debrief:
        return cls(
            id=row["id"], activation_id=row["activation_id"], request_id=row["request_id"],
            member_id=row["member_id"], kind=row["kind"], state=row["state"],
            questions=tuple(json.loads(row["questions"])), position=row["position"],
            asked=row["asked"], selection=tuple(json.loads(row["selection"])),
            last_message_id=row["last_message_id"], created_at=from_db(row["created_at"]),
            sent_at=from_db(row["sent_at"]), asked_at=from_db(row["asked_at"]),
            reminded_at=from_db(row["reminded_at"]), finished_at=from_db(row["finished_at"]),
            welfare_alert_at=from_db(row["welfare_alert_at"]),
        )


@dataclass(frozen=True, slots=True)
class Answer:
    """A stored answer: a value (number, option key(s), bool), free text, or skipped."""

    question: str
    value: Any
    text: str | None
    skipped: bool


@dataclass(frozen=True, slots=True)
class Figures:
    """How a call-out went, from its requests: for leaders, and for exercises above all."""

    asked: int
    answered: int
    said_yes: int
    answer_seconds: tuple[float, ...]  # from asked to answered, per person who answered




async def insert_debrief(connection: Connection, *, activation_id: int, request_id: int,
                         member_id: int, kind: str, questions: list[str],
                         now: datetime) -> Debrief | None:
    """Creates a scheduled questionnaire; None if this request already has one of this kind."""
    row = await fetch_one(
        connection,
        "INSERT INTO debriefs (activation_id, request_id, member_id, kind, questions, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (request_id, kind) DO NOTHING RETURNING *",
        (activation_id, request_id, member_id, kind, json.dumps(questions), to_db(now)),
    )
    return Debrief.from_row(row) if row else None


async def debrief_by_request(connection: Connection, request_id: int,
                             kind: str) -> Debrief | None:
    """The questionnaire of this kind for a request (one confirmed volunteer on one call-out)."""
    row = await fetch_one(connection, "SELECT * FROM debriefs WHERE request_id = ? AND kind = ?",
                     (request_id, kind))
    return Debrief.from_row(row) if row else None


async def debrief_by_id(connection: Connection, debrief_id: int) -> Debrief | None:
    """The questionnaire with this id."""
    row = await fetch_one(connection, "SELECT * FROM debriefs WHERE id = ?", (debrief_id,))
    return Debrief.from_row(row) if row else None


async def focused_debrief(connection: Connection, member_id: int) -> Debrief | None:
    """The member's open questionnaire whose question was sent last: typed text answers it."""
    row = await fetch_one(connection,
                     "SELECT * FROM debriefs WHERE member_id = ? AND state = 'open'"
                     " ORDER BY asked_at DESC, id DESC LIMIT 1", (member_id,))
    return Debrief.from_row(row) if row else None


async def unfinished_debrief(connection: Connection, member_id: int) -> Debrief | None:
    """The member's most recent open or paused questionnaire (for /debrief to continue)."""
    row = await fetch_one(connection,
                     "SELECT * FROM debriefs WHERE member_id = ? AND state IN ('open', 'paused')"
                     " ORDER BY coalesce(asked_at, sent_at) DESC, id DESC LIMIT 1", (member_id,))
    return Debrief.from_row(row) if row else None


def _stamp(moment: datetime | None) -> str | None:
    return to_db(moment) if moment else None


async def save_progress(connection: Connection, debrief: Debrief) -> None:
    """Writes where the questionnaire stands (state, question, ticks, times)."""
    await connection.execute(
        "UPDATE debriefs SET state = ?, position = ?, asked = ?, selection = ?,"
        " last_message_id = ?, sent_at = ?, asked_at = ?, reminded_at = ?, finished_at = ?,"
        " welfare_alert_at = ? WHERE id = ?",
        (debrief.state, debrief.position, debrief.asked, json.dumps(list(debrief.selection)),
         debrief.last_message_id, _stamp(debrief.sent_at), _stamp(debrief.asked_at),
         _stamp(debrief.reminded_at), _stamp(debrief.finished_at),
         _stamp(debrief.welfare_alert_at), debrief.id),
    )


async def save_answer(connection: Connection, debrief_id: int, question: str, *,
                      value: Any = None, text: str | None = None, skipped: bool = False,
                      now: datetime) -> None:
    """Stores (or replaces) the answer to one question.

    Free text given after the activation's retention purge is not kept: the purge ran once and
    would never empty it (storage.debrief_stats.purge_debrief_free_text).
    """
    await connection.execute(
        "INSERT INTO debrief_answers (debrief_id, question, value, text_value, skipped,"
        " answered_at) VALUES (?, ?, ?, CASE WHEN EXISTS (SELECT 1 FROM debriefs AS d"
        " JOIN activations AS a ON a.id = d.activation_id WHERE d.id = ?"
        " AND a.purged_at IS NOT NULL) THEN NULL ELSE ? END, ?, ?)"
        " ON CONFLICT (debrief_id, question) DO UPDATE"
        " SET value = excluded.value, text_value = excluded.text_value,"
        " skipped = excluded.skipped, answered_at = excluded.answered_at",
        (debrief_id, question, None if value is None else json.dumps(value), debrief_id, text,
         int(skipped), to_db(now)),
    )


async def answers_of(connection: Connection, debrief_id: int) -> dict[str, Answer]:
    """Every stored answer of a questionnaire, by question key."""
    rows = await fetch_all(connection, "SELECT * FROM debrief_answers WHERE debrief_id = ?",
                      (debrief_id,))
    return {row["question"]: Answer(row["question"],
                                    None if row["value"] is None else json.loads(row["value"]),
                                    row["text_value"], bool(row["skipped"])) for row in rows}


async def activation_figures(connection: Connection, activation_id: int) -> Figures:
    """Asked, answered (Ja or Nej), said yes, and each answer's time from the request."""
    rows = await fetch_all(
        connection,
        "SELECT answered_at, asked_at, state FROM requests WHERE activation_id = ?",
        (activation_id,))
    answered = [row for row in rows if row["answered_at"]]
    seconds = tuple(sorted(max((from_db(row["answered_at"]) - from_db(row["asked_at"]))
                               .total_seconds(), 0.0) for row in answered))
    # A Nej stays 'declined'; every other answered request began with a Ja.
    yes = sum(1 for row in answered if row["state"] != "declined")
    return Figures(asked=len(rows), answered=len(seconds), said_yes=yes, answer_seconds=seconds)


class DebriefReads:
    """What leaders read: the questionnaires of a call-out and the year's follow-up."""

    def __init__(self, database: Database) -> None:
        self.db = database

    async def of_activation(self, activation_id: int) -> list[tuple[Debrief, dict[str, Answer]]]:
        """Every questionnaire of the activation with its answers, debriefs before check-ins."""
        rows = await self.db.fetch_all(
            "SELECT * FROM debriefs WHERE activation_id = ? ORDER BY kind, id", (activation_id,))
        result = []
        for row in rows:
            debrief = Debrief.from_row(row)
            result.append((debrief, await answers_of(self.db.reader, debrief.id)))
        return result

    async def figures(self, activation_id: int) -> Figures:
        """The activation's figures (asked, answered, how fast)."""
        return await activation_figures(self.db.reader, activation_id)

    async def closed_in_year(self, year: int) -> list[tuple[Activation, int, int]]:
        """The year's closed activations with how many debriefs exist and how many are done."""
        rows = await self.db.fetch_all(
            "SELECT a.*,"
            " (SELECT count(*) FROM debriefs AS d WHERE d.activation_id = a.id"
            "  AND d.kind = 'debrief') AS debriefs,"
            " (SELECT count(*) FROM debriefs AS d WHERE d.activation_id = a.id"
            "  AND d.kind = 'debrief' AND d.state = 'done') AS done"
            " FROM activations AS a WHERE a.year = ? AND a.state = 'closed' ORDER BY a.seq",
            (year,))
        return [(Activation.from_row(row), row["debriefs"], row["done"]) for row in rows]
