#!/usr/bin/env bash
# Benchmark (not a test): Keydesk's installers and its start, against the
# smallest Tauri app as the floor, measured in the same run.
#
#   bash bench/desktop/run.sh [keys]      (default 100000 keys)
#
# 1. builds the release app and its .deb (Tauri CLI) and prints the sizes of
#    the .deb and of the binary;
# 2. builds the floor app (bench/desktop/floor: one window, a static page)
#    with the same Tauri version and release profile;
# 3. seeds a local store with [keys] keys (examples/keys_view_seed.rs, cached
#    in target/bench-keys-<N>/);
# 4. under Xvfb and tauri-driver (tests/e2e/run.sh), starts each app in
#    alternating rounds and prints the start time to an interactive window
#    and the memory (PSS over the app and its WebKit processes), and their
#    ratios (bench/desktop/measure.mjs).
# Takes 20-30 minutes on 2 cores from cold, mostly the two release builds.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
keys="${1:-100000}"

echo "== release build and .deb"
(cd ui && npm run build --silent)
ui/node_modules/.bin/tauri build --bundles deb --ci --config '{"build":{"beforeBuildCommand":""}}' >target/bench-desktop-build.log 2>&1 \
    || { tail -n 30 target/bench-desktop-build.log >&2; exit 1; }
deb="$(find target/release/bundle/deb -maxdepth 1 -name '*.deb' | head -n1)"
size() { stat -c %s "$1" | awk '{ printf "%.2f MB (%d bytes)", $1 / 1000000, $1 }'; }
echo ".deb: $(basename "$deb"): $(size "$deb") (goal <= 10 MB)"
echo "binary: target/release/keydesk: $(size target/release/keydesk)"

echo "== floor app (release)"
cp Cargo.lock bench/desktop/floor/Cargo.lock
CARGO_TARGET_DIR="$root/target/bench-floor" cargo build --release --quiet \
    --manifest-path bench/desktop/floor/Cargo.toml --features tauri/custom-protocol
rm -f bench/desktop/floor/Cargo.lock
floor="$root/target/bench-floor/release/keydesk-bench-floor"
echo "floor binary: $(size "$floor")"

echo "== local store with $keys keys"
store="$root/target/bench-keys-$keys"
cargo build --quiet --example keys_view_seed --features tauri/custom-protocol
target/debug/examples/keys_view_seed "$store" "$keys" >/dev/null

echo "== start and memory, Keydesk against the floor"
BENCH_APP="$root/target/release/keydesk" BENCH_FLOOR="$floor" KEYDESK_APP_BIN="$root/target/release/keydesk" \
    E2E_SCRIPT=bench/desktop/measure.mjs E2E_SEED_DIR="$store" E2E_ARTIFACTS="$root/target/bench-desktop" \
    bash tests/e2e/run.sh
