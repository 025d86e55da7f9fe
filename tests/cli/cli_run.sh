#!/bin/sh
# tests/cli/cli_run.sh HVSIM TMPDIR IMAGE - end-to-end `hvsim run` of the bare arm64 demo guest:
# console output, exit status per outcome, determinism, the database record, --stats-json and
# --dump-state formats.
set -u
H=$1
T=$2/cli_run
IMG=$3
rm -rf "$T"; mkdir -p "$T"
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }

# 1. A full run: console line on stdout, hvsim's line on stderr, exit 0, recorded.
"$H" run --arch arm64 --bare --image "$IMG" --db "$T/r.db" --stats-json "$T/a.json" \
    --dump-state "$T/state.json" >"$T/out" 2>"$T/err"
[ $? = 0 ] && ok || bad "run exit status"
grep -qx 'RESULT workload=bare-demo primes=82025 sum=2215132495360' "$T/out" && ok || bad "console line"
[ "$(wc -l <"$T/out")" = 1 ] && ok || bad "stdout has only the guest's output"
grep -q '^hvsim: poweroff after [0-9]* instructions' "$T/err" && ok || bad "summary line"
grep -v '^hvsim: ' "$T/err" && bad "stderr lines without the hvsim: prefix" || ok

# 2. Determinism: the same image, config and seed give identical counters.
"$H" run --arch arm64 --bare --image "$IMG" --no-db --stats-json "$T/b.json" >/dev/null 2>&1
cmp -s "$T/a.json" "$T/b.json" && ok || bad "two identical runs gave different counters"
grep -q '"insns": [1-9][0-9]*, "cycles": [1-9][0-9]*, "counters": {' "$T/a.json" && ok || bad "stats json shape"
grep -q '"guest.dtlb.l1.hit"\|"guest.data.accesses"' "$T/a.json" && ok || bad "stats json counters"
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['arch']=='arm64' and len(d['x'])==31 and len(d['v'])==32 and d['el']==1" "$T/state.json" && ok || bad "dump-state json"

# 3. The database has the run with its counters and their descriptions.
"$H" query --db "$T/r.db" --csv "SELECT arch, hv_profile, outcome, exit_status, insns > 0, length(config_hash), length(image_sha256) FROM runs" >"$T/q" 2>&1
grep -qx 'arm64,bare,poweroff,0,1,64,64' "$T/q" && ok || { bad "runs row"; cat "$T/q"; }
n=$("$H" query --db "$T/r.db" --csv "SELECT count(*) FROM counters c JOIN counter_info i USING(name) WHERE i.unit IS NOT NULL AND i.description <> ''" | tail -1)
[ "$n" -gt 10 ] && ok || bad "counters with units and descriptions ($n)"

# 4. --max-insns: outcome max-insns, exit 1, still recorded.
"$H" run --arch arm64 --bare --image "$IMG" --db "$T/r.db" --max-insns 1000 >/dev/null 2>"$T/err"
[ $? = 1 ] && ok || bad "max-insns exit status"
grep -q 'max-insns after 1000 instructions' "$T/err" && ok || bad "max-insns summary"
c=$("$H" query --db "$T/r.db" --csv "SELECT count(*) FROM runs WHERE outcome='max-insns' AND insns=1000" | tail -1)
[ "$c" = 1 ] && ok || bad "max-insns run recorded"

# 5. Different seed -> different config? No: the seed is separate from the config hash.
"$H" run --arch arm64 --bare --image "$IMG" --db "$T/r.db" --seed 7 >/dev/null 2>&1
c=$("$H" query --db "$T/r.db" --csv "SELECT count(DISTINCT config_hash) FROM runs WHERE outcome='poweroff'" | tail -1)
[ "$c" = 1 ] && ok || bad "seed changed the config hash"

# 6. A CPU model changes cycles, not instructions.
"$H" run --arch arm64 --bare --image "$IMG" --no-db --cpu neoverse-n1 --stats-json "$T/n1.json" >/dev/null 2>&1
i1=$(sed -n 's/^{"insns": \([0-9]*\), "cycles": \([0-9]*\).*/\1 \2/p' "$T/a.json")
i2=$(sed -n 's/^{"insns": \([0-9]*\), "cycles": \([0-9]*\).*/\1 \2/p' "$T/n1.json")
[ "${i1% *}" = "${i2% *}" ] && [ "${i1#* }" != "${i2#* }" ] && ok || bad "cpu model: insns/cycles $i1 vs $i2"

# 7. An image for the wrong architecture is refused with one line.
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000' >"$T/trunc.elf"
"$H" run --arch arm64 --bare --image "$T/trunc.elf" --no-db >/dev/null 2>"$T/err"
[ $? = 1 ] && [ "$(wc -l <"$T/err")" = 1 ] && ok || bad "truncated ELF: one-line error, exit 1"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
