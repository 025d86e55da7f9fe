#!/bin/sh
# tests/isa/x86/cli_x86_bare.sh HVSIM TMPDIR IMAGE - `hvsim run --arch x86_64 --bare` of the
# x86_64 bare demo guest: console line through port 0xE9, stop at HLT, --dump-state JSON.
H=$1; T=$2; IMG=$3
rm -rf "$T"; mkdir -p "$T"
fail=0
"$H" run --arch x86_64 --bare --image "$IMG" --no-db --dump-state "$T/s.json" >"$T/out" 2>"$T/err" || { echo "run failed"; cat "$T/err"; fail=1; }
grep -qx 'RESULT workload=bare-demo primes=82025 sum=2215132495360' "$T/out" || { echo "console line"; cat "$T/out"; fail=1; }
grep -q 'hlt with interrupts disabled' "$T/err" || { echo "no HLT end marker"; cat "$T/err"; fail=1; }
grep -q '^{"arch":"x86_64","rip":"0x[0-9a-f]*","rflags":"0x[0-9a-f]*","gpr":{"rax":"0x14069",' "$T/s.json" || { echo "dump-state"; cat "$T/s.json"; fail=1; }
grep -q '"xmm":\["0x[0-9a-f]\{32\}"' "$T/s.json" || { echo "xmm"; fail=1; }
"$H" run --arch x86_64 --bare --image "$IMG" --no-db --max-insns 1000 >/dev/null 2>"$T/err2"
[ $? -ne 2 ] || { echo "max-insns usage error"; fail=1; }
exit $fail
