-- Sign-in state for the server: user sessions, Admin API keys and failed
-- sign-in attempts. Session tokens and Admin API keys are stored only as
-- HMAC-SHA256 hashes (keyed by the deployment's pepper); times are epoch ms.

CREATE TABLE sessions (
    id UUID PRIMARY KEY NOT NULL,
    token_hash BYTEA NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    CONSTRAINT sessions_token_unique UNIQUE (token_hash)
);
CREATE INDEX sessions_by_user ON sessions (user_id);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);

-- An Admin API key acts for the organization admin who created it, with
-- that user's current role: a demoted creator's keys lose their power.
CREATE TABLE admin_api_keys (
    id UUID PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    hidden_key TEXT NOT NULL,
    key_hash BYTEA NOT NULL,
    created_by UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    CONSTRAINT admin_api_keys_hash_unique UNIQUE (key_hash)
);

-- Failed sign-ins, per account (folded email, whether or not it exists) and
-- per client address; counted over a sliding window to slow brute force.
CREATE TABLE login_failures (
    id UUID PRIMARY KEY NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('account', 'ip')),
    subject TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX login_failures_by_subject ON login_failures (scope, subject, at);
