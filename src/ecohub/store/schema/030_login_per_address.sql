-- 030: failed log-ins counted per (account, client address) (ecohub.access.login). A lock of the
-- whole account after 5 failures let anyone lock any account, the admin included, with 5
-- unauthenticated requests (OWASP ASVS 4.0.3 2.2.1; GB/T 22239-2019 8.1.4.1 b). Now 5 failures
-- from one address lock the account for that address only; app_user's own count and lock are
-- the account-wide backstop (100 failures from all addresses within one lock-out period).

-- One row per account and address that ever failed against it; never deleted (DuckDB 1.4
-- refuses to insert a deleted key again while an older transaction is open): a success or an
-- `ecohub user enable` sets failures to 0 and the lock to NULL instead.
CREATE TABLE login_failure (
    user_name       VARCHAR NOT NULL,
    client          VARCHAR NOT NULL,        -- ecohub.access.login.client_key: IPv4 address, IPv6 /64, '' unknown
    failures        INTEGER NOT NULL DEFAULT 0, -- wrong passwords since the last success or lock
    locked_until    TIMESTAMPTZ,
    last_failure_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_name, client)
);

-- app_user.failed_logins now counts wrong passwords from all addresses in the window that began
-- at failures_since (the lock-out period long); locked_until is the account-wide lock. A store
-- upgraded with a count and no window start begins a new window at its next failure.
ALTER TABLE app_user ADD COLUMN failures_since TIMESTAMPTZ;
