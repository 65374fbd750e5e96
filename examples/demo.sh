#!/usr/bin/env bash
# Runs the zmsg examples end to end, unattended, on localhost.
#
# Usage: examples/demo.sh [BUILD_DIR]   (default: build)
#
# Each demo is one function that starts its programs in the seed article's
# order, waits for all of them and fails if any of them fails. A watchdog
# kills whatever is still running after DEMO_TIMEOUT seconds (default 30), so
# the demo always ends. main runs the three patterns of the seed (pipeline,
# request-reply, publish-subscribe) and exits non-zero if one fails.

set -euo pipefail

BUILD_DIR=${1:-build}
BIN="$BUILD_DIR/examples"
DEMO_TIMEOUT=${DEMO_TIMEOUT:-30}

# Process ids started by the current demo, for waiting and for the watchdog.
PIDS=()

die() {
    echo "demo: $*" >&2
    exit 1
}

# start NAME ARGS...: runs $BIN/NAME in the background, its output prefixed
# with its name so that interleaved lines stay readable.
start() {
    local name=$1
    shift
    "$BIN/$name" "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
    PIDS+=($!)
}

# wait_all [SERVER_PID]: waits for every process in PIDS, killing them all
# if they are not done after DEMO_TIMEOUT seconds. SERVER_PID, if given, is a
# server that runs until told to stop: it gets SIGTERM once all the others
# are done, and must then exit 0 too. Fails if any of them failed, or if the
# watchdog had to step in.
wait_all() {
    local server=${1:-} pid rc failed=0
    (
        # Killing the watchdog kills its sleep too, so that no stray sleep
        # holds our output open for DEMO_TIMEOUT seconds.
        local sleeper=""
        trap 'kill "$sleeper" 2>/dev/null || true; exit 0' TERM
        sleep "$DEMO_TIMEOUT" &
        sleeper=$!
        wait "$sleeper"
        echo "demo: timed out after ${DEMO_TIMEOUT}s, killing stragglers" >&2
        kill "${PIDS[@]}" 2>/dev/null
        exit 1
    ) &
    local watchdog=$!
    for pid in "${PIDS[@]}"; do
        if [[ "$pid" != "$server" ]] && ! wait "$pid"; then
            failed=1
        fi
    done
    if [[ -n "$server" ]]; then
        kill -TERM "$server" 2>/dev/null || true
        if ! wait "$server"; then
            failed=1
        fi
    fi
    kill "$watchdog" 2>/dev/null || true
    # 0 or 143 (SIGTERM before its trap was set): it was stopped in time.
    rc=0
    wait "$watchdog" || rc=$?
    if ((rc != 0 && rc != 143)); then
        failed=1
    fi
    PIDS=()
    return $failed
}

# The parallel pipeline (zguide taskvent/taskwork/tasksink): a sink, two
# workers and a ventilator that hands out 100 tasks of 1 to 10 ms each.
demo_pipeline() {
    echo "== pipeline: PUSH/PULL over tcp (sink, 2 workers, ventilator) =="
    start tasksink -n 100
    start taskwork -t 1000
    start taskwork -t 1000
    start taskvent -n 100
    wait_all
}

# Request-reply (zguide hwserver/hwclient, the seed's server.py/client.py):
# a REP server that answers 10 requests and a REQ client that sends them.
demo_hello() {
    echo "== hello: REQ/REP over tcp (server, client) =="
    start hwserver -n 10
    start hwclient -n 10
    wait_all
}

# Publish-subscribe (zguide wuserver/wuclient, the seed's Publisher.py and
# Subscribe.py): a PUB server publishing random weather updates flat out,
# every tenth one for zipcode 10001, and a SUB client that averages 5
# updates for 10001. The server runs until the client is done and then gets
# SIGTERM; its -n only bounds it (about 15 s at full speed) if nothing does.
demo_weather() {
    echo "== weather: PUB/SUB over tcp (server, client) =="
    start wuserver -n 100000000 -z 10001
    local server=${PIDS[-1]}
    start wuclient -n 5 10001
    wait_all "$server"
}

main() {
    local prog demo failed=0
    for prog in taskvent taskwork tasksink hwserver hwclient wuserver \
        wuclient; do
        [[ -x "$BIN/$prog" ]] || die "$BIN/$prog not found: build first" \
            "(cmake -S . -B $BUILD_DIR && cmake --build $BUILD_DIR)"
    done
    for demo in demo_pipeline demo_hello demo_weather; do
        if "$demo"; then
            echo "== $demo: ok =="
        else
            echo "== $demo: FAILED ==" >&2
            failed=1
        fi
    done
    return $failed
}

main
