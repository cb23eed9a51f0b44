#!/usr/bin/env bash
# The official OpenAI and Mistral Python SDKs, from PyPI, against the
# gateway: keydesk-server on a SQLite file in front of the fake provider,
# with a key created through the Admin API (sdk_clients.py says what is
# checked). The SDKs live in a virtualenv under target/ made on first use.
#
#   bash crates/server/tests/sdk/run.sh
#
# Uses KEYDESK_SERVER_BIN and KEYDESK_FAKE_UPSTREAM_BIN when set (the test
# command's builds), and builds both otherwise.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../../.." && pwd)
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
say() { echo "sdk: $*"; }

# Exact versions: what the test proves is "these SDKs work".
OPENAI_VERSION=3.63.0
MISTRALAI_VERSION=3.8.0

VENV="${KEYDESK_SDK_VENV:-$TARGET/sdk-venv}"
if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import openai, mistralai.client, sys; sys.exit(openai.__version__ != '$OPENAI_VERSION')" 2>/dev/null; then
    say "installing openai==$OPENAI_VERSION mistralai==$MISTRALAI_VERSION (PyPI)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "openai==$OPENAI_VERSION" "mistralai==$MISTRALAI_VERSION"
fi

SERVER="${KEYDESK_SERVER_BIN:-}"
UPSTREAM="${KEYDESK_FAKE_UPSTREAM_BIN:-}"
if [ -z "$SERVER" ] || [ ! -x "$SERVER" ] || [ -z "$UPSTREAM" ] || [ ! -x "$UPSTREAM" ]; then
    say "building keydesk-server and the fake upstream"
    (cd "$ROOT" && cargo build --quiet -p keydesk-server -p keydesk-fake-upstream)
    SERVER="$TARGET/debug/keydesk-server"
    UPSTREAM="$TARGET/debug/keydesk-fake-upstream"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keydesk-sdk.XXXXXX")
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# start NAME CMD...: run CMD in the background and print the URL from its
# "listening on http://..." line.
start() {
    local name=$1; shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
    PIDS+=($!)
    local url=
    for _ in $(seq 1 300); do
        url=$(sed -n 's|^.* listening on \(http://[0-9.:]*\)$|\1|p' "$WORK/$name.out")
        [ -n "$url" ] && { echo "$url"; return; }
        sleep 0.05
    done
    cat "$WORK/$name.log" >&2
    say "FAILED: $name did not start"
    return 1
}

UPSTREAM_URL=$(start upstream "$UPSTREAM" --listen 127.0.0.1:0)
cat >"$WORK/gateway.toml" <<TOML
[upstream]
base_url = "$UPSTREAM_URL/v1"
[limits]
flush_interval_ms = 50
[[models]]
id = "fake-model"
input_price = 1
output_price = 3
TOML
"$SERVER" init --database "$WORK/k.db" --admin-email admin@example.com --json >"$WORK/init.json"
URL=$(KEYDESK_UPSTREAM_API_KEY=sk-upstream RUST_LOG=warn start server \
    "$SERVER" serve --database "$WORK/k.db" --listen 127.0.0.1:0 --gateway-config "$WORK/gateway.toml")
say "keydesk-server on $URL, fake provider on $UPSTREAM_URL"

ADMIN_KEY=$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin_api_key"])' "$WORK/init.json")
ADMIN_ID=$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["admin_user_id"])' "$WORK/init.json")
WORKSPACE=$(curl -sf -H "x-api-key: $ADMIN_KEY" "$URL/v1/admin/workspaces" \
    | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["uuid"])')
curl -sf -H "x-api-key: $ADMIN_KEY" -H 'content-type: application/json' \
    -d "{\"workspace_uuid\":\"$WORKSPACE\",\"user_id\":\"$ADMIN_ID\",\"name\":\"sdk test\"}" \
    "$URL/v1/admin/api-keys" >"$WORK/key.json"

KEYDESK_URL="$URL" KEYDESK_ADMIN_KEY="$ADMIN_KEY" KEYDESK_WORKSPACE="$WORKSPACE" \
KEYDESK_API_KEY=$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$WORK/key.json") \
KEYDESK_API_KEY_ID=$("$VENV/bin/python" -c 'import json,sys; print(json.load(open(sys.argv[1]))["key_id"])' "$WORK/key.json") \
    "$VENV/bin/python" "$HERE/sdk_clients.py"
