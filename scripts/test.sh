#!/usr/bin/env bash
# Keydesk's one test command: everything CI runs, in order, failing fast.
#
#   bash scripts/test.sh
#
# Stages:
#   setup       scripts/setup.sh (missing system packages, the Rust toolchain
#               pinned by rust-toolchain.toml, tauri-driver, npm ci)
#   ui build    npm run build in ui/ (the desktop app embeds ui/dist, so this
#               comes before anything that compiles the app crate)
#   ui types    npm run check in ui/ (svelte-check: TypeScript in .svelte
#               files and modules alike)
#   ui tests    npm test in ui/ (Vitest)
#   rust format cargo fmt --check (crates/rustfmt.toml sets the crates' width)
#   rust build  compile every workspace test target
#   rust tests  cargo test --workspace next to a throwaway PostgreSQL server
#               and a throwaway Redis, so the store's tests run on SQLite and
#               on PostgreSQL, and the gateway's replicas share both
#   rust lint   cargo clippy over every target, warnings as errors
#   conformance schemathesis, with the platform's Admin API spec, against a
#               real keydesk-server process (crates/server/tests/conformance.sh)
#   sdks        the official openai and mistralai Python SDKs (PyPI) through
#               the gateway to the fake provider (crates/server/tests/sdk)
#   keychain    the desktop's session-token storage against a real Secret
#               Service (gnome-keyring in dbus-run-session) and with none
#   app build   cargo build -p keydesk (debug, UI embedded), the binary the
#               e2e test drives (exported as KEYDESK_APP_BIN)
#   e2e         tests/e2e/run.sh: the real app window under Xvfb over WebDriver
#   e2e remote  tests/e2e/remote.sh: the same window in remote mode, against a
#               real keydesk-server, with the token in a real Secret Service
#
# The first failing stage stops the run; a summary of the stages is printed
# either way.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# cargo-installed tools (tauri-driver) and rustup's cargo.
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ -d "$CARGO_BIN" ]; then
    case ":$PATH:" in *":$CARGO_BIN:"*) ;; *) export PATH="$CARGO_BIN:$PATH" ;; esac
fi

# CI builds from scratch every time: incremental compilation only costs there.
if [ "${CI:-}" = "true" ]; then
    export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
fi
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Build the app the way a release is built: with tauri's `custom-protocol`
# feature the window serves the embedded ui/dist. Without it (plain cargo in
# debug) Tauri is in dev mode and loads the devUrl from tauri.conf.json, which
# needs a running Vite dev server. The tests and the app build use the same
# features so that tauri is compiled only once.
APP_FEATURES=(--features tauri/custom-protocol)

TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
export KEYDESK_APP_BIN="${KEYDESK_APP_BIN:-$TARGET_DIR/debug/keydesk}"
# The desktop's Backend contract suite runs a real keydesk-server; the
# workspace test build below already builds it (with the workspace's
# features), so the suite need not build it again on its own.
export KEYDESK_SERVER_BIN="${KEYDESK_SERVER_BIN:-$TARGET_DIR/debug/keydesk-server}"
# The provider the gateway's tests forward to, built by the same test build.
export KEYDESK_FAKE_UPSTREAM_BIN="${KEYDESK_FAKE_UPSTREAM_BIN:-$TARGET_DIR/debug/keydesk-fake-upstream}"

RUN_START=$SECONDS
RESULTS=()   # one "status|stage|seconds" entry per stage that ran

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

summary() {
    echo
    echo "==> summary"
    local entry status name secs
    for entry in "${RESULTS[@]}"; do
        IFS='|' read -r status name secs <<<"$entry"
        printf '    %-8s %-11s %s\n' "$status" "$name" "$(fmt_secs "$secs")"
    done
    echo "    total time $(fmt_secs $((SECONDS - RUN_START)))"
}

# stage NAME CMD...: run one stage; on failure print the summary and stop
# with the stage's exit code.
stage() {
    local name=$1; shift
    echo
    echo "==> [$name] $* ($(date -u +%H:%M:%S) UTC)"
    local start=$SECONDS rc=0
    "$@" || rc=$?
    local secs=$((SECONDS - start))
    if [ "$rc" -ne 0 ]; then
        RESULTS+=("FAILED|$name|$secs")
        summary
        echo
        echo "test: FAILED at stage '$name' (exit code $rc)" >&2
        exit "$rc"
    fi
    RESULTS+=("ok|$name|$secs")
}

# in_dir DIR CMD...: run CMD inside DIR without changing our own directory.
in_dir() ( cd "$1" && shift && "$@" )

stage "setup"      bash scripts/setup.sh
stage "ui build"   in_dir ui npm run build
stage "ui types"   in_dir ui npm run check
stage "ui tests"   in_dir ui npm test
# rustfmt and clippy are part of the pinned toolchain (rust-toolchain.toml);
# setup.sh stops when it cannot provide them, so these gates always run.
stage "rust format" cargo fmt --all --check
stage "rust build" cargo test --workspace --locked "${APP_FEATURES[@]}" --no-run
stage "rust tests" bash scripts/with-postgres.sh bash scripts/with-redis.sh \
                       cargo test --workspace --locked "${APP_FEATURES[@]}"
stage "rust lint"  cargo clippy --workspace --all-targets --locked "${APP_FEATURES[@]}" -- -D warnings
stage "conformance" bash crates/server/tests/conformance.sh
stage "sdks"       bash crates/server/tests/sdk/run.sh
stage "keychain"   bash scripts/keychain-tests.sh "${APP_FEATURES[@]}"
stage "app build"  cargo build -p keydesk --locked "${APP_FEATURES[@]}"
stage "e2e"        bash tests/e2e/run.sh
stage "e2e remote" bash tests/e2e/remote.sh

summary
echo
echo "test: all stages passed"
