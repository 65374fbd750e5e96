#!/usr/bin/env bash
# Checks that an example prints its usage for -h, and that SIGINT and
# SIGTERM end it normally (socket closed, context terminated, exit 0)
# while it waits: for a peer that never comes, for a request, a reply, an
# update or a result.
#
# Usage: test_example_signal.sh BIN_DIR EXAMPLE

set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BIN_DIR EXAMPLE" >&2
    exit 2
fi
BIN=$1/$2
NAME=$2
TMP=$(mktemp -d "${TMPDIR:-/tmp}/zmsg-example-test.XXXXXX")
PID=
cleanup() {
    [[ -z $PID ]] || kill -KILL "$PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
    echo "FAIL ($NAME): $*" >&2
    [[ ! -s $TMP/out ]] || { echo "--- output" >&2; cat "$TMP/out" >&2; }
    exit 1
}

# Each waits forever (or for a long time) on an endpoint nobody serves.
EP="ipc://$TMP/ep"
case $NAME in
hwclient) ARGS=(-e "$EP" -t 600000) ;;
hwserver) ARGS=(-e "$EP") ;;
tasksink) ARGS=(-e "$EP") ;;
taskvent) ARGS=(-e "$EP" -s "ipc://$TMP/sink") ;;
taskwork) ARGS=(-v "$EP" -s "ipc://$TMP/sink" -t 600000) ;;
wuclient) ARGS=(-e "$EP" -t 600000) ;;
wuserver) ARGS=(-e "$EP" -z 0) ;;
*) fail "no such example" ;;
esac

rc=0
"$BIN" -h >"$TMP/out" 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "-h exited $rc, expected 2"
grep -q "^usage: $NAME" "$TMP/out" || fail "-h printed no usage line"

# caught PID: whether the process catches SIGINT yet (its handlers are in
# place before it creates its context).
caught() {
    local mask
    # NB: before its exec the child is still a copy of this shell, with
    # handlers of its own: only the example's own count.
    [[ $(readlink "/proc/$1/exe" 2>/dev/null) == "$(readlink -f "$BIN")" ]] ||
        return 1
    mask=$(sed -n 's/^SigCgt:[[:space:]]*//p' "/proc/$1/status" 2>/dev/null) ||
        return 1
    [[ -n $mask ]] && (((0x$mask >> 1) & 1))
}

for sig in INT TERM; do
    "$BIN" "${ARGS[@]}" >"$TMP/out" 2>&1 &
    PID=$!
    for ((i = 0; i < 200; i++)); do
        caught "$PID" && break
        sleep 0.05
    done
    caught "$PID" || fail "SIGINT is not caught"
    sleep 0.3 # into the call that waits
    kill -"$sig" "$PID"
    rc=0
    for ((i = 0; i < 200; i++)); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.05
    done
    wait "$PID" || rc=$?
    PID=
    [[ $rc -eq 0 ]] || fail "exited $rc after SIG$sig, expected 0"
done
echo "ok: $NAME: usage, SIGINT and SIGTERM"
