-- Durable deadlines: every timer (reminder, next wave, unstaffed alert, mixed-pair wait, and later
-- debrief and purge) is a row with its due time. APScheduler only arms them; the row decides.

CREATE TABLE deadlines (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,
    activation_id INTEGER REFERENCES activations (id),
    request_id    INTEGER REFERENCES requests (id),
    step          INTEGER NOT NULL DEFAULT 0,     -- e.g. which wave
    due_at        TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'cancelled')),
    created_at    TEXT NOT NULL,
    fired_at      TEXT
);
CREATE INDEX deadlines_pending ON deadlines (state, due_at);
CREATE INDEX deadlines_activation ON deadlines (activation_id, state);

-- When the leaders were told that an activation is not staffed ("EJ BEMANNAT").
ALTER TABLE activations ADD COLUMN unstaffed_alert_at TEXT;
