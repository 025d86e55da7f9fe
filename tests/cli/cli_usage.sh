#!/bin/sh
# tests/cli/cli_usage.sh HVSIM TMPDIR - exit codes and messages of the CLI.
set -u
H=$1
T=$2/cli_usage
rm -rf "$T"; mkdir -p "$T"
pass=0; fail=0

# expect CODE DESCRIPTION -- command...  (stderr must be exactly one "hvsim: " line when CODE != 0)
expect() {
    code=$1; what=$2; shift 3
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    ok=1
    [ "$rc" = "$code" ] || ok=0
    if [ "$code" != 0 ]; then
        [ "$(wc -l <"$T/err")" -eq 1 ] || ok=0
        grep -q '^hvsim: ' "$T/err" || ok=0
    fi
    if [ $ok = 1 ]; then pass=$((pass+1)); else
        fail=$((fail+1)); echo "FAIL: $what: exit $rc (want $code)"; sed 's/^/  stderr: /' "$T/err"
    fi
}

expect 2 "no command" -- "$H"
expect 2 "unknown command" -- "$H" frobnicate
expect 0 "--version" -- "$H" --version
grep -q '^hvsim [0-9.]* (git ' "$T/out" || { fail=$((fail+1)); echo "FAIL: --version format"; }
expect 0 "--help" -- "$H" --help
for c in run sweep workloads runs query compare report db image; do
    expect 0 "$c --help" -- "$H" $c --help
    grep -qi 'usage' "$T/out" || { fail=$((fail+1)); echo "FAIL: $c --help prints no usage"; }
    expect 2 "$c bad option" -- "$H" $c --no-such-option
done
expect 2 "run without image" -- "$H" run
expect 2 "run with image and workload" -- "$H" run --image x --workload hello
expect 2 "run bad arch" -- "$H" run --arch sparc --image x
expect 2 "run bad profile" -- "$H" run --hv-profile xen-9 --image x
expect 2 "run bad runstate" -- "$H" run --runstate sometimes --image x
expect 2 "run bad mem" -- "$H" run --mem 3 --image x
expect 2 "run bad vcpus" -- "$H" run --vcpus 0 --image x
expect 2 "run bad cpu" -- "$H" run --cpu pentium --image x
expect 2 "run cpu of the wrong arch" -- "$H" run --arch arm64 --cpu skylake --image x
expect 2 "run bad tlb spec" -- "$H" run --arch arm64 --tlb l2=banana --image x
expect 2 "run unknown workload" -- "$H" run --workload nosuch
expect 2 "run stray argument" -- "$H" run --image x extra
expect 0 "run --cpu help" -- "$H" run --cpu help
grep -q cortex-a57 "$T/out" || { fail=$((fail+1)); echo "FAIL: --cpu help lacks cortex-a57"; }
expect 0 "run --hv-profile help" -- "$H" run --hv-profile help
grep -q arm-vmap "$T/out" || { fail=$((fail+1)); echo "FAIL: --hv-profile help lacks arm-vmap"; }
expect 0 "run --runstate help" -- "$H" run --runstate help
expect 1 "run missing image" -- "$H" run --arch arm64 --image "$T/missing.elf" --no-db
printf 'garbage!' >"$T/garbage.bin"
expect 1 "run unrecognised image" -- "$H" run --arch arm64 --image "$T/garbage.bin" --no-db
expect 0 "workloads" -- "$H" workloads
grep -q '^runstate' "$T/out" || { fail=$((fail+1)); echo "FAIL: workloads lacks runstate"; }
grep -q "pcid=0|1" "$T/out" || { fail=$((fail+1)); echo "FAIL: workloads lacks the x86_64 runtime parameters"; }
expect 2 "sweep without spec" -- "$H" sweep
expect 1 "sweep missing spec" -- "$H" sweep "$T/nospec.ini"
expect 1 "report missing db" -- "$H" report --db "$T/none.db"

echo "$pass passed, $fail failed"
[ $fail = 0 ]
