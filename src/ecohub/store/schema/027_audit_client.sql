-- 027: each audit entry keeps the address its request came from (GB/T 22239-2019 8.1.4.3:
-- audit records with other audit-relevant information; the source address is what lets a
-- reviewer tell a brute-force log-in from a typo). NULL for entries of local calls and for
-- entries written before this column existed; the hash covers it only when present.
ALTER TABLE audit_log ADD COLUMN client VARCHAR;
