#!/bin/sh
# scripts/bench.sh - simulation speed and memory: MIPS (guest instructions per wall-clock
# microsecond of the run itself, setup excluded) and peak RSS, best of REPEATS runs each.
#
#   1. the bare arm64 demo under each arm64 CPU model with the full cache model and with
#      --cache off (the ratio is what the cache model costs);
#   2. the speed targets: issue 3 (arm64, MMU on, TLB model on: >= 150 MIPS for a compute-bound
#      and a memory-bound guest) and issue 6 (x86_64 with the TLB model on: >= 100 MIPS);
#   3. guests under the modelled Xen (stage 2 / EPT, traps, scheduler), and the Debian Linux
#      boot when its kernel is in the cache (scripts/fetch-images.sh).
#
# Speed targets are checked here, never in tests: wall-clock figures need an otherwise idle
# machine. Counters do not depend on speed (the fast paths are counter-identical, see
# docs/model.md "Fast paths").
# Usage: scripts/bench.sh [REPEATS]   (default 3)
set -eu
cd "$(dirname "$0")/.."
REPEATS=${1:-3}
sh scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
IMG=build/workloads/arm64/bare-demo.elf
X86=build/workloads/x86_64/bare-demo.elf
G=build/tests/isa/arm64/guests

# best ARGS...: prints "MIPS RSS_MiB" of the fastest of $REPEATS runs (RSS of that run).
best() {
    b_m=0 b_r=0 i=0
    while [ $i -lt "$REPEATS" ]; do
        line=$(./build/hvsim run --no-db "$@" 2>&1 >/dev/null | grep ' MIPS' | tail -1)
        m=$(echo "$line" | sed -n 's/.* \([0-9.]*\) MIPS.*/\1/p')
        r=$(echo "$line" | sed -n 's/.*peak RSS \([0-9]*\) MiB.*/\1/p')
        if [ -n "$m" ] && awk -v a="$m" -v b="$b_m" 'BEGIN { exit !(a > b) }'; then
            b_m=$m b_r=${r:-0}
        fi
        i=$((i + 1))
    done
    echo "$b_m $b_r"
}

# row LABEL TARGET ARGS...: one table line; TARGET is a MIPS floor or "-".
row() {
    label=$1 target=$2
    shift 2
    set -- $(best "$@")
    verdict=""
    if [ "$target" = "-" ]; then
        target=""
    else
        verdict=$(awk -v m="$1" -v t="$target" 'BEGIN { print (m >= t) ? "met" : "BELOW" }')
        target=">= $target"
    fi
    printf '%-64s %8s %9s %-6s %8s\n' "$label" "$1" "$target" "$verdict" "$2"
}

echo "== 1. cache-model cost: arm64 bare demo (MMU off, every data access through the cache model)"
printf '%-14s %14s %14s %8s\n' "cpu model" "MIPS (cache)" "MIPS (off)" "ratio"
for cpu in cortex-a57 neoverse-n1; do
    on=$(best --arch arm64 --bare --image "$IMG" --cpu "$cpu" | cut -d' ' -f1)
    off=$(best --arch arm64 --bare --image "$IMG" --cpu "$cpu" --cache off | cut -d' ' -f1)
    printf '%-14s %14s %14s %8s\n' "$cpu" "$on" "$off" \
        "$(echo "$on $off" | awk '{printf "%.2f", ($2 > 0) ? $1 / $2 : 0}')"
done
echo
printf '%-64s %8s %9s %-6s %8s\n' "== 2. speed targets (cortex-a57 / skylake)" "MIPS" "target" "" "RSS MiB"
# mmuloop: compute-bound, a 4 KB buffer through one 1 GB block, 2 of 7 instructions load/store.
# memloop: memory-bound, 4 MB with a 256-byte stride through 1024 4 KB pages plus a stack load
# per step: every buffer load misses the L1D and the L2, every 16th misses the L1 DTLB.
row "arm64 bare, MMU on, compute-bound (mmuloop)" 150 --arch arm64 --bare --image "$G/mmuloop.elf"
row "arm64 bare, MMU on, memory-bound (memloop)" 150 --arch arm64 --bare --image "$G/memloop.elf"
# x86_64 bare demo: 64-bit mode, identity paging of the low 4 GiB through the TLB model.
row "x86_64 bare, paging on (TLB model), bare-demo" 100 --arch x86_64 --bare --image "$X86"
# Under VMX non-root with EPT: every guest TLB miss is a 2-D walk, hypercalls are VM exits.
row "x86_64 Xen model (VMX/EPT), busy:rounds=2000" 100 --arch x86_64 --workload busy:rounds=2000
row "x86_64 Xen model (VMX/EPT), runstate:kpti=1,vcpus=2,ticks=100" 100 \
    --arch x86_64 --workload runstate:kpti=1,vcpus=2,ticks=100
echo
printf '%-64s %8s %9s %-6s %8s\n' "== 3. other guests" "MIPS" "" "" "RSS MiB"
row "arm64 bare, MMU off, bare-demo" - --arch arm64 --bare --image "$IMG"
row "arm64 Xen model, runstate:kpti=1,vcpus=2" - --workload runstate:kpti=1,vcpus=2
row "arm64 Xen model, busy:rounds=2000" - --workload busy:rounds=2000
# A TLB-miss stress test, not a target: every access of the chase misses the TLBs and walks
# (a 2-D walk under EPT), so the walk and cache models dominate.
row "x86_64 Xen model, tlb:pages=4096,iters=100 (TLB-miss stress)" - \
    --arch x86_64 --workload tlb:pages=4096,iters=100
row "arm64 Xen model, tlb:pages=4096,iters=100 (TLB-miss stress)" - \
    --workload tlb:pages=4096,iters=100
if ./build/hvsim image "${HVSIM_CACHE:-$HOME/.cache/hvsim}/linux/vmlinuz-arm64" >/dev/null 2>&1; then
    REPEATS=1
    row "arm64 Debian Linux 6.1 boot under the Xen model (1 run)" - --workload linux:kpti=0
else
    echo "(Linux boot skipped: no kernel in the cache; run scripts/fetch-images.sh)"
fi
