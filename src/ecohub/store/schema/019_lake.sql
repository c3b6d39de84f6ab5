-- 019: the data lake (ecohub.store.lake, docs/design.md "The data lake").
-- `<table>_all` is what readers that need history query: the hot table here, plus the lake's
-- Parquet once `ecohub.store.lake.attach` has pointed the views at the configured lake (at
-- `ecohub up` and `ecohub lake compact`). Until then they show the hot table only.
CREATE VIEW emission_lake AS
    SELECT *, NULL::VARCHAR AS month, NULL::VARCHAR AS bucket FROM emission WHERE false;
CREATE VIEW emission_all AS SELECT * FROM emission;
CREATE VIEW observation_lake AS
    SELECT *, NULL::VARCHAR AS month, NULL::VARCHAR AS bucket FROM observation WHERE false;
CREATE VIEW observation_all AS SELECT * FROM observation;

-- One row per compaction batch of this node: 'moving' from the moment its files may appear in
-- the lake until the hot rows they hold are deleted ('done'). A batch still 'moving' at start-up
-- (the process died in between) is finished by ecohub.store.lake_compact.recover.
CREATE TABLE lake_batch (
    batch       VARCHAR PRIMARY KEY,   -- <node>-<UTC time>-<random>, the prefix of its files
    tbl         VARCHAR NOT NULL,
    node        VARCHAR NOT NULL,
    cutoff      TIMESTAMPTZ NOT NULL,  -- rows with time < cutoff were settled
    rows_moved  BIGINT NOT NULL,
    rows_known  BIGINT NOT NULL,       -- settled hot rows whose key the lake already held
    files       INTEGER NOT NULL,
    state       VARCHAR NOT NULL,      -- moving | done
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
