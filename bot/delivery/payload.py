"""How a neutral message is kept in the outbox table: JSON, read back exactly."""

from __future__ import annotations

import base64
import json

from bot.delivery.messages import Choice, Document, Location, OutgoingMessage

__all__ = ["decode", "encode"]


def encode(message: OutgoingMessage) -> str:
    """Serialises a message for the outbox table."""
    data: dict = {"text": message.text}
    if message.choices:
        data["choices"] = [[[choice.label, choice.id] for choice in row]
                           for row in message.choices]
    if message.suggestions:
        data["suggestions"] = list(message.suggestions)
    if message.request_contact:
        data["request_contact"] = message.request_contact
    if message.clear_suggestions:
        data["clear_suggestions"] = True
    if message.location:
        location = message.location
        data["location"] = [location.latitude, location.longitude, location.title,
                            location.address]
    if message.document:
        document = message.document
        data["document"] = [document.filename, base64.b64encode(document.content).decode(),
                            document.caption]
    return json.dumps(data, ensure_ascii=False)


def decode(payload: str) -> OutgoingMessage:
    """Reads a message written by encode."""
    data = json.loads(payload)
    location = Location(*data["location"]) if "location" in data else None
    document = None
    if "document" in data:
        filename, content, caption = data["document"]
        document = Document(filename, base64.b64decode(content), caption)
    return OutgoingMessage(
        text=data.get("text", ""),
        choices=tuple(tuple(Choice(label, ident) for label, ident in row)
                      for row in data.get("choices", ())),
        suggestions=tuple(data.get("suggestions", ())),
        request_contact=data.get("request_contact"),
        clear_suggestions=data.get("clear_suggestions", False),
        location=location,
        document=document,
    )
