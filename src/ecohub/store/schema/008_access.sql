-- 008: identity and audit. Users, API keys, refresh tokens and the hash-chained audit log.
-- No foreign keys: DuckDB turns an UPDATE of a referenced row into delete + insert and refuses it;
-- the access services keep the references consistent instead. No LIST columns either: DuckDB
-- updates a row with a LIST as delete + insert, which conflicts on the primary key.

CREATE TABLE app_user (
    name          VARCHAR PRIMARY KEY,
    role          VARCHAR NOT NULL,          -- admin | analyst | inspector | enterprise | public
    region        VARCHAR,                   -- GB/T 2260 code; NULL = nationwide (admin only)
    sources       VARCHAR NOT NULL,          -- HJ 608 source codes of enterprise users, space-separated
    password_hash VARCHAR NOT NULL,          -- argon2id, PHC string; never the password
    enabled       BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins INTEGER NOT NULL DEFAULT 0, -- consecutive failures since the last success or lock
    locked_until  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL,
    disabled_at   TIMESTAMPTZ
);

CREATE TABLE api_key (
    key_id       VARCHAR PRIMARY KEY,        -- the public part of the key (ehk_<key_id>_<secret>)
    user_name    VARCHAR NOT NULL,
    secret_hash  VARCHAR NOT NULL,           -- SHA-256 of the secret, hex
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,                -- NULL: no expiry
    revoked_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ                 -- at most a minute stale (written at most once a minute)
);

CREATE TABLE refresh_token (
    token_id    VARCHAR PRIMARY KEY,
    family      VARCHAR NOT NULL,            -- every token rotated from one login
    user_name   VARCHAR NOT NULL,
    token_hash  VARCHAR NOT NULL,            -- SHA-256 of the secret, hex
    issued_at   TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,                 -- set when rotated; a second use revokes the family
    revoked_at  TIMESTAMPTZ
);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,           -- 1, 2, 3, ... without gaps
    logged_at  TIMESTAMPTZ NOT NULL,
    user_name  VARCHAR NOT NULL,
    via        VARCHAR NOT NULL,             -- password | token | apikey | local | system | anonymous
    action     VARCHAR NOT NULL,             -- login | read | write | export | auth | admin
    route      VARCHAR NOT NULL,
    filters    JSON NOT NULL,                -- canonical JSON text, hashed as stored
    rows       BIGINT,
    result     VARCHAR NOT NULL,
    prev_hash  VARCHAR NOT NULL,
    hash       VARCHAR NOT NULL
);
