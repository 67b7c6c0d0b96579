-- Storage faults (issue 17): one row the bot rewrites now and then to learn whether the file
-- still takes writes (disk full, I/O error, locked by another program) and when it does again.

CREATE TABLE storage_probe (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    at  TEXT NOT NULL
);
