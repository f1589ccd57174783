#!/usr/bin/env bash
# Watchdog of one throwaway PostgreSQL server (used by Chat.Testing.PostgresServer).
#
# It runs initdb and postgres, then polls every 0.5 s. When the watched process (the test
# process) is gone, when the file "$root/stop" appears, or when it receives SIGTERM/SIGINT/SIGHUP,
# it stops postgres (SIGINT = fast shutdown, SIGKILL after a few seconds) and deletes "$root".
# It runs in its own session (setsid), so it outlives a killed test process long enough to clean up.
#
# Usage: watchdog.sh WATCHED_PID ROOT PORT RUN_AS_USER(or "") PG_BIN_DIR
# Files in ROOT: data/ (cluster and socket), initdb.log, postgres.log,
#                failed (why start-up failed), stop (request to stop).
set -u
watched=$1 root=$2 port=$3 run_as=$4 bin=$5
data="$root/data"
exec </dev/null >>"$root/watchdog.log" 2>&1

stop_requested=0
trap 'stop_requested=1' TERM INT HUP

alive() {
    local stat
    [ -n "$1" ] || return 1
    kill -0 "$1" 2>/dev/null || return 1
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat%% *}" != Z ]
}

as_user() {
    if [ -n "$run_as" ]; then runuser -u "$run_as" -- "$@"; else "$@"; fi
}

should_run() {
    [ "$stop_requested" = 0 ] && [ ! -e "$root/stop" ] && alive "$watched"
}

child=""
if [ -n "$run_as" ]; then chown "$run_as": "$root"; fi
if as_user "$bin/initdb" -D "$data" -U postgres -A trust --no-sync -E UTF8 --locale=C >"$root/initdb.log" 2>&1; then
    as_user "$bin/postgres" -D "$data" -p "$port" -k "$data" \
        -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off \
        -c full_page_writes=off -c max_connections=300 >>"$root/postgres.log" 2>&1 &
    child=$!
else
    echo "initdb failed" >"$root/failed"
fi

while should_run; do
    if [ -n "$child" ] && [ ! -e "$root/failed" ] && ! alive "$child"; then
        echo "postgres exited" >"$root/failed"
    fi
    sleep 0.5
done

postmaster=$(head -n 1 "$data/postmaster.pid" 2>/dev/null || true)
case "$postmaster" in ''|*[!0-9]*) postmaster="" ;; esac

signal_all() {
    if [ -n "$postmaster" ]; then kill "-$1" "$postmaster" 2>/dev/null; fi
    if [ -n "$child" ]; then
        pkill "-$1" -P "$child" 2>/dev/null
        kill "-$1" "$child" 2>/dev/null
    fi
}

gone_within() { # tenths of a second
    local i
    for ((i = 0; i < $1; i++)); do
        if ! alive "$postmaster" && ! alive "$child"; then return 0; fi
        sleep 0.1
    done
    return 1
}

if alive "$postmaster" || alive "$child"; then
    signal_all INT
    if ! gone_within 50; then
        signal_all KILL
        gone_within 50
    fi
fi
rm -rf "$root"
