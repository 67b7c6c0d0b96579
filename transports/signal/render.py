"""A neutral message as Signal shows it: text only, split under 2,000 UTF-8 bytes, choices as
numbered replies, a location as an address line and a map link, a document as an attachment.

Signal has no buttons, so a message's choices end its text: "Svara 1 = Ja, jag kan · 2 = Nej".
Where the answer is itself a number or typed text (a 1–5 scale, "how many hours?", the number
of people needed) numbers would be ambiguous, so the labels are listed to be typed instead
("Svara med: 1 · 2 · 3 · 4 · 5 · Fortsätt senare"). signal-cli turns a body over 2,000 bytes
into an attachment (ServiceConfig.MAX_MESSAGE_SIZE_BYTES) that some apps show only as a file,
so longer texts are split at line boundaries first; å, ä and ö take two bytes each.
"""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass

from bot import choices as codec
from bot.delivery.messages import Choice, Location, OutgoingMessage
from bot.delivery.messages import split_text as split_into_parts  # Signal counts UTF-8 bytes
from bot.i18n import Translator
from storage.chat_memory import NewOffer

__all__ = ["CONTACT_CHOICE", "MAX_BYTES", "Rendered", "map_link", "render", "split_text"]

MAX_BYTES = 2000
# The offer that stands for "share my phone number": Signal vouches for the sender's number.
CONTACT_CHOICE = "!contact"
_ONE_LINE = 3  # up to this many choices fit on one line


@dataclass(frozen=True, slots=True)
class Rendered:
    parts: list[str]  # each at most MAX_BYTES UTF-8 bytes
    attachment: str | None  # a data URI sent with the first part
    offers: list[NewOffer]
    family: str | None  # None: the message offers nothing
    title: str  # its first line, to say which message is meant


def utf8_len(text: str) -> int:
    return len(text.encode())


def split_text(text: str, limit: int = MAX_BYTES) -> list[str]:
    """The text in as few parts of at most `limit` UTF-8 bytes as whole lines allow."""
    return split_into_parts(text, limit, utf8_len)


def map_link(latitude: float, longitude: float) -> str:
    """A map link any phone opens (OpenStreetMap: no account, no tracking)."""
    lat, lon = f"{latitude:.5f}", f"{longitude:.5f}"
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon}"


def _location_lines(location: Location) -> list[str]:
    lines = []
    place = ", ".join(part for part in (location.title, location.address) if part)
    if place:
        lines.append(f"📍 {place}")
    if location.latitude is not None and location.longitude is not None:
        if not place:
            lines.append(f"📍 {location.latitude:.5f}, {location.longitude:.5f}")
        lines.append(map_link(location.latitude, location.longitude))
    return lines


def family_of(choice_ids: list[str]) -> str:
    """What a newer offer replaces: the same request's or briefing's choices, the same
    questionnaire, the same call-out's leader buttons, or the same kind of dialogue."""
    first = choice_ids[0]
    parsed = codec.parse(first)
    prefix = first.partition(":")[0]
    match parsed:
        case codec.Answer() | codec.MissionAction() | codec.HoldAction():
            return f"{prefix}:{parsed.request_id}"
        case codec.StatusAction():
            return f"{prefix}:{parsed.activation_id}"
        case codec.DebriefAction():
            return f"{prefix}:{parsed.debrief_id}"
    return prefix


def _plain(label: str) -> str:
    """A label without its decorations ("2 ✓" → "2", "☑ Socialt stöd" → "Socialt stöd")."""
    return label.replace("✓", "").replace("☑", "").replace("☐", "").strip()


def numbered(choices: list[Choice]) -> bool:
    """Whether choices are answered by their number; not where a typed number or text is the
    answer itself (numbers as labels, or only side actions beside a typed answer)."""
    if any(_plain(choice.label).isdigit() for choice in choices):
        return False
    side_actions = [codec.parse(choice.id) for choice in choices]
    return not all(isinstance(action, codec.DebriefAction) and action.verb in ("sk", "p")
                   for action in side_actions)


def _choice_lines(offers: list[NewOffer], suggestions: tuple[str, ...],
                  t: Translator) -> list[str]:
    if not offers and not suggestions:
        return []
    if not offers or offers[0].number is None:
        # Translators: under a message on Signal, the answers a person can type.
        return [t.gettext("Reply with: {choices}").format(
            choices=" · ".join([*(_plain(offer.label) for offer in offers), *suggestions]))]
    if len(offers) <= _ONE_LINE:
        # Translators: under a message on Signal (no buttons), e.g. "Svara 1 = Ja · 2 = Nej".
        lines = [t.gettext("Reply {choices}").format(
            choices=" · ".join(f"{offer.number} = {offer.label}" for offer in offers))]
    else:
        lines = [t.gettext("Reply with a number:"),
                 *(f"{offer.number} = {offer.label}" for offer in offers)]
    if suggestions:
        lines.append(t.gettext("Reply with: {choices}").format(choices=" · ".join(suggestions)))
    return lines


def _offers(message: OutgoingMessage, can_share_number: bool) -> list[NewOffer]:
    flat = [choice for row in message.choices for choice in row]
    if flat:
        if numbered(flat):
            return [NewOffer(n, choice.label, choice.id) for n, choice in enumerate(flat, 1)]
        return [NewOffer(None, _plain(choice.label), choice.id) for choice in flat]
    typed = []
    if message.request_contact and can_share_number:
        typed.append(NewOffer(None, message.request_contact, CONTACT_CHOICE))
    return typed


def _attachment(message: OutgoingMessage) -> str | None:
    document = message.document
    if document is None:
        return None
    mime = mimetypes.guess_type(document.filename)[0] or "application/octet-stream"
    data = base64.b64encode(document.content).decode()
    # signal-cli's data URI form: data:<mime>;filename=<name>;base64,<data>
    return f"data:{mime};filename={document.filename};base64,{data}"


def render(message: OutgoingMessage, t: Translator, *,
           can_share_number: bool = True) -> Rendered:
    """The message's parts, attachment and numbered offers as Signal shows them."""
    body = message.text
    if message.document is not None and message.document.caption:
        body = "\n".join(part for part in (body, message.document.caption) if part)
    lines = body.split("\n") if body else []
    if message.location is not None:
        lines += _location_lines(message.location)
    offers = _offers(message, can_share_number)
    footer = _choice_lines(offers, message.suggestions, t)
    text = "\n".join(lines)
    parts = split_text(text) if text else []
    footer_text = "\n".join(footer)
    if footer_text:
        if parts and utf8_len(parts[-1]) + 2 + utf8_len(footer_text) <= MAX_BYTES:
            parts[-1] = f"{parts[-1]}\n\n{footer_text}"
        else:
            parts += split_text(footer_text)
    attachment = _attachment(message)
    if not parts and attachment is None:
        parts = ["…"]  # signal-cli refuses an empty message
    family = family_of([offer.choice for offer in offers]) if offers else None
    title = (lines[0] if lines else message.document.filename if message.document else "")
    return Rendered(parts or [""], attachment, offers, family, title[:80])
