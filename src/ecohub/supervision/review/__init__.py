"""Automatic data review of station observations (issue 13; docs/review.md).

Rules are data (``supervision/data/review_rules.csv``, each with its threshold and basis) and
run as SQL over ``observation``; flags land in ``review_flag`` with rule and reason, the raw
value untouched. Operators confirm or overrule flags; assessments leave out every value with
a flag that is not overruled unless asked for the raw record.
"""

from ecohub.supervision.review.inputs import STATUSES, ReviewError
from ecohub.supervision.review.method import method
from ecohub.supervision.review.reading import COLUMNS, flags, summary
from ecohub.supervision.review.rules import ReviewRule, ReviewRuleError, load_review_rules
from ecohub.supervision.review.service import decide, run, run_after_load

__all__ = [
    "COLUMNS",
    "STATUSES",
    "ReviewError",
    "ReviewRule",
    "ReviewRuleError",
    "decide",
    "flags",
    "load_review_rules",
    "method",
    "run",
    "run_after_load",
    "summary",
]
