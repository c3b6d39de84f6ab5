-- 001: the tables of the foundation (exchange + stations). Times are TIMESTAMPTZ (data in CST, UTC+8).

CREATE TABLE region (
    code        VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL,
    name_en     VARCHAR,
    level       VARCHAR,            -- province | prefecture | county | basin | key_region | custom
    parent_code VARCHAR,
    kind        VARCHAR NOT NULL DEFAULT 'division',
    geom_wkt    VARCHAR
);

CREATE TABLE station (
    station_id  VARCHAR PRIMARY KEY,
    name        VARCHAR,
    name_en     VARCHAR,
    network     VARCHAR NOT NULL DEFAULT 'air',
    region_code VARCHAR,
    basin       VARCHAR,
    waterbody   VARCHAR,            -- river | lake (surface water stations)
    lon         DOUBLE,
    lat         DOUBLE,
    attrs       JSON,
    source      VARCHAR
);

CREATE TABLE observation (
    station_id  VARCHAR NOT NULL,
    parameter   VARCHAR NOT NULL,   -- HJ 212 code, e.g. a34004 (PM2.5)
    period      VARCHAR NOT NULL,   -- 1h | 8h | 24h | ...
    time        TIMESTAMPTZ NOT NULL, -- start of the averaging period
    value       DOUBLE,
    unit        VARCHAR NOT NULL,
    flag        VARCHAR,
    source      VARCHAR,
    PRIMARY KEY (station_id, parameter, period, time)
);

CREATE TABLE source (
    source_code VARCHAR PRIMARY KEY,
    uscc        VARCHAR,
    name        VARCHAR,
    address     VARCHAR,
    region_code VARCHAR,
    industry    VARCHAR,
    lon         DOUBLE,
    lat         DOUBLE,
    status      VARCHAR DEFAULT 'active',
    valid_from  TIMESTAMPTZ,
    valid_to    TIMESTAMPTZ
);

CREATE TABLE outlet (
    outlet_code VARCHAR NOT NULL,   -- DA001 / DW001 within the source
    source_code VARCHAR NOT NULL,
    medium      VARCHAR NOT NULL,   -- gas | water
    name        VARCHAR,
    lon         DOUBLE,
    lat         DOUBLE,
    PRIMARY KEY (source_code, outlet_code)
);

-- One row per HJ 212 data-acquisition unit (MN). last_seen and online state are kept by ingest.
CREATE TABLE monitor_point (
    mn             VARCHAR PRIMARY KEY,
    source_code    VARCHAR,
    outlet_code    VARCHAR,
    st             VARCHAR,
    name           VARCHAR,
    pw             VARCHAR,          -- access password when configured; NULL = not checked
    policy         VARCHAR NOT NULL DEFAULT 'strict',  -- strict | lenient
    registered     BOOLEAN NOT NULL DEFAULT TRUE,
    interval_s     INTEGER,          -- expected reporting/heartbeat interval
    edition        VARCHAR,          -- HJ 212 edition last seen from this device
    last_seen      TIMESTAMPTZ,
    last_cn        VARCHAR,
    last_peer      VARCHAR
);

CREATE TABLE emission (
    mn          VARCHAR NOT NULL,
    cn          VARCHAR NOT NULL,
    data_time   TIMESTAMPTZ NOT NULL,
    pollutant   VARCHAR NOT NULL,   -- HJ 212-2017/2025 code (2005 codes mapped on ingest)
    rtd         DOUBLE,
    avg         DOUBLE,
    min         DOUBLE,
    max         DOUBLE,
    cou         DOUBLE,
    zs_rtd      DOUBLE,
    zs_avg      DOUBLE,
    flag        VARCHAR,
    fields      JSON,               -- every field of this pollutant, text exactly as sent
    qn          VARCHAR,
    st          VARCHAR,
    edition     VARCHAR,
    deviation   VARCHAR,            -- NULL = strict; else the known deviation it was accepted under
    registered  BOOLEAN NOT NULL DEFAULT TRUE,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (mn, cn, data_time, pollutant)
);

-- Every rejected packet, verbatim (hex too, since it may not be text).
CREATE SEQUENCE packet_log_seq;
CREATE TABLE packet_log (
    id          BIGINT PRIMARY KEY DEFAULT nextval('packet_log_seq'),
    received_at TIMESTAMPTZ NOT NULL,
    peer        VARCHAR,
    mn          VARCHAR,
    raw         BLOB NOT NULL,
    status      VARCHAR NOT NULL,   -- rejected | disconnected | ...
    error       VARCHAR,            -- ProtocolError subclass name
    reason      VARCHAR,
    would_pass  VARCHAR             -- known deviation under which it would be accepted, if any
);
CREATE INDEX packet_log_mn ON packet_log (mn);

-- Messages stored verbatim that the platform does not turn into rows (1001, 1014, 3020, answers, ...).
CREATE SEQUENCE hj212_message_seq;
CREATE TABLE hj212_message (
    id          BIGINT PRIMARY KEY DEFAULT nextval('hj212_message_seq'),
    received_at TIMESTAMPTZ NOT NULL,
    peer        VARCHAR,
    mn          VARCHAR,
    st          VARCHAR,
    cn          VARCHAR,
    qn          VARCHAR,
    edition     VARCHAR,
    deviation   VARCHAR,
    raw         VARCHAR NOT NULL
);

-- One row per file load, so a reload of the same file is recognised.
CREATE TABLE load_log (
    file_sha256 VARCHAR NOT NULL,
    kind        VARCHAR NOT NULL,   -- stations | observations | registry:<system> | ...
    path        VARCHAR,
    loaded_at   TIMESTAMPTZ NOT NULL,
    rows_ok     BIGINT,
    rows_rejected BIGINT,
    PRIMARY KEY (file_sha256, kind)
);
