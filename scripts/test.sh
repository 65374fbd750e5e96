#!/usr/bin/env bash
# Builds and tests zmsg in every configuration CI checks: the README's test
# command, and what .ci/run runs.
#
# Usage: scripts/test.sh [plain|install|poll|asan|tsan|fuzz|all]
#        (default: all)
#
#   plain  gcc, Debug, -Werror, epoll reactor, the full soak; also builds
#          the examples and runs examples/demo.sh on that build
#   install  installs the plain build into a temporary prefix and builds
#          the out-of-tree consumer (tests/consumer/) against it, with
#          find_package and with pkg-config, also beside CZMQ's headers
#   poll   the same with the poll(2) reactor
#   asan   clang with AddressSanitizer, LeakSanitizer and UBSan
#   tsan   clang with ThreadSanitizer
#   fuzz   the libFuzzer targets (scripts/fuzz.sh), FUZZ_SECONDS each
#          (default here 60), after replaying their corpora
#
# Each job builds in its own directory under build-test/. The script stops at
# the first failing job, and its last line is always "N passed, M failed",
# summed over the ctest runs that took place.

set -euo pipefail

cd "$(dirname "$0")/.."

ROOT=build-test
CTEST_ARGS=(--output-on-failure -j2 --timeout 300)
GENERATOR=()
if command -v ninja >/dev/null 2>&1; then
    GENERATOR=(-G Ninja)
fi

PASSED=0
FAILED=0

summary() {
    echo
    echo "$PASSED passed, $FAILED failed"
}

header() {
    echo
    echo "=================================================================="
    echo "== $*"
    echo "=================================================================="
}

# configure DIR CMAKE_ARGS...: a fresh configure of the tree into DIR.
configure() {
    local dir=$1
    shift
    cmake -S . -B "$dir" "${GENERATOR[@]}" "$@"
    cmake --build "$dir" -j2
}

# run_ctest DIR [CTEST_ARGS...]: runs the suite in DIR, adds its counts to PASSED and FAILED,
# and fails if any test failed or ctest could not run.
run_ctest() {
    local dir=$1 log rc=0 total failed
    shift
    log="$dir/ctest.log"
    (cd "$dir" && ctest "${CTEST_ARGS[@]}" "$@") 2>&1 | tee "$log" || rc=$?
    # ctest ends with "100% tests passed, 0 tests failed out of Y" or
    # "NN% tests passed, X tests failed out of Y".
    if read -r failed total < <(sed -n \
        's/.* \([0-9][0-9]*\) tests\{0,1\} failed out of \([0-9][0-9]*\).*/\1 \2/p' \
        "$log" | tail -n 1); then
        FAILED=$((FAILED + failed))
        PASSED=$((PASSED + total - failed))
    elif grep -q 'No tests were found' "$log"; then
        :
    elif [[ $rc -eq 0 ]]; then
        rc=1
    fi
    if [[ $rc -ne 0 ]]; then
        echo "test: ctest failed in $dir" >&2
    fi
    return $rc
}

job_plain() {
    header "plain: gcc, Debug, -Werror, epoll reactor, examples, bench and demo"
    # The benchmarks are built (not run) so that they keep compiling.
    CC=gcc configure "$ROOT/plain" -DCMAKE_BUILD_TYPE=Debug -DZMSG_WERROR=ON \
        -DZMSG_POLLER=epoll -DZMSG_BUILD_EXAMPLES=ON -DZMSG_BUILD_BENCH=ON
    # The full soak here: 10^7 PUSH/PULL messages and 5 x 10^6 REQ/REP
    # round trips (10^7 messages) over tcp; the other jobs run less.
    SOAK_ROUNDTRIPS=5000000 SOAK_CLIENTS=16 run_ctest "$ROOT/plain"
    header "plain: examples/demo.sh $ROOT/plain"
    examples/demo.sh "$ROOT/plain"
}

job_poll() {
    header "poll: gcc, Debug, -Werror, poll(2) reactor"
    CC=gcc configure "$ROOT/poll" -DCMAKE_BUILD_TYPE=Debug -DZMSG_WERROR=ON \
        -DZMSG_POLLER=poll
    run_ctest "$ROOT/poll"
}

job_asan() {
    header "asan: clang, AddressSanitizer + UndefinedBehaviorSanitizer"
    CC=clang configure "$ROOT/asan" -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_C_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_ctest "$ROOT/asan"
}

