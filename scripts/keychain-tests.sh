#!/usr/bin/env bash
# Runs the desktop's keychain tests against real keychains:
#  1. inside a private D-Bus session with gnome-keyring's Secret Service,
#     unlocked with a throwaway password and a throwaway keyring folder:
#     the vault's own tests, then the connection tests (signing in to a real
#     keydesk-server, restarts that resume the session from the keychain);
#  2. with no D-Bus session at all, to show the no-keychain path writes
#     nothing to disk.
# Extra arguments go to cargo (e.g. --features tauri/custom-protocol).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# Build first, outside the sandboxed HOME, so cargo finds its registry.
# --workspace: the same feature set as the test command's build, so nothing
# is compiled again.
cargo test --locked --workspace "$@" --lib --test connection --no-run

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/keydesk-keychain.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$SCRATCH/with/data" "$SCRATCH/without/home"

echo "keychain: Secret Service (gnome-keyring in a private D-Bus session)"
XDG_DATA_HOME="$SCRATCH/with/data" KEYDESK_KEYCHAIN_TESTS=secret-service \
    dbus-run-session -- sh -c '
        echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null
        exec "$@"' sh \
    cargo test --locked --workspace "$@" --lib keychain::tests::session_token_is_stored

echo "keychain: connection tests with the Secret Service"
XDG_DATA_HOME="$SCRATCH/with/data" KEYDESK_KEYCHAIN_TESTS=secret-service \
    dbus-run-session -- sh -c '
        echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null
        exec "$@"' sh \
    cargo test --locked --workspace "$@" --test connection

echo "keychain: no keychain reachable"
env -u DBUS_SESSION_BUS_ADDRESS \
    CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}" \
    HOME="$SCRATCH/without/home" XDG_DATA_HOME="$SCRATCH/without/home/.local/share" \
    XDG_CONFIG_HOME="$SCRATCH/without/home/.config" XDG_RUNTIME_DIR="$SCRATCH/without/home/run" \
    DBUS_SESSION_BUS_ADDRESS="unix:path=$SCRATCH/without/no-bus" KEYDESK_KEYCHAIN_TESTS=absent \
    cargo test --locked --workspace "$@" --lib keychain::tests::without_a_keychain
