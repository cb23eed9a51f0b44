#!/usr/bin/env bash
# The Linux installers, end to end, as a team makes them: a throwaway update
# key (the Tauri CLI's signer), then scripts/team-build with a team.json that
# turns the local store off, building the .deb and .rpm of the dev build
# (reusing the app build's artifacts) with their update signatures. Checks
# what the packages say about themselves (name, version, dependencies) and
# what they hold (the binary, the desktop entry, the icons, the team's
# settings), that each comes with a signature made for it, then installs the
# .deb with dpkg, starts the installed app on a virtual display, waits for
# its window, sees that the shipped team settings are in force (no local
# store is created), quits it, and removes the package again (also when a
# check fails).
#
#   bash tests/bundle/linux.sh
#
# Needs: dpkg, rpm (to read the .rpm), Xvfb and xdotool, the UI's npm
# packages (the Tauri CLI), root or password-less sudo (dpkg -i). A picture of
# the installed app's window and the build log go to target/bundle-artifacts/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
artifacts="$root/target/bundle-artifacts"
mkdir -p "$artifacts"
rm -f "$artifacts"/*

fail() { echo "bundle: $*" >&2; exit 2; }
for tool in dpkg dpkg-deb rpm Xvfb xdotool import node; do
    command -v "$tool" >/dev/null || fail "$tool not found (scripts/setup.sh installs it)"
done
[ -x ui/node_modules/.bin/tauri ] || fail "the Tauri CLI is missing: run npm ci in ui/"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    sudo -n true 2>/dev/null || fail "installing the .deb needs root or password-less sudo"
    SUDO=(sudo -n)
fi

passed=0
failed=0
check() { # check WHAT CONDITION...: one line per check, counted
    local what="$1"
    shift
    if "$@"; then
        passed=$((passed + 1))
        echo "ok   $what"
    else
        failed=$((failed + 1))
        echo "FAIL $what"
    fi
}
contains() { grep -qF -- "$2" <<<"$1"; }
matches() { grep -qE -- "$2" <<<"$1"; }

# What the packages must say, from the same configuration the build reads
# (tauri.conf.json with the dev overlay merged over it).
read -r product version <<<"$(node -e '
    const fs = require("fs");
    const base = JSON.parse(fs.readFileSync("tauri.conf.json", "utf8"));
    const dev = JSON.parse(fs.readFileSync("tauri.dev.conf.json", "utf8"));
    const merged = { ...base, ...dev };
    console.log(merged.productName.replace(/ /g, "_"), merged.version);
')"
product="${product//_/ }"
package="$(tr '[:upper:] ' '[:lower:]-' <<<"$product")"
echo "bundle: building the .deb and .rpm of $product $version (package $package)"

# A team's build: its settings, a throwaway update key, its server.
scratch="$(mktemp -d "${TMPDIR:-/tmp}/keydesk-bundle-XXXXXX")"
xvfb_pid=""
app_pid=""
installed=""
cleanup() {
    if [ -n "$app_pid" ]; then kill "$app_pid" 2>/dev/null || true; wait "$app_pid" 2>/dev/null || true; fi
    if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; wait "$xvfb_pid" 2>/dev/null || true; fi
    if [ -n "$installed" ]; then "${SUDO[@]}" dpkg -r "$package" >/dev/null 2>&1 || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
team_server="https://keys.team.example"
printf '{"local_mode": false, "default_key_expiry_days": 30}\n' >"$scratch/team.json"
ui/node_modules/.bin/tauri signer generate --ci -p "" -w "$scratch/update.key" >/dev/null 2>&1 \
    || fail "the Tauri CLI could not make a key pair"
bundle_dir="$root/target/debug/bundle"
rm -rf "$bundle_dir/deb" "$bundle_dir/rpm"
bash scripts/team-build --debug --team "$scratch/team.json" --server "$team_server" \
    --key "$scratch/update.key" --pubkey "$scratch/update.key.pub" --out "$scratch/out" \
    >"$artifacts/build.log" 2>&1 || { tail -n 30 "$artifacts/build.log" >&2; fail "scripts/team-build failed"; }
check "team-build leaves no team settings beside the dev binary" test ! -e "$root/target/debug/team.json"
deb="$(find "$bundle_dir/deb" -maxdepth 1 -name '*.deb' | head -n1)"
rpm_file="$(find "$bundle_dir/rpm" -maxdepth 1 -name '*.rpm' | head -n1)"
[ -f "$deb" ] || fail "no .deb in $bundle_dir/deb"
[ -f "$rpm_file" ] || fail "no .rpm in $bundle_dir/rpm"
echo "bundle: $(basename "$deb") $(du -h "$deb" | cut -f1), $(basename "$rpm_file") $(du -h "$rpm_file" | cut -f1)"

# ------------------------------------------------------------ the .deb
control="$(dpkg-deb -f "$deb")"
files="$(dpkg-deb -c "$deb" | awk '{ $1=$2=$3=$4=$5=""; sub(/^ +/, ""); print }')"
entry_path="usr/share/applications/$product.desktop"
entry="$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "$entry_path" 2>/dev/null || true)"
check ".deb: package name is $package" contains "$control" "Package: $package"
check ".deb: version is $version" contains "$control" "Version: $version"
check ".deb: depends on WebKitGTK 4.1" matches "$control" '^Depends:.*libwebkit2gtk-4\.1-0'
check ".deb: depends on GTK 3" matches "$control" '^Depends:.*libgtk-3-0'
check ".deb: has a description" matches "$control" '^Description: .+'
check ".deb: holds the binary /usr/bin/keydesk" matches "$files" '^(\./)?usr/bin/keydesk$'
check ".deb: holds a desktop entry" test -n "$entry"
check ".deb: the desktop entry starts the binary" matches "$entry" '^Exec=keydesk'
check ".deb: the desktop entry is named $product" matches "$entry" "^Name=$product\$"
check ".deb: the desktop entry names its icon" matches "$entry" '^Icon=keydesk$'
check ".deb: the desktop entry lists it under Development" matches "$entry" '^Categories=.*Development'
check ".deb: holds the icon in 32x32 and 128x128" \
    bash -c 'grep -q "hicolor/32x32/apps/keydesk.png" <<<"$1" && grep -q "hicolor/128x128/apps/keydesk.png" <<<"$1"' _ "$files"

# ------------------------------------------------------------ the .rpm
rpm_info="$(rpm -qp --queryformat '%{NAME} %{VERSION}\n' "$rpm_file" 2>/dev/null)"
rpm_requires="$(rpm -qpR "$rpm_file" 2>/dev/null)"
rpm_files="$(rpm -qlp "$rpm_file" 2>/dev/null)"
check ".rpm: name and version are $package $version" test "$rpm_info" = "$package $version"
check ".rpm: requires WebKitGTK 4.1" matches "$rpm_requires" 'libwebkit2gtk-4\.1'
check ".rpm: holds the binary, desktop entry and icon" \
    bash -c 'grep -qx /usr/bin/keydesk <<<"$1" && grep -q "applications/.*\.desktop" <<<"$1" && grep -q "hicolor/128x128/apps/keydesk.png" <<<"$1"' _ "$rpm_files"

# ------------------------------------------------------------ the team's additions
shipped="$(dpkg-deb --fsys-tarfile "$deb" | tar -xOf - "usr/lib/$product/team.json" 2>/dev/null || true)"
check ".deb: ships the team's settings where the app reads them" contains "$shipped" '"local_mode": false'
check ".deb: the shipped settings name the team's server" contains "$shipped" "\"default_server_url\": \"$team_server\""
for package_file in "$deb" "$rpm_file"; do
    name="$(basename "$package_file")"
    signature="$(base64 -d "$package_file.sig" 2>/dev/null || true)"
    check "$name: comes with an update signature made for it" \
        bash -c 'grep -q "^untrusted comment: signature from tauri secret key" <<<"$1" && grep -qF "file:$2" <<<"$1" && grep -qF "version:$3" <<<"$1"' _ "$signature" "$name" "$version"
done

# ------------------------------------------------------------ install, start, remove

"${SUDO[@]}" dpkg -i "$deb" >"$artifacts/dpkg-install.log" 2>&1 && installed=1
check ".deb: dpkg installs it" test -n "$installed"
check ".deb: the binary is on the PATH after installing" test -x /usr/bin/keydesk
check ".deb: dpkg knows the package" bash -c "dpkg -s '$package' 2>/dev/null | grep -q '^Status: install ok installed'"

display=99
while [ -e "/tmp/.X${display}-lock" ] || [ -e "/tmp/.X11-unix/X${display}" ]; do display=$((display + 1)); done
Xvfb ":${display}" -screen 0 1280x800x24 -nolisten tcp >"$artifacts/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 1 100); do [ -e "/tmp/.X11-unix/X${display}" ] && break; sleep 0.05; done

# start_installed LOG [VAR=VALUE...]: the installed app on the virtual
# display, in a clean environment with a scratch home and data folder.
start_installed() {
    local log="$1"
    shift
    env -i PATH=/usr/bin:/bin DISPLAY=":${display}" HOME="$scratch/home" KEYDESK_DATA_DIR="$scratch/data" \
        WEBKIT_DISABLE_DMABUF_RENDERER=1 WEBKIT_DISABLE_COMPOSITING_MODE=1 "$@" \
        keydesk >"$log" 2>&1 &
    app_pid=$!
}

window=""
if [ -n "$installed" ]; then
    mkdir -p "$scratch/home" "$scratch/data"
    start_installed "$artifacts/app.log"
    for _ in $(seq 1 300); do
        window="$(DISPLAY=":${display}" xdotool search --onlyvisible --name '^Keydesk$' 2>/dev/null | head -n1 || true)"
        [ -n "$window" ] && break
        kill -0 "$app_pid" 2>/dev/null || break
        sleep 0.1
    done
fi
check "the installed app opens its main window" test -n "$window"
check "the installed app follows the shipped team settings (no local store made)" \
    test ! -e "$scratch/data/keydesk.sqlite3"
if [ -n "$window" ]; then
    sleep 1
    DISPLAY=":${display}" import -window root "$artifacts/installed-app.png" 2>/dev/null || true
    kill -TERM "$app_pid"
    quit=""
    for _ in $(seq 1 100); do kill -0 "$app_pid" 2>/dev/null || { quit=1; break; }; sleep 0.1; done
    check "the installed app quits on SIGTERM" test -n "$quit"
    wait "$app_pid" 2>/dev/null || true
    app_pid=""
fi

# The control: the same install, told by KEYDESK_TEAM_FILE (which comes
# before the shipped file) that the local store is allowed, makes it.
if [ -n "$installed" ]; then
    printf '{"local_mode": true}\n' >"$scratch/local-allowed.json"
    start_installed "$artifacts/app-local.log" KEYDESK_TEAM_FILE="$scratch/local-allowed.json"
    for _ in $(seq 1 300); do
        [ -e "$scratch/data/keydesk.sqlite3" ] && break
        kill -0 "$app_pid" 2>/dev/null || break
        sleep 0.1
    done
    check "the control: with the local store allowed, the same install makes it" test -e "$scratch/data/keydesk.sqlite3"
    kill -TERM "$app_pid" 2>/dev/null || true
    wait "$app_pid" 2>/dev/null || true
    app_pid=""
    "${SUDO[@]}" dpkg -r "$package" >"$artifacts/dpkg-remove.log" 2>&1 && installed=""
fi
check ".deb: dpkg removes it" test -z "$installed"
check ".deb: the binary is gone after removing" test ! -e /usr/bin/keydesk

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
