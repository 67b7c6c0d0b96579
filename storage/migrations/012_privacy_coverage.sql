-- Privacy coverage of what the last features added (review of the merged main, bug 13 and
-- "worth tidying" 7).

-- A direct reply the transport could not send at once (a flood wait, the network) is handed to
-- the outbox under the ref 'reply' (storage.outbox.REPLY_REF). The bot keeps no text of its
-- direct replies, and one of them may be the /activate preview with the whole briefing: the
-- row's text is emptied as soon as it is delivered or dropped. One that failed is emptied by the
-- privacy service's hourly sweep instead (a reroute to the member's other transport copies the
-- failed row right after it failed).
CREATE TRIGGER outbox_reply_forgotten AFTER UPDATE OF state ON outbox
WHEN NEW.ref = 'reply' AND NEW.state IN ('sent', 'skipped', 'superseded') AND NEW.payload != '{}'
BEGIN
    UPDATE outbox SET payload = '{}' WHERE id = NEW.id;
END;

-- Replies deferred before this version have no ref: they are the urgent, ref-less sends that
-- were given a time to wait for (so are ref-less notices that met a flood wait, whose text is
-- not needed once they are out either).
UPDATE outbox SET payload = '{}'
WHERE ref IS NULL AND op = 'send' AND lane = 0 AND not_before IS NOT NULL
  AND state IN ('sent', 'skipped', 'superseded', 'failed') AND payload != '{}';

-- When an intake request's details about people (briefing, place, the requester's name and
-- phone) were deleted under the retention rules (bot.intake.retention).
ALTER TABLE intake_requests ADD COLUMN purged_at TEXT;
