#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz/) with clang, ASan and UBSan, and
# runs each for a bounded time.
#
# Usage: scripts/fuzz.sh [decoder|handshake|engine ...]   (default: all three)
#
#   FUZZ_SECONDS  time per target (default 60)
#   FUZZ_BUILD    build directory (default build-test/fuzz)
#
# Each target starts from its committed corpus (tests/fuzz/corpus/<target>,
# read only) and writes what it finds to a temporary directory, so the
# committed corpus stays as it is. An input that crashes, leaks or hangs is
# copied to tests/fuzz/corpus/<target>/crash-*, where ctest replays it from
# then on. Prints executions and coverage per target; the last line is
# "N passed, M failed" (targets that ran clean / that found something), and
# the exit status is non-zero if any target failed.

set -euo pipefail

cd "$(dirname "$0")/.."

SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
BUILD=${FUZZ_BUILD:-build-test/fuzz}
ALL_TARGETS=(decoder handshake engine)
TARGETS=("$@")
if [[ $# -eq 0 ]]; then
    TARGETS=("${ALL_TARGETS[@]}")
fi
for t in "${TARGETS[@]}"; do
    case $t in
    decoder | handshake | engine) ;;
    *)
        echo "usage: scripts/fuzz.sh [decoder|handshake|engine ...]" >&2
        exit 2
        ;;
    esac
done
if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang is required (scripts/deps.sh test installs it)" >&2
    exit 1
fi

GENERATOR=()
if command -v ninja >/dev/null 2>&1; then
    GENERATOR=(-G Ninja)
fi

CC=clang cmake -S . -B "$BUILD" "${GENERATOR[@]}" -DZMSG_FUZZ=ON \
    -DZMSG_BUILD_TESTS=OFF -DZMSG_BUILD_EXAMPLES=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD" -j2 --target "${TARGETS[@]/#/fuzz_}"

SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/zmsg-fuzz.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

PASSED=0
FAILED=0
RESULTS=()

# stat NAME LOG: a value of libFuzzer's final stats, "?" if absent.
stat() {
    local v
    v=$(sed -n "s/^stat::$1: *\([0-9][0-9]*\).*/\1/p" "$2" | tail -n 1)
    echo "${v:-?}"
}

for t in "${TARGETS[@]}"; do
    bin=$BUILD/tests/fuzz/fuzz_$t
    work=$SCRATCH/$t
    mkdir -p "$work/corpus" "$work/artifacts"
    log=$BUILD/fuzz_$t.log
    echo
    echo "== fuzz_$t: ${SECONDS_PER_TARGET} s"
    rc=0
    "$bin" -max_total_time="$SECONDS_PER_TARGET" -max_len=4096 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
        "$work/corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?

    execs=$(stat number_of_executed_units "$log")
    rate=$(stat average_exec_per_sec "$log")
    added=$(stat new_units_added "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -n 1 | cut -d' ' -f2)
    line="fuzz_$t: executions $execs ($rate/s), cov ${cov:-?}, ft ${ft:-?}, new inputs $added"

    found=()
    for f in "$work"/artifacts/*; do
        [[ -f $f ]] || continue
        base=$(basename "$f")
        case $base in
        slow-unit-*) continue ;; # slow, not broken
        crash-*) dest=$base ;;
        *) dest=crash-$base ;; # leak-, timeout-, oom-
        esac
        cp "$f" "tests/fuzz/corpus/$t/$dest"
        found+=("tests/fuzz/corpus/$t/$dest")
    done

    if [[ $rc -eq 0 && ${#found[@]} -eq 0 ]]; then
        PASSED=$((PASSED + 1))
        RESULTS+=("$line: clean")
        echo "$line: clean"
    else
        FAILED=$((FAILED + 1))
        RESULTS+=("$line: FAILED (exit $rc) ${found[*]:-}")
        echo "---- last lines of $log"
        tail -n 60 "$log"
        echo "----"
        echo "$line: FAILED (exit $rc)"
        for f in "${found[@]}"; do
            echo "fuzz: input saved as $f (replay: $bin $f)"
        done
    fi
done

echo
echo "== fuzz summary (${SECONDS_PER_TARGET} s per target)"
printf '%s\n' "${RESULTS[@]}"
echo
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]
