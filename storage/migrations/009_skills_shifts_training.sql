-- Beyond two people at a door (issue 16): members' skills and call-outs that ask for them.

-- A member's skills, keys from the config's [[skills]] list (a language, präst/diakon, …).
CREATE TABLE member_skills (
    member_id INTEGER NOT NULL REFERENCES members (id),
    skill     TEXT NOT NULL,
    PRIMARY KEY (member_id, skill)
);

-- The skills a call-out asks for ("minst en som talar arabiska"), comma-separated keys; the last
-- place is held a while for someone who has them.
ALTER TABLE activations ADD COLUMN required_skills TEXT NOT NULL DEFAULT '';

-- Training days and meetings: announced to everyone or to areas, answered Kommer / Kommer inte,
-- reminded the day before, attendance marked afterwards.
CREATE TABLE trainings (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('introduction', 'training', 'meeting')),
    starts_at   TEXT NOT NULL,
    place       TEXT NOT NULL,
    details     TEXT NOT NULL,
    areas       TEXT NOT NULL DEFAULT '',    -- comma-separated area keys; '' = everyone
    created_by  INTEGER REFERENCES members (id),
    created_at  TEXT NOT NULL,
    marked_at   TEXT                         -- when attendance was last marked
);
CREATE INDEX trainings_starts ON trainings (starts_at);

CREATE TABLE training_invites (
    id          INTEGER PRIMARY KEY,
    training_id INTEGER NOT NULL REFERENCES trainings (id),
    member_id   INTEGER NOT NULL REFERENCES members (id),
    answer      TEXT CHECK (answer IN ('yes', 'no')),
    answered_at TEXT,
    attended    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (training_id, member_id)
);
CREATE INDEX training_invites_member ON training_invites (member_id);

-- A member's training status: the introduction (date) and the latest training attended. Set by
-- attendance, or by a leader for training done before the bot.
CREATE TABLE member_training (
    member_id        INTEGER PRIMARY KEY REFERENCES members (id),
    introduction_on  TEXT,                   -- YYYY-MM-DD
    last_training_on TEXT                    -- YYYY-MM-DD
);

-- A support centre or crisis line staffed in shifts: the call-out's shifts, and each volunteer's
-- place on a shift (confirmed or reserve), decided like a call-out's places.
CREATE TABLE shifts (
    id            INTEGER PRIMARY KEY,
    activation_id INTEGER NOT NULL REFERENCES activations (id),
    number        INTEGER NOT NULL,             -- Pass 1, 2, …
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    needed        INTEGER NOT NULL CHECK (needed >= 1),
    state         TEXT NOT NULL DEFAULT 'open'
                  CHECK (state IN ('open', 'staffed', 'ended', 'cancelled')),
    staffed_at    TEXT,
    briefed_at    TEXT,                         -- the team's briefing went out
    ended_at      TEXT,
    UNIQUE (activation_id, number)
);
CREATE INDEX shifts_activation ON shifts (activation_id);

CREATE TABLE shift_places (
    id           INTEGER PRIMARY KEY,
    shift_id     INTEGER NOT NULL REFERENCES shifts (id),
    request_id   INTEGER NOT NULL REFERENCES requests (id),
    member_id    INTEGER NOT NULL REFERENCES members (id),
    state        TEXT NOT NULL
                 CHECK (state IN ('confirmed', 'reserve', 'withdrawn', 'released', 'stood_down')),
    answered_at  TEXT NOT NULL,
    confirmed_at TEXT,
    arrived_at   TEXT,
    UNIQUE (shift_id, member_id)
);
CREATE INDEX shift_places_member ON shift_places (member_id, state);
