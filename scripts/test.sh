#!/bin/sh
# scripts/test.sh - the whole test suite, as CI runs it (README's second command):
#   1. install missing Debian packages (and QEMU + Xen 4.17 arm64 for the real-Xen comparisons,
#      and Debian's arm64 kernel for the Linux boot test: scripts/fetch-images.sh),
#   2. release build (gcc, -Werror) + every ctest test,
#   3. sanitizer build (clang, ASan+UBSan) + the unit tests, and a bounded fuzz run of the
#      image loaders (libFuzzer).
set -eu
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)

sh scripts/deps.sh --test
# Real Xen 4.17 (arm64) under QEMU, for the tests that compare guests with real Xen: installed
# from Debian's packages when missing; without them those tests are skipped, not failed.
sh scripts/realxen.sh --install-only ||
    echo "hvsim: could not install QEMU and Xen 4.17; the real-Xen comparisons will be skipped" >&2
# Debian's arm64 Linux kernel for the Linux boot test (downloaded once into ~/.cache/hvsim).
sh scripts/fetch-images.sh >/dev/null ||
    echo "hvsim: could not download Debian's arm64 kernel; the Linux boot test will be skipped" >&2

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS"
ctest --test-dir build --output-on-failure -j "$JOBS" -LE fuzz

CC=clang cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DHVSIM_SANITIZE=ON -DHVSIM_FUZZ=ON >/dev/null
cmake --build build-asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" -L 'unit|fuzz'
