#!/bin/sh
# scripts/demo.sh - the main demo (README's first command): install missing Debian packages,
# build everything, run the VA-vs-PA study (scripts/study*.ini) into a fresh results/demo.db,
# boot Debian's arm64 Linux kernel as a Xen domU with KPTI off and on, print the comparison
# tables and write the HTML report with its figures to results/report.
#
# It runs what this build supports and says what it skipped (each part runs when its guest
# image is built). About 5 minutes on 2 cores (~300 arm64 runs of ~0.4 s, 120 x86_64 runs of
# ~1.5 s, 8 bare runs, two Linux boots, the build); docs/study.md.
set -eu
cd "$(dirname "$0")/.."
JOBS=$(nproc 2>/dev/null || echo 2)
T0=$(date +%s)

sh scripts/deps.sh
echo "== build (build/, Release)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$JOBS" >/dev/null

H=./build/hvsim
DB=results/demo.db
OUT=results/report
mkdir -p results
rm -rf "$DB" "$DB-wal" "$DB-shm" "$DB.logs" "$DB".linux-*.log
SKIPPED=""
skip() { SKIPPED="$SKIPPED
  - $*"; }
have() { # have ARCH WORKLOAD: the guest image hvsim would load exists
    [ -e "build/workloads/$1/$2.img" ] || [ -e "build/workloads/$1/$2.elf" ]
}
sweep() { # sweep SPEC: a failed run is reported, the demo goes on with what was recorded
    echo "== hvsim sweep $1 --db $DB -j $JOBS"
    if ! $H sweep "$1" --db "$DB" -j "$JOBS"; then
        skip "some runs of $1 failed (logs in $DB.logs/): the report shows what was recorded"
    fi
}

# 1. the VA-vs-PA runstate study on arm64: every profile x VA/PA registration x KPTI off/on x
#    both arm64 CPU models x 3 seeds, plus a TLB / walk-cache geometry grid
if have arm64 runstate; then
    sweep scripts/study.ini
else
    skip "arm64 runstate study: the runstate guest is not built"
fi
# 2. hypercall buffers by size and flavour (VA / PA / pa-flag)
if have arm64 hcall-buf; then
    sweep scripts/study-hcall.ini
else
    skip "hypercall cost by buffer size (scripts/study-hcall.ini): the arm64 hcall-buf guest is not built yet"
fi
# 3. x86_64
if have x86_64 runstate; then
    sweep scripts/study-x86.ini
else
    skip "x86_64 (scripts/study-x86.ini): the x86_64 runstate guest is not built"
fi
# 4. the bare arm64 demo guest (no hypervisor) on both CPU models, cache model on and off
if [ -e build/workloads/arm64/bare-demo.elf ]; then
    sweep scripts/demo-bare.ini
fi

# 5. Debian's unmodified arm64 Linux 6.1 as a Xen domU: 2 vCPUs on 1 pCPU, KPTI off (Linux
#    registers its runstate area by VA: steal time in /proc/stat) and on (it does not);
#    docs/linux.md. The kernel is downloaded once by scripts/fetch-images.sh.
if sh scripts/fetch-images.sh >/dev/null 2>&1; then
    for k in 0 1; do
        echo "== hvsim run --workload linux:vcpus=2,kpti=$k (Debian's kernel; console in $DB.linux-kpti$k.log)"
        if $H run --workload "linux:vcpus=2,kpti=$k" --db "$DB" >"$DB.linux-kpti$k.log" 2>&1; then
            grep -a 'RESULT\|Kernel page table isolation\|Xen 4.17 support' "$DB.linux-kpti$k.log" | tr -d '\r'
            tail -1 "$DB.linux-kpti$k.log"
        else
            skip "Linux boot kpti=$k failed (see $DB.linux-kpti$k.log)"
        fi
    done
else
    skip "Linux boot: Debian's arm64 kernel could not be downloaded (scripts/fetch-images.sh)"
fi

echo "== hvsim runs (summary)"
$H query --db "$DB" "SELECT workload, arch, cpu_model, hv_profile, count(*) AS runs,
    sum(outcome = 'poweroff') AS poweroff FROM runs GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4"

echo "== hvsim compare: runstate area registered by VA, KPTI on, cortex-a57, by profile (per run)"
$H compare --db "$DB" --by hv_profile --metric hv.runstate.updates \
    --metric hv.runstate.failures --metric hv.runstate.cycles --metric hv.ctxsw.cycles \
    --where "workload = 'runstate' AND cpu_model = 'cortex-a57' AND
             workload_params LIKE '%runstate=va%' AND workload_params LIKE '%kpti=1%' AND
             json_extract(config_json, '\$.tlb') IS NULL" --baseline xen-4.17 || true

echo "== hvsim report --db $DB -o $OUT --text"
$H report --db "$DB" -o "$OUT" --text

echo "== report: $OUT/index.html (figures: $OUT/*.png, $OUT/*.svg)"
if [ -n "$SKIPPED" ]; then
    echo "== skipped:$SKIPPED"
fi
echo "== demo done in $(( $(date +%s) - T0 )) s"
