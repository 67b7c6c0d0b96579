"""A signal-cli envelope → the handlers' chat events. Nothing else: no meaning, no replies.

Signal has no buttons, so a choice comes back as text: its number ("1"), its label ("Nej"),
a quote-reply to the message that offered it, or a 👍/👎 reaction on that message. The chat
memory (storage.chat_memory) says which choices each message offered; a reply that fits the
choices of more than one open message is `Ambiguous` and the transport asks which one is meant.
Receipts are recorded; typing, sync, call and story messages are ignored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot import choices as codec
from bot.people.persons import Person
from handlers.events import ChatEvent, Command, Press, SharedContact, Text
from storage.chat_memory import ChatMemory, OfferRow
from storage.clock import Clock
from storage.models import Address
from transports.signal.messenger import TRANSPORT
from transports.signal.render import CONTACT_CHOICE

__all__ = ["Ambiguous", "EnvelopeReader", "Ignored", "Reading", "UntrustedSender"]

logger = logging.getLogger(__name__)

# What a reply or a reaction says when it is not a number or a label.
YES_WORDS = frozenset({"ja", "j", "yes", "y", "ok", "👍"})
NO_WORDS = frozenset({"nej", "n", "no", "👎"})
_NUMBER = re.compile(r"^[0-9]{1,2}$")  # ASCII digits only: "²" is not a number
_START = re.compile(r"^start(?:\s+(\S+))?$", re.IGNORECASE)
_SKIN_TONES = re.compile("[\U0001F3FB-\U0001F3FF\uFE0F]")


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A reply that fits the choices of several open messages: ask which one is meant."""

    sender: Person
    titles: list[str]


@dataclass(frozen=True, slots=True)
class Ignored:
    """Nothing for the handlers (a receipt, typing, our own sync, a reaction to nothing)."""

    sender: Person | None = None
    hint: bool = False  # True: tell the person how to answer (a reaction we cannot read)


@dataclass(frozen=True, slots=True)
class UntrustedSender:
    """The daemon could not decrypt a message: the sender's safety number changed."""

    sender: Person


Reading = ChatEvent | Ambiguous | Ignored | UntrustedSender


def _plain(label: str) -> str:
    return label.replace("✓", "").replace("☑", "").replace("☐", "").strip().casefold()


def _matches(offers: list[OfferRow], text: str) -> OfferRow | None:
    """The offer of one message that a reply picks: by number, by label, or yes/no."""
    wanted = text.strip().casefold()
    if _NUMBER.match(wanted):
        number = int(wanted)
        return next((offer for offer in offers if offer.number == number), None)
    by_label = [offer for offer in offers if _plain(offer.label) == wanted]
    if len(by_label) == 1:
        return by_label[0]
    for words, yes in ((YES_WORDS, True), (NO_WORDS, False)):
        if wanted in words:
            for offer in offers:
                answer = codec.parse(offer.choice)
                if isinstance(answer, codec.Answer) and answer.yes == yes:
                    return offer
                if (isinstance(answer, codec.DebriefAction) and answer.verb == "v"
                        and answer.value == ("y" if yes else "n")):
                    return offer
    return None


def _by_message(offers: list[OfferRow]) -> dict[str, list[OfferRow]]:
    grouped: dict[str, list[OfferRow]] = {}
    for offer in offers:
        grouped.setdefault(offer.message_id, []).append(offer)
    return grouped


