-- Activations (call-outs), one request per asked volunteer, and the outbox of messages that a
-- state change owes people (written in the same transaction as the change).

CREATE TABLE activations (
    id               INTEGER PRIMARY KEY,
    code             TEXT NOT NULL UNIQUE,   -- human code per year, e.g. 2026-014
    year             INTEGER NOT NULL,
    seq              INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    area             TEXT NOT NULL,
    needed           INTEGER NOT NULL CHECK (needed >= 1),
    summary          TEXT NOT NULL,          -- safe to send to everyone asked
    briefing         TEXT,                   -- sensitive: only for the confirmed
    location_lat     REAL,                   -- sensitive
    location_lon     REAL,                   -- sensitive
    location_title   TEXT,                   -- sensitive
    location_address TEXT,                   -- sensitive
    exercise         INTEGER NOT NULL DEFAULT 0,
    state            TEXT NOT NULL CHECK (state IN ('open', 'staffed', 'closed', 'cancelled')),
    created_by       INTEGER REFERENCES members (id),
    created_at       TEXT NOT NULL,
    staffed_at       TEXT,                   -- first time the team was complete
    closed_at        TEXT,
    cancelled_at     TEXT,
    closed_by        TEXT,
    UNIQUE (year, seq)
);
CREATE INDEX activations_state ON activations (state);

CREATE TABLE requests (
    id            INTEGER PRIMARY KEY,
    activation_id INTEGER NOT NULL REFERENCES activations (id),
    member_id     INTEGER NOT NULL REFERENCES members (id),
    state         TEXT NOT NULL CHECK (state IN ('pending', 'tentative', 'confirmed', 'reserve',
                                                 'declined', 'stood_down', 'withdrawn',
                                                 'released')),
    wave          INTEGER NOT NULL DEFAULT 1,
    asked_at      TEXT NOT NULL,
    answered_at   TEXT,                      -- first Ja/Nej
    confirmed_at  TEXT,
    arrived_at    TEXT,
    finished_at   TEXT,
    UNIQUE (activation_id, member_id)
);
CREATE INDEX requests_by_activation ON requests (activation_id, state);
CREATE INDEX requests_by_member ON requests (member_id, state);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    lane        INTEGER NOT NULL,            -- 0: briefings, alerts, edits; 1: broadcast fan-out
    position    INTEGER NOT NULL DEFAULT 0,  -- nth message of its fan-out: fan-outs interleave
    chat_id     INTEGER NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('send', 'edit', 'delete')),
    payload     TEXT NOT NULL,               -- JSON of bot.messages.OutgoingMessage
    ref         TEXT,                        -- what a sent message shows, e.g. 'request:12'
    target_ref  TEXT,                        -- for edits: the ref of the message to change
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'superseded', 'skipped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT,
    message_id  INTEGER,                     -- Telegram's id of the sent message, for later edits
    error       TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT
);
CREATE INDEX outbox_queue ON outbox (state, lane, position, id);
CREATE INDEX outbox_ref ON outbox (ref, state);
CREATE INDEX outbox_chat_sending ON outbox (chat_id) WHERE state = 'sending';
