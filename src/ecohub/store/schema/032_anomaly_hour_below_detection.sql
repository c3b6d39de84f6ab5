-- 032: per hour, how many of the unmarked minute values were stored below the detection limit
-- (`emission.below_detection`, a value written `…L`). Such a value is an upper bound, not a
-- measurement (docs/standards.md), so the rules that judge a flat signal (drop_flat,
-- flat_halfmonth, narrow_range) count only the measured ones (docs/supervision.md, "Below the
-- detection limit"). Hours aggregated before keep 0; a batch `detect` over them rebuilds them.
ALTER TABLE anomaly_hour ADD COLUMN n_bdl INTEGER DEFAULT 0;