class EnvelopeReader:
    """Reads the envelopes of one account."""

    def __init__(self, account: str, memory: ChatMemory, clock: Clock) -> None:
        self.account = account
        self.memory = memory
        self.clock = clock

    async def sender_of(self, envelope: dict[str, Any]) -> Person | None:
        """The sender at their address: their number if known, else their uuid."""
        number, uuid = envelope.get("sourceNumber"), envelope.get("sourceUuid")
        if number and uuid:
            await self.memory.note_account(uuid, number, self.clock())
        elif uuid:
            number = await self.memory.number_of(uuid)
        ident = number or uuid or envelope.get("source")
        if not ident:
            return None
        return Person(Address(TRANSPORT, ident), envelope.get("sourceName") or "")

    async def read(self, data: dict[str, Any]) -> Reading:
        """What one `receive` event means."""
        envelope = data.get("envelope") or {}
        sender = await self.sender_of(envelope)
        if sender is None:
            return Ignored()
        exception = data.get("exception") or {}
        if exception.get("type") == "UntrustedIdentityException":
            return UntrustedSender(sender)
        if "receiptMessage" in envelope:
            await self._receipt(sender.address, envelope["receiptMessage"])
            return Ignored(sender)
        message = envelope.get("dataMessage")
        if message is None:
            return Ignored(sender)  # typing, sync, call, story, an edit of their own message
        source = envelope.get("sourceUuid") or sender.address.id
        if not await self.memory.claim_envelope(source, int(envelope.get("timestamp", 0)),
                                                self.clock()):
            logger.info("signal: an envelope delivered twice was handled once")
            return Ignored(sender)
        if message.get("reaction"):
            return await self._reaction(sender, message["reaction"])
        text = message.get("message")
        if not isinstance(text, str) or not text.strip():
            return Ignored(sender)  # a sticker, an attachment alone, a remote delete
        return await self._text(sender, text, message.get("quote"), int(message["timestamp"]))

    async def _receipt(self, address: Address, receipt: dict[str, Any]) -> None:
        kind = "read" if receipt.get("isRead") else "delivery" if receipt.get(
            "isDelivery") else None
        if kind is None:
            return
        when = datetime.fromtimestamp(int(receipt.get("when", 0)) / 1000, tz=UTC)
        await self.memory.receipt(address, [str(ts) for ts in receipt.get("timestamps", [])],
                                  kind, when)

    async def _reaction(self, sender: Person, reaction: dict[str, Any]) -> Reading:
        if reaction.get("isRemove"):
            return Ignored(sender)
        emoji = _SKIN_TONES.sub("", reaction.get("emoji") or "")
        offers = await self.memory.offers_of_part(sender.address,
                                                  str(reaction.get("targetSentTimestamp")))
        if emoji not in ("👍", "👎"):
            return Ignored(sender, hint=bool(offers))
        offer = _matches(offers, emoji) if offers else None
        if offer is None:
            return Ignored(sender, hint=bool(offers))
        return self._pressed(sender, offer)

    async def _text(self, sender: Person, text: str, quote: dict[str, Any] | None,
                    timestamp: int) -> Reading:
        stripped = text.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            # As Telegram commands are read: case-insensitive, arguments split on white space.
            head, *args = stripped.split()
            return Command(sender, head[1:].lower(), tuple(args))
        start = _START.match(stripped)
        if start:
            return Command(sender, "start", (start[1],) if start[1] else ())
        if quote is not None and quote.get("id") is not None:
            offers = await self.memory.offers_of_part(sender.address, str(quote["id"]))
            offer = _matches(offers, stripped) if offers else None
            if offer is not None:
                return self._pressed(sender, offer)
        fitting = []
        for offers in _by_message(await self.memory.open_offers(sender.address,
                                                                self.clock())).values():
            offer = _matches(offers, stripped)
            if offer is not None:
                fitting.append(offer)
        if len(fitting) == 1:
            return self._pressed(sender, fitting[0])
        if fitting:
            return Ambiguous(sender, [offer.title for offer in fitting])
        return Text(sender, text, timestamp)

    @staticmethod
    def _pressed(sender: Person, offer: OfferRow) -> ChatEvent:
        if offer.choice == CONTACT_CHOICE:
            # The sender's number is their Signal identity: Signal vouches for it.
            return SharedContact(sender, sender.address.id, own=True)
        return Press(sender, offer.choice)
