"""Logging set-up: one line per event, and never the bot token.

PTB's request URLs contain the token and httpx logs them at INFO, so httpx is held at WARNING;
a filter also masks the token in every record in case any other library prints it.
"""

from __future__ import annotations

import logging

__all__ = ["RedactSecrets", "configure_logging", "quiet_token_carrying_loggers"]


def quiet_token_carrying_loggers() -> None:
    """Holds httpx/httpcore at WARNING: at INFO they log request URLs, which carry the token."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class RedactSecrets(logging.Filter):
    """Replaces each secret in a record's final message with ***."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        changed = False
        for secret in self.secrets:
            if secret in message:
                message, changed = message.replace(secret, "***"), True
            if record.exc_text and secret in record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "***")
        if changed:
            record.msg, record.args = message, None
        return True


def configure_logging(level: int = logging.INFO, secrets: list[str] | None = None) -> None:
    """Logs to stderr with times, quiets httpx, and masks the given secrets everywhere."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets or []))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_token_carrying_loggers()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
