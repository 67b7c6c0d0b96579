-- Members, invites, open dialogues and the append-only audit log.
-- Times are ISO 8601 UTC text (storage.clock.to_db), so they sort and work with julianday().

CREATE TABLE members (
    id              INTEGER PRIMARY KEY,
    telegram_id     INTEGER UNIQUE,          -- Telegram user id, equal to the private chat id
    name            TEXT NOT NULL,
    phone           TEXT,                    -- normalised, e.g. +46701234567
    area            TEXT,
    gender          TEXT NOT NULL DEFAULT 'undisclosed'
                    CHECK (gender IN ('female', 'male', 'other', 'undisclosed')),
    role            TEXT NOT NULL CHECK (role IN ('leader', 'volunteer')),
    locale          TEXT,                    -- chosen with /language; NULL follows Telegram
    telegram_locale TEXT,                    -- the language_code Telegram last reported
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'removed')),
    away_until      TEXT,
    unreachable     INTEGER NOT NULL DEFAULT 0,
    source          TEXT NOT NULL CHECK (source IN ('invite', 'roster', 'admin')),
    created_at      TEXT NOT NULL,
    linked_at       TEXT
);
CREATE UNIQUE INDEX members_phone ON members (phone) WHERE phone IS NOT NULL AND status != 'removed';
CREATE INDEX members_area ON members (area, role, status);

CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,        -- sha256 of the token; the token itself is never stored
    role        TEXT NOT NULL CHECK (role IN ('leader', 'volunteer')),
    area        TEXT,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     INTEGER REFERENCES members (id)
);

-- A person's unfinished multi-step dialogue (enrolment, /activate); kept here so a restart
-- in the middle of one loses nothing.
CREATE TABLE dialogues (
    telegram_id INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    step        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            TEXT NOT NULL,
    actor         TEXT NOT NULL,             -- 'member:<id>', 'cli', 'system'
    activation_id INTEGER,
    event         TEXT NOT NULL,
    detail        TEXT NOT NULL DEFAULT '{}' -- JSON; ids and counts, never briefing text
);
CREATE INDEX audit_log_activation ON audit_log (activation_id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
