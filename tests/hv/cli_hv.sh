#!/bin/sh
# tests/hv/cli_hv.sh HVSIM GUESTDIR TMPDIR - `hvsim run` with the modelled Xen on arm64:
# exit status 0 on poweroff and 1 on a crash, guest lines on stdout, Xen's message and
# hvsim's summary on stderr, the profile list.
set -u
H=$1; G=$2; T=$3/cli_hv
rm -rf "$T"; mkdir -p "$T"
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }

"$H" run --arch arm64 --image "$G/hv_basic.elf" --no-db >"$T/out" 2>"$T/err"
[ $? = 0 ] && ok || { bad "hv_basic exit status"; cat "$T/err"; }
head -n1 "$T/out" | grep -qx 'hello from the hv test guest' && ok || bad "first line"
grep -qx 'version 0x40011' "$T/out" && ok || bad "version line"
grep -q '^(XEN) d1v0: Failed to walk page-table va 0x10$' "$T/err" && ok || bad "Xen message"
grep -q '^hvsim: poweroff after' "$T/err" && ok || bad "summary"
grep -q 'XEN' "$T/out" && bad "Xen message on stdout" || ok

"$H" run --arch arm64 --image "$G/hv_basic.elf" --hv-profile xen-4.18 --no-db >"$T/out" 2>/dev/null
grep -qx 'version 0x40012' "$T/out" && ok || bad "xen-4.18 version"

# no --vpl011: the UART access becomes a data abort, the guest crashes itself: exit 1
"$H" run --arch arm64 --image "$G/hv_events.elf" --no-db >"$T/out" 2>"$T/err"
[ $? = 1 ] && ok || bad "crash exit status"
grep -q 'shut down: crash' "$T/err" && ok || bad "crash summary"

"$H" run --hv-profile help >"$T/out" 2>&1
[ "$(grep -cE '^  (xen-4.17|xen-4.18|arm-vmap|kvm|pa|pa-flag) ' "$T/out")" = 6 ] && ok || bad "profile list"

"$H" run --arch arm64 --image "$G/hv_runstate.elf" --vcpus 2 --timeslice-us 50 --no-db \
    --stats-json "$T/s.json" >"$T/out" 2>"$T/err"
[ $? = 0 ] && ok || bad "runstate exit"
grep -q '"hv.runstate.failures": [1-9]' "$T/s.json" && ok || bad "stats json failures"
grep -q '"hcall.vcpu_op.register_runstate_memory_area.calls": ' "$T/s.json" && ok || bad "stats json hcall"

# x86: the PVH test guest under the modelled Xen on x86 (hv/x86), with a database
X="$G/../guests_x86/hv_x86.elf"
if [ -f "$X" ]; then
    rm -f "$T/x86.db"
    "$H" run --arch x86_64 --image "$X" --cmdline basic --db "$T/x86.db" >"$T/out" 2>"$T/err"
    [ $? = 0 ] && ok || { bad "x86 basic exit status"; cat "$T/err"; }
    grep -qx 'hello from the x86 PVH guest' "$T/out" && ok || bad "x86 console line"
    grep -qx 'user_vmcall=-1' "$T/out" && ok || bad "x86 CPL3 vmcall"
    grep -q '^hvsim: poweroff after' "$T/err" && ok || bad "x86 summary"
    [ "$(sqlite3 "$T/x86.db" "select arch from runs" 2>/dev/null)" = x86_64 ] && ok || bad "x86 run row"
    [ "$(sqlite3 "$T/x86.db" "select count(*) > 3 from hypercalls" 2>/dev/null)" = 1 ] && ok ||
        bad "x86 hypercall rows"
    "$H" run --arch x86_64 --image "$X" --cmdline ept --no-db >"$T/out" 2>"$T/err"
    [ $? = 1 ] && ok || bad "x86 EPT crash exit status"
    grep -q 'crashed: EPT violation at GPA 0x20000000' "$T/err" && ok || bad "x86 EPT message"
fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
