#!/bin/sh
# tests/results/cli_results.sh HVSIM RES_MKRUNS TMPDIR
# CLI tests of `hvsim runs|query|compare|db` on databases written by res_mkruns. Expected
# outputs are inline (regenerate by running the commands on `res_mkruns DB` and checking them).
set -e
HVSIM=$1
MKRUNS=$2
T=$3
rm -rf "$T"
mkdir -p "$T"
cd "$T"
unset HVSIM_DB
fails=0

fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect CODE CMD...: run, keep stdout in out.txt and stderr in err.txt, check the exit code
expect() {
    want=$1; shift
    set +e
    "$@" >out.txt 2>err.txt
    got=$?
    set -e
    [ "$got" = "$want" ] || { fail "exit $got (want $want): $*"; cat err.txt >&2; }
}
same() { # same FILE: out.txt must equal FILE
    diff -u "$1" out.txt >&2 || fail "output of the last command differs from $1"
}
err_is() { printf '%s\n' "$1" | diff -u - err.txt >&2 || fail "stderr: want '$1'"; }
err_has() { grep -q -- "$1" err.txt || { fail "stderr lacks '$1'"; cat err.txt >&2; }; }
out_has() { grep -q -- "$1" out.txt || { fail "stdout lacks '$1'"; cat out.txt >&2; }; }

"$MKRUNS" r.db

# ---- runs ----
cat >want.txt <<'X'
id  time                  arch    workload  cpu         profile   policy  seed  outcome   insns  cycles  wall_s
--  --------------------  ------  --------  ----------  --------  ------  ----  --------  -----  ------  ------
 1  2024-01-01T00:00:01Z  arm64   runstate  cortex-a72  xen-4.17  va         1  poweroff    500    1000    0.25
 2  2024-01-01T00:00:02Z  arm64   runstate  cortex-a72  xen-4.17  va         2  poweroff    520    1200     0.5
 3  2024-01-01T00:00:03Z  arm64   runstate  cortex-a72  pa        va         1  poweroff    480     600   0.125
 4  2024-01-01T00:00:04Z  arm64   runstate  cortex-a72  pa        va         2  poweroff    490     600    0.25
 5  2024-01-01T00:00:05Z  x86_64  runstate  cortex-a72  xen-4.17  va         1  poweroff    800    2000     1.5
X
expect 0 "$HVSIM" runs --db r.db; same want.txt
HVSIM_DB=r.db expect 0 "$HVSIM" runs; same want.txt
expect 0 "$HVSIM" runs --db r.db --limit 2 --csv
cat >want.txt <<'X'
id,time,arch,workload,cpu,profile,policy,seed,outcome,insns,cycles,wall_s
4,2024-01-01T00:00:04Z,arm64,runstate,cortex-a72,pa,va,2,poweroff,490,600,0.25
5,2024-01-01T00:00:05Z,x86_64,runstate,cortex-a72,xen-4.17,va,1,poweroff,800,2000,1.5
X
same want.txt
expect 0 "$HVSIM" runs --db r.db --where "hv_profile = 'pa'" --csv
[ "$(wc -l <out.txt)" = 3 ] || fail "runs --where: want 2 rows"

# ---- query ----
Q="SELECT id, arch, cycles, wall_seconds, NULL AS n FROM runs WHERE id <= 2"
cat >want.txt <<'X'
id  arch   cycles  wall_seconds  n
--  -----  ------  ------------  ----
 1  arm64    1000          0.25  NULL
 2  arm64    1200           0.5  NULL
X
expect 0 "$HVSIM" query --db r.db "$Q"; same want.txt
cat >want.txt <<'X'
id,arch,cycles,wall_seconds,n
1,arm64,1000,0.25,
2,arm64,1200,0.5,
X
expect 0 "$HVSIM" query --db r.db --csv "$Q"; same want.txt
cat >want.txt <<'X'
[
  {"id": 1, "arch": "arm64", "cycles": 1000, "wall_seconds": 0.25, "n": null}
]
X
expect 0 "$HVSIM" query --db r.db --json "SELECT id, arch, cycles, wall_seconds, NULL AS n FROM runs WHERE id = 1"
same want.txt
cat >want.txt <<'X'
s
"a,""b"""
X
expect 0 "$HVSIM" query --db r.db --csv "SELECT 'a,\"b\"' AS s"; same want.txt
expect 0 "$HVSIM" query --db r.db "SELECT name, unit, description FROM counter_info ORDER BY name"
out_has "guest.dtlb.miss  count  guest data TLB misses"

# ---- compare ----
cat >want.txt <<'X'
hv_profile  metric           n  mean   min   max  stddev   ratio
----------  ---------------  -  ----  ----  ----  ------  ------
pa          cycles           2   600   600   600       0  1.0000
pa          guest.dtlb.miss  2     5     4     6    1.41  1.0000
xen-4.17    cycles           2  1100  1000  1200  141.42  1.8333
xen-4.17    guest.dtlb.miss  2    12    10    14    2.83  2.4000
X
expect 0 "$HVSIM" compare --db r.db --by hv_profile --metric cycles --metric guest.dtlb.miss \
    --where "arch = 'arm64'"
same want.txt
cat >want.txt <<'X'
hv_profile,metric,n,mean,min,max,stddev,ratio
pa,cycles,2,600,600,600,0,0.545455
xen-4.17,cycles,2,1100,1000,1200,141.42135623730951,1.000000
X
expect 0 "$HVSIM" compare --db r.db --by hv_profile --metric cycles --where "arch = 'arm64'" \
    --baseline xen-4.17 --csv
