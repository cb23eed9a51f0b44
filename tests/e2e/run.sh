#!/usr/bin/env bash
# Runs the end-to-end test (run.mjs) against the real app binary:
# a fresh data folder, a virtual X display when there is none, tauri-driver
# on free ports; cleans everything up afterwards. Screenshots and the
# driver's log go to target/e2e-artifacts/.
#
#   cargo build && tests/e2e/run.sh
#
# E2E_SCRIPT picks another node script (the keys-view benchmark and the
# remote journey use it), E2E_SEED_DIR a data folder copied in first (default:
# an empty one), E2E_DATA_DIR an empty data folder the caller keeps (to look
# at afterwards; default: a temporary one), E2E_ARTIFACTS another folder for
# screenshots and logs.
#
# Needs: node 20+, tauri-driver (cargo install tauri-driver --locked),
# WebKitWebDriver (Debian: webkit2gtk-driver), Xvfb when DISPLAY is unset,
# xdotool (the tray journey checks which windows are shown), xclip (the
# journeys read the clipboard as another program would).
# KEYDESK_APP_BIN selects another binary (default target/debug/keydesk).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

app_bin="$(realpath -m "${KEYDESK_APP_BIN:-target/debug/keydesk}")"
artifacts="$(realpath -m "${E2E_ARTIFACTS:-$root/target/e2e-artifacts}")"

fail() { echo "e2e: $*" >&2; exit 2; }
[ -x "$app_bin" ] || fail "app binary not found: $app_bin (run cargo build first)"
command -v node >/dev/null || fail "node is not installed"
command -v tauri-driver >/dev/null || fail "tauri-driver not found (cargo install tauri-driver --locked)"
command -v WebKitWebDriver >/dev/null || fail "WebKitWebDriver not found (apt-get install webkit2gtk-driver)"
command -v xclip >/dev/null || fail "xclip not found (apt-get install xclip)"

mkdir -p "$artifacts"
rm -f "$artifacts"/*.png "$artifacts"/*.log

if [ -n "${E2E_DATA_DIR:-}" ]; then
  data_dir="$E2E_DATA_DIR"
  mkdir -p "$data_dir"
  keep_data=1
else
  data_dir="$(mktemp -d "${TMPDIR:-/tmp}/keydesk-e2e-XXXXXX")"
  keep_data=""
fi
# Test only (honoured by debug builds): days the app's store clock is shifted
# by, written by the journeys that need keys to expire.
clock_file="$(mktemp "${TMPDIR:-/tmp}/keydesk-e2e-clock-XXXXXX")"
# A scratch home: the app's saved window places, its autostart entry and the
# .env file journey (e) saves land here, never in the user's own.
e2e_home="$(mktemp -d "${TMPDIR:-/tmp}/keydesk-e2e-home-XXXXXX")"
echo 0 >"$clock_file"
if [ -n "${E2E_SEED_DIR:-}" ]; then
  cp -a "$E2E_SEED_DIR"/. "$data_dir"/
fi
xvfb_pid=""
driver_pid=""
cleanup() {
  if [ -n "$driver_pid" ]; then kill "$driver_pid" 2>/dev/null || true; wait "$driver_pid" 2>/dev/null || true; fi
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; wait "$xvfb_pid" 2>/dev/null || true; fi
  if [ -z "$keep_data" ]; then rm -rf "$data_dir"; fi
  rm -f "$clock_file"
  rm -rf "$e2e_home"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

if [ -z "${DISPLAY:-}" ]; then
  command -v Xvfb >/dev/null || fail "DISPLAY is unset and Xvfb is not installed"
  display=99
  while [ -e "/tmp/.X${display}-lock" ] || [ -e "/tmp/.X11-unix/X${display}" ]; do
    display=$((display + 1))
  done
  Xvfb ":${display}" -screen 0 1280x800x24 -nolisten tcp >"$artifacts/xvfb.log" 2>&1 &
  xvfb_pid=$!
  for _ in $(seq 1 100); do
    [ -e "/tmp/.X11-unix/X${display}" ] && break
    kill -0 "$xvfb_pid" 2>/dev/null || fail "Xvfb exited; see $artifacts/xvfb.log"
    sleep 0.05
  done
  export DISPLAY=":${display}"
fi

# WebKitGTK's GPU paths do not work on a virtual display.
export WEBKIT_DISABLE_DMABUF_RENDERER="${WEBKIT_DISABLE_DMABUF_RENDERER:-1}"
export WEBKIT_DISABLE_COMPOSITING_MODE="${WEBKIT_DISABLE_COMPOSITING_MODE:-1}"

# The app is started by WebKitWebDriver, started by tauri-driver: it
# inherits this environment, including its data folder.
export KEYDESK_DATA_DIR="$data_dir"
export HOME="$e2e_home" XDG_CONFIG_HOME="$e2e_home/.config"
# Test only (debug builds): each notification shown is also logged here (a
# virtual display has no notification daemon to ask).
export KEYDESK_TEST_NOTIFICATIONS_LOG="$e2e_home/notifications.jsonl"
export KEYDESK_TEST_CLOCK_FILE="$clock_file"
# Test only (debug builds): the app shows its tray window at start, as the
# tray menu's "My keys" does, so that WebDriver can switch to it.
export KEYDESK_TEST_OPEN_TRAY_WINDOW=1
export KEYDESK_APP_BIN="$app_bin"
export E2E_ARTIFACTS="$artifacts"

port="$(free_port)"
native_port="$(free_port)"
tauri-driver --port "$port" --native-port "$native_port" >"$artifacts/tauri-driver.log" 2>&1 &
driver_pid=$!
export WEBDRIVER_URL="http://127.0.0.1:${port}"

node "${E2E_SCRIPT:-tests/e2e/run.mjs}"
