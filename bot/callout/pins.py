"""Location pins that can still be taken back: renewed while a call-out runs.

Telegram lets a bot delete a message only within 48 hours of sending it
(https://core.telegram.org/bots/api#deletemessage), and a pin (a location or venue) cannot be
edited into text. So that the pin can be removed from the phones when the intervention ends,
however long it runs, every confirmed volunteer's pin is replaced by a fresh one every
`RENEW_AFTER` while the call-out is active: the new pin is sent, then the old one deleted. The
renewal is a durable deadline row like the others, so a restart keeps it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.callout.outbound import Outbound
from bot.deadlines import DeadlineRunner
from storage import callouts as sql
from storage.audit import append_audit
from storage.deadlines import add_deadline, cancel_deadlines
from storage.models import Activation, Deadline
from storage.sql import Connection

__all__ = ["PIN_RENEWAL", "RENEW_AFTER", "PinRenewal"]

logger = logging.getLogger(__name__)

PIN_RENEWAL = "pin_renewal"
# Two hours inside Telegram's 48, for a restart or a slow outbox on the way.
RENEW_AFTER = timedelta(hours=46)


class PinRenewal:
    """Schedules and runs the renewal of the confirmed volunteers' location pins."""

    def __init__(self, outbound: Outbound, runner: DeadlineRunner) -> None:
        self.outbound = outbound
        runner.register(PIN_RENEWAL, self._renew)

    async def schedule(self, tx: Connection, activation: Activation,
                       now: datetime) -> list[Deadline]:
        """Starts the renewals of a call-out with a location (when it is issued: its pins go out
        at staffing, and a renewal before then does nothing but plan the next)."""
        if activation.location_lat is None:
            return []
        await cancel_deadlines(tx, activation.id, (PIN_RENEWAL,))
        return [await add_deadline(tx, PIN_RENEWAL, now + RENEW_AFTER, now,
                                   activation_id=activation.id)]

    async def stop(self, tx: Connection, activation_id: int) -> None:
        """No more renewals (the call-out ended; its pins are being deleted)."""
        await cancel_deadlines(tx, activation_id, (PIN_RENEWAL,))

    async def _renew(self, tx: Connection, deadline: Deadline, now: datetime) -> list[Deadline]:
        activation = await sql.activation_by_id(tx, deadline.activation_id)
        if not activation.is_active or activation.location_lat is None:
            return []
        renewed = 0
        for request, member in await sql.requests_with_members(tx, activation.id,
                                                                ("confirmed",)):
            if await self.outbound.renew_pin(tx, activation, request, member, now):
                renewed += 1
        await append_audit(tx, now, "system", "activation.pins_renewed", activation.id,
                           renewed=renewed)
        logger.info("activation %s event=pins_renewed renewed=%d", activation.code, renewed)
        return [await add_deadline(tx, PIN_RENEWAL, now + RENEW_AFTER, now,
                                   activation_id=activation.id)]
