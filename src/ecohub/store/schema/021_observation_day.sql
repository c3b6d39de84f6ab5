-- 021: per station-day sums of the observations (ecohub.ingest.daysums), so an aggregate over a
-- region reads one row per station and day instead of every hourly row: a region's daily mean
-- is then sum(total) / sum(n) over the stations inside, exactly the mean of the rows.
-- Only finite values count (NULL, NaN and infinities are left out, as the aggregates do).
-- day is the CST (Asia/Shanghai) calendar day of the observation's time. The loader
-- (ingest.upsert) recomputes the days it changed in the load's own transaction.

CREATE TABLE observation_day (
    station_id  VARCHAR NOT NULL,
    parameter   VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    day         DATE NOT NULL,
    n           BIGINT NOT NULL,        -- finite values that day
    total       DOUBLE NOT NULL,        -- their sum
    lo          DOUBLE NOT NULL,        -- their minimum
    hi          DOUBLE NOT NULL         -- their maximum
);

INSERT INTO observation_day
SELECT station_id, parameter, period, CAST(timezone('Asia/Shanghai', time) AS DATE) AS day,
       count(value), sum(value), min(value), max(value)
FROM observation WHERE isfinite(value)
GROUP BY ALL ORDER BY day, station_id;
