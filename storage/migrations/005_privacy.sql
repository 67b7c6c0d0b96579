-- Data protection (issue 6): when an activation's sensitive details (briefing, address,
-- location, free-text answers) were purged under the retention rules, and when a member's
-- personal data was erased. Erased members keep their row (id, role, area) under a placeholder
-- name, so the anonymous statistics of the years they took part in keep counting.

ALTER TABLE activations ADD COLUMN purged_at TEXT;
ALTER TABLE members ADD COLUMN removed_at TEXT;

-- The annual report reads one year at a time; audit exports read by time.
CREATE INDEX activations_year ON activations (year, exercise, state);
CREATE INDEX audit_log_at ON audit_log (at);