job_tsan() {
    header "tsan: clang, ThreadSanitizer"
    CC=clang configure "$ROOT/tsan" -DCMAKE_BUILD_TYPE=Debug \
        -DCMAKE_C_FLAGS="-fsanitize=thread -O1 -g"
    # The libzmq interop suite stays out: libzmq is not built with TSan,
    # so the hand-offs between its own threads all look like races (the
    # zmsg side of that suite runs under TSan in every other test).
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        run_ctest "$ROOT/tsan" -E '^test_interop_libzmq_'
}

# The fuzz job counts each target as one test: clean or not.
job_fuzz() {
    header "fuzz: libFuzzer targets, ${FUZZ_SECONDS:-60} s each"
    local log="$ROOT/fuzz.log" rc=0 passed failed
    mkdir -p "$ROOT"
    FUZZ_SECONDS=${FUZZ_SECONDS:-60} FUZZ_BUILD="$ROOT/fuzz" \
        scripts/fuzz.sh 2>&1 | tee "$log" || rc=$?
    if read -r passed failed < <(sed -n \
        's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed$/\1 \2/p' \
        "$log" | tail -n 1); then
        PASSED=$((PASSED + passed))
        FAILED=$((FAILED + failed))
    elif [[ $rc -eq 0 ]]; then
        rc=1
    fi
    return $rc
}

# The install job counts each of its checks as one test. It installs the
# plain job's build (configuring and building it first if that job has not
# run) into a temporary prefix with `cmake --install`, checks what landed
# there, then builds tests/consumer/ out of tree against it, with
# find_package(zmsg) and with pkg-config, and runs it. When libczmq-dev is
# installed (its /usr/include/zmsg.h is another zmsg.h), the consumer is
# built again with CZMQ's include path and library added: it must still
# compile against zmsg's header and run.
job_install() {
    header "install: into a temporary prefix, a consumer built against it"
    local build="$ROOT/plain" work
    if [[ -f "$build/CMakeCache.txt" ]]; then
        cmake --build "$build" -j2
    else
        CC=gcc configure "$build" -DCMAKE_BUILD_TYPE=Debug -DZMSG_WERROR=ON \
            -DZMSG_POLLER=epoll -DZMSG_BUILD_EXAMPLES=ON
    fi
    work=$(mktemp -d "${TMPDIR:-/tmp}/zmsg-install.XXXXXX")
    INSTALL_BUILD=$build
    INSTALL_WORK=$work
    INSTALL_PREFIX=$work/prefix
    INSTALL_FAILED=0
    INSTALL_LIBDIR=$work/unknown
    INSTALL_VERSION=unknown
    install_check "cmake --install" install_run
    install_check "installed files" install_layout
    install_check "SONAME and symbol versions" install_symbols
    install_check "find_package(zmsg) consumer" install_cmake_consumer plain
    install_check "pkg-config consumer" install_pc_consumer plain
    if [[ $(dpkg-query -W -f='${Status}' libczmq-dev 2>/dev/null) == \
        "install ok installed" ]]; then
        install_check "CZMQ's zmsg.h is on the default path" install_czmq_probe
        install_check "pkg-config consumer beside CZMQ" install_pc_consumer czmq
        install_check "find_package(zmsg) consumer beside CZMQ" \
            install_cmake_consumer czmq
    else
        echo "install: SKIP the CZMQ checks: libczmq-dev is not installed"
    fi
    install_check "installed zmsg-cat" install_zmsg_cat
    rm -rf "$work"
    return $((INSTALL_FAILED > 0))
}

# install_check NAME COMMAND...: runs one check of the install job, its
# output in $INSTALL_WORK/log, shown if it fails; counts it.
install_check() {
    local name=$1 log="$INSTALL_WORK/log"
    shift
    # NB: set -e does not apply inside a condition, so every check stops
    # at its first failure with an explicit `|| return 1`.
    if "$@" >"$log" 2>&1; then
        echo "install: $name: ok"
        PASSED=$((PASSED + 1))
    else
        echo "install: $name: FAILED"
        sed 's/^/    /' "$log"
        FAILED=$((FAILED + 1))
        INSTALL_FAILED=$((INSTALL_FAILED + 1))
    fi
}

