"""After a restart, one line to every leader: the bot is back, since when it was away, how many
call-outs go on and how many messages that waited are now on their way.

The line is an outbox row like any other (so a crash right after the start still delivers it),
queued before the sender starts, when the counts still say what the outage left behind. A clean
restart with nothing running tells nobody anything: there is nothing for a leader to do about it.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.callout.outbound import Outbound
from bot.i18n import Translator
from storage.database import Database
from storage.service_runs import QueueFigures, ServiceRun

__all__ = ["back_line", "tell_leaders_we_are_back"]

logger = logging.getLogger(__name__)


def back_line(t: Translator, away_since: datetime, now: datetime, callouts: int,
              messages: int) -> str:
    """The one line: "The bot is back (away since 03:12): 2 call-outs resumed, …"."""
    resumed = t.ngettext("%(count)d call-out resumed", "%(count)d call-outs resumed",
                         callouts) % {"count": callouts}
    waiting = t.ngettext("%(count)d message that waited is on its way",
                         "%(count)d messages that waited are on their way",
                         messages) % {"count": messages}
    # Translators: "away since 03:12"; the two parts are the counts of call-outs and messages.
    line = t.gettext("The bot is back (away since %(since)s): %(resumed)s, %(waiting)s.")
    return "🔄 " + line % {"since": t.short_datetime(away_since, now), "resumed": resumed,
                          "waiting": waiting}


async def tell_leaders_we_are_back(database: Database, out: Outbound, previous: ServiceRun,
                                   figures: QueueFigures, now: datetime) -> bool:
    """Queues the line to every leader unless a clean restart left nothing behind; True if
    queued."""
    clean = previous.stopped_at is not None
    if clean and not figures.running_callouts and not figures.unsent:
        return False
    async with database.transaction() as tx:
        await out.tell_leaders(tx, now, lambda t: back_line(
            t, previous.last_seen, now, figures.running_callouts, figures.unsent))
    logger.info("restart: leaders told (%d call-outs resumed, %d messages waited, %s stop)",
                figures.running_callouts, figures.unsent, "clean" if clean else "unclean")
    return True
