#!/usr/bin/env bash
# Builds zmsg and its examples in build/ and runs the demo: the README's
# "build and run" command.
#
# Usage: scripts/demo.sh

set -euo pipefail

cd "$(dirname "$0")/.."

scripts/deps.sh build
# The demo needs no test dependencies (cmocka): the tests stay out.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DZMSG_BUILD_TESTS=OFF \
    -DZMSG_BUILD_EXAMPLES=ON
cmake --build build -j
examples/demo.sh build
