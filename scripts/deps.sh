#!/bin/sh
# scripts/deps.sh - install the Debian 12 packages hvsim needs, only those missing.
# Usage: scripts/deps.sh [--test]   (--test adds what the test suite needs)
# Why each package is there: see README.md "Dependencies".
set -eu

BUILD="build-essential cmake pkg-config clang lld libelf-dev zlib1g-dev libsqlite3-dev sqlite3
       libfdt-dev nettle-dev python3 python3-matplotlib"
TEST="libunicorn-dev libcapstone-dev parallel libclang-rt-14-dev device-tree-compiler"

want="$BUILD"
[ "${1:-}" = "--test" ] && want="$want $TEST"

missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    exit 0
fi
echo "hvsim: installing Debian packages:$missing" >&2
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
