-- 030: a source's operational status and the record facts it is derived from (docs/design.md,
-- "Registry", "Status, full lists and survivorship"). Old rows keep NULL: no status stated, no
-- date of their own, never withdrawn - which is what they were loaded with.

-- What the record's own list says about the unit, normalised (active | suspended | closed |
-- revoked; NULL: the list says nothing or something unknown, flagged status_unknown) and as sent.
ALTER TABLE source_record ADD COLUMN status VARCHAR;
ALTER TABLE source_record ADD COLUMN status_raw VARCHAR;
-- The record's own date (updated / issued, as the list gives it); NULL: only loaded_at is known.
ALTER TABLE source_record ADD COLUMN record_date DATE;
-- Set when a later full list of the record's system no longer holds it; cleared when a list
-- holds it again. The record keeps its code and history.
ALTER TABLE source_record ADD COLUMN withdrawn_at TIMESTAMPTZ;

-- The status a 'close' / 'reopen' (a steward) or 'status' (a link run) event set.
-- The table is rebuilt rather than altered, as 023 rebuilt `source`: DuckDB 1.4 cannot replay
-- an ALTER of a table whose default calls nextval (the event id) from its write-ahead log, so a
-- crash before the next checkpoint would leave a store that does not open. Ids are kept; the
-- sequence goes on from where it was. Nothing references source_event by key or index.
CREATE TABLE source_event_030 (
    id          BIGINT PRIMARY KEY DEFAULT nextval('source_event_seq'),
    "at"        TIMESTAMPTZ NOT NULL,
    kind        VARCHAR NOT NULL,
    source_code VARCHAR NOT NULL,
    other_code  VARCHAR,               -- merge: the retired code; split: the code split from
    records     VARCHAR[],             -- "system:record_id" of the records concerned
    reason      VARCHAR,
    actor       VARCHAR NOT NULL,
    run_id      VARCHAR,
    status      VARCHAR                -- close / reopen / status: the status it set
);
INSERT INTO source_event_030 (id, "at", kind, source_code, other_code, records, reason, actor,
                              run_id)
    SELECT id, "at", kind, source_code, other_code, records, reason, actor, run_id
    FROM source_event ORDER BY id;
DROP TABLE source_event;
ALTER TABLE source_event_030 RENAME TO source_event;
