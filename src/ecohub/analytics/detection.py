"""How a value below the detection limit counts in statistics.

The loaders store ``0.01L`` as value 0.01 (the detection limit) with ``below_detection`` true
(migration 007). Both media count such a value as half the detection limit:

- surface water: 《地表水环境质量监测数据统计技术规定（试行）》(环办监测函〔2020〕82号), point 7 —
  below the detection limit, half the limit takes part in calculation and statistics; SL 219-2013
  12.2.5 says the same for annual means;
- ambient air: 《环境空气质量监测规范（试行）》(2007), annex 5 — a concentration below the
  method's detection limit is marked not detected and reported as half the lowest detection
  limit. HJ 663 itself is silent on it.

See docs/standards.md, "Values below a detection limit".
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

__all__ = ["BELOW_DETECTION_SHARE", "counted_value"]

BELOW_DETECTION_SHARE = 0.5  # a below-detection value counts as this share of the limit


def counted_value(t: ir.Table) -> ir.FloatingValue:
    """``t.value`` as statistics use it: half the limit where ``below_detection`` is true.

    A table without the column (test frames, stores before migration 007) counts every value
    as measured.
    """
    value = t.value.cast("float64")
    if "below_detection" not in t.columns:
        return value
    below = t.below_detection.fill_null(False)
    return ibis.ifelse(below, value * BELOW_DETECTION_SHARE, value)
