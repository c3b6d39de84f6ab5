"""What the air analytics accept: the six HJ 633 pollutants by HJ 212 code, their units,
the data flags that make a value valid, and the checks run before any index is computed.

Bad input never becomes a silently wrong index: a structural problem (duplicated keys,
a non-numeric value column, a unit that is not the pollutant's, an unknown HJ 212 code)
raises :class:`AirInputError`; a bad *value* (negative, NaN, infinite, flagged) is
counted and treated as missing, which the HJ 663 validity rules then see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

import ibis
import ibis.expr.types as ir
import pandas as pd

from ecohub.analytics._floats import infinite
from ecohub.analytics.aqi import POLLUTANT_COLUMNS, usable, usable_mask
from ecohub.analytics.detection import counted_value
from ecohub.protocols.hj212.codes import pollutant as hj212_pollutant
from ecohub.standards.aqi import pollutant_name
from ecohub.standards.editions import load_table

__all__ = [
    "CODES",
    "REVIEW_KEYS",
    "AirInputError",
    "InputReport",
    "check_keys",
    "check_observations",
    "exclude_flagged",
    "grid_value",
    "plausible_time",
    "review_set_aside",
    "valid_flag_sql",
    "valid_mask",
    "valid_value",
]

# HJ 212 data flags: only N (normal) is a measurement HJ 663 may use; F/M/S/D/C/T/B
# (stopped, maintenance, manual, fault, calibration, over range, comms) are not.
# A missing flag is how file loads store values that carried none: treated as N.
VALID_FLAGS = ("N",)

# Spellings of the two units the six pollutants come in (the store writes µg/m³, mg/m³).
_UNITS = {
    "ug/m3": ("µg/m³", "ug/m3", "μg/m3", "µg/m3", "μg/m³", "ug/m³"),
    "mg/m3": ("mg/m³", "mg/m3"),
}


@cache
def _codes() -> dict[str, tuple[str, str]]:
    """HJ 212 code -> (column stem, unit key) of the six pollutants."""
    return {
        r["hj212_code"]: (POLLUTANT_COLUMNS[r["name"]], r["unit"])
        for r in load_table("hj633_pollutants.csv")
    }


CODES: dict[str, str] = {code: col for code, (col, _) in _codes().items()}


# Stored times outside these bounds cannot be observations: before 1970 no national
# network reported hourly values (and our calendar counts hours from 1970-01-01 CST); after
# now (plus a day of clock skew) they are in the future. A store written before the loaders
# rejected such times may hold them (infinity, year -290308, 0000-01-01): they are set aside.
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
TIME_SET_ASIDE = "time out of range (before 1970, in the future, or not a time)"


def plausible_time(time: ir.TimestampValue) -> ir.BooleanValue:
    """True where a stored time can be an observation's (see ``EARLIEST_TIME``); compared
    as timestamps, so infinite or extreme times never reach calendar arithmetic."""
    latest = datetime.now(UTC) + FUTURE_SLACK
    ok = (time >= ibis.literal(EARLIEST_TIME)) & (time < ibis.literal(latest))
    return ok.fill_null(False)


def _plausible_window(lo: datetime, hi: datetime) -> bool:
    """Every instant of ``[lo, hi)`` passes :func:`plausible_time`."""
    return lo >= EARLIEST_TIME and hi <= datetime.now(UTC) + FUTURE_SLACK


class AirInputError(ValueError):
    """The observations cannot be assessed as given; the message says what and where.

    ``field`` names the option or column at fault when there is one (``"year"``)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class InputReport:
    """What :func:`check_observations` found: rows used, values set aside and why."""

    rows: int = 0
    used: int = 0
    invalid: dict[str, int] = field(default_factory=dict)
    ignored_parameters: dict[str, int] = field(default_factory=dict)
    #: rows left out before anything was computed, by reason (e.g. an impossible time)
    set_aside: dict[str, int] = field(default_factory=dict)


def valid_value(value: ir.FloatingValue, flag: ir.StringValue | None) -> ir.FloatingValue:
    """The value where it is usable (finite, non-negative, flag N or none), else NULL."""
    if flag is None:
        return usable(value)
    return ibis.cases((valid_mask(value, flag), value), else_=ibis.null("float64"))


