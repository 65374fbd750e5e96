#!/usr/bin/env bash
# End-to-end tests of zmsg-cat: two zmsg-cat processes talking to each
# other, as a user would run them from the shell.
#
# Usage: test_zmsg_cat.sh ZMSG_CAT CASE
#
# CASE is one of the case_* functions below (pushpull, reqrep, pubsub,
# format, file, usage, timeout, signal); ctest runs each as a test of its
# own. Binding sides take an ephemeral tcp port (tcp://127.0.0.1:*) and
# report it on stderr, or an ipc path in a private temporary directory, so
# that tests running in parallel never collide. Every process runs under
# timeout(1), so that a hang fails instead of stalling ctest.

set -euo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 ZMSG_CAT CASE" >&2
    exit 2
fi
ZC=$1
CASE=$2
LIMIT=60 # seconds any one zmsg-cat may run

TMP=$(mktemp -d "${TMPDIR:-/tmp}/zmsg-cat-test.XXXXXX")
cleanup() {
    # Only jobs still running: the pid of one already reaped may belong to
    # someone else by now.
    local pids
    pids=$(jobs -pr)
    if [[ -n $pids ]]; then
        # shellcheck disable=SC2086 # one pid a word
        kill $pids 2>/dev/null || true
    fi
    wait 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

fail() {
    echo "FAIL ($CASE): $*" >&2
    local f
    for f in "$TMP"/*.out "$TMP"/*.err; do
        [[ -s $f ]] || continue
        echo "--- ${f##*/}" >&2
        head -c 2000 "$f" >&2
        echo >&2
    done
    exit 1
}

# zc NAME ARGS...: runs zmsg-cat in the foreground; stdout and stderr go to
# $TMP/NAME.out and $TMP/NAME.err, its exit status to RC.
zc() {
    local name=$1
    shift
    RC=0
    timeout "$LIMIT" "$ZC" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" || RC=$?
}

# zc_bg NAME ARGS...: the same in the background; its pid goes to PID.
zc_bg() {
    local name=$1
    shift
    timeout "$LIMIT" "$ZC" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PID=$!
}

# wait_rc PID: waits for a background zmsg-cat; its exit status to RC.
wait_rc() {
    RC=0
    wait "$1" || RC=$?
}

# bound NAME: the endpoint that background zmsg-cat NAME reported binding
# (it binds a wildcard), once it has.
bound() {
    local i ep
    for ((i = 0; i < 200; i++)); do
        # NB: the file may not exist yet: the background job opens it.
        ep=$(sed -n 's/^zmsg-cat: bound to //p' "$TMP/$1.err" 2>/dev/null ||
            true)
        if [[ -n $ep ]]; then
            echo "$ep"
            return 0
        fi
        sleep 0.05
    done
    fail "$1 reported no bound endpoint"
}

expect_rc() { # NAME EXPECTED
    [[ $RC -eq $2 ]] || fail "$1 exited $RC, expected $2"
}

expect_out() { # NAME EXPECTED_STDOUT
    local got
    got=$(cat "$TMP/$1.out")
    [[ $got == "$2" ]] || fail "$1 printed [$got], expected [$2]"
}

expect_err() { # NAME TEXT: stderr contains TEXT
    grep -qF -- "$2" "$TMP/$1.err" || fail "$1's stderr lacks [$2]"
}

# PUSH to PULL, both ways round: over tcp with the PULL binding, over ipc
# with the PUSH binding.
case_pushpull() {
    zc_bg pull --pull --bind 'tcp://127.0.0.1:*' --count 3 --timeout 20000
    local pull=$PID ep
    ep=$(bound pull)
    zc push --push --connect "$ep" --data hello --count 3 --timeout 20000
    expect_rc push 0
    wait_rc "$pull"
    expect_rc pull 0
    expect_out pull $'hello\nhello\nhello'

    zc_bg push2 --push --bind "ipc://$TMP/pipe" --data 'two words' \
        --count 2 --timeout 20000
    local push=$PID
    zc pull2 --pull --connect "ipc://$TMP/pipe" -n 2 -t 20000
    expect_rc pull2 0
    expect_out pull2 $'two words\ntwo words'
    wait_rc "$push"
    expect_rc push2 0
}

