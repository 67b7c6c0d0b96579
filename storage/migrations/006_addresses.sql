-- The chat boundary (issue 10): a member's identities on each transport live in their own table,
-- as Grafana OnCall keeps its TelegramToUserConnector out of the user row; dialogues and the
-- outbox are keyed by address ("telegram:123456789"), not by a Telegram id.

CREATE TABLE member_addresses (
    id              INTEGER PRIMARY KEY,
    member_id       INTEGER NOT NULL REFERENCES members (id),
    transport       TEXT NOT NULL,               -- 'telegram', 'signal', …
    address         TEXT NOT NULL,               -- the id that transport knows the person by
    reported_locale TEXT,                        -- the language the transport last reported
    reachable       INTEGER NOT NULL DEFAULT 1,  -- 0 once the transport refused (e.g. blocked)
    linked_at       TEXT NOT NULL,
    UNIQUE (transport, address),
    UNIQUE (member_id, transport)
);
CREATE INDEX member_addresses_member ON member_addresses (member_id);

INSERT INTO member_addresses (member_id, transport, address, reported_locale, reachable, linked_at)
SELECT id, 'telegram', CAST(telegram_id AS TEXT), telegram_locale, 1 - unreachable,
       coalesce(linked_at, created_at)
FROM members WHERE telegram_id IS NOT NULL;

-- members without the Telegram columns (SQLite cannot drop a UNIQUE column: rebuild the table;
-- the migration runner has foreign keys off while it migrates and checks them before COMMIT).
CREATE TABLE members_new (
    id              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL,
    phone           TEXT,                    -- normalised, e.g. +46701234567
    area            TEXT,
    gender          TEXT NOT NULL DEFAULT 'undisclosed'
                    CHECK (gender IN ('female', 'male', 'other', 'undisclosed')),
    role            TEXT NOT NULL CHECK (role IN ('leader', 'volunteer')),
    locale          TEXT,                    -- chosen with /language; NULL follows the transport
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'removed')),
    away_until      TEXT,
    source          TEXT NOT NULL CHECK (source IN ('invite', 'roster', 'admin')),
    created_at      TEXT NOT NULL,
    removed_at      TEXT
);
INSERT INTO members_new (id, name, phone, area, gender, role, locale, status, away_until, source,
                         created_at, removed_at)
SELECT id, name, phone, area, gender, role, locale, status, away_until, source, created_at,
       removed_at
FROM members;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;
CREATE UNIQUE INDEX members_phone ON members (phone) WHERE phone IS NOT NULL AND status != 'removed';
CREATE INDEX members_area ON members (area, role, status);

-- Each member with the address messages to them go to: a reachable one first, then the most
-- recently linked. `unreachable` is 1 when every address they have was refused.
CREATE VIEW member_contacts AS
SELECT m.*, a.transport AS address_transport, a.address AS address_id,
       a.reported_locale AS reported_locale,
       CASE WHEN a.id IS NOT NULL AND a.reachable = 0 THEN 1 ELSE 0 END AS unreachable
FROM members AS m
LEFT JOIN member_addresses AS a ON a.id = (
    SELECT b.id FROM member_addresses AS b WHERE b.member_id = m.id
    ORDER BY b.reachable DESC, b.linked_at DESC, b.id DESC LIMIT 1);

-- A person's unfinished dialogue, by the address they talk to us from (strangers included).
CREATE TABLE dialogues_new (
    address     TEXT PRIMARY KEY,            -- "telegram:123456789"
    kind        TEXT NOT NULL,
    step        TEXT NOT NULL,
    data        TEXT NOT NULL DEFAULT '{}',
    updated_at  TEXT NOT NULL
);
INSERT INTO dialogues_new (address, kind, step, data, updated_at)
SELECT 'telegram:' || telegram_id, kind, step, data, updated_at FROM dialogues;
DROP TABLE dialogues;
ALTER TABLE dialogues_new RENAME TO dialogues;

-- The outbox by address; a message id is the transport's own, kept as text.
CREATE TABLE outbox_new (
    id          INTEGER PRIMARY KEY,
    lane        INTEGER NOT NULL,            -- 0: briefings, alerts, edits; 1: broadcast fan-out
    position    INTEGER NOT NULL DEFAULT 0,  -- nth message of its fan-out: fan-outs interleave
    address     TEXT NOT NULL,               -- "telegram:123456789"; '' once the person is erased
    op          TEXT NOT NULL CHECK (op IN ('send', 'edit', 'delete')),
    payload     TEXT NOT NULL,               -- JSON of bot.delivery.messages.OutgoingMessage
    ref         TEXT,                        -- what a sent message shows, e.g. 'request:12'
    target_ref  TEXT,                        -- for edits: the ref of the message to change
    state       TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'superseded', 'skipped')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    not_before  TEXT,
    message_id  TEXT,                        -- the transport's id of the sent message
    error       TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT
);
INSERT INTO outbox_new (id, lane, position, address, op, payload, ref, target_ref, state, attempts,
                        not_before, message_id, error, created_at, sent_at)
SELECT id, lane, position, CASE WHEN chat_id = 0 THEN '' ELSE 'telegram:' || chat_id END, op,
       payload, ref, target_ref, state, attempts, not_before, CAST(message_id AS TEXT), error,
       created_at, sent_at
FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_queue ON outbox (state, lane, position, id);
CREATE INDEX outbox_ref ON outbox (ref, state);
CREATE INDEX outbox_address_sending ON outbox (address) WHERE state = 'sending';

-- Who issued a call-out when it was not a member (a rescue service through the intake).
ALTER TABLE activations ADD COLUMN requested_by TEXT;

-- Queued messages keep their choices under the neutral name.
UPDATE outbox SET payload = json_set(json_remove(payload, '$.buttons'), '$.choices',
                                     json(json_extract(payload, '$.buttons')))
WHERE json_type(payload, '$.buttons') IS NOT NULL;
