-- Keydesk schema for SQLite. Times are UTC instants as epoch milliseconds;
-- ids are UUIDs (16-byte blobs). Keys are stored only as HMAC-SHA256 hashes.

CREATE TABLE organizations (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    plan TEXT NOT NULL CHECK (plan IN ('experiment', 'scale')),
    billing_active BOOLEAN NOT NULL,
    monthly_spend_limit_micros BIGINT,
    key_max_days INTEGER,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id BLOB PRIMARY KEY NOT NULL,
    email TEXT NOT NULL,
    email_folded TEXT NOT NULL,
    name TEXT NOT NULL,
    org_role TEXT NOT NULL CHECK (org_role IN ('A', 'M', 'B')),
    password_hash TEXT,
    created_at BIGINT NOT NULL,
    CONSTRAINT users_email_unique UNIQUE (email_folded)
);

CREATE TABLE workspaces (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    description TEXT NOT NULL,
    icon TEXT NOT NULL,
    is_default BOOLEAN NOT NULL,
    monthly_spend_limit_micros BIGINT,
    requests_per_second INTEGER,
    tokens_per_minute TEXT NOT NULL,
    key_max_days INTEGER,
    created_at BIGINT NOT NULL,
    CONSTRAINT workspaces_name_unique UNIQUE (name_folded)
);

CREATE TABLE workspace_members (
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    user_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('A', 'M')),
    added_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_by_user ON workspace_members (user_id, workspace_id);

CREATE TABLE api_keys (
    -- A stable integer rowid, so the name search index can refer to rows.
    seq INTEGER PRIMARY KEY,
    id BLOB NOT NULL UNIQUE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    owner_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT,
    name_folded TEXT NOT NULL,
    hidden_key TEXT NOT NULL,
    last4_folded TEXT NOT NULL,
    key_hash BLOB NOT NULL,
    product TEXT NOT NULL CHECK (product IN ('API', 'Vibe', 'Mistral Code')),
    connector_scope TEXT NOT NULL CHECK (connector_scope IN ('shared', 'private_and_shared')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    delete_after BIGINT,
    CONSTRAINT api_keys_hash_unique UNIQUE (key_hash)
);
-- Pages are ordered by seq (creation order); each index below ends in it implicitly.
CREATE INDEX api_keys_by_workspace ON api_keys (workspace_id);
CREATE INDEX api_keys_by_owner ON api_keys (owner_id);
CREATE INDEX api_keys_by_last4 ON api_keys (last4_folded);
CREATE INDEX api_keys_pending_delete ON api_keys (delete_after) WHERE delete_after IS NOT NULL;

-- Substring search on key names: a trigram full-text index kept in step
-- with api_keys by triggers (names are stored already case- and accent-folded).
CREATE VIRTUAL TABLE api_keys_name_search USING fts5(
    name_folded, content = 'api_keys', content_rowid = 'seq', tokenize = 'trigram'
);
CREATE TRIGGER api_keys_name_search_insert AFTER INSERT ON api_keys BEGIN
    INSERT INTO api_keys_name_search (rowid, name_folded) VALUES (new.seq, new.name_folded);
END;
CREATE TRIGGER api_keys_name_search_delete AFTER DELETE ON api_keys BEGIN
    INSERT INTO api_keys_name_search (api_keys_name_search, rowid, name_folded) VALUES ('delete', old.seq, old.name_folded);
END;
CREATE TRIGGER api_keys_name_search_update AFTER UPDATE OF name_folded ON api_keys BEGIN
    INSERT INTO api_keys_name_search (api_keys_name_search, rowid, name_folded) VALUES ('delete', old.seq, old.name_folded);
    INSERT INTO api_keys_name_search (rowid, name_folded) VALUES (new.seq, new.name_folded);
END;

CREATE TABLE connectors (
    id BLOB PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    owner_id BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    workspace_id BLOB NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    visibility TEXT NOT NULL CHECK (visibility IN ('private', 'shared')),
    created_at BIGINT NOT NULL
);
CREATE INDEX connectors_by_workspace ON connectors (workspace_id);

CREATE TABLE usage_records (
    id BLOB PRIMARY KEY NOT NULL,
    key_id BLOB NOT NULL,
    workspace_id BLOB NOT NULL,
    model TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cost_micros BIGINT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX usage_by_workspace ON usage_records (workspace_id, at);
CREATE INDEX usage_by_key ON usage_records (key_id, at);

CREATE TABLE audit_log (
    -- Insertion order, so events of the same millisecond keep their order.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id BLOB NOT NULL UNIQUE,
    at BIGINT NOT NULL,
    actor_id BLOB,
    actor_email TEXT,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id BLOB,
    before_json TEXT,
    after_json TEXT
);
CREATE INDEX audit_by_time ON audit_log (at DESC, seq DESC);
CREATE INDEX audit_by_actor ON audit_log (actor_id, seq DESC);
CREATE INDEX audit_by_target ON audit_log (target_id, seq DESC);

-- The audit log is append-only: the database itself refuses changes.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
