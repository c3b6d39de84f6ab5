-- 005: results of the water assessment (ecohub.analytics.water) and of the trend tests
-- (ecohub.analytics.trend). Natural keys: a recomputation replaces its rows, never doubles them.

-- Class of a section (station) in a month: single factor on the monthly means of its items.
CREATE TABLE water_class_monthly (
    station_id      VARCHAR NOT NULL,
    month           DATE NOT NULL,          -- first day of the month (CST)
    method          VARCHAR NOT NULL,       -- gb3838 | 2011
    waterbody       VARCHAR NOT NULL,       -- river | lake
    grade           VARCHAR NOT NULL,       -- I .. V, 劣V
    class_rank      INTEGER NOT NULL,       -- 1 .. 6
    status          VARCHAR NOT NULL,       -- 优 | 良好 | 轻度污染 | 中度污染 | 重度污染
    deciding        VARCHAR,                -- items whose class is the section's, ';'-separated
    main_pollutants VARCHAR,                -- 2011 method 二（一）3(1), e.g. 'CODMn(1.2);NH3N(0.5)'
    reference       VARCHAR,                -- reference items and their classes, e.g. 'FecalColiform=IV'
    n_samples       BIGINT,
    computed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (station_id, month, method)
);

-- Class of a section in a year: single factor on the means of the monthly means.
CREATE TABLE water_class_annual (
    station_id      VARCHAR NOT NULL,
    year            INTEGER NOT NULL,
    method          VARCHAR NOT NULL,
    waterbody       VARCHAR NOT NULL,
    grade           VARCHAR NOT NULL,
    class_rank      INTEGER NOT NULL,
    status          VARCHAR NOT NULL,
    deciding        VARCHAR,
    main_pollutants VARCHAR,
    reference       VARCHAR,
    n_samples       BIGINT,
    n_months        INTEGER,
    computed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (station_id, year, method)
);

-- Every item behind those classes: its mean, class, 超标倍数 and how often samples exceeded class III.
CREATE TABLE water_item_result (
    station_id      VARCHAR NOT NULL,
    period          VARCHAR NOT NULL,       -- 'YYYY-MM' (month) or 'YYYY' (year)
    method          VARCHAR NOT NULL,
    item            VARCHAR NOT NULL,       -- GB 3838 item key (COD, NH3N, ...)
    role            VARCHAR NOT NULL,       -- graded | reference
    value           DOUBLE NOT NULL,        -- mean concentration (mg/L; pH unitless; count/L)
    grade           VARCHAR NOT NULL,
    exceed          DOUBLE,                 -- (C - C_III) / C_III when worse than class III
    n_samples       BIGINT,
    n_over_iii      BIGINT,                 -- samples whose own value was worse than class III
    computed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (station_id, period, method, item)
);

-- Mann-Kendall / seasonal Kendall test with Sen's slope, per station and parameter.
CREATE TABLE trend_result (
    station_id      VARCHAR NOT NULL,
    parameter       VARCHAR NOT NULL,       -- HJ 212 code
    test            VARCHAR NOT NULL,       -- seasonal_mk | mk
    period_from     DATE NOT NULL,          -- first month of the series
    period_to       DATE NOT NULL,          -- last month of the series
    unit            VARCHAR,
    n               INTEGER NOT NULL,       -- monthly values in the series (missing months excluded)
    s               DOUBLE,
    var_s           DOUBLE,
    z               DOUBLE,
    p               DOUBLE,
    tau             DOUBLE,
    slope_per_year  DOUBLE,                 -- Sen's slope, unit per year
    trend           VARCHAR NOT NULL,       -- increasing | decreasing | no trend | insufficient data
    alpha           DOUBLE NOT NULL,
    note            VARCHAR,                -- why a series was not tested
    computed_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (station_id, parameter, test, period_from, period_to)
);
