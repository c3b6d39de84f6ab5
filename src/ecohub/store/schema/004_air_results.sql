-- 004: results of the air analytics (ecohub.analytics.air / air_stats), recomputable from
-- observation at any time (`ecohub air compute`). scope = 'station' (code = station_id) or
-- 'city' (code = GB/T 2260 city code, see ecohub.analytics.regions). edition = HJ 633 edition.

CREATE TABLE air_hourly_aqi (
    scope       VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    time        TIMESTAMPTZ NOT NULL,   -- start of the hour (CST)
    edition     SMALLINT,
    so2_1h DOUBLE, no2_1h DOUBLE, pm10_1h DOUBLE, co_1h DOUBLE, o3_1h DOUBLE, pm25_1h DOUBLE,
    o3_8h DOUBLE, so2_24h DOUBLE, pm10_24h DOUBLE, pm25_24h DOUBLE,   -- moving means
    iaqi_so2 BIGINT, iaqi_no2 BIGINT, iaqi_pm10 BIGINT, iaqi_co BIGINT, iaqi_o3 BIGINT, iaqi_pm25 BIGINT,
    aqi         BIGINT,
    level       TINYINT,
    category    VARCHAR,
    primary_pollutants VARCHAR,        -- ';'-joined, AQI > 50 only
    complete    BOOLEAN,
    published   VARCHAR,               -- the AQI, or 'NA' where HJ 633-2026 withholds it
    PRIMARY KEY (scope, code, time)
);

CREATE TABLE air_daily (
    scope       VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    date        DATE NOT NULL,          -- CST calendar day
    edition     SMALLINT,
    so2_24h DOUBLE, no2_24h DOUBLE, pm10_24h DOUBLE, co_24h DOUBLE,
    o3_1h DOUBLE,                       -- daily maximum 1-h
    o3_8h DOUBLE,                       -- daily maximum 8-h
    pm25_24h DOUBLE,
    n_so2 INTEGER, n_no2 INTEGER, n_pm10 INTEGER, n_co INTEGER, n_o3 INTEGER, n_pm25 INTEGER,
    n_o3_8h INTEGER,                    -- valid 8-h means among the day's 17
    iaqi_so2 BIGINT, iaqi_no2 BIGINT, iaqi_pm10 BIGINT, iaqi_co BIGINT, iaqi_o3 BIGINT, iaqi_pm25 BIGINT,
    aqi         BIGINT,
    level       TINYINT,
    category    VARCHAR,
    primary_pollutants VARCHAR,
    complete    BOOLEAN,
    published   VARCHAR,
    PRIMARY KEY (scope, code, date)
);

-- HJ 663 statistics per calendar year (month = 0) or month.
CREATE TABLE air_period_stat (
    scope       VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    year        INTEGER NOT NULL,
    month       INTEGER NOT NULL,       -- 0 = the whole year
    pollutant   VARCHAR NOT NULL,
    statistic   VARCHAR NOT NULL,       -- mean | p95 | p90
    value       DOUBLE,
    n_days      INTEGER,
    valid       BOOLEAN,
    PRIMARY KEY (scope, code, year, month, pollutant)
);

-- Days per AQI level per year (month = 0) or month, under the HJ 633 edition in force.
CREATE TABLE air_category_days (
    scope       VARCHAR NOT NULL,
    code        VARCHAR NOT NULL,
    year        INTEGER NOT NULL,
    month       INTEGER NOT NULL,
    days INTEGER, days_incomplete INTEGER, good_days INTEGER, good_ratio DOUBLE,
    level1 INTEGER, level2 INTEGER, level3 INTEGER, level4 INTEGER, level5 INTEGER, level6 INTEGER,
    primary_so2 INTEGER, primary_no2 INTEGER, primary_pm10 INTEGER, primary_co INTEGER,
    primary_o3 INTEGER, primary_pm25 INTEGER,
    PRIMARY KEY (scope, code, year, month)
);
