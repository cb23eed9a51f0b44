#!/usr/bin/env bash
# Keydesk's one test command: everything CI runs, in order, failing fast.
#
#   bash scripts/test.sh
#
# Stages, each with a time limit (coreutils `timeout`):
#   setup       20 min  scripts/setup.sh (missing system packages, the Rust
#                       toolchain pinned by rust-toolchain.toml, tauri-driver,
#                       npm ci)
#   workflows    3 min  scripts/check-workflows.sh: actionlint (pinned, from
#                       PyPI) over .github/workflows
#   ui build     5 min  npm run build in ui/ (the desktop app embeds ui/dist,
#                       so this comes before anything that compiles the app)
#   ui types     5 min  npm run check in ui/ (svelte-check: TypeScript in
#                       .svelte files and modules alike)
#   ui tests     5 min  npm test in ui/ (Vitest)
#   rust format  3 min  cargo fmt --check (crates/rustfmt.toml sets the
#                       crates' width)
#   rust build  25 min  compile every workspace test target (a cold build)
#   rust tests  15 min  cargo test --workspace next to a throwaway PostgreSQL
#                       server and a throwaway Redis, so the store's tests run
#                       on SQLite and on PostgreSQL, and the gateway's
#                       replicas share both; among them, that the app's
#                       commands agree between src-tauri/build.rs, the
#                       invoke handler and the capabilities, and that a dev
#                       build's identifier is not the release build's
#   ts types     1 min  the TypeScript payload types the Rust tests just wrote
#                       (ts-rs, into ui/src/generated/bindings) are the ones
#                       committed: a Rust type changed without them fails
#   rust lint   10 min  cargo clippy over every target, warnings as errors
#   conformance 10 min  schemathesis, with the platform's Admin API spec,
#                       against a real keydesk-server process
#                       (crates/server/tests/conformance.sh; with CI=true a
#                       missing spec fails the stage)
#   sdks        10 min  the official openai and mistralai Python SDKs (PyPI)
#                       through the gateway to the fake provider
#                       (crates/server/tests/sdk)
#   keychain    10 min  the desktop's session-token storage against a real
#                       Secret Service (gnome-keyring in dbus-run-session)
#                       and with none: the tests a plain cargo test ignores,
#                       each run by name and counted
#   app build   10 min  cargo build -p keydesk (debug, UI embedded), the
#                       binary the e2e tests drive (exported as
#                       KEYDESK_APP_BIN)
#   e2e         10 min  tests/e2e/run.sh: the real app window under Xvfb over
#                       WebDriver
#   e2e remote  10 min  tests/e2e/remote.sh: the same window in remote mode,
#                       against a real keydesk-server, with the token in a
#                       real Secret Service
#   e2e team     5 min  tests/e2e/team.sh: the window as a team ships it
#                       (team.json: no local store, one allowed server)
#   bundles     10 min  tests/bundle/linux.sh: the .deb and .rpm (Tauri CLI,
#                       reusing the app build), their metadata and files;
#                       the .deb installed with dpkg, started, removed
#
# Every Rust build here is a dev build: TAURI_CONFIG merges tauri.dev.conf.json
# over tauri.conf.json (another app identifier, so its data folder and
# keychain entries are not a release build's).
#
# The whole run has 45 minutes (KEYDESK_TEST_MINUTES): a stage gets its own
# limit or what is left of that, whichever is less. A fresh 2-core machine
# needs about 20. A stage that fails or runs out of time stops the run
# ("FAILED" or "timed out" in the summary, which is printed either way).
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

# Dev builds: the app identifier (and so the keychain service and the data
# folder) of tauri.dev.conf.json, merged over tauri.conf.json by tauri-build
# and tauri::generate_context!. Every cargo call below sees the same value, so
# the app crate is compiled once.
TAURI_CONFIG=$(cat "$ROOT/tauri.dev.conf.json")
export TAURI_CONFIG

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
RUN_LIMIT=$(( ${KEYDESK_TEST_MINUTES:-45} * 60 ))
RESULTS=()   # one "status|stage|seconds" entry per stage that ran

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

summary() {
    echo
    echo "==> summary"
    local entry status name secs
    for entry in "${RESULTS[@]}"; do
        IFS='|' read -r status name secs <<<"$entry"
        printf '    %-10s %-11s %s\n' "$status" "$name" "$(fmt_secs "$secs")"
    done
    echo "    total time $(fmt_secs $((SECONDS - RUN_START)))"
}

