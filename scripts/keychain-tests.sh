#!/usr/bin/env bash
# Runs the desktop's keychain tests against real keychains:
#  1. inside a private D-Bus session with gnome-keyring's Secret Service,
#     unlocked with a throwaway password and a throwaway keyring folder:
#     the vault's own test, then the connection tests (signing in to a real
#     keydesk-server, restarts that resume the session from the keychain);
#  2. with no D-Bus session at all, in a scratch HOME, to show the
#     no-keychain path writes nothing to disk.
# The tests that need such a keychain are #[ignore]d in a plain `cargo test`;
# this script runs each by its exact name and fails unless exactly that many
# tests passed (so a renamed test cannot silently stop running).
# Extra arguments go to cargo (e.g. --features tauri/custom-protocol).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# The ignored tests, by exact name.
VAULT_TEST=keychain::tests::session_token_is_stored_read_back_after_restart_and_deleted_in_the_real_keychain
RESTART_TEST=a_restart_resumes_the_session_from_the_keychain
NO_KEYCHAIN_TEST=keychain::tests::without_a_keychain_the_token_stays_in_memory_and_nothing_is_written_to_disk

# Build first, outside the sandboxed HOME, so cargo finds its registry.
# --workspace: the same feature set as the test command's build, so nothing
# is compiled again.
cargo test --locked --workspace "$@" --lib --test connection --no-run

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/keydesk-keychain.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$SCRATCH/with/data" "$SCRATCH/without/home"

# passed_in LOG: the number of tests that passed, summed over the
# "test result: ok. N passed" lines of every test binary cargo ran.
passed_in() {
    sed -n 's/^test result: ok\. \([0-9][0-9]*\) passed.*/\1/p' "$1" | awk '{ n += $1 } END { print n + 0 }'
}

# expect_passed WANT WHAT CMD...: run CMD (its output shown as it comes) and
# fail unless it succeeds with exactly WANT passed tests (at least one when
# WANT is "some").
expect_passed() {
    local want=$1 what=$2; shift 2
    local log="$SCRATCH/run.log" rc=0 got
    "$@" 2>&1 | tee "$log" || rc=$?
    [ "$rc" -eq 0 ] || { echo "keychain: FAILED: $what (exit code $rc)" >&2; exit "$rc"; }
    got=$(passed_in "$log")
    if [ "$want" = some ]; then
        [ "$got" -gt 0 ] || { echo "keychain: FAILED: $what: no test ran (0 passed)" >&2; exit 1; }
    elif [ "$got" -ne "$want" ]; then
        echo "keychain: FAILED: $what: $got test(s) passed, expected $want (was a test renamed? the names are at the top of $0)" >&2
        exit 1
    fi
    echo "keychain: $what: $got passed"
}

# with_secret_service CMD...: CMD inside a private D-Bus session with
# gnome-keyring's Secret Service unlocked, its keyring under the scratch folder.
with_secret_service() {
    XDG_DATA_HOME="$SCRATCH/with/data" KEYDESK_KEYCHAIN_TESTS=secret-service \
        dbus-run-session -- sh -c '
            echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null
            exec "$@"' sh "$@"
}

echo "keychain: Secret Service (gnome-keyring in a private D-Bus session)"
expect_passed 1 "the vault in the Secret Service" \
    with_secret_service cargo test --locked --workspace "$@" --lib -- --ignored --exact "$VAULT_TEST"

echo "keychain: connection tests with the Secret Service"
expect_passed some "the connection tests with the Secret Service" \
    with_secret_service cargo test --locked --workspace "$@" --test connection
expect_passed 1 "a restart resumes the session from the Secret Service" \
    with_secret_service cargo test --locked --workspace "$@" --test connection -- --ignored --exact "$RESTART_TEST"

echo "keychain: no keychain reachable"
expect_passed 1 "no keychain: nothing written to disk" \
    env -u DBUS_SESSION_BUS_ADDRESS \
    CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
    HOME="$SCRATCH/without/home" XDG_DATA_HOME="$SCRATCH/without/home/.local/share" \
    XDG_CONFIG_HOME="$SCRATCH/without/home/.config" XDG_RUNTIME_DIR="$SCRATCH/without/home/run" \
    DBUS_SESSION_BUS_ADDRESS="unix:path=$SCRATCH/without/no-bus" KEYDESK_KEYCHAIN_TESTS=absent \
    cargo test --locked --workspace "$@" --lib -- --ignored --exact "$NO_KEYCHAIN_TEST"