install_run() {
    cmake --install "$INSTALL_BUILD" --prefix "$INSTALL_PREFIX" || return 1
    # Where the library went (lib, lib64, lib/<triplet>): beside zmsg.pc.
    local pc
    pc=$(find "$INSTALL_PREFIX" -name zmsg.pc -path '*/pkgconfig/*') &&
        [[ -n $pc ]] || return 1
    INSTALL_LIBDIR=${pc%/pkgconfig/zmsg.pc}
    INSTALL_VERSION=$(PKG_CONFIG_PATH=${pc%/zmsg.pc} pkg-config \
        --modversion zmsg) || return 1
    echo "zmsg $INSTALL_VERSION installed in $INSTALL_PREFIX"
}

install_layout() {
    local p=$INSTALL_PREFIX lib=$INSTALL_LIBDIR major=${INSTALL_VERSION%%.*}
    local f
    for f in "$p/include/zmsg/zmsg.h" "$lib/libzmsg.so.$INSTALL_VERSION" \
        "$lib/libzmsg.so.$major" "$lib/libzmsg.so" "$lib/libzmsg.a" \
        "$lib/cmake/zmsg/zmsgConfig.cmake" \
        "$lib/cmake/zmsg/zmsgConfigVersion.cmake" "$p/bin/zmsg-cat"; do
        [[ -e $f ]] || { echo "missing: $f"; return 1; }
    done
    # Not where CZMQ's zmsg.h lives.
    if [[ -e $p/include/zmsg.h ]]; then
        echo "$p/include/zmsg.h exists"
        return 1
    fi
    # The installed header carries the version, the package's.
    local part n=0 number
    for part in MAJOR MINOR PATCH; do
        n=$((n + 1))
        number=$(cut -d. -f$n <<<"$INSTALL_VERSION")
        grep -qx "#define ZMSG_VERSION_$part $number" \
            "$p/include/zmsg/zmsg.h" || {
            echo "zmsg.h: ZMSG_VERSION_$part is not that of $INSTALL_VERSION"
            return 1
        }
    done
    local cflags
    cflags=$(PKG_CONFIG_PATH=$lib/pkgconfig pkg-config --cflags zmsg) ||
        return 1
    [[ $cflags == *-I*/include/zmsg* ]] ||
        { echo "pkg-config --cflags zmsg: $cflags"; return 1; }
}

