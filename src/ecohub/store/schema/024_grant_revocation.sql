-- 024: a grant can be revoked before its end (a project closed early, data misused). The
-- revocation ends the grant on the day before it was made (China calendar), so every reader of
-- grants (`valid_from <= day <= valid_to`) stops honouring it at once; who revoked it, when and
-- why are kept beside the decision (the end it was granted with stays in the audit log).
-- Plain nullable columns: DuckDB 1.4 replays `ADD COLUMN` without a default from its WAL.
ALTER TABLE catalog_decision ADD COLUMN revoked_at TIMESTAMPTZ;
ALTER TABLE catalog_decision ADD COLUMN revoked_by VARCHAR;
ALTER TABLE catalog_decision ADD COLUMN revoke_reason VARCHAR;
ALTER TABLE catalog_decision ADD COLUMN granted_to DATE;
