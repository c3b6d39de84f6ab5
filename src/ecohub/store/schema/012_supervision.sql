-- 012: online-monitoring anomaly detection (ecohub.supervision) and permit limit details.

-- One row per finding: a rule of supervision/data/anomaly_rules.csv held on one device
-- (pollutant '*' for device-wide rules) from `start` to `end`. A finding is never duplicated:
-- a run seen again (re-run batch, next stream batch) widens the row that overlaps it.
CREATE SEQUENCE anomaly_seq;
CREATE TABLE anomaly (
    id          BIGINT PRIMARY KEY DEFAULT nextval('anomaly_seq'),
    mn          VARCHAR NOT NULL,
    source_code VARCHAR,
    outlet_code VARCHAR,
    pollutant   VARCHAR NOT NULL,   -- HJ 212 code, or '*' for the whole device
    rule        VARCHAR NOT NULL,
    start       TIMESTAMPTZ NOT NULL,
    "end"       TIMESTAMPTZ NOT NULL,
    evidence    JSON,
    severity    VARCHAR NOT NULL,   -- low | medium | high
    found_at    TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    status      VARCHAR NOT NULL DEFAULT 'new'   -- new | acknowledged | closed (inspector workflow)
);

-- Hourly aggregates of minute data (CN 2051) that the hour and window rules read. Derived data:
-- rebuilt by `supervise detect`, appended by the stream detector as each device's hour completes.
CREATE TABLE anomaly_hour (
    mn        VARCHAR NOT NULL,
    pollutant VARCHAR NOT NULL,
    hour      TIMESTAMPTZ NOT NULL,   -- start of the hour (CST)
    n         INTEGER NOT NULL,       -- unmarked minute values
    n_all     INTEGER NOT NULL,       -- minute values of any flag
    mean      DOUBLE,                 -- of unmarked values
    vmin      DOUBLE,
    vmax      DOUBLE,
    zs_mean   DOUBLE,                 -- O2-converted concentration, unmarked values
    PRIMARY KEY (mn, pollutant, hour)
);

-- Per-device settings the rules need: the analyser's measuring range (full scale).
CREATE TABLE anomaly_setting (
    mn               VARCHAR NOT NULL,
    pollutant        VARCHAR NOT NULL,
    instrument_range DOUBLE,
    PRIMARY KEY (mn, pollutant)
);

-- Shutdowns declared by the enterprise (停产/停运申报): data reported inside one is suspect.
CREATE TABLE shutdown (
    mn          VARCHAR NOT NULL,
    start       TIMESTAMPTZ NOT NULL,
    "end"       TIMESTAMPTZ NOT NULL,
    reason      VARCHAR,
    PRIMARY KEY (mn, start)
);

-- Permit limits as `ecohub load permits` needs them (averaging period, reference O2, validity).
ALTER TABLE permit_limit ADD COLUMN period VARCHAR;          -- hour | day
ALTER TABLE permit_limit ADD COLUMN reference_o2 DOUBLE;     -- % O2 of the converted concentration
ALTER TABLE permit_limit ADD COLUMN valid_from DATE;
ALTER TABLE permit_limit ADD COLUMN valid_to DATE;