install_symbols() {
    local so="$INSTALL_LIBDIR/libzmsg.so" soname bad
    soname=$(readelf -d "$so" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    echo "SONAME $soname"
    [[ $soname == "libzmsg.so.${INSTALL_VERSION%%.*}" ]] || return 1
    # Every symbol defined for export is zmsg_*, with version ZMSG_1.
    readelf --dyn-syms -W "$so" |
        awk '$7 != "UND" && $5 == "GLOBAL" { print $8 }' \
            >"$INSTALL_WORK/symbols" || return 1
    grep -q '^zmsg_send_bytes@@ZMSG_1$' "$INSTALL_WORK/symbols" || return 1
    # Not the two names CZMQ exports too (zmsg.h renames them).
    if grep -q -e '^zmsg_send@' -e '^zmsg_recv@' "$INSTALL_WORK/symbols"; then
        echo "exports a name CZMQ exports too"
        return 1
    fi
    # (ZMSG_1 itself is listed too: the version's own symbol.)
    bad=$(grep -v -e '^zmsg_[a-z_]*@@ZMSG_1$' -e '^ZMSG_1$' \
        "$INSTALL_WORK/symbols" || true)
    [[ -z $bad ]] || { echo "unexpected exports: $bad"; return 1; }
    echo "$(wc -l <"$INSTALL_WORK/symbols") symbols, all zmsg_*@@ZMSG_1"
}

# install_cmake_consumer plain|czmq
install_cmake_consumer() {
    local dir="$INSTALL_WORK/cmake-$1" t
    local -a extra=()
    [[ $1 == czmq ]] && extra=(-DCONSUMER_WITH_CZMQ=ON)
    cmake -S tests/consumer -B "$dir" "${GENERATOR[@]}" \
        -DCMAKE_PREFIX_PATH="$INSTALL_PREFIX" "${extra[@]}" || return 1
    cmake --build "$dir" || return 1
    for t in app app_static; do
        "$dir/$t" >"$dir/$t.out" || return 1
        cat "$dir/$t.out"
        grep -qx "zmsg $INSTALL_VERSION: ok" "$dir/$t.out" || return 1
    done
    ldd "$dir/app" >"$dir/ldd" || return 1
    cat "$dir/ldd"
    grep -q "$INSTALL_LIBDIR/libzmsg.so" "$dir/ldd" || return 1
    if [[ $1 == czmq ]]; then
        grep -q libczmq "$dir/ldd" || return 1
    fi
}

# install_pc_consumer plain|czmq
install_pc_consumer() {
    local dir="$INSTALL_WORK/pc-$1"
    local -a extra=()
    if [[ $1 == czmq ]]; then
        # CZMQ's flags first, its library after zmsg's, kept although unused.
        extra=("EXTRA_CFLAGS=$(pkg-config --cflags libczmq)"
            "EXTRA_LDLIBS=-Wl,--no-as-needed $(pkg-config --libs libczmq)")
    fi
    mkdir -p "$dir"
    PKG_CONFIG_PATH=$INSTALL_LIBDIR/pkgconfig \
        make -C "$dir" -f "$PWD/tests/consumer/Makefile" CC=gcc "${extra[@]}" ||
        return 1
    # Like a user whose prefix is not in the loader's path.
    LD_LIBRARY_PATH=$INSTALL_LIBDIR ldd "$dir/app" >"$dir/ldd" || return 1
    cat "$dir/ldd"
    grep -q "$INSTALL_LIBDIR/libzmsg.so" "$dir/ldd" || return 1
    if [[ $1 == czmq ]]; then
        grep -q libczmq "$dir/ldd" || return 1
    fi
    LD_LIBRARY_PATH=$INSTALL_LIBDIR "$dir/app" >"$dir/out" || return 1
    cat "$dir/out"
    grep -qx "zmsg $INSTALL_VERSION: ok" "$dir/out" || return 1
    if [[ $1 == czmq ]]; then
        # libczmq first in the lookup order: every zmsg call must still
        # reach zmsg (CZMQ's own zmsg_send/zmsg_recv would crash it).
        local czmq_so
        czmq_so=$(ldd "$dir/app" | awk '/libczmq/ { print $3 }')
        LD_PRELOAD=$czmq_so LD_LIBRARY_PATH=$INSTALL_LIBDIR "$dir/app" \
            >"$dir/out-preload" || return 1
        cat "$dir/out-preload"
        grep -qx "zmsg $INSTALL_VERSION: ok" "$dir/out-preload" || return 1
    fi
}

# Without zmsg's flags, #include <zmsg.h> is CZMQ's (preprocessed only:
# it needs czmq.h before it): so the CZMQ builds really have two zmsg.h to
# choose from.
install_czmq_probe() {
    # shellcheck disable=SC2046 # pkg-config's flags are meant to split
    printf '%s\n' '#include <zmsg.h>' '#ifndef __ZMSG_H_INCLUDED__' '#error' \
        '#endif' | gcc $(pkg-config --cflags libczmq) -E -x c - >/dev/null
}

# The installed tool runs from the prefix (its RPATH finds the library)
# and moves a message.
install_zmsg_cat() {
    local zc="$INSTALL_PREFIX/bin/zmsg-cat" pid out
    out=$("$zc" --version) || return 1
    echo "$out"
    [[ $out == "zmsg-cat (zmsg $INSTALL_VERSION)" ]] || return 1
    "$zc" --pull --bind "ipc://$INSTALL_WORK/cat" --count 1 --timeout 20000 \
        >"$INSTALL_WORK/cat.out" &
    pid=$!
    "$zc" --push --connect "ipc://$INSTALL_WORK/cat" --data hello \
        --timeout 20000 || { kill "$pid"; return 1; }
    wait "$pid" || return 1
    out=$(cat "$INSTALL_WORK/cat.out")
    [[ $out == hello ]]
}

case "${1:-all}" in
plain | install | poll | asan | tsan | fuzz) JOBS=("$1") ;;
all) JOBS=(plain install poll asan tsan fuzz) ;;
*)
    echo "usage: scripts/test.sh [plain|install|poll|asan|tsan|fuzz|all]" >&2
    exit 2
    ;;
esac

trap summary EXIT
scripts/deps.sh test
for job in "${JOBS[@]}"; do
    "job_$job"
done
