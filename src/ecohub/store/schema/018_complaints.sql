-- 018: 12369 environmental complaints (ecohub.complaints): the complaints as loaded and
-- classified, repeat chains, spatio-temporal hot spots and candidate sources.

-- One row per complaint. complaint_id is the file's ticket number (工单号) when it has one, else
-- 'C' + the first 16 hex digits of sha256(received_at | text | address): a reload never doubles.
CREATE TABLE IF NOT EXISTS complaint (
    complaint_id  VARCHAR PRIMARY KEY,
    received_at   TIMESTAMPTZ NOT NULL,
    channel       VARCHAR,             -- 12369 hotline | WeChat | web | letter | ... (as given)
    text          VARCHAR NOT NULL,
    address       VARCHAR,
    address_norm  VARCHAR,             -- normalised, without the leading division names
    region_code   VARCHAR,             -- GB/T 2260 county (or coarser) from the point or address
    region_from   VARCHAR,             -- point | address | given
    lon           DOUBLE,              -- WGS84 (GCJ-02 input converted at load)
    lat           DOUBLE,
    result        VARCHAR,             -- handling result (办理结果), as given
    category      VARCHAR NOT NULL,    -- air | water | noise | solid_waste | soil | radiation | ecology | other
    topic         VARCHAR NOT NULL,    -- finer topic of complaints/data/topics.csv, or 'other'
    confidence    DOUBLE,              -- share of the winning category in the rule scores
    matched       VARCHAR,             -- the rule keywords that matched, ' '-separated
    repeat_of     VARCHAR,             -- first complaint of its repeat chain (NULL: not a repeat)
    hotspot_id    VARCHAR,             -- hot spot it belongs to (NULL: none)
    source_file   VARCHAR,
    row_hash      VARCHAR NOT NULL,    -- of the stored fields: an unchanged reload writes nothing
    loaded_at     TIMESTAMPTZ NOT NULL
);

-- Interface with the source profile and risk score (ecohub enterprise work, migration 017 has the
-- identical statement): candidate sources per complaint. received_at is the complaint's time in
-- China Standard Time, without zone, so month boundaries are CST months.
CREATE TABLE IF NOT EXISTS complaint_source (complaint_id VARCHAR, source_code VARCHAR, received_at TIMESTAMP, topic VARCHAR, distance_m DOUBLE, score DOUBLE);

-- Why a source is a candidate for a complaint: distance, industry fit, wind. Rebuilt with
-- complaint_source by every analysis run.
CREATE TABLE IF NOT EXISTS complaint_candidate (
    complaint_id  VARCHAR NOT NULL,
    source_code   VARCHAR NOT NULL,
    distance_m    DOUBLE NOT NULL,
    industry_fit  DOUBLE NOT NULL,     -- 0..1 from complaints/data/topic_industries.csv
    upwind        BOOLEAN,             -- NULL: no wind observation near the complaint's time
    score         DOUBLE NOT NULL,
    rank          INTEGER NOT NULL,
    PRIMARY KEY (complaint_id, source_code)
);

-- Spatio-temporal hot spots (DBSCAN per category and time window; docs/complaints.md).
CREATE TABLE IF NOT EXISTS complaint_hotspot (
    hotspot_id    VARCHAR PRIMARY KEY,
    category      VARCHAR NOT NULL,
    topic         VARCHAR NOT NULL,    -- the most frequent topic of its complaints
    region_code   VARCHAR,             -- the most frequent region of its complaints
    lon           DOUBLE NOT NULL,     -- centroid, WGS84
    lat           DOUBLE NOT NULL,
    radius_m      DOUBLE NOT NULL,     -- farthest member from the centroid
    first_at      TIMESTAMPTZ NOT NULL,
    last_at       TIMESTAMPTZ NOT NULL,
    n_complaints  INTEGER NOT NULL,
    computed_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS complaint_hotspot_source (
    hotspot_id    VARCHAR NOT NULL,
    source_code   VARCHAR NOT NULL,
    distance_m    DOUBLE NOT NULL,     -- from the hot spot's centroid
    industry_fit  DOUBLE NOT NULL,
    score         DOUBLE NOT NULL,
    rank          INTEGER NOT NULL,
    PRIMARY KEY (hotspot_id, source_code)
);
