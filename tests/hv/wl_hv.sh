#!/bin/sh
# tests/hv/wl_hv.sh HVSIM TMPDIR - workloads that exercise the hypervisor model's newer
# parts (docs/hv.md): GNTTABOP_copy in hcall-buf (rc=0 and the copy verified, as on real Xen
# 4.17), pa-flag scatter/gather descriptors (hcall-buf sg=1), and the confidential guest under
# each profile with and without --confidential.
set -u
H=$1; T=$2/wl_hv
rm -rf "$T"; mkdir -p "$T"
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
# run OUT SPEC hvsim-options...: a poweroff exit and a RESULT line
run() {
    o=$1; s=$2; shift 2
    "$H" run --workload "$s" --no-db "$@" >"$T/$o" 2>"$T/$o.err"
    rc=$?
    if [ $rc != 0 ] && grep -q 'not part of this build yet\|cannot run\|not built' "$T/$o.err"; then
        cat "$T/$o.err"; echo "SKIP"; exit 77
    fi
    [ $rc = 0 ] && ok || { bad "$o: exit $rc"; tail -5 "$T/$o.err"; }
    grep -aq '^RESULT' "$T/$o" && ok || bad "$o: no RESULT line"
}
val() { grep -a '^RESULT' "$T/$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | sed -n "${3:-1}p"; }
is() { [ "$(val "$1" "$2")" = "$3" ] && ok || bad "$1: $2=$(val "$1" "$2"), want $3"; }

# GNTTABOP_copy between the guest's own frames by GFN: 0 and status 0 (real Xen 4.17 too).
run gc hcall-buf:ops=grant_copy,max=8192,reps=1 --hv-profile xen-4.17
n=$(grep -a '^RESULT workload=hcall-buf op=grant_copy .* rc=0$' "$T/gc" | wc -l)
[ "$n" = 11 ] && ok || bad "grant_copy: $n lines with rc=0, want 11"
is gc grant_copy_status 0; is gc grant_copy_verified 1
# pa-flag with scatter/gather descriptors for console_io, multicall and grant copy.
run sg hcall-buf:max=8192,reps=1,flavour=pa-flag,sg=1 --hv-profile pa-flag
is sg pa_flag supported; is sg grant_copy_verified 1; is sg multicall_bad 0
n=$(grep -a 'flavour=pa-flag-sg .* rc=0$' "$T/sg" | grep -v memory_op | wc -l)
[ "$n" = 49 ] && ok || bad "sg: $n console_io/multicall/grant_copy lines with rc=0, want 49"
n=$(grep -a 'op=grant_copy .*flavour=pa-flag-sg .* rc=0$' "$T/sg" | wc -l)
[ "$n" = 11 ] && ok || bad "sg: $n grant_copy lines with rc=0, want 11"

# confidential: RESULT keys over two lines (the vPL011 buffers 256 bytes per line)
for p in xen-4.17 pa pa-flag; do
    run c-$p confidential:vcpus=2 --vpl011 --hv-profile $p
    is c-$p va_console 0; is c-$p va_runstate 0; is c-$p va_runstate_updates 10
    run cc-$p confidential:vcpus=2 --vpl011 --hv-profile $p --confidential
    is cc-$p va_console -14; is cc-$p va_runstate -14; is cc-$p va_runstate_updates 0
    ! grep -q 'Failed to walk' "$T/cc-$p.err" && ok || bad "cc-$p: a walk was attempted"
done
is c-xen-4.17 pa_console -38; is c-xen-4.17 pa_runstate -22; is c-xen-4.17 pa_runstate_updates 0
is c-pa pa_runstate 0; is c-pa pa_runstate_updates 10
is cc-pa pa_runstate -14; is cc-pa pa_runstate_updates 0     # op 14's argument is read by VA
is cc-pa-flag pa_flag 1; is cc-pa-flag pa_console 0; is cc-pa-flag pa_runstate 0
is cc-pa-flag pa_runstate_updates 10
grep -aqx 'confidential: pa console' "$T/cc-pa-flag" && ok || bad "cc-pa-flag: no PA console line"
! grep -aq 'confidential: va console' "$T/cc-pa-flag" && ok || bad "cc-pa-flag: VA console printed"

# Several domains (--domain): each console line prefixed "(d<N>) ", every domain runs to its
# RESULT line and shuts down, the run ends when all have; per-domain counters.
"$H" run --workload hello --domain workload=confidential:vcpus=2 --domain workload=hello \
    --pcpus 2 --no-db --stats-json "$T/md.json" >"$T/md" 2>"$T/md.err" && ok ||
    { bad "multi-domain: exit $?"; tail -3 "$T/md.err"; }
for d in 1 3; do
    grep -aq "^(d$d) RESULT workload=hello xen_version=0x40011 " "$T/md" && ok ||
        bad "multi-domain: no d$d hello RESULT"
    grep -aqx "(d$d) wl: shutdown poweroff" "$T/md" && ok || bad "multi-domain: d$d no poweroff"
done
grep -aq '^(d2) RESULT workload=confidential .*pa_runstate_updates=0' "$T/md" && ok ||
    bad "multi-domain: no d2 confidential RESULT"
grep -aqv '^(d[123]) ' "$T/md" && bad "multi-domain: a line without a domain prefix" || ok
grep -q 'all 3 domains shut down' "$T/md.err" && ok || bad "multi-domain: outcome $(tail -1 "$T/md.err")"
grep -q '"hv.d2.hypercalls": *[1-9]' "$T/md.json" && ok || bad "multi-domain: no hv.d2.hypercalls"
grep -q '"hv.d2.v1.runstate.running": *[1-9]' "$T/md.json" && ok || bad "multi-domain: no d2v1 time"
# the same image as two domains: identical output apart from the prefix
"$H" run --workload hello --domain workload=hello --no-db >"$T/md2" 2>&1 && ok || bad "md2: exit"
a=$(grep -a '^(d1) ' "$T/md2" | sed 's/^(d1) //'); b=$(grep -a '^(d2) ' "$T/md2" | sed 's/^(d2) //')
[ -n "$a" ] && [ "$a" = "$b" ] && ok || bad "md2: d1 and d2 printed different lines"
"$H" run --workload hello --domain image=/nonexistent.img --no-db >/dev/null 2>"$T/bad.err"
[ $? = 1 ] && grep -q 'nonexistent' "$T/bad.err" && ok || bad "bad --domain image not refused"
"$H" run --workload hello --domain bogus=1 --no-db >/dev/null 2>"$T/bad2.err"
[ $? != 0 ] && grep -q "unknown key 'bogus'" "$T/bad2.err" && ok || bad "bad --domain key accepted"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