# REQ to REP: a REP that echoes, then one that answers with --data; REQ
# prints the replies, REP the requests.
case_reqrep() {
    zc_bg rep --rep --bind 'tcp://127.0.0.1:*' --count 2 --timeout 20000
    local rep=$PID ep
    ep=$(bound rep)
    zc req --req --connect "$ep" --data ping --count 2 --timeout 20000
    expect_rc req 0
    expect_out req $'ping\nping'
    wait_rc "$rep"
    expect_rc rep 0
    expect_out rep $'ping\nping'

    zc_bg rep2 --rep --bind "ipc://$TMP/rr" --data pong -n 1 -t 20000
    rep=$PID
    zc req2 --req --connect "ipc://$TMP/rr" --data hi --timeout 20000
    expect_rc req2 0
    expect_out req2 pong
    wait_rc "$rep"
    expect_rc rep2 0
    expect_out rep2 hi
}

# feed_pub NAME ENDPOINT: a PUB that publishes "news ..." and
# "weather ..." lines read from stdin, fed by a loop for up to 20 s (or
# until cleanup kills it, and the PUB sees the end of its input); the
# subscriber that needs them may join at any time.
feed_pub() {
    local name=$1 ep=$2
    (
        for ((i = 0; i < 2000; i++)); do
            echo "news $i"
            echo "weather $i"
            sleep 0.01
        done
    ) | timeout "$LIMIT" "$ZC" --pub --connect "$ep" --file - --lines \
        >"$TMP/$name.out" 2>"$TMP/$name.err" &
}

# PUB to SUB with topic filtering: a SUB to "weather" gets only weather;
# a bare --sub gets both; --sub=TOPIC works too.
case_pubsub() {
    zc_bg sub --sub weather --bind 'tcp://127.0.0.1:*' --count 5 \
        --timeout 20000
    local sub=$PID ep
    ep=$(bound sub)
    feed_pub pub "$ep"
    wait_rc "$sub"
    expect_rc sub 0
    [[ $(wc -l <"$TMP/sub.out") -eq 5 ]] || fail "sub: not 5 lines"
    if grep -qv '^weather ' "$TMP/sub.out"; then
        fail "sub to 'weather' received other topics"
    fi

    zc_bg all --sub --bind 'tcp://127.0.0.1:*' --count 10 --timeout 20000
    sub=$PID
    ep=$(bound all)
    feed_pub pub2 "$ep"
    wait_rc "$sub"
    expect_rc all 0
    grep -q '^news ' "$TMP/all.out" || fail "bare --sub got no news"
    grep -q '^weather ' "$TMP/all.out" || fail "bare --sub got no weather"

    zc_bg eq --sub=news --sub=sport --bind 'tcp://127.0.0.1:*' --count 3 \
        --timeout 20000
    sub=$PID
    ep=$(bound eq)
    feed_pub pub3 "$ep"
    wait_rc "$sub"
    expect_rc eq 0
    if grep -qv '^news ' "$TMP/eq.out"; then
        fail "sub to 'news' and 'sport' received other topics"
    fi
}