def grid_value(value: ir.FloatingValue, flag: ir.StringValue) -> ir.FloatingValue:
    """The value where :func:`valid_value` keeps it, else NaN: what the station-hour grid
    reads (:mod:`ecohub.analytics.air_hours`, where NaN is missing).

    A leaner test than :func:`valid_mask` for the same result: a NaN value may pass it (both
    engines order NaN above every number, so ``NaN >= 0`` holds), but it is NaN either way;
    a NULL value or flag test makes the condition NULL, which takes the ``else``."""
    ok = _flag_valid(flag) & (value >= 0) & ~infinite(value)
    return ibis.cases((ok, value), else_=ibis.literal(float("nan"), "float64"))


def valid_mask(value: ir.FloatingValue, flag: ir.StringValue) -> ir.BooleanValue:
    """True where :func:`valid_value` keeps the value; never NULL. One flat test: the
    flag's and the number's conditions in one CASE, not one CASE inside another."""
    return _flag_valid(flag) & usable_mask(value)


def _flag_valid(flag: ir.StringValue) -> ir.BooleanValue:
    """A flag HJ 663 may use: N, or none (see ``VALID_FLAGS``)."""
    return flag.isnull() | flag.isin(VALID_FLAGS)


def valid_flag_sql(column: str) -> str:
    """The same test as SQL text over ``column`` (a flag column): for the data review's
    statements, which judge only values an assessment may use."""
    return f"({column} IS NULL OR {column} IN ({', '.join(repr(f) for f in VALID_FLAGS)}))"


def pollutant_code(name_or_code: str) -> str:
    """HJ 212 code of a pollutant given by name (``PM2.5``) or code; raises if not AQI's."""
    name = pollutant_name(name_or_code)
    return next(code for code, (col, _) in _codes().items() if col == POLLUTANT_COLUMNS[name])


def check_observations(
    obs: ir.Table,
    duplicates: bool = True,
    count_from: datetime | None = None,
    within: tuple[datetime, datetime] | None = None,
) -> InputReport:
    """Check an ``observation``-shaped table before assessment; raise on structural errors.

    Raises :class:`AirInputError` when the value column is not numeric, a
    (station, parameter, period, time) key occurs twice, one of the six pollutants comes
    in a unit that is not its own, or an air code (``a…``) is not an HJ 212 code. Other
    known parameters are ignored and counted. Row order does not matter: every window
    orders by time itself.

    ``duplicates=False`` leaves out the scan for duplicated keys, for a caller that checks
    them on the hourly pivot it builds anyway (:func:`check_keys`).

    ``count_from``: rows before this instant are checked but not counted in the report (a
    run that reads the day before its first day for the moving means reports only its own
    days, so the reports of consecutive runs add up).

    ``within``: ``obs`` is already limited to times in ``[lo, hi)`` (a run's time window).
    When that window lies inside the plausible times and from ``count_from`` on, every row
    is plausible and counted, and those tests are left out of the scan (a national month:
    a third of the check's CPU).
    """
    if not obs.schema()["value"].is_numeric():
        raise AirInputError(
            f"observation.value must be numeric, got {obs.schema()['value']}; "
            "convert or reject the text values when loading"
        )
    t = obs.filter(obs.period == "1h")
    # One scan: rows at an impossible time are counted beside the others (``bad_time``) and
    # take part in nothing else (``ok``), as if filtered out first.
    invalid = ~valid_mask(counted_value(t), t.flag)
    # ``ok`` (plausible time) and ``later`` (counted from ``count_from``) are None where
    # they hold for every row, and then left out of the scan.
    lo = within[0] if within is not None and _plausible_window(*within) else None
    ok = None if lo is not None else plausible_time(t.time)
    later = None
    if count_from is not None and (lo is None or count_from > lo):
        later = t.time >= ibis.literal(count_from)
    counted = ok if later is None else later if ok is None else ok & later
    aggs: dict[str, ir.Scalar] = {
        "m": t.count() if ok is None else ok.sum(),
        "n": t.count() if counted is None else counted.sum(),
        "bad": invalid.sum() if counted is None else (counted & invalid).sum(),
    }
    if ok is not None:
        aggs["bad_time"] = (~ok).sum()
    summary = t.group_by(["parameter", "unit"]).agg(**aggs).to_pandas()
    bad_time = int(summary.bad_time.sum()) if "bad_time" in summary and len(summary) else 0
    summary = summary[summary.m > 0]
    report = InputReport(rows=int(summary.n.sum()) if len(summary) else 0)
    if bad_time:
        report.set_aside[TIME_SET_ASIDE] = bad_time
        report.rows += bad_time
    for r in summary.itertuples():
        code = str(r.parameter)
        if code in _codes():
            unit = _codes()[code][1]
            if str(r.unit) not in _UNITS[unit]:
                raise AirInputError(
                    f"{code} ({pollutant_name(code)}) has {int(r.n)} values in unit {r.unit!r}; "
                    f"HJ 633 scores it in {_UNITS[unit][0]}: convert on load"
                )
            report.used += int(r.n) - int(r.bad)
            if int(r.bad):
                report.invalid[code] = report.invalid.get(code, 0) + int(r.bad)
        elif code.startswith("a") and hj212_pollutant(code) is None:
            raise AirInputError(
                f"unknown parameter code {code!r} ({int(r.n)} rows): not an HJ 212 code; "
                f"the AQI pollutants are {', '.join(sorted(CODES))}"
            )
        elif int(r.n):
            report.ignored_parameters[code] = report.ignored_parameters.get(code, 0) + int(r.n)
    if duplicates:
        keys = ["station_id", "parameter", "period", "time"]
        if ok is not None:
            t = t.filter(ok)
        six = t.filter(t.parameter.isin(list(CODES)))
        dup = six.group_by(keys).agg(n=six.count())
        _raise_duplicates(dup.filter(dup.n > 1).limit(3).to_pandas())
    return report


