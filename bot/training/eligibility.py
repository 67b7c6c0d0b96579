"""Who may be asked in a call-out when the organisation asks only trained members
(`training.only_trained`): real call-outs ask the trained, exercises ask everyone."""

from __future__ import annotations

from datetime import datetime

from bot.config import Settings
from bot.training.rules import is_trained, status_from
from storage.models import Activation, Member
from storage.sql import Connection
from storage.training import TrainingFacts, training_facts

__all__ = ["askable"]


async def askable(tx: Connection, settings: Settings, activation: Activation,
                  volunteers: list[Member], now: datetime) -> list[Member]:
    """The volunteers this call-out may ask: all of them, or only the trained ones."""
    config = settings.training
    if not config.only_trained or activation.exercise or not volunteers:
        return volunteers
    facts = await training_facts(tx)
    timezone = settings.organisation.tz
    today = now.astimezone(timezone).date()
    return [volunteer for volunteer in volunteers
            if is_trained(status_from(facts.get(volunteer.id, TrainingFacts()), timezone, now),
                          today, config.refresh_within)]
