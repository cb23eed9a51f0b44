#!/usr/bin/env bash
# Prepare a Debian/Ubuntu machine to build, run and test Keydesk.
#
#   bash scripts/setup.sh
#
# Idempotent and quick when everything is already there: it installs only
# what is missing —
#   1. Debian packages (build libraries for Tauri/WebKitGTK, Xvfb and
#      WebKitWebDriver for the end-to-end tests, a keyring stack, PostgreSQL
#      for the store's tests, Node.js/npm if absent),
#   2. checks the Rust toolchain,
#   3. tauri-driver (WebDriver bridge for the end-to-end tests),
#   4. the UI's npm dependencies (npm ci, skipped while package-lock.json is
#      unchanged since the last install).
# Runs as root, or uses sudo for the package step when not root.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say()  { echo "setup: $*"; }
warn() { echo "setup: warning: $*" >&2; }
die()  { echo "setup: error: $*" >&2; exit 1; }

# run_logged DESCRIPTION CMD...: run CMD quietly; show its output only if it
# fails.
run_logged() {
    local what=$1; shift
    local log
    log=$(mktemp)
    if ! "$@" >"$log" 2>&1; then
        # Tools put the cause first (npm) or last (cargo, apt): show both ends.
        if [ "$(wc -l <"$log")" -le 120 ]; then
            cat "$log" >&2
        else
            head -n 40 "$log" >&2
            echo "    [...]" >&2
            tail -n 60 "$log" >&2
        fi
        rm -f "$log"
        die "$what failed"
    fi
    rm -f "$log"
}

# Tools installed with `cargo install` live here.
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
if [ -d "$CARGO_BIN" ]; then
    case ":$PATH:" in *":$CARGO_BIN:"*) ;; *) export PATH="$CARGO_BIN:$PATH" ;; esac
fi

# --- 1. Debian packages --------------------------------------------------------
PACKAGES=(
    # building the desktop app (Tauri 2 on WebKitGTK 4.1)
    libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev
    librsvg2-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
    build-essential pkg-config libssl-dev libxdo-dev file
    # running the real window headless, screenshots, WebDriver
    xvfb xauth xdotool imagemagick webkit2gtk-driver at-spi2-core
    # OS keychain (Secret Service over D-Bus, kernel keyutils)
    gnome-keyring dbus dbus-x11 libsecret-tools keyutils libdbus-1-dev
    # the store's PostgreSQL tests (server binaries + pg_trgm from contrib)
    postgresql
    # the gateway's shared rate-limit counters across replicas (tests start one)
    redis-server
    # misc
    curl ca-certificates
)

# Node.js and npm: keep whatever is installed (it may come from another
# source than Debian, whose `npm` package would conflict with it).
command -v node >/dev/null 2>&1 || PACKAGES+=(nodejs)
command -v npm  >/dev/null 2>&1 || PACKAGES+=(npm)
# The conformance test makes a Python virtualenv (schemathesis from PyPI).
command -v python3 >/dev/null 2>&1 || PACKAGES+=(python3)
{ command -v python3 >/dev/null 2>&1 && python3 -c 'import ensurepip, venv' >/dev/null 2>&1; } || PACKAGES+=(python3-venv)

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    # One dpkg-query for every package; unknown names just print nothing.
    installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${PACKAGES[@]}" 2>/dev/null \
        | awk '$NF == "installed" { print $1 }' || true)
    missing=()
    for pkg in "${PACKAGES[@]}"; do
        grep -qxF "$pkg" <<<"$installed" || missing+=("$pkg")
    done

    if [ "${#missing[@]}" -gt 0 ]; then
        SUDO=()
        if [ "$(id -u)" -ne 0 ]; then
            command -v sudo >/dev/null 2>&1 \
                || die "not root and no sudo: install these packages first: ${missing[*]}"
            SUDO=(sudo)
        fi
        say "installing ${#missing[@]} Debian package(s): ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        run_logged "apt-get update" "${SUDO[@]}" apt-get update -q
        run_logged "apt-get install" "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -q --no-install-recommends "${missing[@]}"
    else
        say "Debian packages: all ${#PACKAGES[@]} present"
    fi
