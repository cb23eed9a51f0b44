#!/usr/bin/env bash
# Runs the remote-mode journey (remote.mjs) against the real app binary and a
# real keydesk-server on 127.0.0.1, with the session token kept by a real
# Secret Service: gnome-keyring, unlocked with a throwaway password, in a
# private D-Bus session with its own keyring folder. The window, the driver
# and the data folder are set up by run.sh. Screenshots and logs go to
# target/e2e-artifacts/remote/.
#
#   cargo build -p keydesk-server
#   TAURI_CONFIG="$(cat tauri.dev.conf.json)" cargo build -p keydesk --features tauri/custom-protocol
#   tests/e2e/remote.sh
#
# KEYDESK_APP_BIN and KEYDESK_SERVER_BIN select other binaries (defaults:
# target/debug/keydesk and target/debug/keydesk-server). The app is expected
# to be a dev build (the identifier of tauri.dev.conf.json, under which its
# session lands in the keychain); E2E_APP_IDENTIFIER names another.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

server_bin="$(realpath -m "${KEYDESK_SERVER_BIN:-target/debug/keydesk-server}")"
artifacts="$root/target/e2e-artifacts/remote"

fail() { echo "e2e remote: $*" >&2; exit 2; }
[ -x "$server_bin" ] || fail "server binary not found: $server_bin (run cargo build -p keydesk-server first)"
command -v dbus-run-session >/dev/null || fail "dbus-run-session not found (apt-get install dbus)"
command -v gnome-keyring-daemon >/dev/null || fail "gnome-keyring-daemon not found (apt-get install gnome-keyring)"

mkdir -p "$artifacts"
rm -f "$artifacts"/*.png "$artifacts"/*.log

scratch="$(mktemp -d "${TMPDIR:-/tmp}/keydesk-e2e-remote-XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  cp "$scratch"/server/*.log "$artifacts"/ 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$scratch/server" "$scratch/app-data" "$scratch/keyring"

org="Northwind Labs"
email="admin@northwind.example"
"$server_bin" init --database "$scratch/server/keydesk.db" --admin-email "$email" \
  --admin-name "Nora Admin" --org-name "$org" --json >"$scratch/server/init.json" 2>"$scratch/server/server-init.log"
password="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).admin_password)' "$scratch/server/init.json")"
# The printed credentials are not needed again: only the test knows them now.
rm -f "$scratch/server/init.json"

# `serve` prints its address on the first line of stdout; logs go to stderr.
: >"$scratch/server/stdout"
"$server_bin" serve --database "$scratch/server/keydesk.db" --listen 127.0.0.1:0 \
  >"$scratch/server/stdout" 2>"$scratch/server/server.log" &
server_pid=$!
url=""
for _ in $(seq 1 100); do
  url="$(sed -n 's/^keydesk-server listening on //p' "$scratch/server/stdout" | head -n1 || true)"
  [ -n "$url" ] && break
  kill -0 "$server_pid" 2>/dev/null || fail "the server exited: $(tail -n 5 "$scratch/server/server.log")"
  sleep 0.1
done
[ -n "$url" ] || fail "the server did not say where it listens"

export E2E_SERVER_URL="$url" E2E_ADMIN_EMAIL="$email" E2E_ADMIN_PASSWORD="$password" E2E_ORG_NAME="$org"
export E2E_SCRIPT=tests/e2e/remote.mjs E2E_ARTIFACTS="$artifacts" E2E_DATA_DIR="$scratch/app-data"
export E2E_SCAN_DIRS="$scratch/app-data:$scratch/server:$scratch/keyring:$artifacts"
export XDG_DATA_HOME="$scratch/keyring"

dbus-run-session -- sh -c '
  echo -n throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec bash tests/e2e/run.sh'
