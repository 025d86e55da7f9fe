#!/bin/sh
# tests/sweep/cli_sweep.sh HVSIM BARE_DEMO_ELF TMPDIR - `hvsim sweep` end to end on the bare
# arm64 demo guest: a 2 cpu x 2 cache x 2 seed grid with -j 2 (8 runs, compare works on it),
# resume (0 new runs; SIGKILL or SIGINT mid-sweep then rerun: exactly the grid, no duplicates,
# db check ok), --emit-jobs + GNU parallel + db merge (same runs and counters as the direct
# sweep), a run that fails, and spec errors (exit 2, one line naming FILE:LINE).
set -u
H=$1
IMG=$2
T=$3
rm -rf "$T"; mkdir -p "$T"; cd "$T" || exit 1
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION test-args...
    what=$1; shift
    if [ "$@" ]; then ok; else bad "$what"; fi
}
q() { sqlite3 "$1" "$2"; }

cat >grid.ini <<EOF
# the bare demo on two CPU models, cache model on and off, two seeds
[grid]
arch = arm64
image = $IMG
bare = yes
cpu = cortex-a57, neoverse-n1
cache = on, off
seeds = 1..2
max_insns = 2M        ; a short run: the demo needs ~29M instructions to finish
EOF

# --- dry run: 8 points, nothing written
"$H" sweep grid.ini --dry-run --db direct.db >dry.out 2>dry.err
check "dry-run exit" $? -eq 0
check "dry-run lists 8 points" "$(grep -c '^run ' dry.out)" -eq 8
check "dry-run creates no database" ! -e direct.db

# --- the sweep with two parallel jobs
"$H" sweep grid.ini -j 2 --db direct.db >sweep.out 2>sweep.err
rc=$?
check "sweep exit 0 (got $rc)" $rc -eq 0
check "sweep prints nothing on stdout" ! -s sweep.out
check "8 runs in the database" "$(q direct.db 'SELECT count(*) FROM runs')" -eq 8
check "2 cpu models x 2 caches x 2 seeds" \
    "$(q direct.db "SELECT count(DISTINCT cpu_model||config_hash||seed) FROM runs")" -eq 8
