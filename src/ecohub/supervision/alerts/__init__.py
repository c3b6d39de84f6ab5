"""Alerts: findings and exceedance events raised into de-duplicated alerts, sent to configured
channels (webhook, e-mail) through an outbox, and worked by inspectors (acknowledge, close).

- :mod:`.raising`: new and changed findings / events -> alerts (one per de-dup key while not
  closed) and queued deliveries; called by batch detection and the stream detector.
- :mod:`.service`: list / show / acknowledge / close, scoped and audited.
- :mod:`.dispatch`: the outbox thread of ``ecohub up`` (retry with exponential back-off).
- :mod:`.message`, :mod:`.send`: what a delivery says, and sending it (SMTP, signed webhook).
"""

from ecohub.supervision.alerts.dispatch import Dispatcher, backoff_s, pending
from ecohub.supervision.alerts.raising import dedup_key, raise_alerts
from ecohub.supervision.alerts.send import SendError, sign
from ecohub.supervision.alerts.service import (
    COLUMNS,
    KINDS,
    STATES,
    AlertConflict,
    acknowledge,
    close,
    get_alert,
    list_alerts,
)

__all__ = [
    "COLUMNS",
    "KINDS",
    "STATES",
    "AlertConflict",
    "Dispatcher",
    "SendError",
    "acknowledge",
    "backoff_s",
    "close",
    "dedup_key",
    "get_alert",
    "list_alerts",
    "pending",
    "raise_alerts",
    "sign",
]
