"""GCJ-02 ↔ WGS84: moved to :mod:`ecohub.geo.gcj02` (the geometry layer); re-exported here."""

from ecohub.geo.gcj02 import gcj02_to_wgs84, in_china, wgs84_to_gcj02

__all__ = ["gcj02_to_wgs84", "in_china", "wgs84_to_gcj02"]
