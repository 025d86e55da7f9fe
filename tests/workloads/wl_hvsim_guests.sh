#!/bin/sh
# tests/workloads/wl_hvsim_guests.sh HVSIM TMPDIR NAME - one experiment guest (split, remap,
# tlb, busy, hcall-buf) under hvsim's Xen model (`hvsim run --workload`), with the results the
# modelled ABI rules imply (xen-abi.md §2.1, §4; docs/hv.md). Skips (77) only when hvsim reports
# that it cannot run the workload (engine not part of the build).
set -u
H=$1; T=$2/wl_hvsim_$3; W=$3
rm -rf "$T"; mkdir -p "$T"
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
# run OUT PROFILE VCPUS SPEC: a poweroff exit and at least one RESULT line
run() {
    o=$1; shift
    "$H" run --workload "$3" --hv-profile "$1" --vcpus "$2" --no-db >"$T/$o" 2>"$T/$o.err"
    rc=$?
    if [ $rc != 0 ] && grep -q 'not part of this build yet\|cannot run' "$T/$o.err"; then
        cat "$T/$o.err"; echo "SKIP: hvsim cannot run $W"; exit 77
    fi
    [ $rc = 0 ] && ok || { bad "$o: exit $rc"; tail -5 "$T/$o.err"; }
    grep -aq "^RESULT workload=$W " "$T/$o" && ok || { bad "$o: no RESULT line"; tail -5 "$T/$o"; }
    grep -aqx 'wl: shutdown poweroff' "$T/$o" && ok || bad "$o: no poweroff line"
}
# val OUT KEY [N]: the value of KEY on the N-th (default first) RESULT line that has it
val() { grep -a '^RESULT' "$T/$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | sed -n "${3:-1}p"; }
is() { [ "$(val "$1" "$2")" = "$3" ] && ok || bad "$1: $2=$(val "$1" "$2"), want $3"; }
gt() { v=$(val "$1" "$2"); [ -n "$v" ] && [ "$v" -gt "$3" ] && ok || bad "$1: $2=$v, want > $3"; }

case $W in
split)
    # Xen 4.17: op 5 accepts the straddling area and copy_guest writes both pages; op 14 -EINVAL.
    run x417 xen-4.17 2 split
    is x417 vcpus 2; is x417 va_rc 0; is x417 pa_rc -22; is x417 lo 1; is x417 hi 1
    is x417 stray_bytes 0; is x417 torn 0; is x417 stale 0; gt x417 updates 5
    # 4.18 rules on Arm (pa profile): op 14 refuses a page-crossing area with -ENXIO.
    run pa pa 2 split
    is pa pa_rc -6; is pa lo 1; is pa hi 1; is pa stray_bytes 0
    # arm-vmap maps both pages at registration: both halves updated, nothing stray.
    run vmap arm-vmap 2 split
    is vmap lo 1; is vmap hi 1; is vmap stray_bytes 0; is vmap torn 0
    # KVM (QEMU translates the VA once to a GPA; KVM splits the area at the next guest-physical
    # page, arch/x86/kvm/xen.c): VA-contiguous but physically apart, the second part lands in
    # the page physically after the first (stray bytes) and the guest never sees it.
    run kvm kvm 2 split
    is kvm lo 1; is kvm hi 0; gt kvm stray_bytes 0; gt kvm torn 0
    # Physically contiguous too: KVM's split is right.
    run kvmc kvm 2 split:contig=1
    is kvmc lo 1; is kvmc hi 1; is kvmc torn 0
    # Not crossing (offset 48 = the struct ends at the page end): op 14 is accepted under pa and
    # then suppresses the VA area, and the PA area keeps being updated.
    run pa48 pa 2 split:offset=48
    is pa48 pa_rc 0; is pa48 lo 1; is pa48 torn 0
    # One vCPU: yields switch nothing, only the registration writes the area.
    run one xen-4.17 1 split
    is one vcpus 1; is one va_rc 0
    [ "$(val one updates)" -le 1 ] && ok || bad "one vCPU: updates=$(val one updates)"
    ;;
remap)
    # Xen translates the VA at every update: after the move updates land in the new page.
    run x417 xen-4.17 2 remap
    is x417 registered 0; gt x417 pre_updates 5; is x417 lands new; is x417 old_updates 0
    # Translated once at registration (arm-vmap, KVM): they keep landing in the old page.
    run vmap arm-vmap 2 remap
    is vmap lands old; is vmap new_updates 0
    run kvm kvm 2 remap
    is kvm lands old
    # A PA area (op 14 under the pa profile) stays at its physical address.
    run pa pa 2 remap:runstate=pa
    is pa registered 0; is pa lands old
    # Op 14 on Xen 4.17 Arm: -EINVAL, nothing registered, no updates anywhere.
    run pa417 xen-4.17 2 remap:runstate=pa
    is pa417 registered -22; is pa417 lands none; is pa417 pre_updates 0
    ;;
