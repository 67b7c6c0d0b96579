"""Asking volunteers: who is eligible, their request rows, and the first messages."""

from __future__ import annotations

from datetime import datetime

from bot.callout.outbound import Outbound
from bot.callout.skills import skilled_first
from bot.training.eligibility import askable
from storage import callouts as sql
from storage.models import Activation
from storage.sql import Connection

__all__ = ["ask"]


async def ask(tx: Connection, out: Outbound, activation: Activation, areas: list[str], *,
              wave: int, now: datetime) -> int:
    """Asks every eligible volunteer of these areas not asked yet; returns how many.

    Each gets a request row (pending) and their first message in the broadcast lane, in the same
    transaction as the change that asks them.
    """
    volunteers = await sql.eligible_volunteers(tx, activation.id, areas, now)
    volunteers = await askable(tx, out.settings, activation, volunteers, now)  # only_trained
    # Those with a skill the call-out asks for get their request first.
    volunteers = await skilled_first(tx, activation, volunteers)
    for position, volunteer in enumerate(volunteers):
        request_id = await sql.insert_request(tx, activation.id, volunteer.id, wave=wave, now=now)
        await out.request(tx, activation, request_id, volunteer, now, position=position)
    return len(volunteers)