# ---------------------------------------------------------------- automatic data review
# The one place assessments see the review (ecohub.supervision.review, docs/review.md): a
# value with a flag that an operator has not overruled is left out, exactly like a missing
# one. ``--raw`` (reviewed=False) skips this. A backend without the table (a lake that never
# ran review) has nothing flagged.


#: A flag (and its decision) belongs to the value it was raised on: with ``value`` in the key,
#: a value changed since (a corrected reload) is not set aside by the old flag.
REVIEW_KEYS = ("station_id", "parameter", "period", "time", "value")


def review_set_aside(backend: object) -> ir.Table | None:
    """The keys (``REVIEW_KEYS``, the value included) of the values the review set aside:
    those with a ``review_flag`` whose status is not 'overruled', each once; None when
    ``backend`` has no ``review_flag`` table (nothing is flagged). Trends count these beside
    leaving them out."""
    if "review_flag" not in backend.list_tables():  # type: ignore[attr-defined]
        return None
    f = backend.table("review_flag")  # type: ignore[attr-defined]
    return f.filter(f.status != "overruled").select(*REVIEW_KEYS).distinct()


def exclude_flagged(backend: object, obs: ir.Table) -> ir.Table:
    """``obs`` without the values the review set aside (:func:`review_set_aside`)."""
    f = review_set_aside(backend)
    return obs if f is None else obs.anti_join(f, list(REVIEW_KEYS))


def check_keys(obs: ir.Table, hourly: ir.Table) -> None:
    """Raise :class:`AirInputError` where the hourly pivot of ``obs`` (built with
    ``hourly_values(obs, key_counts=True)``) met a (station, parameter, period, time) key
    twice; reads the pivot, and ``obs`` only to name the duplicates."""
    hit = hourly.filter(hourly.rows_max > 1).select("station_id", "time").limit(3)
    if hit.count().to_pyarrow().as_py() == 0:
        return
    t = obs.filter((obs.period == "1h") & obs.parameter.isin(list(CODES)))
    t = t.semi_join(hit, ["station_id", "time"])
    dup = t.group_by(["station_id", "parameter", "period", "time"]).agg(n=t.count())
    _raise_duplicates(dup.filter(dup.n > 1).limit(3).to_pandas())


def _raise_duplicates(first: pd.DataFrame) -> None:
    if len(first):
        shown = "; ".join(f"{r.station_id} {r.parameter} {r.time}" for r in first.itertuples())
        raise AirInputError(
            f"duplicated observation keys (station, parameter, period, time), e.g. {shown}; "
            "deduplicate on load (the store's primary key does)"
        )
