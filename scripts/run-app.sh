#!/usr/bin/env bash
# Build and start the Keydesk desktop app in local mode (its own SQLite file,
# no server needed).
#
#   bash scripts/run-app.sh [APP ARGS...]
#
# Runs scripts/setup.sh, builds the web UI into ui/dist (the app embeds it at
# compile time), then builds and starts the debug app with cargo. The first
# build takes a few minutes; later ones only rebuild what changed.
# It is a dev build: tauri.dev.conf.json is merged over tauri.conf.json
# (TAURI_CONFIG), so it has its own app identifier, and with it its own data
# folder and keychain entries, apart from a release build's.
# (For UI work with hot reload, use the Tauri CLI from the repository root
#  instead: `ui/node_modules/.bin/tauri dev --config tauri.dev.conf.json`
#  starts Vite at the devUrl.)
# Set KEYDESK_DATA_DIR to keep the app's data somewhere other than the
# platform's app-data directory (e.g. a scratch directory for a demo).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ -d "$CARGO_BIN" ]; then
    case ":$PATH:" in *":$CARGO_BIN:"*) ;; *) export PATH="$CARGO_BIN:$PATH" ;; esac
fi

bash scripts/setup.sh

echo "run-app: building the UI (ui/dist)"
(cd ui && npm run build --silent)

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "run-app: warning: no DISPLAY or WAYLAND_DISPLAY set; the window needs a graphical session" >&2
    echo "run-app:          (headless: start 'Xvfb :99 &' and set DISPLAY=:99)" >&2
fi

# The dev overlay, read by tauri-build and tauri::generate_context!.
TAURI_CONFIG=$(cat tauri.dev.conf.json)
export TAURI_CONFIG
# tauri/custom-protocol: serve the embedded ui/dist. Without it a debug
# build is in Tauri's dev mode and expects the Vite dev server at devUrl.
echo "run-app: building and starting the app (cargo run -p keydesk)"
exec cargo run -p keydesk --features tauri/custom-protocol -- "$@"