check "4 configurations" "$(q direct.db 'SELECT count(DISTINCT config_hash) FROM runs')" -eq 4
check "progress lines" "$(grep -c '^hvsim: sweep: [0-9]*/8 done' sweep.err)" -eq 8
grep -q 'done 8, skipped 0' sweep.err || bad "summary: $(tail -3 sweep.err)"
check "one log per run" "$(ls direct.db.logs/*.log | wc -l)" -eq 8
grep -q 'recorded in' direct.db.logs/*-1.log || bad "run log has the run's messages"
"$H" compare --db direct.db --by cpu_model --metric cycles >cmp.out 2>cmp.err
check "compare exit 0" $? -eq 0
grep -q '^cortex-a57  *cycles  *4 ' cmp.out || bad "compare lacks cortex-a57 (n=4): $(cat cmp.out)"
grep -q '^neoverse-n1  *cycles  *4 ' cmp.out || bad "compare lacks neoverse-n1 (n=4)"

# --- resume: the same spec again runs nothing
"$H" sweep grid.ini -j 2 --db direct.db >/dev/null 2>again.err
check "rerun exit 0" $? -eq 0
grep -q '8 already in direct.db, 0 to run' again.err || bad "rerun: $(head -1 again.err)"
check "still 8 runs" "$(q direct.db 'SELECT count(*) FROM runs')" -eq 8
"$H" sweep grid.ini --dry-run --db direct.db >dry2.out 2>/dev/null
check "dry-run marks all as skipped" "$(grep -c '^skip ' dry2.out)" -eq 8

# --- SIGKILL mid-sweep, then resume: exactly the grid, no duplicates
cat >long.ini <<EOF
[grid]
arch = arm64
image = $IMG
bare = yes
cpu = cortex-a57, neoverse-n1
seeds = 1..6
max_insns = 16M
EOF
"$H" sweep long.ini -j 2 --db killed.db >/dev/null 2>killed.err &
pid=$!
i=0
while [ $i -lt 300 ]; do # until a few runs are stored (at most 30 s)
    n=$(q killed.db 'SELECT count(*) FROM runs' 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 3 ] && break
    sleep 0.1; i=$((i+1))
done
kill -KILL $pid
wait $pid 2>/dev/null
sleep 0.5 # runs die with the sweep (PR_SET_PDEATHSIG); none may still record
n1=$(q killed.db 'SELECT count(*) FROM runs')
check "killed after a few runs, before the end ($n1 of 12)" "$n1" -ge 3 -a "$n1" -lt 12
sleep 0.5
check "no run recorded after the kill" "$(q killed.db 'SELECT count(*) FROM runs')" -eq "$n1"
"$H" sweep long.ini -j 2 --db killed.db >/dev/null 2>resume.err
check "resume exit 0" $? -eq 0
grep -q "$n1 already in killed.db, $((12 - n1)) to run" resume.err || bad "resume: $(head -1 resume.err)"
check "exactly the grid after resume" "$(q killed.db 'SELECT count(*) FROM runs')" -eq 12
check "no duplicate (config_hash, seed)" -z "$(q killed.db \
    'SELECT config_hash, seed, count(*) FROM runs GROUP BY config_hash, seed HAVING count(*) > 1')"
"$H" db check --db killed.db >check.out 2>&1
check "db check ok" $? -eq 0

# --- SIGINT: the sweep stops its runs, says so, exits 1; the rerun completes the grid
"$H" sweep long.ini -j 2 --db int.db >/dev/null 2>int.err &
pid=$!
i=0
while [ $i -lt 300 ]; do
    n=$(q int.db 'SELECT count(*) FROM runs' 2>/dev/null || echo 0)
    [ "${n:-0}" -ge 2 ] && break
    sleep 0.1; i=$((i+1))
done
kill -INT $pid
wait $pid
check "interrupted sweep exits 1" $? -eq 1
grep -q 'sweep: interrupted: done [0-9]*, .*stopped' int.err || bad "interrupt summary: $(tail -2 int.err)"
"$H" sweep long.ini -j 2 --db int.db >/dev/null 2>&1
check "resume after SIGINT exit 0" $? -eq 0
check "grid complete after SIGINT" "$(q int.db 'SELECT count(*) FROM runs')" -eq 12
check "no duplicates after SIGINT" "$(q int.db 'SELECT count(DISTINCT config_hash||seed) FROM runs')" -eq 12

# --- --emit-jobs + GNU parallel on localhost + db merge
"$H" sweep grid.ini --emit-jobs jobs --db merged.db >/dev/null 2>emit.err
check "emit-jobs exit 0" $? -eq 0
for f in jobs.txt run-parallel.sh slurm.sbatch merge.sh; do
    check "emit-jobs wrote $f" -s jobs/$f
done
check "8 job lines" "$(wc -l <jobs/jobs.txt)" -eq 8
grep -q -- '--db .*/jobs/dbs/[0-9a-f]\{64\}-[12]\.db$' jobs/jobs.txt || bad "job lines name their own database"
grep -q '^#SBATCH --array=1-8$' jobs/slurm.sbatch || bad "slurm array 1-8"
grep -q 'SLURM_ARRAY_TASK_ID' jobs/slurm.sbatch || bad "slurm script reads its task's line"
grep -q -- '--sshloginfile' jobs/run-parallel.sh || bad "run-parallel.sh explains --sshloginfile"
sh jobs/run-parallel.sh --will-cite -j 2 >parallel.out 2>&1
check "run-parallel.sh exit 0" $? -eq 0
check "joblog has 8 jobs" "$(tail -n +2 jobs/joblog.txt | wc -l)" -eq 8
check "8 job databases" "$(ls jobs/dbs/*.db | wc -l)" -eq 8
check "8 runs merged" "$(q merged.db 'SELECT count(*) FROM runs')" -eq 8
dump() { # every run's identity, totals and counters, in a fixed order
    q "$1" "SELECT r.config_hash, r.seed, r.cpu_model, r.outcome, r.insns, r.cycles, c.name, c.value
            FROM runs r JOIN counters c ON c.run_id = r.id ORDER BY 1, 2, 7"
}
dump direct.db >direct.dump
dump merged.db >merged.dump
check "counters recorded" "$(wc -l <direct.dump)" -gt 8
if cmp -s direct.dump merged.dump; then ok; else bad "merged counters differ from the direct sweep"; fi
"$H" sweep grid.ini --emit-jobs jobs --db merged.db >/dev/null 2>emit2.err
check "re-emit: every point is merged, no job left" ! -s jobs/jobs.txt
"$H" sweep grid.ini -j 2 --db merged.db >/dev/null 2>&1
check "a sweep on the merged database runs nothing" "$(q merged.db 'SELECT count(*) FROM runs')" -eq 8

# --- a run that fails is reported, with its log, and the exit status is 1
printf 'not an ELF file' >garbage.bin
cat >failing.ini <<EOF
[grid]
arch = arm64
image = garbage.bin
bare = yes
EOF
"$H" sweep failing.ini -j 1 --db failing.db >/dev/null 2>failing.err
check "a failed run makes the sweep exit 1" $? -eq 1
grep -q 'failed: .*garbage.bin.*no run recorded.*log .*failing.db.logs/[0-9a-f]*-0.log' failing.err ||
    bad "failure summary: $(cat failing.err)"
check "the failed run's log exists" -s "$(ls failing.db.logs/*-0.log)"

# --- spec errors: exit 2, one line naming FILE:LINE
spec_error() { # spec_error LINE WORD  (spec text on stdin)
    cat >bad.ini
    "$H" sweep bad.ini --db bad.db >/dev/null 2>bad.err
    rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <bad.err)" -eq 1 ] && grep -q "^hvsim: sweep: bad.ini:$1: .*$2" bad.err
    then ok; else bad "spec error at line $1 ($2): exit $rc: $(cat bad.err)"; fi
}
printf '[grid]\nimage = %s\nbare = yes\ncolour = blue\n' "$IMG" | spec_error 4 "unknown key 'colour'"
printf '[grid]\nimage = %s\nbare = yes\ncache = on, sometimes\n' "$IMG" | spec_error 4 "cache"
printf '[grid]\nimage = %s\nseeds = 1..x\n' "$IMG" | spec_error 3 "seeds"
printf '# nothing here\n' | spec_error 1 "empty grid"
printf '[grid]\n\n[grid]\nimage = %s\n' "$IMG" | spec_error 1 "empty \[grid\] section"
check "no database for a bad spec" ! -e bad.db
"$H" sweep nosuch.ini >/dev/null 2>&1
check "missing spec: exit 1" $? -eq 1
"$H" sweep grid.ini -j 0 >/dev/null 2>&1
check "-j 0: exit 2" $? -eq 2

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
