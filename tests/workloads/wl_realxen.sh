#!/bin/sh
# tests/workloads/wl_realxen.sh REALXEN BUILD - hello and runstate on real Xen 4.17 under QEMU
# (scripts/realxen.sh --no-install: skips with 77 when qemu-system-aarch64, dtc or the unpacked
# xen-hypervisor-4.17-arm64 package are missing; install them with scripts/realxen.sh once).
# The runs are deterministic (-icount shift=0,sleep=off).
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
    [ $rc = 0 ] && ok || { bad "$n $*: realxen exit $rc"; cat "$T/$o" "$T/$o.err"; }
}
val() { grep '^RESULT' "$T/$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

run hello hello
grep -q '^RESULT workload=hello xen_version=0x40011 features_rc=0 ' "$T/hello" && ok ||
    bad "hello RESULT line"

# Timer-preempted EL0 work on 2 vCPUs sharing 1 pCPU: Xen deschedules vCPUs at EL0.
run runstate k0 vcpus=2 kpti=0 work=10000000 ticks=50
[ "$(val k0 registered)" = 0 ] && ok || bad "kpti=0 registered"
[ "$(val k0 stale)" = 0 ] && ok || bad "kpti=0: stale reads $(val k0 stale)"
[ "$(val k0 torn)" = 0 ] && ok || bad "kpti=0: torn reads"
[ "$(val k0 updates)" -gt 2 ] && ok || bad "kpti=0: updates $(val k0 updates)"
[ "$(val k0 steal_ns)" -gt 0 ] && ok || bad "kpti=0: no steal time"

# KPTI: at EL0 TTBR1 holds the trampoline table, Xen's AT S12E1W of the area fails, updates
# are dropped (Xen 4.17 arch/arm/domain.c update_runstate_area ignores the failure).
run runstate k1 vcpus=2 kpti=1 work=10000000 ticks=50
[ "$(val k1 registered)" = 0 ] && ok || bad "kpti=1 registered"
[ "$(val k1 stale)" -gt 0 ] && ok || bad "kpti=1: no stale reads"
[ "$(val k1 updates)" -lt "$(val k0 updates)" ] && ok || bad "kpti=1: as many updates as kpti=0"

# Op 14 does not exist in 4.17 (and is -EINVAL on Arm in 4.18+): registered=-22, still finishes.
run runstate pa runstate=pa vcpus=2 ticks=10
[ "$(val pa registered)" = -22 ] && ok || bad "runstate=pa registered=$(val pa registered)"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
