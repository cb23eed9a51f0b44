#!/usr/bin/env bash
# Run a command next to a throwaway Redis server.
#
#   bash scripts/with-redis.sh CMD [ARGS...]
#
# Starts a private redis-server listening only on 127.0.0.1, on a free port,
# with no persistence and its files in a temporary directory, exports
#
#   KEYDESK_TEST_REDIS_URL=redis://127.0.0.1:PORT
#
# runs CMD with it, then stops the server and deletes its directory. The
# exit code is CMD's own. The gateway's tests use it for the rate-limit
# counters that several replicas share.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

say() { echo "with-redis: $*" >&2; }
die() { say "error: $*"; exit 1; }

command -v redis-server >/dev/null 2>&1 \
    || die "redis-server not found; run scripts/setup.sh or install the 'redis-server' package"

WORK_DIR=$(mktemp -d /tmp/keydesk-redis.XXXXXX)
PID=

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
    local rc=$?
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    rm -rf "$WORK_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

for attempt in 1 2 3 4 5; do
    PORT=$(free_port) || die "no free TCP port found"
    redis-server --bind 127.0.0.1 --port "$PORT" --dir "$WORK_DIR" \
        --save '' --appendonly no --protected-mode yes \
        --logfile "$WORK_DIR/redis.log" --daemonize no &
    PID=$!
    for ((i = 0; i < 100; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
            break 2
        fi
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    say "server did not start on port $PORT (attempt $attempt)"
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
    PID=
done
[ -n "$PID" ] || { cat "$WORK_DIR/redis.log" >&2 2>/dev/null || true; die "could not start Redis"; }

export KEYDESK_TEST_REDIS_URL="redis://127.0.0.1:$PORT"
say "Redis $(redis-server --version | awk '{print $3}' | sed 's/v=//') ready at $KEYDESK_TEST_REDIS_URL"

set +e
"$@"
exit $?
