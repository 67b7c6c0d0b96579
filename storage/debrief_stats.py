"""The one place that reads debrief answers (issue 5) for the annual report, /mydata, the archive
export, erasure and the retention purge.

The shape is storage/migrations/004_debrief.sql: one `debriefs` row per questionnaire (kind
'debrief' some hours after the close, 'followup' weeks later) and one `debrief_answers` row per
question answered, keyed by the question's key. storage.debriefs.save_answer writes `value` as
JSON, as bot.debrief.rules reads it from the volunteer:

    number   3 or 2.5                    scale    1 .. 5
    yesno    true / false                choice   "option_key"
    multi    ["option_key", ...]  (configured order; [] for Done without a tick)
    text     NULL: the words are in `text_value` (sensitive: purged and erased, see below)
    skipped  NULL, with skipped = 1

Which questionnaires count for the report: those of kind 'debrief' that the volunteer finished
(state 'done', finished_at set: every question answered or skipped) — the same "answered" the
leaders see in /debrief. One still in progress, or abandoned half-way, is not counted: its figures
can still change, and half a questionnaire is not the volunteer's account of the intervention.
Welfare follow-ups are counted apart from that (`welfare_alerts`): every questionnaire of either
kind whose welfare_alert_at is set, finished or not, since the leaders were asked to get in touch
the moment that answer came.

Which questions: `REPORT_QUESTIONS` names, for each figure the report reads, the key (and type) of
the question it comes from: the shipped questionnaire's keys (bot/config.py DEFAULT_QUESTIONS;
tests/test_report.py keeps the two equal). An installation may reword those questions; if it drops
one or gives it another key, that figure is missing (None), never guessed from another question.

Both volunteers of a pair meet the same people, so the report counts people supported per
intervention as the largest answer of its team, not the sum (see bot/report.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from storage.clock import from_db
from storage.database import Database

__all__ = [
    "REPORT_QUESTIONS",
    "SUPPORT_OPTIONS",
    "DebriefRow",
    "ReportQuestion",
    "WelfareAlert",
    "activation_debriefs",
    "debrief_rows",
    "erase_member_debrief_text",
    "member_debriefs",
    "purge_debrief_free_text",
    "welfare_alerts",
]


@dataclass(frozen=True, slots=True)
class ReportQuestion:
    """The question of the 'debrief' questionnaire a report figure is read from."""

    key: str  # the question's key in [debrief] questions
    type: str  # its type there; an answer of another shape is not counted


# Report figure (a DebriefRow field) -> the question it is read from. The one table to change if
# the shipped questionnaire's keys change.
REPORT_QUESTIONS: dict[str, ReportQuestion] = {
    "hours": ReportQuestion("hours", "number"),  # hours spent, travel included
    "affected": ReportQuestion("affected", "number"),  # affected people supported
    "witnesses": ReportQuestion("witnesses", "number"),  # witnesses supported
    "support": ReportQuestion("support", "multi"),  # kinds of support: SUPPORT_OPTIONS
    "referrals": ReportQuestion("referrals", "multi"),  # referral option keys
    "wellbeing": ReportQuestion("wellbeing", "scale"),  # the volunteer afterwards, 1 .. 5
    "support_talk": ReportQuestion("support_talk", "yesno"),  # wants a support talk
}
# The options of the `support` question that become DebriefRow's three flags.
SUPPORT_OPTIONS = ("practical", "social", "psychological")


@dataclass(frozen=True, slots=True)
class DebriefRow:
    """One volunteer's finished debrief questionnaire, the figures only (never the free text).

    A question skipped, not asked, or answered in another shape gives None (False, () for the
    flags and referrals).
    """

    activation_id: int
    member_id: int
    answered_at: datetime  # when the questionnaire was finished
    hours: float | None
    affected: int | None
    witnesses: int | None
    practical: bool
    social: bool
    psychological: bool
    referrals: tuple[str, ...]
    wellbeing: int | None
    support_talk: bool


@dataclass(frozen=True, slots=True)
class WelfareAlert:
    """A time the leaders were asked to get in touch with a volunteer after an activation."""

    activation_id: int
    member_id: int
    kind: str  # the questionnaire that raised it: 'debrief' or 'followup'
    at: datetime


# -- reading answers ---------------------------------------------------------------------------

def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _count(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else round(number)


def _scale(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _keys(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(item for item in value if isinstance(item, str))


def _answer(values: dict[str, Any], field: str) -> Any:
    """The stored value of the question behind a report figure, None if not of its type."""
    question = REPORT_QUESTIONS[field]
    value = values.get(question.key)
    if question.type in ("number", "scale"):
        return _number(value)
    if question.type == "multi":
        return _keys(value)
    if question.type == "yesno":
        return value if isinstance(value, bool) else None
    return value


def _row(row: Any, values: dict[str, Any]) -> DebriefRow:
    support = set(_answer(values, "support"))
    hours, wellbeing = _answer(values, "hours"), _answer(values, "wellbeing")
    return DebriefRow(
        activation_id=row["activation_id"], member_id=row["member_id"],
        answered_at=from_db(row["finished_at"]),
        hours=hours, affected=_count(_answer(values, "affected")),
        witnesses=_count(_answer(values, "witnesses")),
        practical="practical" in support, social="social" in support,
        psychological="psychological" in support,
        referrals=_answer(values, "referrals"),
        wellbeing=_scale(wellbeing),
        support_talk=_answer(values, "support_talk") is True)


_FINISHED_OF_YEAR = (" FROM debriefs AS d JOIN activations AS a ON a.id = d.activation_id"
                     " WHERE a.year = ? AND d.kind = 'debrief' AND d.state = 'done'")


async def debrief_rows(database: Database, year: int) -> list[DebriefRow]:
    """The finished debrief questionnaires of the year's activations (exercises included: the
    report keeps only its interventions'), in the order they were created."""
    questionnaires = await database.fetch_all(
        "SELECT d.id, d.activation_id, d.member_id, d.finished_at" + _FINISHED_OF_YEAR
        + " ORDER BY d.id", (year,))
    keys = sorted({question.key for question in REPORT_QUESTIONS.values()})
    placeholders = ", ".join("?" for _ in keys)
    answers = await database.fetch_all(
        "SELECT x.debrief_id, x.question, x.value FROM debrief_answers AS x"
        " WHERE x.skipped = 0 AND x.value IS NOT NULL"
        f" AND x.question IN ({placeholders})"
        " AND x.debrief_id IN (SELECT d.id" + _FINISHED_OF_YEAR + ")", (*keys, year))
    values: dict[int, dict[str, Any]] = {}
    for answer in answers:
        values.setdefault(answer["debrief_id"], {})[answer["question"]] = json.loads(
            answer["value"])
    return [_row(row, values.get(row["id"], {})) for row in questionnaires]


