-- 013: the resource catalog (ecohub.catalog): every table and data product as a resource with the
-- core metadata of the national government information-resource catalog guide (政务信息资源目录
-- 编制指南, on GB/T 21063), its coverage, its lineage, conditional-sharing applications and
-- decisions, open-data publication, and the full-text index.
-- No LIST columns and no foreign keys (see 008_access.sql); rows that change are replaced whole
-- (INSERT OR REPLACE) or new rows are appended, so no UPDATE conflicts with a reader.

CREATE TABLE catalog_resource (
    code               VARCHAR PRIMARY KEY,  -- 信息资源代码: 分类码-顺序码, stable
    class_code         VARCHAR NOT NULL,     -- 分类码: 类(1) 项(2) 目(3) 细目(2)
    theme              VARCHAR NOT NULL,     -- 环境质量 | 污染源 | 自然生态 | 核与辐射 | 应急管理 | 政务管理
    subtheme           VARCHAR,
    name_zh            VARCHAR NOT NULL,
    name_en            VARCHAR NOT NULL,
    provider_code      VARCHAR NOT NULL,     -- 信息资源提供方代码
    provider           VARCHAR NOT NULL,     -- 信息资源提供方
    kind               VARCHAR NOT NULL,     -- table | product
    table_name         VARCHAR NOT NULL,     -- the store table holding its rows
    row_filter         VARCHAR,              -- products: SQL predicate over that table
    abstract_zh        VARCHAR NOT NULL,     -- 信息资源摘要
    abstract_en        VARCHAR NOT NULL,
    format             VARCHAR NOT NULL,     -- 信息资源格式
    sharing_type       VARCHAR NOT NULL,     -- 无条件共享 | 有条件共享 | 不予共享
    sharing_conditions VARCHAR,              -- 共享条件
    sharing_method     VARCHAR,              -- 共享方式
    open_type          VARCHAR NOT NULL,     -- 无条件开放 | 有条件开放 | 不予开放
    update_cycle       VARCHAR NOT NULL,     -- 实时 | 每小时 | 每日 | 每月 | 每年 | 不定期
    published_on       DATE,                 -- 发布日期
    related            VARCHAR,              -- 关联资源代码, space-separated
    licence            VARCHAR,
    origin             VARCHAR NOT NULL,     -- builtin | registered | discovered
    defined_at         TIMESTAMPTZ NOT NULL
);

-- 信息项: one row per column (name, type from the store; Chinese name, unit, standard from data).
CREATE TABLE catalog_item (
    code      VARCHAR NOT NULL,
    position  INTEGER NOT NULL,
    name      VARCHAR NOT NULL,
    name_zh   VARCHAR,
    data_type VARCHAR NOT NULL,
    unit      VARCHAR,
    standard  VARCHAR,               -- the standard the item follows (HJ 212-2017, GB/T 2260, ...)
    PRIMARY KEY (code, name)
);

-- Coverage as last refreshed (replaced whole by each refresh).
CREATE TABLE catalog_coverage (
    code         VARCHAR PRIMARY KEY,
    rows         BIGINT,
    time_from    TIMESTAMPTZ,
    time_to      TIMESTAMPTZ,
    regions      VARCHAR,            -- GB/T 2260 codes of the rows, space-separated (first 200)
    n_regions    INTEGER,
    lon_min      DOUBLE,
    lat_min      DOUBLE,
    lon_max      DOUBLE,
    lat_max      DOUBLE,
    refreshed_at TIMESTAMPTZ NOT NULL
);

-- Lineage: a run produced (a version of) a resource from inputs.
CREATE TABLE catalog_run (
    run_id        VARCHAR PRIMARY KEY,
    resource_code VARCHAR NOT NULL,
    kind          VARCHAR NOT NULL,      -- load | hj212-ingest | job | link-run | analytics | ...
    actor         VARCHAR,
    params        JSON,
    started_at    TIMESTAMPTZ,
    recorded_at   TIMESTAMPTZ NOT NULL,
    derived       BOOLEAN NOT NULL       -- TRUE: read back from what the store recorded
);
CREATE INDEX catalog_run_resource ON catalog_run (resource_code);

CREATE TABLE catalog_run_input (
    run_id     VARCHAR NOT NULL,
    input_kind VARCHAR NOT NULL,         -- file | device | resource | job | run
    input_ref  VARCHAR NOT NULL,         -- sha256 | MN | resource code | job id | run id
    detail     JSON,                     -- path, rows, first/last time, ...
    PRIMARY KEY (run_id, input_kind, input_ref)
);

-- Full-text index (ecohub.catalog.search): Latin words and CJK character bigrams per resource.
CREATE TABLE catalog_term (
    code VARCHAR NOT NULL,
    term VARCHAR NOT NULL,
    tf   INTEGER NOT NULL,
    PRIMARY KEY (code, term)
);
CREATE INDEX catalog_term_term ON catalog_term (term);

-- Conditional sharing: applications, and the administrator's decision on each (append-only).
CREATE TABLE catalog_application (
    id            VARCHAR PRIMARY KEY,
    resource_code VARCHAR NOT NULL,
    applicant     VARCHAR NOT NULL,      -- user name
    filed_by      VARCHAR NOT NULL,      -- who submitted it (the applicant, or an admin for them)
    purpose       VARCHAR NOT NULL,
    region        VARCHAR NOT NULL,      -- GB/T 2260 code of the scope asked for
    valid_from    DATE NOT NULL,
    valid_to      DATE NOT NULL,         -- last day of access (inclusive)
    submitted_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE catalog_decision (
    application_id VARCHAR PRIMARY KEY,
    decision       VARCHAR NOT NULL,     -- grant | refuse
    decided_by     VARCHAR NOT NULL,
    decided_at     TIMESTAMPTZ NOT NULL,
    reason         VARCHAR,
    region         VARCHAR,              -- granted scope (may narrow the application's)
    valid_from     DATE,
    valid_to       DATE
);

-- Open-data publication: one row per publish / withdraw action; the newest one counts.
CREATE SEQUENCE catalog_publication_seq;
CREATE TABLE catalog_publication (
    id        BIGINT PRIMARY KEY DEFAULT nextval('catalog_publication_seq'),
    code      VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,          -- publish | withdraw
    actor     VARCHAR NOT NULL,
    acted_at  TIMESTAMPTZ NOT NULL
);