# --format hex and quoted, on text and on binary data from a file.
case_format() {
    zc_bg hex --pull --bind "ipc://$TMP/fmt" --format hex -n 1 -t 20000
    local pull=$PID
    zc push --push --connect "ipc://$TMP/fmt" --data $'a\tb"\\' -t 20000
    expect_rc push 0
    wait_rc "$pull"
    expect_rc hex 0
    expect_out hex 610962225c

    printf 'A\000\001\377\n"' >"$TMP/binary"
    zc_bg quoted --pull --bind "ipc://$TMP/fmt2" --format quoted -n 1 \
        -t 20000
    pull=$PID
    zc push2 --push --connect "ipc://$TMP/fmt2" --file "$TMP/binary" -t 20000
    expect_rc push2 0
    wait_rc "$pull"
    expect_rc quoted 0
    expect_out quoted '"A\x00\x01\xff\n\""'

    zc_bg hex2 --pull --bind "ipc://$TMP/fmt3" -F hex -n 2 -t 20000
    pull=$PID
    zc push3 --push --connect "ipc://$TMP/fmt3" -f "$TMP/binary" -n 2 \
        -t 20000
    expect_rc push3 0
    wait_rc "$pull"
    expect_rc hex2 0
    expect_out hex2 $'410001ff0a22\n410001ff0a22'

    # An empty message is an empty line.
    zc_bg empty --pull --bind "ipc://$TMP/fmt4" -F quoted -n 1 -t 20000
    pull=$PID
    zc push4 --push --connect "ipc://$TMP/fmt4" --data '' -t 20000
    expect_rc push4 0
    wait_rc "$pull"
    expect_out empty '""'
}

# --file: a whole file is one message; with --lines (stdin here) each line
# is one, and the sender stops at the end of its input.
case_file() {
    printf 'one\ntwo\n' >"$TMP/two-lines"
    zc_bg whole --pull --bind "ipc://$TMP/file" -F quoted -n 1 -t 20000
    local pull=$PID
    zc push --push --connect "ipc://$TMP/file" --file "$TMP/two-lines" \
        -t 20000
    expect_rc push 0
    wait_rc "$pull"
    expect_rc whole 0
    expect_out whole '"one\ntwo\n"'

    zc_bg lines --pull --bind "ipc://$TMP/lines" -n 3 -t 20000
    pull=$PID
    RC=0
    printf 'alpha\nbeta\ngamma' | timeout "$LIMIT" "$ZC" --push \
        --connect "ipc://$TMP/lines" --file - --lines -t 20000 \
        >"$TMP/push2.out" 2>"$TMP/push2.err" || RC=$?
    expect_rc push2 0
    wait_rc "$pull"
    expect_rc lines 0
    expect_out lines $'alpha\nbeta\ngamma'

    # A REP can answer from lines too: one line per request.
    printf 'first\nsecond\n' >"$TMP/replies"
    zc_bg rep --rep --bind "ipc://$TMP/rep" --file "$TMP/replies" --lines \
        -t 20000
    local rep=$PID
    zc req --req --connect "ipc://$TMP/rep" --data q -n 2 -t 20000
    expect_rc req 0
    expect_out req $'first\nsecond'
    wait_rc "$rep" # it stops when it has no reply left
    expect_rc rep 0
    expect_out rep $'q\nq'

    zc missing --push --connect "ipc://$TMP/x" --file "$TMP/no-such-file"
    expect_rc missing 1
    expect_err missing "$TMP/no-such-file: No such file or directory"
}

