#!/bin/sh
# tests/linux/linux_boot.sh HVSIM SRCDIR TMPDIR - Debian's arm64 Linux 6.1 as a Xen domU
# under the xen-4.17 model, to a /init that forks tasks, reads /proc/stat and powers off:
#   1 vCPU, kpti=0: boots, registers its runstate area by VA (drivers/xen/time.c
#                   xen_setup_runstate_info) and every update succeeds; recorded in the DB
#   2 vCPUs on 1 pCPU, kpti=0: CPU1 comes up through PSCI CPU_ON, steal time > 0 in /proc/stat
#   2 vCPUs, kpti=1: KPTI on, Linux skips the registration (arch/arm/xen/enlighten.c,
#                   xen_kernel_unmapped_at_usr() since 5.10), steal stays 0
#   determinism: the same configuration twice gives identical counters (first 4e7 insns)
set -u
H=$1; SRC=$2; T=$3/linux_boot
rm -rf "$T"; mkdir -p "$T"
if ! K=$(sh "$SRC/scripts/fetch-images.sh" 2>"$T/fetch.err"); then
    echo "SKIP: cannot download Debian's arm64 kernel: $(tail -1 "$T/fetch.err")"
    exit 77
fi
export HVSIM_LINUX_IMAGE="$K"
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
has() { grep -aq "$2" "$T/$1" && ok || bad "$1: no '$2'"; }
hasnt() { grep -aq "$2" "$T/$1" && bad "$1: unexpected '$2'" || ok; }
# (the guest's tty writes CR LF)
val() { grep -a '^RESULT workload=linux' "$T/$1" | tr -d '\r' | tr ' ' '\n' | sed -n "s/^$2=//p"; }
stat() { grep -a "^$2 " "$T/$1.err" | awk '{print $2}'; }
boot() {  # boot OUT SPEC hvsim-options...
    o=$1; s=$2; shift 2
    "$H" run --workload "$s" --stats "$@" >"$T/$o" 2>"$T/$o.err"
    rc=$?
    [ $rc = 0 ] && ok || { bad "$o: exit $rc"; tail -5 "$T/$o.err"; }
    has "$o" 'Run /init as init process'
    has "$o" '^init: hello from /init, pid 1'
    [ "$(val "$o" init)" = ok ] && ok || bad "$o: no RESULT init=ok"
    [ "$(val "$o" failed)" = 0 ] && ok || bad "$o: failed=$(val "$o" failed)"
    has "$o" 'reboot: Power down'
    grep -aq 'poweroff after [0-9]* instructions.*MIPS' "$T/$o.err" && ok ||
        bad "$o: no instructions/time/MIPS summary"
    hasnt "$o" 'Internal error\|Kernel panic\|BUG:\|WARNING:\|Unable to handle'
}

boot up1 linux:kpti=0,tasks=2 --db "$T/runs.db"
has up1 'Xen 4.17 support found'
[ "$(stat up1 hcall.vcpu_op.register_runstate_memory_area.calls)" = 1 ] && ok ||
    bad "up1: runstate area not registered once"
nofail() { [ -z "$(stat "$1" hv.runstate.failures)" ] || [ "$(stat "$1" hv.runstate.failures)" = 0 ]; }
nofail up1 && ok || bad "up1: runstate update failures"
row=$("$H" query --db "$T/runs.db" --csv \
      "SELECT workload, outcome, insns > 100000000, sim_ns > 0 FROM runs" 2>&1 | tail -1)
[ "$row" = "linux,poweroff,1,1" ] && ok || bad "db: runs row '$row'"
n=$("$H" query --db "$T/runs.db" --csv \
    "SELECT SUM(calls) FROM hypercalls WHERE name = 'vcpu_op'" 2>&1 | tail -1)
[ "${n:-0}" -ge 2 ] 2>/dev/null && ok || bad "db: vcpu_op calls '$n'"

boot up2 linux:kpti=0,vcpus=2,tasks=4 --no-db
has up2 'CPU1: Booted secondary processor'
has up2 'smp: Brought up 1 node, 2 CPUs'
[ "$(stat up2 hcall.vcpu_op.register_runstate_memory_area.calls)" = 2 ] && ok ||
    bad "up2: runstate areas not registered for both vCPUs"
[ "$(stat up2 hv.runstate.updates)" -gt 0 ] 2>/dev/null && ok || bad "up2: no runstate updates"
nofail up2 && ok || bad "up2: runstate update failures"
[ "$(val up2 steal_ticks)" -gt 0 ] 2>/dev/null && ok || bad "up2: steal_ticks=$(val up2 steal_ticks)"

boot kpti linux:kpti=1,vcpus=2,tasks=4 --no-db
has kpti 'Kernel page table isolation (KPTI)'
[ -z "$(stat kpti hcall.vcpu_op.register_runstate_memory_area.calls)" ] && ok ||
    bad "kpti: Linux registered a runstate area with KPTI on"
[ "$(val kpti steal_ticks)" = 0 ] && ok || bad "kpti: steal_ticks=$(val kpti steal_ticks)"

for i in 1 2; do
    "$H" run --workload linux:kpti=0 --no-db --max-insns 40000000 --stats-json "$T/det$i.json" \
        >/dev/null 2>&1
done
cmp -s "$T/det1.json" "$T/det2.json" && ok || bad "determinism: counters differ between runs"

echo "linux_boot: $pass passed, $fail failed"
[ $fail = 0 ]
