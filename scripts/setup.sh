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
#   2. the Rust toolchain pinned by rust-toolchain.toml (installed, or the
#      stable toolchain registered under its name when that is the same
#      version and nothing can be downloaded), with rustfmt and clippy,
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
    xvfb xauth xdotool xclip imagemagick webkit2gtk-driver at-spi2-core
    # reading the .rpm the bundle test builds
    rpm
    # the shell steps of the GitHub workflows, checked by actionlint
    shellcheck
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
# rust-toolchain.toml pins the toolchain (its version, with rustfmt and
# clippy) and rustup picks it for every cargo call in this repository, so it
# must exist before anything here calls cargo: install it, or, when it cannot
# be downloaded and the stable toolchain is that very version, register the
# stable toolchain under the pinned name.
RUST_PIN=$(sed -n 's/^channel *= *"\([^"]*\)".*/\1/p' rust-toolchain.toml | head -n 1)
[ -n "$RUST_PIN" ] || die "rust-toolchain.toml names no channel"
# A download of the toolchain that takes longer than this is given up.
RUSTUP_INSTALL_TIMEOUT=${KEYDESK_RUSTUP_INSTALL_TIMEOUT:-180}

if ! command -v cargo >/dev/null 2>&1 && ! command -v rustup >/dev/null 2>&1; then
    cat >&2 <<EOF2
setup: error: no Rust toolchain (cargo) found.
  Install it with rustup, the official installer (https://rustup.rs):
      curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --default-toolchain $RUST_PIN
  then open a new shell (or \`. "\$HOME/.cargo/env"\`) and run this script again.
  Debian's own rustc/cargo packages are too old for this project.
EOF2
    exit 1
fi

# rustup_has TOOLCHAIN: whether rustup has TOOLCHAIN (lists only, installs nothing).
rustup_has() { rustup toolchain list 2>/dev/null | awk -v t="$1" '$1 == t { found = 1 } END { exit !found }'; }

# pin_missing REASON: stop with what to do about a missing pinned toolchain.
pin_missing() {
    cat >&2 <<EOF2
setup: error: the Rust toolchain $RUST_PIN (pinned by rust-toolchain.toml) is not installed: $1.
  Either install it where the network allows it:
      rustup toolchain install $RUST_PIN --profile minimal --component rustfmt --component clippy
  (or let this script try longer: KEYDESK_RUSTUP_INSTALL_TIMEOUT=600), or make
  rustup's stable toolchain rustc $RUST_PIN, then run this script again: it
  registers stable under the pinned name.
EOF2
    exit 1
}

ensure_pinned_toolchain() {
    local host name home log rc stable stable_version sysroot
    # Asked outside the repository, so that rustup looks at no pin here.
    host=$(cd / && RUSTUP_AUTO_INSTALL=0 rustup show 2>/dev/null | sed -n 's/^Default host: *//p' || true)
    [ -n "$host" ] || die "rustup does not say its host triple (rustup show)"
    name="$RUST_PIN-$host"
    rustup_has "$name" && return 0

    say "installing Rust $RUST_PIN, pinned by rust-toolchain.toml (giving up after ${RUSTUP_INSTALL_TIMEOUT}s)"
    log=$(mktemp)
    rc=0
    timeout "$RUSTUP_INSTALL_TIMEOUT" rustup toolchain install "$RUST_PIN" --profile minimal \
        --component rustfmt --component clippy --no-self-update >"$log" 2>&1 || rc=$?
    if [ "$rc" -eq 0 ]; then
        rm -f "$log"
        say "installed the Rust toolchain $name"
        return 0
    elif [ "$rc" -eq 124 ]; then
        warn "could not install Rust $RUST_PIN: not done within ${RUSTUP_INSTALL_TIMEOUT}s"
    else
        warn "could not install Rust $RUST_PIN: $(grep -m 1 '^error' "$log" || tail -n 1 "$log")"
    fi
    rm -f "$log"

    home=$(rustup show home)
    if [ -e "$home/toolchains/$name" ] || [ -L "$home/toolchains/$name" ]; then
        die "the interrupted install left $home/toolchains/$name behind: 'rustup toolchain uninstall $name' removes it (unless it is a symbolic link: then remove only the link, with rm); then run this script again"
    fi
    stable="stable-$host"
    rustup_has "$stable" || pin_missing "it could not be downloaded, and rustup has no stable toolchain to use instead"
    stable_version=$(rustup run "$stable" rustc --version 2>/dev/null | awk '{print $2}' || true)
    [ "$stable_version" = "$RUST_PIN" ] \
        || pin_missing "it could not be downloaded, and the stable toolchain is rustc ${stable_version:-(not runnable)}, not $RUST_PIN"
    sysroot=$(rustup run "$stable" rustc --print sysroot)
    # Register stable under the pinned name with `rustup toolchain link`. rustup
    # (1.29) refuses names of official toolchains there ("invalid custom
    # toolchain name"); a linked toolchain is a symbolic link in rustup's
    # toolchains folder, so when rustup refuses, make that same link here.
    if ! rustup toolchain link "$name" "$sysroot" >/dev/null 2>&1; then
        mkdir -p "$home/toolchains"
        ln -s "$sysroot" "$home/toolchains/$name"
    fi
    rustup_has "$name" || die "could not register $sysroot as the Rust toolchain $name"
    say "registered the stable toolchain (rustc $RUST_PIN, $sysroot) as $name"
}

if command -v rustup >/dev/null 2>&1; then
    ensure_pinned_toolchain
fi
# From here on cargo and rustc are the pinned toolchain's (rustup reads
# rust-toolchain.toml in this directory); without rustup they must be that
# version themselves.
have_rust=$(rustc --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have_rust" != "$RUST_PIN" ]; then
    if [ -n "${RUSTUP_TOOLCHAIN:-}" ]; then
        die "RUSTUP_TOOLCHAIN=$RUSTUP_TOOLCHAIN overrides rust-toolchain.toml (rustc ${have_rust:-not runnable}, the pin is $RUST_PIN): unset it"
    fi
    command -v rustup >/dev/null 2>&1 \
        || die "rustc here is ${have_rust:-not runnable} and there is no rustup to use the pinned $RUST_PIN: install Rust with rustup (https://rustup.rs)"
    die "rustc here is ${have_rust:-not runnable}, not $RUST_PIN as rust-toolchain.toml pins it: 'rustup toolchain list' shows what rustup has"
fi
say "Rust $have_rust (rust-toolchain.toml)"
# The format and lint gates of the test command.
for component in rustfmt clippy; do
    tool=$component; [ "$component" = rustfmt ] && tool=fmt
    if ! cargo "$tool" --version >/dev/null 2>&1; then
        if command -v rustup >/dev/null 2>&1 \
            && rustup component add --toolchain "$RUST_PIN" "$component" >/dev/null 2>&1 \
            && cargo "$tool" --version >/dev/null 2>&1; then
            say "added the Rust component $component"
        else
            die "the Rust component $component is missing and could not be added ('rustup component add --toolchain $RUST_PIN $component'); the test command's format and lint stages need it"
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
