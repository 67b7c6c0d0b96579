"""Several transports behind one port: each message goes to the messenger of its address.

Like httpx's `Mounts`, the router holds one messenger per transport name and forwards each call
to the one the address names; the outbox sender only ever talks to the router.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.delivery.messages import OutgoingMessage
from bot.delivery.messenger import Capabilities, Messenger, Unreachable
from storage.models import Address

__all__ = ["MessengerRouter"]


class MessengerRouter:
    """Forwards each send, edit and delete to the messenger of the address's transport."""

    def __init__(self, messengers: Iterable[Messenger] = ()) -> None:
        self._messengers: dict[str, Messenger] = {}
        for messenger in messengers:
            self.mount(messenger)

    def mount(self, messenger: Messenger) -> None:
        """Adds (or replaces) the messenger of one transport."""
        self._messengers[messenger.transport] = messenger

    @property
    def transports(self) -> list[str]:
        """The names of the transports that can be reached."""
        return list(self._messengers)

    def capabilities(self, transport: str) -> Capabilities | None:
        """What a transport can do, or None if it is not running."""
        messenger = self._messengers.get(transport)
        return messenger.capabilities if messenger else None

    def _for(self, address: Address) -> Messenger:
        messenger = self._messengers.get(address.transport)
        if messenger is None:
            # A member linked on a transport this bot no longer runs: nobody can reach them
            # there, which is what the leaders should see.
            raise Unreachable(f"transport {address.transport!r} is not running")
        return messenger

    async def send(self, address: Address, message: OutgoingMessage) -> str:
        """Sends through the address's transport; returns the transport's message id."""
        return await self._for(address).send(address.id, message)

    async def edit(self, address: Address, message_id: str,
                   message: OutgoingMessage) -> str | None:
        """Changes a message sent earlier; returns its new id if the edit changed it."""
        return await self._for(address).edit(address.id, message_id, message)

    async def delete(self, address: Address, message_id: str) -> None:
        """Deletes a message sent earlier through the address's transport."""
        await self._for(address).delete(address.id, message_id)
