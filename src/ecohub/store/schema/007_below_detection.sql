-- A value below the detection limit, written "0.01L" in Chinese monitoring reports and by some
-- devices (HJ/T 91-2002: report the method's detection limit with the flag L). The row's value
-- is then the detection limit and below_detection is true; how such a value counts in
-- statistics is the analytics' call (docs/standards.md, "Values below a detection limit").
-- A column of its own, not a letter in flag: flag holds the HJ 212 instrument data flag
-- (N, F, M, S, D, C, T, B), which the analytics check on its own, and a value can be both
-- below detection and measured in normal operation (N).
ALTER TABLE observation ADD COLUMN below_detection BOOLEAN DEFAULT false;
