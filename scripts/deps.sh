#!/usr/bin/env bash
# Installs what zmsg needs to build and test, only if it is missing.
#
# Usage: scripts/deps.sh [build|test]   (default: test)
#
#   build  compiler and build tools: cmake, gcc, ninja-build, make, pkg-config
#   test   build plus libcmocka-dev (unit tests), clang (sanitizer jobs),
#          libzmq3-dev and python3-zmq (interoperability tests) and
#          libczmq-dev (the install job builds beside CZMQ's zmsg.h) and
#          iproute2 (ss, which a test reads a listen backlog with)
#
# Packages are checked with dpkg -s, so a second run costs well under a
# second; apt-get update runs at most once, and only when something is
# missing. Uses sudo when not root and sudo exists. Debian/Ubuntu only.

set -euo pipefail

BUILD_PKGS=(cmake gcc ninja-build make pkg-config)
TEST_PKGS=(libcmocka-dev clang libzmq3-dev python3-zmq libczmq-dev iproute2)

case "${1:-test}" in
build) PKGS=("${BUILD_PKGS[@]}") ;;
test) PKGS=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}") ;;
-h | --help)
    sed -n '2,14s/^# \{0,1\}//p' "$0"
    exit 0
    ;;
*)
    echo "usage: scripts/deps.sh [build|test]" >&2
    exit 2
    ;;
esac

missing=()
for pkg in "${PKGS[@]}"; do
    if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$pkg")
    fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing ${missing[*]} and no apt-get: install them by hand" >&2
    exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO=(sudo)
    else
        echo "deps: missing ${missing[*]}; run as root or install sudo" >&2
        exit 1
    fi
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Quiet on success; apt-get still prints its errors to stderr.
"${SUDO[@]}" apt-get update -qq >/dev/null
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >/dev/null
