"""What the fake signal-cli daemon keeps: the messages people see, the calls it was sent, faults.

The JSON shapes follow signal-cli 0.14's own records (src/main/java/org/asamk/signal/json/):
`JsonSendMessageResult`, `JsonRecipientAddress`, `JsonMessageEnvelope`, `JsonDataMessage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "EDIT_WINDOW_MS",
    "MAX_MESSAGE_SIZE_BYTES",
    "Attachment",
    "Fault",
    "FaultKind",
    "RpcCall",
    "RpcError",
    "SignalMessage",
]

# ServiceConfig.MAX_MESSAGE_SIZE_BYTES: a longer body is cut to this many UTF-8 bytes and the
# whole text goes along as a `text/x-signal-plain` attachment.
MAX_MESSAGE_SIZE_BYTES = 2000
# The Signal apps apply an edit or a remote delete only to the sender's own message and only
# within about 48 hours of sending it (client behaviour, not signal-cli's).
EDIT_WINDOW_MS = 48 * 3600 * 1000

# Per-recipient failures a test can inject, as JsonSendMessageResult.Type names them.
FaultKind = Literal["rate_limit", "proof_required", "identity", "network", "unregistered"]


class RpcError(Exception):
    """A JSON-RPC error object: signal-cli's own codes (-1, -3, -4, -5) or JSON-RPC's."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def wire(self) -> dict[str, Any]:
        """The error member of a response; `data` is always present (often null)."""
        return {"code": self.code, "message": self.message, "data": self.data}


@dataclass(slots=True)
class Attachment:
    content_type: str
    filename: str | None
    data: bytes


@dataclass(slots=True)
class SignalMessage:
    """One message from the bot in a person's chat, as their phone shows it."""

    timestamp: int  # the message id: the bot's sent timestamp in ms
    text: str
    attachments: list[Attachment] = field(default_factory=list)
    quote: int | None = None  # timestamp of the quoted message
    edits: list[str] = field(default_factory=list)  # earlier versions (Signal shows them)
    edit_timestamps: list[int] = field(default_factory=list)
    deleted: bool = False
    long_text: bool = False  # the body was over 2,000 bytes and became an attachment
    delivered: bool = False
    read: bool = False
    expires_in: int = 0

    @property
    def history(self) -> list[str]:
        """Every version this message had, the current one last (Signal lets people see them)."""
        return [*self.edits, self.text]


@dataclass(slots=True)
class RpcCall:
    """One JSON-RPC request the daemon answered (for tests to inspect)."""

    method: str
    params: dict[str, Any]
    result: Any = None
    error: dict[str, Any] | None = None


@dataclass(slots=True)
class Fault:
    recipient: str | None  # a number or uuid; None: any recipient
    kind: FaultKind
    times: int
    retry_after: int | None
