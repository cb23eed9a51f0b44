#!/usr/bin/env bash
# Run a command next to a throwaway PostgreSQL server.
#
#   bash scripts/with-postgres.sh CMD [ARGS...]
#
# Starts a private PostgreSQL server in a temporary directory, listening only
# on 127.0.0.1 on a free port, creates the database `keydesk_test`, exports
#
#   KEYDESK_TEST_POSTGRES_URL=postgres://keydesk@127.0.0.1:PORT/keydesk_test
#
# runs CMD with it, then stops the server and deletes every file it wrote.
# The exit code is CMD's own.
#
# The server is tuned for tests, not for keeping data: trust authentication
# (nothing but this machine can reach it), fsync and synchronous commits off.
# The database user `keydesk` is the cluster's bootstrap superuser, so the
# migrations may run `CREATE EXTENSION pg_trgm` and tests may create
# databases of their own.
#
# PostgreSQL refuses to run as root; when this script runs as root, the server
# runs as the `postgres` system user (created if missing) while CMD still runs
# as the calling user.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

say() { echo "with-postgres: $*" >&2; }
die() { say "error: $*"; exit 1; }

# --- find the server binaries ----------------------------------------------
# Debian/Ubuntu keep them out of PATH, one directory per major version: take
# the newest. Elsewhere, fall back to pg_config or whatever is on PATH.
find_bindir() {
    local dir
    dir=$(for d in /usr/lib/postgresql/*/bin; do
              if [ -x "$d/initdb" ]; then echo "$d"; fi
          done | sort -V | tail -n 1)
    if [ -n "$dir" ]; then echo "$dir"; return; fi
    if command -v pg_config >/dev/null 2>&1; then
        dir=$(pg_config --bindir)
        if [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
    fi
    if command -v initdb >/dev/null 2>&1; then
        dirname "$(command -v initdb)"; return
    fi
    return 1
}
PG_BIN=$(find_bindir) || die "PostgreSQL server binaries not found (initdb, pg_ctl); run scripts/setup.sh or install the 'postgresql' package"

DB_USER=keydesk
DB_NAME=keydesk_test

# --- who runs the server -----------------------------------------------------
# as_pg CMD...: run a server-side command as the user that owns the cluster.
if [ "$(id -u)" -eq 0 ]; then
    PG_OS_USER=postgres
    if ! id -u "$PG_OS_USER" >/dev/null 2>&1; then
        say "creating system user '$PG_OS_USER' to run the server"
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_OS_USER"
    fi
    as_pg() { runuser -u "$PG_OS_USER" -- "$@"; }
else
    PG_OS_USER=$(id -un)
    as_pg() { "$@"; }
fi

# --- temporary cluster directory ----------------------------------------------
# Under /tmp on purpose: the unix socket path must stay short (about 100
# bytes at most), and the server user must be able to reach it even when the
# caller's TMPDIR is inside a private home directory.
WORK_DIR=$(mktemp -d /tmp/keydesk-pg.XXXXXX)
DATA_DIR="$WORK_DIR/data"
LOG_FILE="$WORK_DIR/server.log"
STARTED=0

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
    local rc=$?
    # postmaster.pid exists while a server runs on DATA_DIR, even one whose
    # start pg_ctl gave up waiting for.
    if [ -f "$DATA_DIR/postmaster.pid" ]; then
        # Immediate shutdown: the data is thrown away anyway.
        as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK_DIR"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" -eq 0 ]; then
    chown "$PG_OS_USER" "$WORK_DIR"
fi
chmod 700 "$WORK_DIR"

# --- initdb --------------------------------------------------------------------
if ! as_pg "$PG_BIN/initdb" -D "$DATA_DIR" --username="$DB_USER" --auth=trust \
        --encoding=UTF8 --locale=C --no-sync >"$WORK_DIR/initdb.log" 2>&1; then
    cat "$WORK_DIR/initdb.log" >&2
    die "initdb failed"
fi

# --- pick a free port and start --------------------------------------------------
# Ask the kernel for a free port (python3), or probe random ones with bash's
# /dev/tcp. Another process could grab the port before the server binds it,
# so a failed start is retried with a new port.
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - <<'EOF' && return
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
    fi
    local port i
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 40000))
        # A failed connect means nobody listens there.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"; return
        fi
    done
    return 1
}

PORT=
for attempt in 1 2 3 4 5; do
    PORT=$(free_port) || die "no free TCP port found"
    if as_pg "$PG_BIN/pg_ctl" -D "$DATA_DIR" -l "$LOG_FILE" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -p $PORT -k $WORK_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
        STARTED=1
        break
    fi
    say "server did not start on port $PORT (attempt $attempt)"
done
if [ "$STARTED" -ne 1 ]; then
    cat "$LOG_FILE" >&2 2>/dev/null || true
    die "could not start PostgreSQL"
fi

# pg_ctl -w already waited; pg_isready double-checks the TCP listener.
for ((i = 0; i < 100; i++)); do
    if "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U "$DB_USER"; then break; fi
    sleep 0.1
done
"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U "$DB_USER" \
    || { cat "$LOG_FILE" >&2; die "PostgreSQL is not accepting connections"; }

"$PG_BIN/createdb" -h 127.0.0.1 -p "$PORT" -U "$DB_USER" "$DB_NAME" \
    || die "createdb $DB_NAME failed"

export KEYDESK_TEST_POSTGRES_URL="postgres://$DB_USER@127.0.0.1:$PORT/$DB_NAME"
say "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') ready at $KEYDESK_TEST_POSTGRES_URL"

# --- run the command --------------------------------------------------------------
# Not exec: the trap must still stop the server afterwards. The EXIT trap
# passes CMD's status on.
set +e
"$@"
exit $?
