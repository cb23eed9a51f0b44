-- Indexes for ordering the key list by a column at scale (name, last use,
-- expiry). The expressions match the ORDER BY the Service writes.
CREATE INDEX api_keys_by_name ON api_keys (name_folded, created_at DESC, id DESC);
CREATE INDEX api_keys_by_last_use ON api_keys ((COALESCE(last_used_at, 0)), created_at DESC, id DESC);
CREATE INDEX api_keys_by_expiry_order ON api_keys ((COALESCE(expires_at, 9223372036854775807)), created_at DESC, id DESC);
