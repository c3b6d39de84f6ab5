-- 017: enforcement cases and EIA approvals (ecohub.enterprise), and the complaint links the
-- risk score reads.
-- Neither table holds a source code: each row is also a registry record (system 'enforcement'
-- or 'eia_approval', record_id = the row's id) and takes the source code the registry's
-- linkage gives that record, so a later link run or review decision moves it with the registry.

CREATE TABLE enforcement_case (
    case_id         VARCHAR PRIMARY KEY,   -- the file's case number, or derived (docs/enterprise.md)
    case_date       DATE NOT NULL,         -- inspection or decision date
    unit_name       VARCHAR NOT NULL,
    uscc            VARCHAR,               -- as sent
    address         VARCHAR,
    violation_type  VARCHAR,               -- empty: an inspection that found nothing
    legal_basis     VARCHAR,
    penalty_yuan    DOUBLE,                -- yuan; NULL: no penalty
    status          VARCHAR NOT NULL,      -- open | closed
    status_raw      VARCHAR,               -- as sent
    row_hash        VARCHAR NOT NULL,
    file_sha256     VARCHAR,
    loaded_at       TIMESTAMPTZ NOT NULL
);

CREATE TABLE eia_approval (
    approval_no     VARCHAR PRIMARY KEY,   -- 批复文号
    approval_date   DATE NOT NULL,
    project         VARCHAR NOT NULL,
    unit_name       VARCHAR NOT NULL,
    uscc            VARCHAR,
    address         VARCHAR,
    capacity        VARCHAR,               -- as sent (free text: "年产 30 万吨")
    industry        VARCHAR,               -- GB/T 4754 code when the file gives one
    row_hash        VARCHAR NOT NULL,
    file_sha256     VARCHAR,
    loaded_at       TIMESTAMPTZ NOT NULL
);

-- Written by the complaints work (migration 018 has the same statement); the risk score counts
-- its rows per source and month.
CREATE TABLE IF NOT EXISTS complaint_source (complaint_id VARCHAR, source_code VARCHAR, received_at TIMESTAMP, topic VARCHAR, distance_m DOUBLE, score DOUBLE);
