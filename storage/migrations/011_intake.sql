-- Alarm intake (issue 12): callers with API keys (hashed), their requests for POSOM, the
-- leaders' decision on each, web sessions of the requester page, and the callbacks owed.

CREATE TABLE intake_callers (
    id             INTEGER PRIMARY KEY,
    name           TEXT NOT NULL,             -- e.g. 'SOS Alarm'; several keys may share it
    key_hash       TEXT NOT NULL UNIQUE,      -- sha256 of the key; the key itself is never kept
    key_hint       TEXT NOT NULL,             -- its first characters, to tell keys apart
    signing_secret TEXT NOT NULL,             -- signs callbacks (the caller checks them)
    created_at     TEXT NOT NULL,
    revoked_at     TEXT,
    last_used_at   TEXT
);

CREATE TABLE intake_requests (
    id                     INTEGER PRIMARY KEY,
    public_id              TEXT NOT NULL UNIQUE,  -- what the caller sees; not guessable
    caller_id              INTEGER NOT NULL REFERENCES intake_callers (id),
    idempotency_key        TEXT NOT NULL,
    fingerprint            TEXT NOT NULL,         -- sha256 of the request as sent
    state                  TEXT NOT NULL
                           CHECK (state IN ('received', 'taken', 'declined', 'activated')),
    kind                   TEXT NOT NULL,
    area                   TEXT NOT NULL,
    needed                 INTEGER NOT NULL,
    summary                TEXT NOT NULL,
    briefing               TEXT,                  -- sensitive; dropped once decided
    location_lat           REAL,                  -- sensitive; dropped once decided
    location_lon           REAL,
    location_title         TEXT,
    location_address       TEXT,
    exercise               INTEGER NOT NULL DEFAULT 0,
    requester_name         TEXT NOT NULL,
    requester_organisation TEXT NOT NULL,
    requester_phone        TEXT NOT NULL,
    callback_url           TEXT,
    leader_id              INTEGER REFERENCES members (id),   -- who took or declined it
    activation_id          INTEGER REFERENCES activations (id),
    reminded_at            TEXT,                  -- leaders asked again: nobody answered
    alerted_at             TEXT,                  -- the alert with the duty phone went out
    decided_at             TEXT,
    notified               TEXT,                  -- fingerprint of the last status called back
    created_at             TEXT NOT NULL,
    UNIQUE (caller_id, idempotency_key)
);
CREATE INDEX intake_requests_activation ON intake_requests (activation_id);
CREATE INDEX intake_requests_open ON intake_requests (state) WHERE state != 'declined';

CREATE TABLE intake_sessions (
    token_hash  TEXT PRIMARY KEY,                 -- sha256 of the cookie's value
    caller_id   INTEGER NOT NULL REFERENCES intake_callers (id),
    csrf        TEXT NOT NULL,                    -- the form token of this session
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- A POST owed to a caller's callback URL for each change of its request, retried with backoff.
CREATE TABLE intake_callbacks (
    id          INTEGER PRIMARY KEY,
    intake_id   INTEGER NOT NULL REFERENCES intake_requests (id),
    payload     TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT,
    error       TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT
);
CREATE INDEX intake_callbacks_pending ON intake_callbacks (state, id);

-- The intake's timers (leaders asked again, the alert) are deadline rows like the call-out's.
ALTER TABLE deadlines ADD COLUMN intake_id INTEGER REFERENCES intake_requests (id);
