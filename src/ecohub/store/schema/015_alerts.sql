-- 015: alerts raised from anomaly findings and exceedance events, and their delivery outbox
-- (ecohub.supervision.alerts; docs/supervision.md "Alerts").

-- One alert per de-duplication key (kind, mn, pollutant, rule) while it is not closed: a new
-- finding or event with the key of an open or acknowledged alert updates it (last_seen,
-- occurrences, peak); after the alert is closed, the next new finding or event opens another.
CREATE SEQUENCE alert_seq;
CREATE TABLE alert (
    id            BIGINT PRIMARY KEY DEFAULT nextval('alert_seq'),
    dedup_key     VARCHAR NOT NULL,   -- kind|mn|pollutant|rule
    kind          VARCHAR NOT NULL,   -- finding | exceedance
    mn            VARCHAR NOT NULL,
    source_code   VARCHAR,
    outlet_code   VARCHAR,
    region_code   VARCHAR,            -- the source's region when raised (channel scope)
    pollutant     VARCHAR NOT NULL,   -- HJ 212 code, '*' for device-wide rules
    rule          VARCHAR NOT NULL,   -- the anomaly rule; hour | day for an exceedance
    severity      VARCHAR NOT NULL,   -- low | medium | high (the highest seen while open)
    state         VARCHAR NOT NULL DEFAULT 'open',   -- open | acknowledged | closed
    first_seen    TIMESTAMPTZ NOT NULL,   -- data time: start of the first finding / event
    last_seen     TIMESTAMPTZ NOT NULL,   -- data time: end of the latest
    occurrences   INTEGER NOT NULL DEFAULT 1,   -- findings / events merged into this alert
    peak          DOUBLE,             -- exceedance: highest multiple of the limit; finding: max
    active        BOOLEAN NOT NULL,   -- the latest finding / event was still going on
    detail        JSON,               -- the latest evidence
    raised_at     TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    acked_by      VARCHAR,
    acked_at      TIMESTAMPTZ,
    ack_comment   VARCHAR,
    closed_by     VARCHAR,
    closed_at     TIMESTAMPTZ,
    close_comment VARCHAR
);

-- Which finding (anomaly.id) or event (exceedance.id) fed which alert, and the version of it
-- already taken (its updated_at): raising reads only rows that are new or changed since.
CREATE TABLE alert_source (
    kind           VARCHAR NOT NULL,   -- finding | exceedance
    ref_id         BIGINT NOT NULL,
    alert_id       BIGINT NOT NULL,
    ref_updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (kind, ref_id)
);

-- The outbox: one delivery per alert and channel (channels are settings: alert_channels).
-- The dispatcher of `ecohub up` sends what is due and retries with exponential back-off.
CREATE SEQUENCE alert_delivery_seq;
CREATE TABLE alert_delivery (
    id           BIGINT PRIMARY KEY DEFAULT nextval('alert_delivery_seq'),
    alert_id     BIGINT NOT NULL,
    channel      VARCHAR NOT NULL,
    event        VARCHAR NOT NULL,    -- opened
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try     TIMESTAMPTZ NOT NULL,
    last_error   VARCHAR,
    delivered_at TIMESTAMPTZ,
    created_at   TIMESTAMPTZ NOT NULL
);
