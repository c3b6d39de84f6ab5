-- Server-side jobs (file loads, registry link, air compute): one row per job, kept after it ends.
CREATE TABLE job (
    id            VARCHAR PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    owner         VARCHAR NOT NULL,          -- the principal's name
    state         VARCHAR NOT NULL,          -- queued | running | done | failed
    params        JSON,
    done          BIGINT,                    -- progress: units done of total (NULL = unknown)
    total         BIGINT,
    message       VARCHAR,
    result        JSON,                      -- plain data, when done
    error         JSON,                      -- problem details, when failed
    created_at    TIMESTAMPTZ NOT NULL,
    started_at    TIMESTAMPTZ,
    finished_at   TIMESTAMPTZ
);
