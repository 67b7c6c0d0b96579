"""The append-only audit log: every state change with actor and time."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import aiosqlite

from storage.clock import to_db

__all__ = ["append_audit"]


async def append_audit(
    connection: aiosqlite.Connection,
    at: datetime,
    actor: str,
    event: str,
    activation_id: int | None = None,
    **detail: Any,
) -> None:
    """Appends one audit row inside the caller's transaction (ids and counts, never free text)."""
    await connection.execute(
        "INSERT INTO audit_log (at, actor, activation_id, event, detail) VALUES (?, ?, ?, ?, ?)",
        (to_db(at), actor, activation_id, event, json.dumps(detail, sort_keys=True)),
    )
