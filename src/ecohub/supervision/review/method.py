"""The automatic data review's method as plain data, for anyone who uses its results.

The open AQI and assessments are computed from the reviewed record (docs/review.md): a reader
of the open data (``/open/v1/review``) can see every rule, its thresholds, their unit and
basis, and what happens to a flagged value, without the flags themselves (which name
stations' instrument faults and stay with the bureau: resource 30100101-00008).
"""

from __future__ import annotations

from typing import Any

from ecohub.supervision.review.rules import load_review_rules

SUMMARY_ZH = (
    "六项污染物的每个小时监测值在参与评价前由一组规则自动审核（参照 HJ 818-2018、"
    "HJ 817-2018 的数据有效性判别和 HJ 630-2011 的质量控制）：被规则标记、且未被人工推翻的值"
    "不参与空气质量指数（AQI）和评价的计算；监测值本身不被修改或删除。数据标记非 N"
    "（校准、维护、故障等）的值本来就无效，不参与审核。"
)
SUMMARY_EN = (
    "Every hourly value of the six pollutants is checked by a set of rules before any "
    "assessment (after the data validity judgement of HJ 818-2018 / HJ 817-2018 and the QA/QC "
    "of HJ 630-2011): a value a rule flags, unless an operator overrules the flag, is left out "
    "of the AQI and the assessments; the observation itself is never changed or deleted. A "
    "value whose data flag is not N (calibration, maintenance, fault, ...) is invalid already "
    "and is not judged."
)


def method() -> dict[str, Any]:
    """What the review does (``summary_zh``, ``summary_en``) and its rules, one entry per rule
    and pollutant (HJ 212 code): names, thresholds, unit, basis and what is our own choice."""
    return {
        "record": "reviewed",
        "summary_zh": SUMMARY_ZH,
        "summary_en": SUMMARY_EN,
        "flagged_values": "left out of the AQI and the assessments unless overruled",
        "rules": [
            {
                "rule": r.rule,
                "parameter": r.parameter,
                "name_zh": r.name_zh,
                "name_en": r.name_en,
                "threshold": r.threshold,
                "threshold2": r.threshold2,
                "unit": r.unit or None,
                "basis": r.basis,
                "choice": r.choice,
            }
            for r in load_review_rules()
        ],
    }
