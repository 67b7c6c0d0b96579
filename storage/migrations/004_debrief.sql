-- After an intervention: one questionnaire per confirmed volunteer ('debrief', some hours after the
-- close) and a check-in weeks later ('followup'), each answered one question at a time. The row
-- is the questionnaire's state, so a restart in the middle of one loses nothing.

CREATE TABLE debriefs (
    id              INTEGER PRIMARY KEY,
    activation_id   INTEGER NOT NULL REFERENCES activations (id),
    request_id      INTEGER NOT NULL REFERENCES requests (id),
    member_id       INTEGER NOT NULL REFERENCES members (id),
    kind            TEXT NOT NULL CHECK (kind IN ('debrief', 'followup')),
    state           TEXT NOT NULL DEFAULT 'scheduled'
                    CHECK (state IN ('scheduled', 'open', 'paused', 'done', 'cancelled')),
    questions       TEXT NOT NULL,           -- JSON list of question keys, fixed when created
    position        INTEGER NOT NULL DEFAULT 0,  -- index of the question being asked
    asked           INTEGER NOT NULL DEFAULT 0,  -- times a question was sent (names its message)
    selection       TEXT NOT NULL DEFAULT '[]',  -- a multi question's ticks so far (JSON)
    last_message_id INTEGER,                 -- the last typed answer taken (a redelivery is not)
    created_at      TEXT NOT NULL,
    sent_at         TEXT,
    asked_at        TEXT,                    -- when the current question was last sent
    reminded_at     TEXT,
    finished_at     TEXT,
    welfare_alert_at TEXT,                   -- when the leaders were asked to get in touch
    UNIQUE (request_id, kind)
);
CREATE INDEX debriefs_member ON debriefs (member_id, state);
CREATE INDEX debriefs_activation ON debriefs (activation_id);

CREATE TABLE debrief_answers (
    debrief_id  INTEGER NOT NULL REFERENCES debriefs (id),
    question    TEXT NOT NULL,               -- the question's key
    value       TEXT,                        -- JSON: number, option key(s), true/false; NULL if
                                             -- skipped or free text
    text_value  TEXT,                        -- sensitive free text: purged with the briefing
    skipped     INTEGER NOT NULL DEFAULT 0,
    answered_at TEXT NOT NULL,
    PRIMARY KEY (debrief_id, question)
);
