-- The gateway's state: an optional monthly budget per API key, the spend
-- ledger that keeps every replica's spending within the limits, and the
-- alerts a workspace raises as its month's spend passes 50, 80 and 100 % of
-- its limit.

ALTER TABLE api_keys ADD COLUMN monthly_budget_micros BIGINT;

-- Who owned the key a request was made with, kept with the record so that
-- usage stays attributed to its owner after the key is gone. Older records
-- have none.
ALTER TABLE usage_records ADD COLUMN owner_id UUID;

-- One row per limited scope (the organization, a workspace or a key) and
-- calendar month (UTC, as year * 100 + month). `committed_micros` is what
-- the month's recorded usage cost; `leased_micros` is budget handed to
-- gateway replicas and not yet spent or given back. A lease is granted only
-- while committed + leased stays within the limit, so the replicas together
-- can never spend more than it. `last_grant_micros` carries the amount the
-- latest lease granted back to its caller (an UPDATE's RETURNING sees new
-- values only).
CREATE TABLE spend_ledger (
    scope TEXT NOT NULL CHECK (scope IN ('organization', 'workspace', 'api_key')),
    scope_id UUID NOT NULL,
    period INTEGER NOT NULL,
    committed_micros BIGINT NOT NULL,
    leased_micros BIGINT NOT NULL,
    last_grant_micros BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, scope_id, period)
);

CREATE TABLE spend_alerts (
    id UUID PRIMARY KEY NOT NULL,
    workspace_id UUID NOT NULL REFERENCES workspaces(id) ON DELETE CASCADE,
    period INTEGER NOT NULL,
    threshold_percent INTEGER NOT NULL CHECK (threshold_percent IN (50, 80, 100)),
    spent_micros BIGINT NOT NULL,
    limit_micros BIGINT NOT NULL,
    at BIGINT NOT NULL,
    CONSTRAINT spend_alerts_once UNIQUE (workspace_id, period, threshold_percent)
);
CREATE INDEX spend_alerts_by_time ON spend_alerts (at DESC);