# The running stage: its name, start and process (timeout's), for Ctrl-C.
STAGE_NAME= STAGE_START=0 STAGE_PID=
interrupted() {
    if [ -n "$STAGE_PID" ]; then
        # timeout passes the signal on to the stage's whole process group.
        kill -TERM "$STAGE_PID" 2>/dev/null || true
        wait "$STAGE_PID" 2>/dev/null || true
    fi
    [ -n "$STAGE_NAME" ] && RESULTS+=("stopped|$STAGE_NAME|$((SECONDS - STAGE_START))")
    summary
    echo
    echo "test: interrupted${STAGE_NAME:+ during stage '$STAGE_NAME'}" >&2
    exit 130
}
trap interrupted INT TERM

# stage NAME MINUTES CMD...: run one stage, for at most MINUTES (or what is
# left of the run's time, if less); on failure or timeout print the summary
# and stop with the stage's exit code (124 for a timeout).
stage() {
    local name=$1 minutes=$2; shift 2
    local limit=$((minutes * 60)) left=$((RUN_LIMIT - (SECONDS - RUN_START)))
    [ "$left" -lt "$limit" ] && limit=$left
    echo
    echo "==> [$name] $* ($(date -u +%H:%M:%S) UTC, limit $(fmt_secs $((limit > 0 ? limit : 0))))"
    STAGE_NAME=$name STAGE_START=$SECONDS
    local rc=0
    if [ "$limit" -le 0 ]; then
        rc=124
    else
        # In the background, so that Ctrl-C reaches the trap above (timeout
        # runs the stage in a process group of its own).
        timeout --kill-after=30s "${limit}s" "$@" &
        STAGE_PID=$!
        wait "$STAGE_PID" || rc=$?
        STAGE_PID=
    fi
    local secs=$((SECONDS - STAGE_START))
    STAGE_NAME=
    # 124: timeout stopped it; 137: it had to be killed after that.
    if [ "$rc" -eq 124 ] || { [ "$rc" -eq 137 ] && [ "$secs" -ge "$limit" ]; }; then
        RESULTS+=("timed out|$name|$secs")
        summary
        echo
        echo "test: FAILED: stage '$name' timed out after $(fmt_secs "$secs") (limit $(fmt_secs $((limit > 0 ? limit : 0))))" >&2
        exit 124
    elif [ "$rc" -ne 0 ]; then
        RESULTS+=("FAILED|$name|$secs")
        summary
        echo
        echo "test: FAILED at stage '$name' (exit code $rc)" >&2
        exit "$rc"
    fi
    RESULTS+=("ok|$name|$secs")
}

stage "setup"       20 bash scripts/setup.sh
stage "workflows"    3 bash scripts/check-workflows.sh
stage "ui build"     5 env -C ui npm run build
stage "ui types"     5 env -C ui npm run check
stage "ui tests"     5 env -C ui npm test
# rustfmt and clippy are part of the pinned toolchain (rust-toolchain.toml);
# setup.sh stops when it cannot provide them, so these gates always run.
stage "rust format"  3 cargo fmt --all --check
stage "rust build"  25 cargo test --workspace --locked "${APP_FEATURES[@]}" --no-run
stage "rust tests"  15 bash scripts/with-postgres.sh bash scripts/with-redis.sh \
                        cargo test --workspace --locked "${APP_FEATURES[@]}"
stage "ts types"     1 bash scripts/generated-types-current.sh
stage "rust lint"   10 cargo clippy --workspace --all-targets --locked "${APP_FEATURES[@]}" -- -D warnings
stage "conformance" 10 bash crates/server/tests/conformance.sh
stage "sdks"        10 bash crates/server/tests/sdk/run.sh
stage "keychain"    10 bash scripts/keychain-tests.sh "${APP_FEATURES[@]}"
stage "app build"   10 cargo build -p keydesk --locked "${APP_FEATURES[@]}"
stage "e2e"         10 bash tests/e2e/run.sh
stage "e2e remote"  10 bash tests/e2e/remote.sh
stage "e2e team"     5 bash tests/e2e/team.sh
stage "bundles"     10 bash tests/bundle/linux.sh

summary
echo
echo "test: all stages passed"
