#!/usr/bin/env bash
# The gateway benchmark: one run, one machine, one load tool (oha), one fake
# provider, everything on 127.0.0.1. Not part of the test command.
#
#   bash bench/gateway/run.sh            # all of it (peers need PyPI and npm once)
#   bash bench/gateway/run.sh --no-peers # Keydesk only
#
# It measures, and prints as a Markdown table:
#   1. GET /v1/models with a valid key (auth, rate limit, spend check and
#      "last used" in the path) against the same server's /health, with
#      10,000 keys in the store and with 1,000,000;
#   2. chat completions through the gateway against straight to the fake
#      provider: the latency the gateway adds at a fixed rate, and peak
#      throughput;
#   3. the same chat workload through LiteLLM's proxy and Portkey's gateway
#      (exact versions below) in front of the same provider.
#
# Settings (environment): KEYDESK_BENCH_SECONDS (per measurement, 10),
# KEYDESK_BENCH_CONNECTIONS (peak runs, 32), KEYDESK_BENCH_RATE (fixed-rate
# runs, 2000/s), KEYDESK_BENCH_PEER_RATE (fixed rate all three gateways can
# sustain, 100/s), KEYDESK_BENCH_BIG_KEYS (1000000).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE="$ROOT/bench/gateway"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/keydesk-bench.XXXXXX")
SECONDS_EACH=${KEYDESK_BENCH_SECONDS:-10}
CONNECTIONS=${KEYDESK_BENCH_CONNECTIONS:-32}
RATE=${KEYDESK_BENCH_RATE:-2000}
PEER_RATE=${KEYDESK_BENCH_PEER_RATE:-100}
BIG_KEYS=${KEYDESK_BENCH_BIG_KEYS:-1000000}
PEERS=1
[ "${1:-}" = "--no-peers" ] && PEERS=0

OHA_VERSION=1.16.0
LITELLM_VERSION=1.100.5
PORTKEY_VERSION=1.15.2

say() { echo "bench: $*" >&2; }
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"

# --- tools ----------------------------------------------------------------------
if ! oha --version 2>/dev/null | grep -q "$OHA_VERSION"; then
    say "installing oha $OHA_VERSION (cargo install, a few minutes once)"
    cargo install --quiet --locked oha --version "$OHA_VERSION"
fi
say "building release binaries"
(cd "$ROOT" && cargo build --quiet --release -p keydesk-server -p keydesk-fake-upstream --bins \
    && cargo build --quiet --release -p keydesk-server --example bench_seed)
BIN="$TARGET/release"

if [ "$PEERS" -eq 1 ]; then
    VENV="$TARGET/bench-venv"
    if ! "$VENV/bin/litellm" --version 2>/dev/null | grep -q "$LITELLM_VERSION"; then
        say "installing litellm[proxy]==$LITELLM_VERSION (PyPI)"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "litellm[proxy]==$LITELLM_VERSION"
    fi
    PORTKEY_DIR="$TARGET/bench-portkey"
    if [ ! -f "$PORTKEY_DIR/node_modules/@portkey-ai/gateway/package.json" ] \
        || ! grep -q "\"version\": \"$PORTKEY_VERSION\"" "$PORTKEY_DIR/node_modules/@portkey-ai/gateway/package.json"; then
        say "installing @portkey-ai/gateway@$PORTKEY_VERSION (npm)"
        mkdir -p "$PORTKEY_DIR"
        npm install --prefix "$PORTKEY_DIR" --no-audit --no-fund --loglevel=error "@portkey-ai/gateway@$PORTKEY_VERSION" >/dev/null
    fi
fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }

# start NAME CMD...: runs CMD in the background, logging to $WORK/NAME.log.
start() {
    local name=$1; shift
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
    PIDS+=($!)
}

# stop_last: stops the process started last.
stop_last() {
    kill "${PIDS[-1]}" 2>/dev/null || true
    wait "${PIDS[-1]}" 2>/dev/null || true
}

# listening_url NAME: the URL from NAME's "listening on http://..." line.
listening_url() {
    local url=
    for _ in $(seq 1 600); do
        url=$(sed -n 's|^.* listening on \(http://[0-9.:]*\)$|\1|p' "$WORK/$1.out")
        [ -n "$url" ] && { echo "$url"; return; }
        sleep 0.05
    done
    cat "$WORK/$1.log" >&2
    return 1
}

# wait_http URL: until something answers there.
wait_http() {
    for _ in $(seq 1 1200); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.1
    done
    say "nothing answers at $1"
    return 1
}

# --- the fake provider and Keydesk ---------------------------------------------------
start upstream "$BIN/keydesk-fake-upstream" --listen 127.0.0.1:0
UPSTREAM=$(listening_url upstream)

cat >"$WORK/gateway.toml" <<TOML
[upstream]
base_url = "$UPSTREAM/v1"
[[models]]
id = "fake-model"
input_price = 0.1
output_price = 0.3
TOML

