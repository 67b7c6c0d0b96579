"""What the parts of `posom bench` share: ids, texts, targets, the options and a percentile."""


from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

TOKEN = "424242:BENCH-TOKEN-NOT-A-SECRET"
BOT_USERNAME = "posom_bench_bot"
LEADER_ID = 7
FIRST_VOLUNTEER_ID = 1_000_000
FLOOD_LIMIT = 30  # Telegram's own limit, as the fake enforces it (429 beyond it in any second)
SENDER_WORKERS = 8  # BotRuntime's default; the floor uses as many
UPDATE_CONCURRENCY = 64  # PTB's concurrent_updates in bot.app
LATENCY_AREAS = 5
LATENCY_AREA_SIZE = 4
BACKGROUND_MAX = 1000
NEEDED = 2
SUMMARY = "Brand i villa, familj behöver stöd"
BRIEFING = "Storgatan 12 B, ring Eva på 070-555 12 34. Villabrand, familj på fyra."
PLACE = {"location_lat": 59.3793, "location_lon": 13.5036,
         "location_title": "Storgatan 12 B", "location_address": "Karlstad"}
REQUEST_MARK = "🚨"
BRIEFING_MARK = "📋"
TOAST = "Tack för ditt svar."
MEMORY_TARGET_MB = 120
STARTUP_TARGET_S = 5.0
LATENCY_TARGET_S = 1.0
ANSWERS_TARGET = 500
# The escalation ladder switched off (--no-escalation), to measure the sender on its own.
NO_LADDER = {"reminder_after": "0s", "waves": [], "unstaffed_alert_after": "365d"}
CODE = re.compile(r"\b\d{4}-\d{3,}\b")

@dataclass
class Options:
    sizes: list[int]
    runs: int
    activations: int
    startups: int
    parts: set[str]
    escalation: bool
    workdir: Path


def percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def paced_rate() -> float:
    from bot.config import TelegramSettings

    return TelegramSettings().max_messages_per_second
