-- 011: geometry for regions (ecohub.geo). Boundaries are stored as OGC WKB in WGS84 (lon/lat,
-- EPSG:4326) rather than as DuckDB spatial's GEOMETRY type: that type exists only while the
-- spatial extension is loaded, and loading it costs every connection ~0.3 s (docs/geo.md).
ALTER TABLE region DROP COLUMN geom_wkt;
ALTER TABLE region ADD COLUMN geom_wkb BLOB;     -- WGS84 polygon / multipolygon, exterior rings CCW
ALTER TABLE region ADD COLUMN xmin DOUBLE;       -- bounding box, for a cheap first filter
ALTER TABLE region ADD COLUMN ymin DOUBLE;
ALTER TABLE region ADD COLUMN xmax DOUBLE;
ALTER TABLE region ADD COLUMN ymax DOUBLE;
ALTER TABLE region ADD COLUMN leaf BOOLEAN;      -- a finest division (county level) of the set
ALTER TABLE region ADD COLUMN source VARCHAR;    -- where the boundary or the definition comes from
ALTER TABLE region ADD COLUMN loaded_at TIMESTAMPTZ;

-- Members of a key region (divisions), as its defining document lists them.
CREATE TABLE region_member (
    region_code VARCHAR NOT NULL,
    member_code VARCHAR NOT NULL,
    PRIMARY KEY (region_code, member_code)
);

-- Which boundary set is installed; a new package version is re-installed on first need.
CREATE TABLE boundary_set (
    name        VARCHAR PRIMARY KEY,
    version     VARCHAR NOT NULL,
    datum       VARCHAR NOT NULL,
    regions     INTEGER NOT NULL,
    loaded_at   TIMESTAMPTZ NOT NULL
);