else
    warn "not a Debian/Ubuntu system: install the equivalents of these packages yourself:"
    warn "  ${PACKAGES[*]}"
fi

# --- Node.js version ----------------------------------------------------------------
command -v node >/dev/null 2>&1 || die "node is not on PATH"
command -v npm  >/dev/null 2>&1 || die "npm is not on PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
    warn "Node.js $(node --version) is old; the UI toolchain (Vite, Vitest) expects Node.js 20 or newer"
fi
say "Node.js $(node --version), npm $(npm --version)"

# --- 2. Rust toolchain ------------------------------------------------------------------
if ! command -v cargo >/dev/null 2>&1; then
    cat >&2 <<'EOF'
setup: error: no Rust toolchain (cargo) found.
  Install it with rustup, the official installer (https://rustup.rs):
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
  then open a new shell (or `. "$HOME/.cargo/env"`) and run this script again.
  Debian's own rustc/cargo packages are too old for this project.
EOF
    exit 1
fi
# The workspace's minimum Rust version, from the root Cargo.toml.
need_rust=$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' Cargo.toml | head -n 1)
have_rust=$(rustc --version | awk '{print $2}')
if [ -n "$need_rust" ] && [ "$(printf '%s\n%s\n' "$need_rust" "$have_rust" | sort -V | head -n 1)" != "$need_rust" ]; then
    die "rustc $have_rust is older than the required $need_rust: run 'rustup update stable'"
fi
say "Rust $have_rust"
# The format and lint gates of the test command.
for component in rustfmt clippy; do
    tool=$component; [ "$component" = rustfmt ] && tool=fmt
    if ! cargo "$tool" --version >/dev/null 2>&1; then
        if command -v rustup >/dev/null 2>&1 && rustup component add "$component" >/dev/null 2>&1; then
            say "added the Rust component $component"
        else
            warn "Rust component $component is missing and could not be added; its test stage will be skipped"
        fi
    fi
done

# --- 3. tauri-driver ----------------------------------------------------------------------
if ! command -v tauri-driver >/dev/null 2>&1; then
    say "installing tauri-driver with cargo (takes a minute or two)"
    run_logged "cargo install tauri-driver" cargo install tauri-driver --locked --version '^2'
    command -v tauri-driver >/dev/null 2>&1 \
        || die "tauri-driver was installed but is not on PATH: add $CARGO_BIN to PATH"
fi
say "tauri-driver at $(command -v tauri-driver)"

# --- 4. npm dependencies --------------------------------------------------------------------
# in_dir DIR CMD...: run CMD inside DIR (a subshell, so our cwd stays put).
in_dir() ( cd "$1" && shift && "$@" )

# npm ci wipes node_modules and installs again, which takes a while; skip it
# while the lockfile is the one we installed from (a hash kept inside
# node_modules, so deleting node_modules forces a fresh install).
npm_ci() {
    local dir=$1
    [ -f "$dir/package-lock.json" ] || return 0
    local stamp="$dir/node_modules/.keydesk-lock.sha256"
    local want
    want=$(sha256sum "$dir/package-lock.json" | awk '{print $1}')
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
        say "npm dependencies in $dir/ up to date"
        return 0
    fi
    say "npm ci in $dir/"
    run_logged "npm ci in $dir/" \
        in_dir "$dir" npm ci --no-audit --no-fund --loglevel=error
    mkdir -p "$dir/node_modules"   # npm creates none for a package without deps
    echo "$want" >"$stamp"
}

if [ -f ui/package.json ]; then
    [ -f ui/package-lock.json ] || die "ui/package-lock.json is missing: npm ci needs the lockfile"
    npm_ci ui
fi
npm_ci tests/e2e

say "done"
