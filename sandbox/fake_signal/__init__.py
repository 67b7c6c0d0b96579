"""A fake signal-cli HTTP daemon for tests, `posom demo --transport signal` and trying things.

The bot's real Signal transport talks to it over HTTP on 127.0.0.1 exactly as it talks to
`signal-cli -a +46… daemon --http=127.0.0.1:PORT --receive-mode=on-connection`: JSON-RPC 2.0 at
/api/v1/rpc, Server-Sent Events at /api/v1/events, liveness at /api/v1/check. Tests script
people (`daemon.person(number, name)`) who write, quote-reply, react and read, and inspect what
their phones show. It speaks the wire protocol only and never imports the bot.
"""

from sandbox.fake_signal.models import (
    EDIT_WINDOW_MS,
    MAX_MESSAGE_SIZE_BYTES,
    Attachment,
    RpcCall,
    RpcError,
    SignalMessage,
)
from sandbox.fake_signal.people import FakeSignalPerson
from sandbox.fake_signal.server import FakeSignalDaemon

__all__ = [
    "EDIT_WINDOW_MS",
    "MAX_MESSAGE_SIZE_BYTES",
    "Attachment",
    "FakeSignalDaemon",
    "FakeSignalPerson",
    "RpcCall",
    "RpcError",
    "SignalMessage",
]
