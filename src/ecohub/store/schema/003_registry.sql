-- 003: the unified fixed-pollution-source registry (ecohub.registry).
-- Rules (docs/design.md, "Registry"): a source code never changes once issued; merges retire a
-- code as merged_into another; splits issue a new code for the part that leaves; every change is
-- a row of source_event.

-- Registry bookkeeping on the foundation's source table.
ALTER TABLE source ADD COLUMN merged_into VARCHAR;   -- set when status = 'merged'
ALTER TABLE source ADD COLUMN code_kind VARCHAR;     -- hj608 (USCC based) | provisional (H9…)
ALTER TABLE source ADD COLUMN n_records INTEGER;
ALTER TABLE source ADD COLUMN updated_at TIMESTAMPTZ;

-- What each contributing system said about a source, verbatim and normalised.
CREATE TABLE source_record (
    system            VARCHAR NOT NULL,
    record_id         VARCHAR NOT NULL,
    name              VARCHAR,
    uscc              VARCHAR,          -- as sent
    address           VARCHAR,
    region_code_raw   VARCHAR,          -- as sent
    legal_rep         VARCHAR,
    industry          VARCHAR,
    lon               DOUBLE,           -- as sent (datum: see crs)
    lat               DOUBLE,
    crs               VARCHAR,          -- wgs84 | gcj02, declared at load
    permit_no         VARCHAR,
    mn                VARCHAR,
    name_norm         VARCHAR,          -- width/bracket/space/traditional normalised
    name_core         VARCHAR,          -- name_norm without region prefix and legal-form suffix
    uscc_norm         VARCHAR,          -- compacted code, only when the check character holds
    uscc_body         VARCHAR,          -- first 17 characters of an 18-character code (weak signal)
    uscc_status       VARCHAR NOT NULL, -- valid | bad_check | bad_format | bad_length | missing
    region_code       VARCHAR,          -- GB/T 2260 code, given or resolved from the address
    address_norm      VARCHAR,
    lon_wgs           DOUBLE,           -- WGS84; NULL when outside China or missing
    lat_wgs           DOUBLE,
    source_code       VARCHAR,
    match_probability DOUBLE,           -- best link probability into its cluster
    linked_at         TIMESTAMPTZ,
    flags             VARCHAR,          -- comma-separated: bad_check,coords_outside_china,...
    row_hash          VARCHAR NOT NULL, -- of the raw fields: reload detection
    file_sha256       VARCHAR,
    loaded_at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (system, record_id)
);

-- Issued source-code sequences: per USCC (HJ 608) or per H9+region prefix (provisional).
CREATE TABLE source_code_seq (
    prefix   VARCHAR PRIMARY KEY,
    last_seq INTEGER NOT NULL
);

-- History of every code: issue | merge | split | attach | decision. Append-only.
CREATE SEQUENCE source_event_seq;
CREATE TABLE source_event (
    id          BIGINT PRIMARY KEY DEFAULT nextval('source_event_seq'),
    "at"        TIMESTAMPTZ NOT NULL,
    kind        VARCHAR NOT NULL,
    source_code VARCHAR NOT NULL,
    other_code  VARCHAR,               -- merge: the retired code; split: the code split from
    records     VARCHAR[],             -- "system:record_id" of the records concerned
    reason      VARCHAR,
    actor       VARCHAR NOT NULL,
    run_id      VARCHAR
);

-- Human decisions on pairs; (a) < (b) in (system, record_id) order. Respected by every run.
CREATE TABLE review_decision (
    system_a  VARCHAR NOT NULL,
    record_a  VARCHAR NOT NULL,
    system_b  VARCHAR NOT NULL,
    record_b  VARCHAR NOT NULL,
    decision  VARCHAR NOT NULL,        -- match | nonmatch
    "by"      VARCHAR NOT NULL,
    "at"      TIMESTAMPTZ NOT NULL,
    note      VARCHAR,
    PRIMARY KEY (system_a, record_a, system_b, record_b)
);

-- Pairs of the last link run in the review band, awaiting a decision.
CREATE TABLE review_pair (
    system_a          VARCHAR NOT NULL,
    record_a          VARCHAR NOT NULL,
    system_b          VARCHAR NOT NULL,
    record_b          VARCHAR NOT NULL,
    match_probability DOUBLE NOT NULL,
    run_id            VARCHAR NOT NULL,
    PRIMARY KEY (system_a, record_a, system_b, record_b)
);

CREATE TABLE link_run (
    run_id      VARCHAR PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    engine      VARCHAR NOT NULL,
    actor       VARCHAR NOT NULL,
    n_records   BIGINT,
    n_pairs     BIGINT,
    n_clusters  BIGINT,
    params      JSON                   -- trained Splink model and thresholds
);

CREATE TABLE permit (
    permit_no   VARCHAR PRIMARY KEY,
    source_code VARCHAR,
    valid_from  DATE,
    valid_to    DATE,
    system      VARCHAR,
    record_id   VARCHAR
);

CREATE TABLE permit_limit (
    permit_no   VARCHAR NOT NULL,
    outlet_code VARCHAR NOT NULL,
    pollutant   VARCHAR NOT NULL,      -- HJ 212 code
    "limit"     DOUBLE,
    unit        VARCHAR,
    basis       VARCHAR,               -- the emission standard the limit comes from
    PRIMARY KEY (permit_no, outlet_code, pollutant)
);
