#!/bin/sh
# tests/workloads/wl_realxen_guests.sh REALXEN BUILD - split, remap, tlb, busy and hcall-buf on
# real Xen 4.17 under QEMU (scripts/realxen.sh --no-install: skips with 77 when
# qemu-system-aarch64, dtc or the unpacked xen-hypervisor-4.17-arm64 package are missing).
# Checks what Xen 4.17 on Arm does by its source (xen-abi.md §2.1, §4).
set -u
R=$1; B=$2
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
run() {   # run NAME OUT [params...]
    n=$1; o=$2; shift 2
    sh "$R" --no-install -b "$B" --timeout 120 "$n" "$@" >"$T/$o" 2>"$T/$o.err"
    rc=$?
    if [ $rc = 77 ]; then cat "$T/$o.err"; echo "SKIP: tools for real Xen are not installed"; exit 77; fi
    [ $rc = 0 ] && ok || { bad "$n $*: realxen exit $rc"; tail -n 5 "$T/$o" "$T/$o.err"; }
}
val() { grep '^RESULT' "$T/$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }
is() { [ "$(val "$1" "$2")" = "$3" ] && ok || bad "$1: $2=$(val "$1" "$2"), want $3"; }

# A runstate area across a page boundary, the two pages physically apart: op 5 accepts it and
# copy_guest writes both pages; op 14 is not forwarded by Arm's do_vcpu_op: -EINVAL.
run split split vcpus=2
is split vcpus 2; is split va_rc 0; is split pa_rc -22; is split lo 1; is split hi 1
is split stray_bytes 0; is split torn 0; is split stale 0
# Xen re-translates the VA at every update: after the move the new page gets them.
run remap remap vcpus=2
is remap registered 0; is remap lands new; is remap old_updates 0
run tlb tlb pages=256 s1=2m
is tlb chase_ok 1; is tlb chase_accesses 1024; is tlb s1 2m
run tlb tlb1g pages=64 s1=1g
is tlb1g chase_ok 1
run busy busy vcpus=2 tasks=4 rounds=20 syscalls=3 kpti=1
is busy syscalls 480; is busy yields 160; is busy hv_yields 40; is busy bad_results 0
# Buffers by VA: console_io and multicall succeed, GNTTABOP_copy between the guest's own frames
# copies, XENMEM_memory_map is -ENOSYS on Arm; the pa-flag number is unknown to Xen.
run hcall-buf hb max=4096 reps=3
n=$(grep -c '^RESULT workload=hcall-buf op=console_io .* rc=0$' "$T/hb")
[ "$n" = 20 ] && ok || bad "hcall-buf: $n console_io lines with rc=0, want 20"
is hb multicall_bad 0; is hb grant_copy_status 0; is hb grant_copy_verified 1
grep -q 'op=memory_op size=16 cross=0 flavour=va cycles=[0-9]* rc=-38$' "$T/hb" && ok ||
    bad "hcall-buf: memory_op not -ENOSYS"
run hcall-buf pf max=64 flavour=pa-flag
is pf pa_flag unsupported
echo "$pass passed, $fail failed"
[ $fail = 0 ]
