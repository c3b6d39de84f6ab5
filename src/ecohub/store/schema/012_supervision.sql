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
-- Rebuilt rather than altered: one pollutant can have an hourly and a daily limit (GB 18485
-- has both), so the period joins the key. Nothing loaded permit_limit before this migration;
-- any rows are kept, as hourly limits.
CREATE TABLE permit_limit_012 (
    permit_no    VARCHAR NOT NULL,
    outlet_code  VARCHAR NOT NULL,
    pollutant    VARCHAR NOT NULL,      -- HJ 212 code
    "limit"      DOUBLE,
    unit         VARCHAR,
    basis        VARCHAR,               -- the emission standard the limit comes from
    period       VARCHAR NOT NULL DEFAULT 'hour',   -- hour | day
    reference_o2 DOUBLE,                -- % O2 of the converted concentration
    valid_from   DATE,
    valid_to     DATE,
    PRIMARY KEY (permit_no, outlet_code, pollutant, period)
);
INSERT INTO permit_limit_012 (permit_no, outlet_code, pollutant, "limit", unit, basis)
    SELECT permit_no, outlet_code, pollutant, "limit", unit, basis FROM permit_limit;
DROP TABLE permit_limit;
ALTER TABLE permit_limit_012 RENAME TO permit_limit;

-- Exceedance events: the converted concentration averaged over the limit's period (valid,
-- unmarked data) above the limit in force; consecutive periods over the limit are one event.
CREATE SEQUENCE exceedance_seq;
CREATE TABLE exceedance (
    id          BIGINT PRIMARY KEY DEFAULT nextval('exceedance_seq'),
    mn          VARCHAR NOT NULL,
    source_code VARCHAR,
    outlet_code VARCHAR,
    pollutant   VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,   -- hour | day
    start       TIMESTAMPTZ NOT NULL,
    "end"       TIMESTAMPTZ NOT NULL,
    peak        DOUBLE NOT NULL,    -- highest period mean (converted, mg/m3)
    "limit"     DOUBLE NOT NULL,
    multiple    DOUBLE NOT NULL,    -- peak / limit
    permit_no   VARCHAR,
    open        BOOLEAN NOT NULL,   -- the last judged period was still over the limit
    found_at    TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
