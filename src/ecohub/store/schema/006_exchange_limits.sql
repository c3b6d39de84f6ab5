-- 006: HJ 212 issue-9 columns and tables: below-detection values, incomplete subpacket uploads,
-- the parts of split uploads still waiting for the rest, and capped raw bytes in packet_log.

-- A value written with a trailing L (`0.01L`) is below the detection limit: the numeric column
-- holds the limit and below_detection is TRUE. Which of the row's fields were so written is in
-- `fields` (the text as sent ends in L): not a column of its own, because every column costs
-- each group commit (measured: docs/benchmarks.md, issue 9).
ALTER TABLE emission ADD COLUMN below_detection BOOLEAN DEFAULT FALSE;
-- TRUE when the row comes from a split upload (PNUM/PNO) of which not every part arrived before
-- hj212_subpacket_timeout_s: what arrived is kept, marked.
ALTER TABLE emission ADD COLUMN incomplete BOOLEAN DEFAULT FALSE;

-- packet_log gains raw_size: the bytes of the bad input in all; raw holds them all, or only the
-- first ones once the peer's or the server's raw-log budget is spent (hj212_raw_log_*).
-- Rebuilt rather than altered: DuckDB 1.4 cannot replay from its write-ahead log an ALTER TABLE
-- ADD COLUMN on a table whose default calls a function (id's nextval), so a kill -9 after
-- this migration would leave a store that does not open.
CREATE TABLE packet_log_006 (
    id          BIGINT PRIMARY KEY DEFAULT nextval('packet_log_seq'),
    received_at TIMESTAMPTZ NOT NULL,
    peer        VARCHAR,
    mn          VARCHAR,
    raw         BLOB NOT NULL,
    status      VARCHAR NOT NULL,   -- rejected | disconnected | ...
    error       VARCHAR,            -- ProtocolError subclass name, or the limit that cut the peer
    reason      VARCHAR,
    would_pass  VARCHAR,            -- known deviation under which it would be accepted, if any
    raw_size    BIGINT              -- bytes received in all (raw may hold only the first ones)
);
INSERT INTO packet_log_006
    SELECT id, received_at, peer, mn, raw, status, error, reason, would_pass, octet_length(raw)
    FROM packet_log;
DROP TABLE packet_log;
ALTER TABLE packet_log_006 RENAME TO packet_log;
CREATE INDEX packet_log_mn ON packet_log (mn);

-- Parts of split uploads (PNUM > 1) received and answered, waiting for the rest. A part is
-- stored before it is answered; the whole goes to `emission` (and its parts are deleted) in one
-- transaction when the last part arrives or the reassembly times out.
CREATE TABLE hj212_subpacket_part (
    mn          VARCHAR NOT NULL,
    cn          VARCHAR NOT NULL,
    data_time   TIMESTAMPTZ NOT NULL,
    pnum        INTEGER NOT NULL,
    pno         INTEGER NOT NULL,
    cp          JSON NOT NULL,      -- the part's pollutant fields, {code: {field: text}}, as sent
    qn          VARCHAR,
    st          VARCHAR,
    edition     VARCHAR,
    deviation   VARCHAR,
    registered  BOOLEAN NOT NULL,
    peer        VARCHAR,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (mn, cn, data_time, pnum, pno)
);
