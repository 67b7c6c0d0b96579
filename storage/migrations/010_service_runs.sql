-- Running it as a service (issue 14): one row per start of the bot. The running bot refreshes
-- its row's alive_at (the lease a standby reads in the replica before it takes over) and sets
-- stopped_at when it stops cleanly; the next start reads the previous row to tell the leaders
-- the bot is back and since when it was away.

CREATE TABLE service_runs (
    id          INTEGER PRIMARY KEY,
    instance    TEXT NOT NULL UNIQUE,   -- random id of one `posom run`
    version     TEXT NOT NULL,          -- the posom version that ran
    host        TEXT NOT NULL,          -- the machine it ran on
    started_at  TEXT NOT NULL,
    alive_at    TEXT NOT NULL,          -- last sign of life (the lease)
    stopped_at  TEXT                    -- set by a clean stop only
);