same want.txt
cat >want.txt <<'X'
arch,metric,n,mean,min,max,stddev,ratio
arm64,wall_seconds,4,0.28125,0.125,0.5,0.15728821740147395,0.187500
x86_64,wall_seconds,1,1.5,1.5,1.5,0,1.000000
X
expect 0 "$HVSIM" compare --db r.db --by arch --metric wall_seconds --baseline x86_64 --csv
same want.txt
expect 1 "$HVSIM" compare --db r.db --by nosuch --metric cycles
err_is "hvsim: compare: r.db: unknown key 'nosuch': not a column of runs"
expect 1 "$HVSIM" compare --db r.db --by arch --metric nosuch
err_has "unknown metric 'nosuch'"
expect 1 "$HVSIM" compare --db r.db --by arch --metric cycles --baseline riscv
err_has "baseline 'riscv' is not a value of arch"

# ---- usage errors: exit 2, one line ----
for args in "query" "query --bogus x" "query --csv --json SELECT" "query a b" \
            "runs --limit abc" "runs extra" "runs --db" "compare --metric cycles" \
            "compare --by arch" "compare --by arch --metric" "db" "db frob" "db export" \
            "db export --csv --json" "db merge r.db" "db merge -o x.db" "db check extra" \
            "db check -o x"; do
    # shellcheck disable=SC2086
    expect 2 "$HVSIM" $args --db r.db
    [ "$(wc -l <err.txt)" = 1 ] || fail "usage error not one line: $args"
    [ ! -s out.txt ] || fail "usage error printed to stdout: $args"
done
for c in runs query compare db; do
    expect 0 "$HVSIM" $c --help; out_has "usage: hvsim $c"
done

# ---- errors: exit 1, one line, nothing created or lost ----
expect 1 "$HVSIM" query --db missing.db "SELECT 1"
err_is "hvsim: query: missing.db: No such file or directory"
[ ! -e missing.db ] || fail "query created missing.db"
expect 1 "$HVSIM" runs --db missing.db
expect 1 "$HVSIM" db check --db missing.db
expect 1 "$HVSIM" db migrate --db missing.db
[ ! -e missing.db ] || fail "db commands created missing.db"
expect 1 "$HVSIM" query --db r.db "SELEC 1"
err_is 'hvsim: query: r.db: near "SELEC": syntax error'
expect 1 "$HVSIM" query --db r.db "DELETE FROM runs"
err_has "readonly"
expect 0 "$HVSIM" query --db r.db --csv "SELECT count(*) AS n FROM runs"
printf 'n\n5\n' >want.txt; same want.txt
head -c 8192 /dev/urandom >junk.db
cp junk.db junk.orig
expect 1 "$HVSIM" query --db junk.db "SELECT 1"
err_is "hvsim: query: junk.db: file is not a database"
expect 1 "$HVSIM" db check --db junk.db
err_is "hvsim: db: junk.db: file is not a database"
expect 1 "$HVSIM" db migrate --db junk.db
cmp -s junk.db junk.orig || fail "junk.db was modified"
"$MKRUNS" newer.db newer
expect 1 "$HVSIM" runs --db newer.db
err_is "hvsim: runs: newer.db: database schema version 3 is newer than this hvsim supports (1); upgrade hvsim"
expect 1 "$HVSIM" db migrate --db newer.db
err_has "newer than this hvsim"

# ---- db check / migrate ----
expect 0 "$HVSIM" db check --db r.db; printf 'ok\n' >want.txt; same want.txt
expect 0 "$HVSIM" db migrate --db r.db; out_has "schema version 1 (up to date)"
"$MKRUNS" big.db big
size=$(wc -c <big.db)
dd if=/dev/urandom of=big.db bs=4096 seek=$((size / 8192)) count=1 conv=notrunc 2>/dev/null
expect 1 "$HVSIM" db check --db big.db
[ -s out.txt ] || grep -q malformed err.txt || fail "db check on a corrupted file reported nothing"

# ---- db merge / export ----
"$MKRUNS" r2.db
expect 0 "$HVSIM" db merge r.db r2.db -o m.db
printf 'm.db: added 10 runs, skipped 0 already present\n' >want.txt; same want.txt
expect 0 "$HVSIM" db merge r.db r2.db -o m.db
printf 'm.db: added 0 runs, skipped 10 already present\n' >want.txt; same want.txt
expect 0 "$HVSIM" query --db m.db --csv "SELECT count(*) AS runs, (SELECT count(*) FROM counters) AS counters FROM runs"
printf 'runs,counters\n10,20\n' >want.txt; same want.txt
expect 1 "$HVSIM" db merge r.db newer.db -o m2.db
err_has "newer than this hvsim"
[ ! -e m2.db ] || fail "failed merge created its output"
expect 0 "$HVSIM" db export --db r.db --csv --table counters
head -n 1 out.txt >h.txt; printf 'run_id,name,value\n' | diff - h.txt >&2 || fail "export csv header"
[ "$(wc -l <out.txt)" = 11 ] || fail "export csv: want 10 counter rows"
expect 0 "$HVSIM" db export --db r.db --json -o all.json
[ ! -s out.txt ] || fail "export -o wrote to stdout"
head -c 22 all.json | grep -q '^{"schema_version": 1,' || fail "export json header"
python3 -c "import json,sys; d=json.load(open('all.json')); sys.exit(0 if len(d['runs'])==5 and len(d['counters'])==10 and 'samples' in d else 1)" \
    || fail "export json content"
expect 1 "$HVSIM" db export --db r.db --csv --table nosuch
err_is "hvsim: db: r.db: no table 'nosuch'"

if [ "$fails" -ne 0 ]; then
    echo "$fails failures" >&2
    exit 1
fi
echo "cli_results: all passed"
