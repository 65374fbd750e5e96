#!/usr/bin/env bash
# Runs the zmsg examples end to end, unattended, on localhost.
#
# Usage: examples/demo.sh [BUILD_DIR]   (default: build)
#
# Each demo is one function that starts its programs in the seed article's
# order, waits for all of them and fails if any of them fails. A watchdog
# kills whatever is still running after DEMO_TIMEOUT seconds (default 30), so
# the demo always ends. main runs every demo and exits non-zero if one fails.

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

# wait_all: waits for every process in PIDS, killing them all if they are not
# done after DEMO_TIMEOUT seconds. Fails if any of them failed or was killed.
wait_all() {
    local pid failed=0
    (
        sleep "$DEMO_TIMEOUT"
        echo "demo: timed out after ${DEMO_TIMEOUT}s, killing stragglers" >&2
        kill "${PIDS[@]}" 2>/dev/null
    ) &
    local watchdog=$!
    for pid in "${PIDS[@]}"; do
        if ! wait "$pid"; then
            failed=1
        fi
    done
    kill "$watchdog" 2>/dev/null || true
    wait "$watchdog" 2>/dev/null || true
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

main() {
    local prog demo failed=0
    for prog in taskvent taskwork tasksink; do
        [[ -x "$BIN/$prog" ]] || die "$BIN/$prog not found: build first" \
            "(cmake -S . -B $BUILD_DIR && cmake --build $BUILD_DIR)"
    done
    for demo in demo_pipeline; do
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
