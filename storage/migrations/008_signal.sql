-- Signal (issue 11): what a transport without buttons must remember, receipts, invitations the
-- bot writes first, outages, and which address a member linked on two transports is reached at.

-- The choices a message offered as numbered replies ("Svara 1 = Ja, jag kan · 2 = Nej"), so that
-- "1", a quote-reply or a 👍/👎 reaction becomes the press of the right choice. One row per
-- choice and message part; an offer closes when its message is edited or deleted, or when a
-- newer message in the chat offers choices of the same family (the next dialogue question).
CREATE TABLE chat_offers (
    id          INTEGER PRIMARY KEY,
    address     TEXT NOT NULL,               -- "signal:+46701234567"
    message_id  TEXT NOT NULL,               -- the whole message id ("ts1,ts2" when split)
    part_id     TEXT NOT NULL,               -- one part's own id (its timestamp)
    family      TEXT NOT NULL,               -- e.g. 'a1:12' (one request), 'x1' (/activate)
    number      INTEGER,                     -- as shown; NULL where labels are typed instead
    label       TEXT NOT NULL,
    choice      TEXT NOT NULL,               -- the packed choice id, '!contact' for the number
    title       TEXT NOT NULL,               -- the message's first line, for "which one?"
    offered_at  TEXT NOT NULL,
    closed_at   TEXT
);
CREATE INDEX chat_offers_open ON chat_offers (address, closed_at);
CREATE INDEX chat_offers_part ON chat_offers (address, part_id);

-- Delivery and read receipts per message part (Signal reports both; Telegram neither).
CREATE TABLE message_receipts (
    address      TEXT NOT NULL,
    message_id   TEXT NOT NULL,              -- one part's id (a Signal timestamp)
    delivered_at TEXT,
    read_at      TEXT,
    PRIMARY KEY (address, message_id)
);

-- Envelopes already handled (sender, timestamp): an envelope delivered twice, e.g. to two event
-- streams open at once around a reconnect, is handled once.
CREATE TABLE seen_envelopes (
    source      TEXT NOT NULL,
    timestamp   INTEGER NOT NULL,
    seen_at     TEXT NOT NULL,
    PRIMARY KEY (source, timestamp)
);

-- Signal accounts seen with both their ACI uuid and their number, so a message from someone
-- who hides their number still reaches the member linked by that number.
CREATE TABLE signal_accounts (
    uuid        TEXT PRIMARY KEY,
    number      TEXT NOT NULL,
    seen_at     TEXT NOT NULL
);

-- A roster member the bot writes to first on a transport that allows it (Signal): the greeting
-- is queued at import; their "JA" links the address.
CREATE TABLE direct_invitations (
    member_id   INTEGER PRIMARY KEY REFERENCES members (id),
    address     TEXT NOT NULL UNIQUE,        -- "signal:+46701234567"
    created_at  TEXT NOT NULL,
    answered_at TEXT
);

-- A transport's service (the signal-cli daemon) down, from when, and whether leaders were told.
CREATE TABLE transport_outages (
    id          INTEGER PRIMARY KEY,
    transport   TEXT NOT NULL,
    since       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    noticed_at  TEXT,
    ended_at    TEXT
);
CREATE INDEX transport_outages_open ON transport_outages (transport, ended_at);

-- A member linked on two transports is reached at a reachable address first, Signal before
-- others (briefings carry sensitive details and Signal is end-to-end encrypted), then the most
-- recently linked. When the preferred one fails the outbox sends to the next (bot.delivery).
DROP VIEW member_contacts;
CREATE VIEW member_contacts AS
SELECT m.*, a.transport AS address_transport, a.address AS address_id,
       a.reported_locale AS reported_locale,
       CASE WHEN a.id IS NOT NULL AND a.reachable = 0 THEN 1 ELSE 0 END AS unreachable
FROM members AS m
LEFT JOIN member_addresses AS a ON a.id = (
    SELECT b.id FROM member_addresses AS b WHERE b.member_id = m.id
    ORDER BY b.reachable DESC, (b.transport = 'signal') DESC, b.linked_at DESC, b.id DESC
    LIMIT 1);
