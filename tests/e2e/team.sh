#!/usr/bin/env bash
# The team-provisioned app, end to end: writes a team.json that turns the
# local store off and allows one server, points the app at it
# (KEYDESK_TEAM_FILE, the way an administrator can), and runs team.mjs in
# the real window through tests/e2e/run.sh.
#
#   cargo build && tests/e2e/team.sh
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

scratch="$(mktemp -d "${TMPDIR:-/tmp}/keydesk-e2e-team-XXXXXX")"
trap 'rm -rf "$scratch"' EXIT

export E2E_TEAM_SERVER="https://keys.team.example"
cat >"$scratch/team.json" <<JSON
{
  "default_server_url": "$E2E_TEAM_SERVER",
  "allowed_servers": ["$E2E_TEAM_SERVER"],
  "local_mode": false,
  "default_key_expiry_days": 30
}
JSON
export KEYDESK_TEAM_FILE="$scratch/team.json"
export E2E_SCRIPT=tests/e2e/team.mjs
export E2E_ARTIFACTS="$root/target/e2e-artifacts/team"
bash tests/e2e/run.sh
