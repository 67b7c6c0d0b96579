"""A fake Telegram Bot API server for tests, the offline demo and the benchmark.

The real PTB `Application`/`Bot` talks to it over HTTP on 127.0.0.1 (base_url =
f"{fake.api_url}/bot"), while tests script people: `fake.person(...)` sends, shares and presses,
and reads what the bot sent. It speaks the wire protocol only and never imports PTB.
"""

from sandbox.fake_telegram.models import (
    ApiCall,
    ApiError,
    Button,
    ChatMessage,
    Contact,
    Document,
    Stats,
    Venue,
)
from sandbox.fake_telegram.people import FakePerson, Press
from sandbox.fake_telegram.server import FakeTelegram, FaultKind, UploadedFile

__all__ = [
    "ApiCall",
    "ApiError",
    "Button",
    "ChatMessage",
    "Contact",
    "Document",
    "FakePerson",
    "FakeTelegram",
    "FaultKind",
    "Press",
    "Stats",
    "UploadedFile",
    "Venue",
]
