"""Load station lists and station observations from CSV, Parquet and XLSX files.

Promises:

- **Layouts.** Observations come *long* (station, parameter, time, value[, unit, period, flag])
  or *wide* (station, time, one column per parameter). Headers may be Chinese or English; the
  vocabularies are the CSV tables of :mod:`ecohub.ingest.params`, and ``mapping`` (``--map``)
  overrides them.
- **Stored form.** One ``observation`` row per value, parameter as its HJ 212 code, value in the
  parameter's unit (µg/m³ for air pollutants, mg/m³ for CO, mg/L for water) with the unit on
  the row. Values in another unit of the same kind (CO in µg/m³) are converted.
- **Time.** Naive timestamps are China Standard Time (fixed UTC+8); stored as TIMESTAMPTZ.
- **Missing values** (blank, NA, NaN, ...) are not stored: a row means a measurement.
- **Bad data** never stops a load: each bad row or value goes to the reject list with its row
  number, column and reason; the good ones land.
- **Idempotent.** The write is an upsert on (station_id, parameter, period, time); a value that
  is already stored unchanged is not rewritten. A file whose sha256 is in ``load_log`` is not
  read again (``already_loaded``) unless ``force``; a load that kept no row (every row
  rejected) is not entered there, so the file loads again once the cause is fixed.
- **Vectorised.** Reading is chunked through Arrow, all parsing and checking is SQL.
- **Reviewed.** After the commit, the automatic data review (:mod:`ecohub.supervision.review`)
  flags what the load wrote; the stored values stay exactly as loaded.

The loader is split by job; each step is a module of this package, dependencies pointing down:

- :mod:`~ecohub.ingest.observations`, :mod:`~ecohub.ingest.stations`: the two loads, start to end;
- :mod:`~ecohub.ingest.checks` (validation SQL, rejects), :mod:`~ecohub.ingest.upsert` (the
  write), :mod:`~ecohub.ingest.rejects` (report preview and reject file);
- :mod:`~ecohub.ingest.plan` (headers and options to columns), :mod:`~ecohub.ingest.staging`
  (the staged file, temporary tables), :mod:`~ecohub.ingest.loadlog` (``load_log``);
- :mod:`~ecohub.ingest.report`: :class:`LoadReport`, :class:`Reject`, :class:`LoadError`.

This module is the public entry point; import from here.
"""

from __future__ import annotations

from ecohub.ingest.observations import load_observations
from ecohub.ingest.readers import ProgressFn
from ecohub.ingest.report import LoadError, LoadReport, Reject
from ecohub.ingest.stations import load_stations

__all__ = [
    "LoadError",
    "LoadReport",
    "ProgressFn",
    "Reject",
    "load_observations",
    "load_stations",
]
