"""Supervision of monitoring data: online-monitoring anomaly and fraud detection (HJ 212).

Rules are data (``data/anomaly_rules.csv``, each with its basis); the same rule SQL judges
history in batch (:func:`detect`) and each committed batch of the HJ 212 writer
(:class:`~ecohub.supervision.stream.Detector`). Findings land in the `anomaly` table and are
read, under the caller's scope, with :func:`anomalies`.
"""

from ecohub.supervision.listings import COLUMNS, EXCEEDANCE_COLUMNS, anomalies, exceedances
from ecohub.supervision.permits import PermitLoadError, load_permits
from ecohub.supervision.rules import FLAGS_JUDGED, Rule, RuleError, load_rules
from ecohub.supervision.service import detect, detect_request, select_rules
from ecohub.supervision.stream import Detector

__all__ = [
    "COLUMNS",
    "EXCEEDANCE_COLUMNS",
    "FLAGS_JUDGED",
    "Detector",
    "PermitLoadError",
    "Rule",
    "RuleError",
    "anomalies",
    "detect",
    "detect_request",
    "exceedances",
    "load_permits",
    "load_rules",
    "select_rules",
]
