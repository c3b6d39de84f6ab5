-- 016: departments on users and applications; devices seen by HJ 212 ingest (lineage).
--
-- A user belongs to a department (部门: name and code, e.g. 市生态环境局执法支队 / D0105): a
-- grant of conditional sharing is between departments, so an application records the department
-- of its applicant at the time it was filed (a user may move later; the record must not).
ALTER TABLE app_user ADD COLUMN department_code VARCHAR;
ALTER TABLE app_user ADD COLUMN department_name VARCHAR;
ALTER TABLE catalog_application ADD COLUMN applicant_department_code VARCHAR;
ALTER TABLE catalog_application ADD COLUMN applicant_department_name VARCHAR;

-- Lineage of the HJ 212 tables: which devices (MN) made rows of which table, first and last
-- seen and how many packets. The ingest writer upserts it with its periodic last-seen flush
-- (one row per table and MN, not a row per packet), so ingest stays fast.
CREATE TABLE catalog_device (
    table_name VARCHAR NOT NULL,   -- emission | hj212_message | packet_log
    mn         VARCHAR NOT NULL,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL,
    packets    BIGINT NOT NULL,
    PRIMARY KEY (table_name, mn)
);