tlb)
    # Every sweep completes its single cycle, counts what it did and echoes its mapping.
    for s1 in 4k 2m 1g; do
        run $s1 xen-4.17 1 tlb:pages=1024,s1=$s1
        is $s1 s1 $s1; is $s1 chase_ok 1; is $s1 chase_accesses 4096; is $s1 stride_accesses 4096
        gt $s1 chase_total_ns 0
    done
    # TLB reach: 1024 pages (4 MiB) through 4K stage-1 pages miss where two 2M blocks hit.
    a=$(val 4k chase_total_ns); b=$(val 2m chase_total_ns)
    [ "$a" -gt "$b" ] && ok || bad "4k chase $a ns not slower than 2m chase $b ns"
    run st xen-4.17 1 tlb:pages=16,stride=64,iters=2,s2=2m
    is st stride_accesses 2048; is st s2 2m; is st chase_accesses 32
    ;;
busy)
    # 2 vCPUs x 4 tasks x 20 rounds x (3 null calls + 1 yield); every 4th yield a SCHEDOP_yield.
    for k in 0 1; do
        run k$k xen-4.17 2 busy:tasks=4,rounds=20,syscalls=3,kpti=$k
        is k$k vcpus 2; is k$k kpti $k; is k$k syscalls 480; is k$k yields 160
        is k$k hv_yields 40; is k$k bad_results 0; gt k$k elapsed_ns 0
    done
    run v3 xen-4.17 3 busy:tasks=8,rounds=5,syscalls=1,hvyield=0
    is v3 vcpus 3; is v3 syscalls 120; is v3 hv_yields 0; is v3 bad_results 0
    ;;
hcall-buf)
    # VA flavour up to 4 KiB: every console_io and multicall succeeds, grant copy and memory_op
    # answer as hvsim models them (documented in docs/hv.md), and bigger copies cost more.
    run va xen-4.17 1 hcall-buf:max=4096,reps=3
    n=$(grep -a '^RESULT workload=hcall-buf op=console_io .* rc=0$' "$T/va" | wc -l)
    [ "$n" = 20 ] && ok || bad "va: $n console_io lines with rc=0, want 20"
    n=$(grep -a '^RESULT workload=hcall-buf op=multicall .* rc=0$' "$T/va" | wc -l)
    [ "$n" = 14 ] && ok || bad "va: $n multicall lines with rc=0, want 14"
    is va multicall_bad 0; is va pa_flag unused
    c8=$(grep -a 'op=console_io size=8 cross=0' "$T/va" | sed 's/.*cycles=\([0-9]*\).*/\1/')
    c4k=$(grep -a 'op=console_io size=4096 cross=0' "$T/va" | sed 's/.*cycles=\([0-9]*\).*/\1/')
    [ "$c4k" -gt "$c8" ] && ok || bad "va: console_io 4096 B ($c4k) not dearer than 8 B ($c8)"
    grep -aq '^RESULT workload=hcall-buf op=memory_op size=16 cross=0 flavour=va cycles=[0-9]* rc=-38$' \
        "$T/va" && ok || bad "va: memory_op memory_map is not -ENOSYS"
    # pa-flag profile: the flagged calls work; elsewhere they are unknown hypercalls (-ENOSYS).
    run pf pa-flag 1 hcall-buf:max=256,flavour=pa-flag,ops=console_io
    is pf pa_flag supported
    n=$(grep -a '^RESULT workload=hcall-buf op=console_io .*flavour=pa-flag .* rc=0$' "$T/pf" | wc -l)
    [ "$n" = 12 ] && ok || bad "pa-flag: $n console_io lines with rc=0, want 12"
    run pn xen-4.17 1 hcall-buf:max=64,flavour=pa-flag,ops=multicall
    is pn pa_flag unsupported
    grep -aq 'op=multicall size=64 cross=0 flavour=pa-flag cycles=[0-9]* rc=-38$' "$T/pn" && ok ||
        bad "pa-flag on xen-4.17: multicall not -ENOSYS"
    ;;
*) echo "unknown workload $W"; exit 2 ;;
esac
echo "$pass passed, $fail failed"
[ $fail = 0 ]
