"""Notices to the leaders about the chat services themselves: a service down and back, a
person's changed Signal safety number, a captcha Signal wants solved. Queued in the outbox like
every other leader message, each in the leader's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from bot.callout.outbound import Outbound
from bot.config import Settings
from bot.i18n import Translator
from storage.clock import Clock
from storage.database import Database
from storage.members import leaders_in

__all__ = ["LeaderNotices"]


class LeaderNotices:
    """Tells every active leader (or those not on a failing transport) one short thing."""

    def __init__(self, settings: Settings, database: Database, clock: Clock,
                 wake_sender: Callable[[], None]) -> None:
        self.settings = settings
        self.db = database
        self.clock = clock
        self.wake_sender = wake_sender
        self.out = Outbound(settings)

    async def _tell(self, text_for: Callable[[Translator], str], *,
                    skip_transport: str | None = None) -> int:
        now = self.clock()
        told = 0
        async with self.db.transaction() as tx:
            for leader in await leaders_in(tx):
                if leader.address is None or leader.address.transport == skip_transport:
                    continue
                await self.out.send(tx, leader, "⚠️ " + text_for(self.out.t(leader)), now)
                told += 1
        self.wake_sender()
        return told

    async def service_down(self, transport: str, since: datetime) -> int:
        """The service has not answered since `since` (told to leaders reached elsewhere)."""
        return await self._tell(lambda t: t.gettext(
            "{service} cannot be reached: the service has not answered since {time}. Messages "
            "to people on {service} wait and go out as soon as it is back. Check the service "
            "on the server.").format(service=transport.capitalize(), time=t.time(since)),
            skip_transport=transport)

    async def service_back(self, transport: str, down_for: timedelta) -> int:
        """The service answers again."""
        return await self._tell(lambda t: t.gettext(
            "{service} works again (it was down for {duration}). Waiting messages are being "
            "sent now.").format(service=transport.capitalize(), duration=t.duration(down_for)))

    async def identity_changed(self, name: str, trusted: bool) -> int:
        """A member's Signal safety number changed (new phone, or Signal reinstalled)."""
        if trusted:
            return await self._tell(lambda t: t.gettext(
                "The Signal safety number of {name} has changed (a new phone, or Signal "
                "reinstalled). The bot trusts the new one and keeps sending, as configured; "
                "check with {name} that it is really them.").format(name=name))
        account = self.settings.signal.account
        return await self._tell(lambda t: t.gettext(
            "The Signal safety number of {name} has changed (a new phone, or Signal "
            "reinstalled). The bot sends them nothing on Signal until it is verified; they "
            "are reached on their other app if they have one. To verify, compare the safety "
            "number with {name}, then on the server: signal-cli -a {account} trust -v NUMBER "
            "THEIR_PHONE").format(name=name, account=account))

    async def proof_required(self) -> int:
        """Signal wants a captcha solved before the bot may send more."""
        return await self._tell(lambda t: t.gettext(
            "Signal asks the bot to solve a captcha before it sends more (a rate limit). "
            "Messages wait. See “Signal: rate limits” in the README to lift it."),
            skip_transport="signal")
