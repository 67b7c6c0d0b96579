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
