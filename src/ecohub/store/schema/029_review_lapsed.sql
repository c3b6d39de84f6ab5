-- 029: a review decision belongs to the value it was made on (docs/review.md, "Operators'
-- decisions"). When the stored value changes (a corrected reload), the decision lapses: the
-- flag leaves review_flag, the rules judge the new value afresh, and the decision is kept here.
-- (028 is taken by another branch's migration; numbers only need to be unique and ordered.)
CREATE TABLE review_flag_lapsed (
    station_id  VARCHAR NOT NULL,
    parameter   VARCHAR NOT NULL,
    period      VARCHAR NOT NULL,
    time        TIMESTAMPTZ NOT NULL,
    rule        VARCHAR NOT NULL,
    value       DOUBLE,                 -- the value the decision was made on
    new_value   DOUBLE,                 -- the value stored when the decision lapsed (NULL: gone)
    reason      VARCHAR NOT NULL,
    status      VARCHAR NOT NULL,       -- confirmed | overruled
    flagged_at  TIMESTAMPTZ,
    decided_by  VARCHAR,
    decided_at  TIMESTAMPTZ,
    lapsed_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
