"""An alert's evidence as a person reads it: labelled values, rounded, each with its unit
(zh-CN and English), instead of the detector's JSON with 15-digit floats.

Pure functions of an alert as :func:`ecohub.supervision.alerts.service.get_alert` returns it;
the mail (:mod:`.message`) prints them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ascii_unit", "conc", "evidence"]

# Evidence key -> (zh label, en label, what the value is). ``conc``: in the alert's unit (the
# pollutant's; service._unit); ``of``: a min / max / mean of what the evidence's ``of`` names
# (runs.py _WHAT; a concentration when absent); ``count``: a whole number; ``number``: a plain
# number (the rules' thresholds mean different things per rule: anomaly_rules.csv says which);
# ``flag``: yes / no. Listed in the order they are printed; keys not listed follow by name.
LABELS: dict[str, tuple[str, str, str]] = {
    "n": ("数据条数", "values", "count"),
    "minutes": ("分钟数据条数", "minute values", "count"),
    "hours": ("小时均值个数", "hourly means", "count"),
    "hours_near_limit": ("贴近限值的小时数", "hours near the limit", "count"),
    "min": ("最小值", "min", "of"),
    "max": ("最大值", "max", "of"),
    "mean": ("均值", "mean", "of"),
    "before": ("骤降前 3 小时均值", "mean of the 3 hours before", "conc"),
    "after": ("骤降后均值", "mean after the drop", "conc"),
    "spread": ("骤降后波动幅度", "spread after the drop", "conc"),
    "instrument_range": ("仪器量程", "instrument range", "conc"),
    "limit": ("许可限值", "permit limit", "conc"),
    "range_ratio": ("极差与均值之比", "range / mean", "number"),
    "threshold": ("阈值", "threshold", "number"),
    "threshold_2": ("阈值 2", "threshold 2", "number"),
    "open": ("仍在持续", "still going", "flag"),
}
# What a minute rule's min / max / mean are of: (zh prefix, en prefix, unit; None = the alert's).
_OF: dict[str, tuple[str, str, str | None]] = {
    "value": ("", "", None),
    "o2_percent": ("氧含量", "O2 ", "%"),
    "relative_deviation": ("相对偏差", "relative deviation ", ""),
    "gap_seconds": ("中断时长", "gap ", "s"),
}


def conc(value: Any) -> str:
    """A concentration as a person reads it: one decimal from 1 up (167.4, not
    167.3814666666667), three significant digits below (0.0312)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.3g}"


def _number(value: Any) -> str:
    """A count or threshold: whole numbers without decimals (45, not 45.0), others as
    :func:`conc`."""
    if isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return str(int(value))
    return conc(value)


def ascii_unit(unit: str) -> str:
    """The English part spells units in ASCII, as it always has (mg/m3)."""
    return unit.replace("³", "3").replace("µ", "u")


def _line(key: str, value: Any, of: tuple[str, str, str | None], unit: str) -> tuple[str, str]:
    zh, en, what = LABELS.get(key, (key, key, "number"))
    if what == "flag":
        return f"{zh}：{'是' if value else '否'}", f"{en}: {'yes' if value else 'no'}"
    if what in ("count", "number"):
        return f"{zh}：{_number(value)}", f"{en}: {_number(value)}"
    if what == "of":
        zh, en = of[0] + zh, of[1] + en
        unit = unit if of[2] is None else of[2]
    text = conc(value) + (f" {unit}" if unit else "")
    return f"{zh}：{text}", f"{en}: {ascii_unit(text)}"


def evidence(alert: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The lines of a finding's evidence (zh-CN, en), one labelled value each; a value the
    rule did not fill (``null``) is left out."""
    d = dict(alert.get("detail") or {})
    of_key = d.pop("of", "value")
    of = _OF.get(of_key, (f"{of_key} ", f"{of_key} ", ""))
    unit = alert.get("unit") or ""
    keys = [k for k in LABELS if k in d] + sorted(k for k in d if k not in LABELS)
    zh, en = [], []
    for key in keys:
        if d[key] is None:
            continue
        z, e = _line(key, d[key], of, unit)
        zh.append(z)
        en.append(e)
    return zh, en