async def welfare_alerts(database: Database, year: int) -> list[WelfareAlert]:
    """Every welfare alert raised by a questionnaire (either kind) about the year's activations."""
    rows = await database.fetch_all(
        "SELECT d.activation_id, d.member_id, d.kind, d.welfare_alert_at FROM debriefs AS d"
        " JOIN activations AS a ON a.id = d.activation_id"
        " WHERE a.year = ? AND d.welfare_alert_at IS NOT NULL ORDER BY d.welfare_alert_at, d.id",
        (year,))
    return [WelfareAlert(row["activation_id"], row["member_id"], row["kind"],
                         from_db(row["welfare_alert_at"])) for row in rows]


# -- the free text: retention and erasure ------------------------------------------------------

async def purge_debrief_free_text(connection: aiosqlite.Connection, activation_id: int) -> int:
    """Retention hook: empties the free-text answers of one activation's questionnaires (both
    kinds); the figures stay.

    Runs inside the purge transaction; returns how many answers were emptied.
    """
    cursor = await connection.execute(
        "UPDATE debrief_answers SET text_value = NULL WHERE text_value IS NOT NULL"
        " AND debrief_id IN (SELECT id FROM debriefs WHERE activation_id = ?)", (activation_id,))
    return cursor.rowcount


async def erase_member_debrief_text(connection: aiosqlite.Connection, member_id: int) -> int:
    """Erasure hook: empties a member's free-text answers; their figures stay, anonymous."""
    cursor = await connection.execute(
        "UPDATE debrief_answers SET text_value = NULL WHERE text_value IS NOT NULL"
        " AND debrief_id IN (SELECT id FROM debriefs WHERE member_id = ?)", (member_id,))
    return cursor.rowcount


# -- everything, for /mydata and the archive ---------------------------------------------------

async def _questionnaires(database: Database, where: str,
                          parameters: Sequence[Any]) -> list[dict[str, Any]]:
    """Questionnaires with every answer (values decoded, free text included), oldest first."""
    rows = await database.fetch_all(
        "SELECT d.id, d.activation_id, a.code AS activation, d.request_id, d.member_id, d.kind,"
        " d.state, d.created_at, d.sent_at, d.reminded_at, d.finished_at, d.welfare_alert_at"
        " FROM debriefs AS d JOIN activations AS a ON a.id = d.activation_id"
        f" WHERE {where} ORDER BY d.id", tuple(parameters))
    result = []
    for row in rows:
        answers = await database.fetch_all(
            "SELECT question, value, text_value, skipped, answered_at FROM debrief_answers"
            " WHERE debrief_id = ? ORDER BY answered_at, rowid", (row["id"],))
        result.append({
            **dict(zip(row.keys(), tuple(row), strict=True)),
            "answers": [{"question": answer["question"],
                         "value": None if answer["value"] is None else json.loads(answer["value"]),
                         "text": answer["text_value"], "skipped": bool(answer["skipped"]),
                         "answered_at": answer["answered_at"]} for answer in answers],
        })
    return result


async def member_debriefs(database: Database, member_id: int) -> list[dict[str, Any]]:
    """Every questionnaire sent or planned to one member, with their answers (for /mydata)."""
    return await _questionnaires(database, "d.member_id = ?", (member_id,))


async def activation_debriefs(database: Database,
                              activation_ids: list[int]) -> list[dict[str, Any]]:
    """Every questionnaire of these activations, with the answers (for the archive export)."""
    result = []
    for start in range(0, len(activation_ids), 400):  # far below SQLite's parameter limit
        chunk = activation_ids[start:start + 400]
        placeholders = ", ".join("?" for _ in chunk)
        result += await _questionnaires(database, f"d.activation_id IN ({placeholders})", chunk)
    return sorted(result, key=lambda questionnaire: questionnaire["id"])
