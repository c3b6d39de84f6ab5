-- 014: automatic data review of station observations (ecohub.supervision.review, docs/review.md).
-- One row per (observation, rule) that flagged it. The observation itself is never changed or
-- deleted; assessments leave out values with a flag whose status is not 'overruled'
-- (ecohub.analytics.air_input.exclude_flagged), `--raw` uses everything.
-- status: flagged (by the rule, undecided) | confirmed | overruled (by an operator, audited).
CREATE TABLE review_flag (
    station_id  VARCHAR NOT NULL,
    parameter   VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    time        TIMESTAMPTZ NOT NULL,
    value       DOUBLE,                 -- the value as it was when flagged
    rule        VARCHAR NOT NULL,       -- rule id in supervision/data/review_rules.csv
    reason      VARCHAR NOT NULL,
    status      VARCHAR NOT NULL DEFAULT 'flagged'
                CHECK (status IN ('flagged', 'confirmed', 'overruled')),
    flagged_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    decided_by  VARCHAR,
    decided_at  TIMESTAMPTZ,
    PRIMARY KEY (station_id, parameter, period, time, rule)
);
