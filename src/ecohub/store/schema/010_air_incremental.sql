-- 010: incremental air results (ecohub.analytics.air_service).
-- air_stale: station-days whose observations changed since the air_* tables were computed;
-- loaders fill it through ecohub.analytics.air_service.mark_stale, `air compute` empties it.
-- air_state: what the stored results were computed with (name -> value): the HJ 633
-- edition setting, and the last day of data (the end of the category-days calendar).

CREATE TABLE air_stale (
    station_id  VARCHAR NOT NULL,
    day         DATE NOT NULL,          -- CST calendar day
    marked_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (station_id, day)
);

CREATE TABLE air_state (
    name        VARCHAR PRIMARY KEY,
    value       VARCHAR
);

-- Valid months of a year's statistic (HJ 663: a valid year needs every month valid).
ALTER TABLE air_period_stat ADD COLUMN months_valid INTEGER;