# keydesk NAME KEYS: seeds a store of KEYS keys and serves it; sets URL and KEY.
keydesk() {
    local name=$1 keys=$2
    say "seeding $keys keys"
    KEY=$("$BIN/examples/bench_seed" --database "$WORK/$name.db" --keys "$keys" --real 1)
    KEYDESK_UPSTREAM_API_KEY=sk-bench-upstream RUST_LOG=warn \
        start "$name" "$BIN/keydesk-server" serve --database "$WORK/$name.db" --listen 127.0.0.1:0 \
        --gateway-config "$WORK/gateway.toml"
    URL=$(listening_url "$name")
}

# measure LABEL OHA-ARGS...: one oha run, its JSON kept as $WORK/LABEL.json.
measure() {
    local label=$1; shift
    say "measuring $label"
    oha --no-tui --output-format json -z "${SECONDS_EACH}s" "$@" >"$WORK/$label.json"
}

CHAT='{"model":"fake-model","max_tokens":16,"messages":[{"role":"user","content":"Say hello to the gateway."}]}'
chat_args() { # URL [HEADER...]
    local url=$1; shift
    local args=(-m POST -d "$CHAT" -H 'content-type: application/json')
    for h in "$@"; do args+=(-H "$h"); done
    printf '%s\0' "${args[@]}" "$url/v1/chat/completions"
}
# run_chat LABEL RATE|peak URL [HEADER...]
run_chat() {
    local label=$1 rate=$2 url=$3; shift 3
    local extra=()
    if [ "$rate" = peak ]; then extra=(-c "$CONNECTIONS"); else extra=(-c 64 -q "$rate"); fi
    mapfile -d '' args < <(chat_args "$url" "$@")
    measure "$label" "${extra[@]}" "${args[@]}"
}

keydesk small 10000
AUTH="authorization: Bearer $KEY"
# Warm the caches (key, workspace, budget) before measuring.
curl -sf -H "$AUTH" "$URL/v1/models" >/dev/null
measure health_10k -c "$CONNECTIONS" "$URL/health"
measure models_10k -c "$CONNECTIONS" -H "$AUTH" "$URL/v1/models"
run_chat direct_rate "$RATE" "$UPSTREAM"
run_chat gateway_rate "$RATE" "$URL" "$AUTH"
run_chat direct_peak peak "$UPSTREAM"
run_chat gateway_peak peak "$URL" "$AUTH"
run_chat direct_peer_rate "$PEER_RATE" "$UPSTREAM"
run_chat gateway_peer_rate "$PEER_RATE" "$URL" "$AUTH"
stop_last

keydesk big "$BIG_KEYS"
AUTH="authorization: Bearer $KEY"
curl -sf -H "$AUTH" "$URL/v1/models" >/dev/null
measure health_1m -c "$CONNECTIONS" "$URL/health"
measure models_1m -c "$CONNECTIONS" -H "$AUTH" "$URL/v1/models"
stop_last

if [ "$PEERS" -eq 1 ]; then
    LITELLM_PORT=$(free_port)
    sed "s|UPSTREAM_URL|$UPSTREAM|" "$HERE/litellm.yaml.in" >"$WORK/litellm.yaml"
    say "starting LiteLLM's proxy"
    start litellm env LITELLM_LOG=ERROR "$TARGET/bench-venv/bin/litellm" \
        --config "$WORK/litellm.yaml" --host 127.0.0.1 --port "$LITELLM_PORT" --num_workers 1
    wait_http "http://127.0.0.1:$LITELLM_PORT/health/liveliness"
    LITELLM="http://127.0.0.1:$LITELLM_PORT"
    curl -sf -H 'content-type: application/json' -d "$CHAT" "$LITELLM/v1/chat/completions" >/dev/null
    run_chat litellm_peer_rate "$PEER_RATE" "$LITELLM"
    run_chat litellm_peak peak "$LITELLM"
    stop_last

    PORTKEY_PORT=$(free_port)
    say "starting Portkey's gateway"
    start portkey env NODE_ENV=production node "$PORTKEY_DIR/node_modules/@portkey-ai/gateway/build/start-server.js" \
        "--port=$PORTKEY_PORT" --headless
    PORTKEY="http://127.0.0.1:$PORTKEY_PORT"
    wait_http "$PORTKEY/"
    PK_HEADERS=("x-portkey-provider: openai" "x-portkey-custom-host: $UPSTREAM/v1" "authorization: Bearer sk-bench-upstream")
    curl -sf -H 'content-type: application/json' -H "${PK_HEADERS[0]}" -H "${PK_HEADERS[1]}" -H "${PK_HEADERS[2]}" \
        -d "$CHAT" "$PORTKEY/v1/chat/completions" >/dev/null
    run_chat portkey_peer_rate "$PEER_RATE" "$PORTKEY" "${PK_HEADERS[@]}"
    run_chat portkey_peak peak "$PORTKEY" "${PK_HEADERS[@]}"
fi

# The raw runs are kept for a second look.
KEEP="$TARGET/bench-gateway"
rm -rf "$KEEP" && mkdir -p "$KEEP" && cp "$WORK"/*.json "$KEEP"/
python3 "$HERE/report.py" "$KEEP" "$RATE" "$PEER_RATE" "$BIG_KEYS"
