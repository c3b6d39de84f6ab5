-- 023: `source.hkey`, the order OGC pages of sources walk (ecohub.geo.storage): the point's cell
-- on a Hilbert curve over China's box in the high 32 bits, a number from `source_hkey_seq` in the
-- low 32, so every row's key is unique. A row inserted without one (a bulk load by SQL, a test)
-- gets the next number alone: it pages first, in insertion order, until `ecohub geo reorder`
-- gives it its cell. Rows already stored are numbered in their storage order (the registry
-- stored them along the curve already), so their pages keep following the file.
--
-- The table is rebuilt rather than altered: DuckDB 1.4 cannot replay an `ALTER TABLE ... ADD
-- COLUMN ... DEFAULT nextval(...)` from its write-ahead log ("GetDefaultDatabase with no default
-- database set"), so a crash before the next checkpoint would leave a store that does not open.
-- Nothing references `source` by key or index.
CREATE SEQUENCE IF NOT EXISTS source_hkey_seq;
CREATE TABLE source_023 (
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
    valid_to    TIMESTAMPTZ,
    merged_into VARCHAR,
    code_kind   VARCHAR,
    n_records   INTEGER,
    updated_at  TIMESTAMPTZ,
    hkey        UBIGINT NOT NULL DEFAULT nextval('source_hkey_seq')
);
INSERT INTO source_023 (source_code, uscc, name, address, region_code, industry, lon, lat, status,
                        valid_from, valid_to, merged_into, code_kind, n_records, updated_at)
    SELECT source_code, uscc, name, address, region_code, industry, lon, lat, status,
           valid_from, valid_to, merged_into, code_kind, n_records, updated_at
    FROM source ORDER BY rowid;
DROP TABLE source;
ALTER TABLE source_023 RENAME TO source;
