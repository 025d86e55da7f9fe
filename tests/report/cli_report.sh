#!/bin/sh
# tests/report/cli_report.sh HVSIM SCRIPTS_DIR BARE_DEMO_ELF TMPDIR - `hvsim report` end to end:
# a small sweep (runstate guest, 2 ticks: VA under xen-4.17 and PA under pa with KPTI, plus two
# TLB geometries, -j 2) -> hvsim compare -> hvsim report: index.html names every figure, every
# PNG is a PNG (magic bytes, matplotlib imread), every SVG parses as XML; a report on an empty
# and on a bare-only database succeeds and says what is missing; a missing database exits 1
# with one "hvsim:" line; usage errors exit 2; --text prints the tables.
set -u
H=$1
S=$2
IMG=$3
T=$4
PY=/usr/bin/python3
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
check() { what=$1; shift; if [ "$@" ]; then ok; else bad "$what"; fi; }

FIGS="runstate_cost hcall_cost walks_geometry tlb_misses_time"
# valid_report DIR: index.html mentions every figure, PNG/SVG files valid
valid_report() {
    d=$1
    check "$d/index.html exists" -s "$d/index.html"
    for f in $FIGS; do
        grep -q "$f.png" "$d/index.html" || bad "$d/index.html does not mention $f"
        check "$d/$f.png magic" "$(head -c 8 "$d/$f.png" | od -An -tx1 | tr -d ' \n')" = \
            "89504e470d0a1a0a"
        $PY -c "import sys, matplotlib; matplotlib.use('Agg'); import matplotlib.image as m; \
a = m.imread(sys.argv[1]); sys.exit(0 if a.shape[0] > 10 else 1)" "$d/$f.png" \
            || bad "$d/$f.png: matplotlib cannot read it"
        $PY -c "import sys, xml.etree.ElementTree as E; \
sys.exit(0 if E.parse(sys.argv[1]).getroot().tag.endswith('svg') else 1)" "$d/$f.svg" \
            || bad "$d/$f.svg is not SVG XML"
    done
}

# --- a missing database: exit 1, one hvsim: line, nothing written
"$H" report --db none.db -o miss >out.txt 2>err.txt
check "missing db exit 1" $? -eq 1
check "missing db: one stderr line" "$(wc -l <err.txt)" -eq 1
grep -q '^hvsim: report: none.db: no such database' err.txt || bad "missing db: $(cat err.txt)"
check "missing db: no output dir" ! -e miss

# --- usage errors
"$H" report --bogus >/dev/null 2>err.txt
check "unknown option exit 2" $? -eq 2
check "unknown option: one hvsim: line" "$(grep -c '^hvsim: report:' err.txt)" -eq 1
"$H" report extra --db none.db >/dev/null 2>&1
check "extra argument exit 2" $? -eq 2
"$H" report --help >help.txt 2>&1
check "--help exit 0" $? -eq 0
grep -q 'usage: hvsim report' help.txt || bad "--help text"

# --- not a database: exit 1 with one line
echo "not sqlite" >junk.db
"$H" report --db junk.db -o junk >/dev/null 2>err.txt
check "junk db exit 1" $? -eq 1
check "junk db: one line" "$(wc -l <err.txt)" -eq 1
grep -q '^hvsim: report: ' err.txt || bad "junk db message: $(cat err.txt)"

# --- scripts not found: exit 1, one line
HVSIM_SCRIPTS_DIR=$T/nowhere "$H" report --db junk.db -o x >/dev/null 2>err.txt
check "no scripts exit 1" $? -eq 1
grep -q 'HVSIM_SCRIPTS_DIR' err.txt || bad "no scripts message: $(cat err.txt)"

