-- 022: `<table>_all` has the lake's partition columns `month` and `bucket` (NULL on hot rows), as
-- ecohub.store.lake.history_sql defines it once a lake is attached, so readers can name the
-- partitions a time range or a device needs (ecohub.store.lake.partition_where) whether or not
-- a lake is attached yet.
CREATE OR REPLACE VIEW emission_all AS
    SELECT *, NULL::VARCHAR AS month, NULL::VARCHAR AS bucket FROM emission;
CREATE OR REPLACE VIEW observation_all AS
    SELECT *, NULL::VARCHAR AS month, NULL::VARCHAR AS bucket FROM observation;
