"""How a case or an approval reaches its source: through its registry record.

Every loaded row is also a ``source_record`` of system :data:`CASE_SYSTEM` or
:data:`EIA_SYSTEM` (record_id = the row's id). The registry's linkage gives that record its
source code; the SQL here reads it back, so a later link run or a review decision moves the
row with its record. The link state of a row:

* ``linked``: its record shares a source with a record of a departmental list (any other
  system);
* ``review``: not linked, and its record is in a pair of the registry's review band (the review
  queue: ``ecohub registry review``);
* ``unmatched``: no candidate anywhere; the registry gave the record a code of its own (as it
  does to every record), and the row counts for that new source;
* ``pending``: no link run has seen the record yet.
"""

from __future__ import annotations

__all__ = ["CASE_SYSTEM", "EIA_SYSTEM", "OWN_SYSTEMS", "cases_sql", "eia_sql"]

CASE_SYSTEM = "enforcement"
EIA_SYSTEM = "eia_approval"
OWN_SYSTEMS = (CASE_SYSTEM, EIA_SYSTEM)

_STATE = """
CASE WHEN r.source_code IS NULL THEN 'pending'
     WHEN EXISTS (SELECT 1 FROM source_record o WHERE o.source_code = r.source_code
                  AND o.system NOT IN ('enforcement', 'eia_approval')) THEN 'linked'
     WHEN EXISTS (SELECT 1 FROM review_pair p
                  WHERE (p.system_a = r.system AND p.record_a = r.record_id)
                     OR (p.system_b = r.system AND p.record_b = r.record_id)) THEN 'review'
     ELSE 'unmatched' END
"""

#: Every case with its source code, link state and match probability (a subquery).
cases_sql = f"""
SELECT c.*, r.source_code, r.match_probability, {_STATE} AS link_status
FROM enforcement_case c
LEFT JOIN source_record r ON r.system = '{CASE_SYSTEM}' AND r.record_id = c.case_id
"""

#: Every approval with its source code, link state and match probability (a subquery).
eia_sql = f"""
SELECT e.*, r.source_code, r.match_probability, {_STATE} AS link_status
FROM eia_approval e
LEFT JOIN source_record r ON r.system = '{EIA_SYSTEM}' AND r.record_id = e.approval_no
"""
