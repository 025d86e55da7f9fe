#!/bin/sh
# tests/workloads/wl_hvsim_hello.sh HVSIM TMPDIR - `hvsim run --workload hello` on hvsim's Xen
# model: the RESULT line and a poweroff exit. Skips (77) while hvsim reports that the arm64
# hypervisor engine is not part of the build.
set -u
H=$1; T=$2/wl_hvsim_hello
rm -rf "$T"; mkdir -p "$T"
"$H" run --workload hello --hv-profile xen-4.17 --no-db >"$T/out" 2>"$T/err"
rc=$?
if [ $rc != 0 ] && grep -q 'not part of this build yet' "$T/err"; then
    cat "$T/err"; echo "SKIP: hvsim cannot run arm64 guests under its Xen model yet"; exit 77
fi
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
[ $rc = 0 ] && ok || { bad "exit $rc"; cat "$T/err"; }
grep -q '^RESULT workload=hello xen_version=0x4[0-9a-f]\{4\} features_rc=0 ' "$T/out" && ok ||
    { bad "RESULT line"; cat "$T/out"; }
grep -qx 'wl: shutdown poweroff' "$T/out" && ok || bad "no poweroff line"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
