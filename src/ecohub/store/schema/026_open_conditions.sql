-- 026: a 有条件开放 resource states its open conditions (开放条件), what an applicant must meet
-- to be given it, apart from its sharing conditions between departments (共享条件).
ALTER TABLE catalog_resource ADD COLUMN open_conditions VARCHAR;
