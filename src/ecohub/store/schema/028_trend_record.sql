-- 028: which record a stored trend was computed from (walk E, finding 3). `record` is
-- 'reviewed' (the values the automatic data review set aside left out, docs/review.md) or
-- 'raw' (every value); `n_set_aside` counts the values the review left out of the series.
-- Rows stored before this migration were computed from the raw record.
ALTER TABLE trend_result ADD COLUMN record VARCHAR;
ALTER TABLE trend_result ADD COLUMN n_set_aside BIGINT;
UPDATE trend_result SET record = 'raw', n_set_aside = 0;
