#!/usr/bin/env bash
# Fails when the TypeScript payload types in ui/src/generated differ from the
# committed ones. The Rust tests (ts-rs) write them from the Rust types the
# commands send and accept; run after `cargo test`, this catches a Rust type
# changed without the UI's view of it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "generated types: not a git checkout, nothing to compare against" >&2
    exit 0
fi
changed=$(git status --porcelain -- ui/src/generated)
if [ -n "$changed" ]; then
    echo "generated types: the Rust types no longer match ui/src/generated;" >&2
    echo "commit what the Rust tests wrote there:" >&2
    echo "$changed" >&2
    exit 1
fi
echo "generated types: up to date"
