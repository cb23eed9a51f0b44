#!/usr/bin/env bash
# Benchmark (not a test): the keys view with 100,000 keys in the local store.
#
#   bash tests/bench/keys-view.sh [keys]
#
# 1. builds and runs examples/keys_view_seed.rs, which fills a local store
#    (cached in target/bench-keys-<N>/) through LocalBackend and prints the
#    backend timings (first page, one search per keystroke);
# 2. runs the app (KEYDESK_APP_BIN, default target/debug/keydesk, built with
#    --features tauri/custom-protocol) on a copy of that store under
#    tests/e2e/run.sh and prints the in-app timings (tests/bench/keys-view.mjs).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
keys="${1:-100000}"
store="$root/target/bench-keys-$keys"
cargo build --example keys_view_seed --features tauri/custom-protocol
echo "== backend (LocalBackend over SQLite, debug build)"
target/debug/examples/keys_view_seed "$store" "$keys"
echo "== app (WebKitGTK under Xvfb)"
E2E_SCRIPT=tests/bench/keys-view.mjs E2E_SEED_DIR="$store" bash tests/e2e/run.sh