# --- an empty database (schema only)
: >empty.db
"$H" db migrate --db empty.db >/dev/null 2>&1 || bad "db migrate on an empty file"
"$H" report --db empty.db -o empty >out.txt 2>err.txt
check "empty db report exit 0" $? -eq 0
valid_report empty
grep -q 'holds no runs' empty/index.html || bad "empty report does not say it has no runs"
grep -q 'no arm64 runs' empty/index.html || bad "empty report does not list arm64 as missing"
grep -q 'no runstate runs' empty/index.html || bad "empty report: no runstate placeholder"

# --- a bare-only database
"$H" run --bare --image "$IMG" --max-insns 1M --db bare.db >/dev/null 2>&1
check "bare run recorded" "$(sqlite3 bare.db 'SELECT count(*) FROM runs')" -eq 1
"$H" report --db bare.db -o bare --text >bare.txt 2>err.txt
check "bare db report exit 0" $? -eq 0
valid_report bare
grep -q 'no runstate runs' bare/index.html || bad "bare report: runstate missing not said"
grep -q 'no hcall-buf runs' bare/index.html || bad "bare report: hcall-buf missing not said"
grep -q 'no x86_64 runs' bare/index.html || bad "bare report: x86_64 missing not said"
grep -q '^== Runs in the database' bare.txt || bad "--text prints the tables"
grep -q 'bare-demo.elf' bare.txt || bad "--text runs table names the bare workload"

# --- a small study sweep -> compare -> report
cat >study.ini <<EOF
[grid]
arch = arm64
workload = runstate
hv_profile = xen-4.17
runstate = profile
params = runstate=va kpti=1 vcpus=2 ticks=2
vcpus = 2
pcpus = 1
cpu = cortex-a57
tlb = l2=64x4, l2=1024x4
seeds = 1
max_insns = 100M
[grid]
arch = arm64
workload = runstate
hv_profile = xen-4.17, pa
runstate = profile
params = runstate=va kpti=1 vcpus=2 ticks=2, runstate=pa kpti=1 vcpus=2 ticks=2
vcpus = 2
pcpus = 1
cpu = cortex-a57
seeds = 1..2
max_insns = 100M
EOF
"$H" sweep study.ini -j 2 --db study.db >/dev/null 2>sweep.err
check "sweep exit 0 ($(tail -1 sweep.err))" $? -eq 0
check "10 runs" "$(sqlite3 study.db 'SELECT count(*) FROM runs')" -eq 10
"$H" compare --db study.db --by hv_profile --metric hv.runstate.cycles >cmp.txt 2>&1
check "compare exit 0" $? -eq 0
"$H" report --db study.db -o rep >rep.out 2>rep.err
check "study report exit 0 ($(cat rep.err))" $? -eq 0
check "report without --text prints nothing on stdout" ! -s rep.out
grep -q '^hvsim: report: rep/index.html: 10 runs' rep.err || bad "summary line: $(cat rep.err)"
valid_report rep
grep -q 'Runstate updates: VA vs PA' rep/index.html || bad "no runstate table"
grep -q '<td>xen-4.17</td>' rep/index.html || bad "runstate table lacks xen-4.17"
grep -q 'cycles per update' rep/index.html || bad "no cycles-per-update column"
grep -q 'no hcall-buf runs' rep/index.html || bad "hcall-buf absence not said"
# the runstate figure and the geometry figure have data, hcall and samples are placeholders
grep -q 'Runstate update cost and failures per profile</b>\. ' rep/index.html ||
    bad "runstate figure is a placeholder"
grep -q 'TLB / walk-cache geometry</b>\. ' rep/index.html || bad "geometry figure is a placeholder"
grep -q 'VA vs PA</b> (no data)' rep/index.html || bad "hcall figure should say no data"
# the scripts run standalone too
$PY "$S/plot_runstate.py" --db study.db -o standalone >/dev/null 2>&1 || bad "plot_runstate.py"
check "standalone plot written" -s standalone/runstate_cost.svg
cmp -s standalone/runstate_cost.svg rep/runstate_cost.svg || bad "standalone figure differs"

echo "cli_report: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