# Command-line mistakes exit 2 with a hint; failing calls exit 1 naming the
# call and zmsg_strerror's text.
case_usage() {
    local args
    local -a bad=(
        ''
        '--bind tcp://127.0.0.1:5555'
        '--push'
        '--push --pull --bind ipc://x --data x'
        '--push --bind ipc://x'
        '--pull --bind ipc://x --data x'
        '--push --bind ipc://x --data x --file y'
        '--push --bind ipc://x --data x --lines'
        '--push --bind ipc://x --data x --count -1'
        '--push --bind ipc://x --data x --count many'
        '--pull --bind ipc://x --timeout 1.5'
        '--pull --bind ipc://x --format base64'
        '--pull --bind ipc://x --delay 10'
        '--pull --bind ipc://x --frobnicate'
        '--pull --bind ipc://x stray'
        '--pull --bind'
    )
    for args in "${bad[@]}"; do
        # shellcheck disable=SC2086 # the words are meant to split
        zc usage $args
        expect_rc "usage '$args'" 2
        expect_err usage "Try 'zmsg-cat --help'"
        [[ ! -s $TMP/usage.out ]] || fail "usage '$args' wrote to stdout"
    done

    zc help --help
    expect_rc help 0
    grep -q '^usage: zmsg-cat' "$TMP/help.out" || fail "--help: no usage"

    zc version --version
    expect_rc version 0
    grep -Eq '^zmsg-cat \(zmsg [0-9]+\.[0-9]+\.[0-9]+\)$' \
        "$TMP/version.out" || fail "--version: $(cat "$TMP/version.out")"

    zc proto --pull --bind foo://bar
    expect_rc proto 1
    expect_err proto "zmsg-cat: zmsg_bind foo://bar: Protocol not supported"

    zc inval --push --connect tcp://127.0.0.1 --data x
    expect_rc inval 1
    expect_err inval "zmsg_connect tcp://127.0.0.1: Invalid argument"

    zc_bg holder --pull --bind 'tcp://127.0.0.1:*' --timeout 20000
    local ep
    ep=$(bound holder)
    zc inuse --pull --bind "$ep"
    expect_rc inuse 1
    expect_err inuse "zmsg_bind $ep: Address already in use"
}

# --timeout: a receive that gets nothing, a send that nobody takes and a
# REQ without an answer exit 1 in about that time; a stream that goes
# quiet after some messages, with no --count, ends normally.
case_timeout() {
    local start end
    start=$(date +%s)
    zc recv --pull --bind "ipc://$TMP/t1" --timeout 300
    end=$(date +%s)
    expect_rc recv 1
    expect_err recv "zmsg_recv: Resource temporarily unavailable"
    expect_err recv "nothing came within 300 ms"
    ((end - start < 20)) || fail "a 300 ms timeout took $((end - start)) s"

    zc send --push --bind "ipc://$TMP/t2" --data x --timeout 300
    expect_rc send 1
    expect_err send "zmsg_send: Resource temporarily unavailable"

    zc req --req --connect "ipc://$TMP/nobody" --data x --timeout 300
    expect_rc req 1
    expect_err req "zmsg_recv: Resource temporarily unavailable"

    zc sub --sub --connect "ipc://$TMP/nobody" --count 1 --timeout 300
    expect_rc sub 1

    # Two messages, then silence: done, exit 0.
    zc_bg quiet --pull --bind "ipc://$TMP/t3" --timeout 3000
    local pull=$PID
    zc push --push --connect "ipc://$TMP/t3" --data x -n 2 -t 20000
    expect_rc push 0
    wait_rc "$pull"
    expect_rc quiet 0
    expect_out quiet $'x\nx'
}

# SIGINT and SIGTERM end zmsg-cat normally (exit 0) wherever it waits: in a
# receive, in a send that no peer takes, between sends. The signal comes
# once it has bound (its handlers are in place before that).
case_signal() {
    local pid sig name
    # (--timeout only bounds a zmsg-cat that the test lost track of.)
    for sig in INT TERM; do
        for name in recv send delay; do
            case $name in
            recv) zc_bg "$name$sig" --pull --bind 'tcp://127.0.0.1:*' \
                --timeout 60000 ;;
            send) zc_bg "$name$sig" --push --bind 'tcp://127.0.0.1:*' \
                --data x --timeout 60000 ;;
            delay) zc_bg "$name$sig" --pub --bind 'tcp://127.0.0.1:*' \
                --data x --count 0 --delay 100 ;;
            esac
            pid=$PID
            bound "$name$sig" >/dev/null
            sleep 0.2 # into the blocking call
            # timeout(1) passes the signal on to zmsg-cat.
            kill -"$sig" "$pid"
            wait_rc "$pid"
            expect_rc "$name after SIG$sig" 0
        done
    done
}

if ! declare -F "case_$CASE" >/dev/null; then
    echo "$0: no case '$CASE'" >&2
    exit 2
fi
"case_$CASE"
echo "ok: zmsg-cat $CASE"
