"""What the published air products are made from: the reviewed record, said wherever they are.

The AQI and the assessments are computed from the monitoring record after the automatic data
review (docs/review.md): an hourly value a review rule flagged, unless an operator overruled
the flag, is left out (the observation itself is kept). So a published figure can differ from
the one computed from the source file (the UCI sample) on the days the review set values
aside. A researcher citing the data must be able to see that: the open answers carry
``record`` and ``review`` (:func:`disclosure`), the catalogue's abstracts and the open
catalogue's ``provenance`` say it, DCAT has a ``dct:provenance`` statement, and the lineage of
an air computation names the review flags (resource :data:`FLAGS`) as an input.
"""

from __future__ import annotations

from typing import Any

#: Tables computed from the reviewed record (``analytics.air_input.review_set_aside``).
REVIEWED = frozenset({"air_hourly_aqi", "air_daily", "air_period_stat", "air_category_days"})
#: The anonymous route describing the review method (its rules, thresholds and basis).
METHOD = "/open/v1/review"
#: The catalogue resource of the review flags.
FLAGS = "30100101-00008"
TEXT_ZH = (
    "由审核后的记录计算：自动数据审核（参照 HJ 818 的规则，方法见 /open/v1/review）标记且未被人工"
    "推翻的小时监测值不参与计算，监测值本身不被修改；审核标记为信息资源 30100101-00008。"
    "因此在有值被剔除的站点日，结果可能与按原始数据计算的结果不同。"
)
TEXT_EN = (
    "Computed from the reviewed record: hourly values that the automatic data review "
    "(HJ 818-style rules; the method at /open/v1/review) flagged, unless an operator overruled "
    "the flag, are left out; the observations themselves are never changed, and the flags are "
    "resource 30100101-00008. On station-days where values were set aside a result can "
    "differ from one computed from the source data."
)


def statement(table: str | None) -> dict[str, str] | None:
    """The provenance statement of a resource on ``table`` (``None`` when it has none to make):
    ``record``, ``method`` (a route), ``flags`` (a resource code), ``zh``, ``en``."""
    if table not in REVIEWED:
        return None
    return {"record": "reviewed", "method": METHOD, "flags": FLAGS, "zh": TEXT_ZH, "en": TEXT_EN}


def disclosure() -> dict[str, Any]:
    """The members an open answer of reviewed air results carries: ``record`` and ``review``
    (what was done, where the method is described, where the flags are catalogued)."""
    return {
        "record": "reviewed",
        "review": {"method": METHOD, "flags_resource": FLAGS, "note": TEXT_EN},
    }
