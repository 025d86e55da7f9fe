#!/bin/sh
# scripts/realxen.sh - run an arm64 workload image on REAL Xen 4.17 (Debian's
# xen-hypervisor-4.17-arm64) under qemu-system-aarch64, as a dom0less domU with no dom0
# (shared/reference/real-xen-under-qemu.md), and print the guest's console lines.
#
# usage: scripts/realxen.sh [options] WORKLOAD [k=v ...]
#   -b, --build DIR     build directory holding workloads/arm64/WORKLOAD.img and hvsim
#                       (default: $HVSIM_BUILD or <repo>/build)
#   --gic 2|3           GIC version of the QEMU virt machine and so of Xen's vGIC (default 3)
#   --smp N             physical CPUs for Xen (default 1: the domU's vCPUs share it)
#   --mem MIB           domU memory (default 128)
#   --no-vpl011         no emulated PL011 for the domU (the guest then writes with console_io)
#   --timeout S         give up after S seconds of wall time (default 120)
#   --raw               print the whole QEMU/Xen console, not only the guest's lines
#   --no-icount         run QEMU without -icount shift=0,sleep=off (not deterministic; Xen
#                       4.17 hangs bringing up its P2M with --smp 2 under icount)
#   --no-install        never install anything: exit 77 when QEMU, dtc or Xen are missing
#   --install-only      install what is missing (QEMU, dtc, Xen 4.17 arm64) and exit
#   --diff              also run `hvsim run --workload WORKLOAD:k=v,... --hv-profile xen-4.17`
#                       and diff the RESULT lines, masking values that depend on timing
#   --arch A            arm64 (default) or x86_64; x86_64 exits 77 (see below)
# x86_64 (the PVH images in workloads/x86_64): real-Xen runs are not available here. Xen on
# x86 needs hardware virtualisation (VMX or SVM) and this host has no KVM, so QEMU runs TCG,
# which emulates neither (no nested VMX under TCG); the x86_64 guests are checked under hvsim
# only (tests/workloads/wl_x86.sh).
# The domU gets vcpus=N from the parameters (default 1). Xen comes from the Debian package,
# unpacked (dpkg -x) into $HVSIM_XEN_DIR (default ~/.cache/hvsim/xen).
# Exit: 0 the guest printed "wl: shutdown poweroff" (and, with --diff, hvsim agreed), 1 failure,
# 2 usage, 77 tools missing with --no-install, 3 --diff: hvsim could not run the workload.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
build=${HVSIM_BUILD:-$here/build}
install_only=0; gic=3; smp=1; mem=128; vpl011=1; timeout=120; raw=0; install=1; diff=0; icount="-icount shift=0,sleep=off"
xendir=${HVSIM_XEN_DIR:-$HOME/.cache/hvsim/xen}

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2; exit 2; }
die() { echo "realxen: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
    case $1 in
        -b|--build) build=$2; shift 2 ;;
        --gic) gic=$2; shift 2 ;;
        --smp) smp=$2; shift 2 ;;
        --mem) mem=$2; shift 2 ;;
        --no-vpl011) vpl011=0; shift ;;
        --timeout) timeout=$2; shift 2 ;;
        --raw) raw=1; shift ;;
        --no-icount) icount=""; shift ;;
        --no-install) install=0; shift ;;
        --install-only) install_only=1; shift ;;
        --diff) diff=1; shift ;;
        --arch)
            case $2 in
                arm64) shift 2 ;;
                x86_64)
                    echo "realxen: SKIP: x86_64 real-Xen runs are not available here (Xen x86 needs VMX/SVM; QEMU TCG has no nested VMX and there is no KVM)" >&2
                    exit 77 ;;
                *) echo "realxen: unknown --arch '$2'" >&2; usage ;;
            esac ;;
        -h|--help) usage ;;
        -*) echo "realxen: unknown option '$1'" >&2; usage ;;
        *) break ;;
    esac
done
# ---- tools: install only what is missing (unless --no-install) ----
xen=$xendir/boot/xen-4.17-arm64
missing=""
command -v qemu-system-aarch64 >/dev/null 2>&1 || missing="$missing qemu-system-arm"
command -v dtc >/dev/null 2>&1 || missing="$missing device-tree-compiler"
if [ -n "$missing" ] || [ ! -f "$xen" ]; then
    if [ $install = 0 ]; then
        echo "realxen: SKIP: missing${missing:-} ${missing:+and/or }$([ -f "$xen" ] || echo "Xen ($xen)")" >&2
        exit 77
    fi
    export DEBIAN_FRONTEND=noninteractive
    if [ -n "$missing" ]; then
        apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
            die "cannot install$missing"
    fi
    if [ ! -f "$xen" ]; then
        dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
        apt-get update -qq || die "apt-get update failed"
        mkdir -p "$xendir" && cd "$xendir" &&
            apt-get download xen-hypervisor-4.17-arm64:arm64 >/dev/null 2>&1 &&
            dpkg -x xen-hypervisor-4.17-arm64_*.deb . && cd - >/dev/null ||
            die "cannot fetch xen-hypervisor-4.17-arm64"
        [ -f "$xen" ] || die "the package did not contain $xen"
    fi
fi

[ $install_only = 1 ] && exit 0
[ $# -ge 1 ] || usage
wl=$1; shift
case $gic in 2|3) ;; *) echo "realxen: --gic must be 2 or 3" >&2; exit 2 ;; esac
img=$build/workloads/arm64/$wl.img
[ -f "$img" ] || die "no image $img (build the project first)"
params="$*"
vcpus=1
for p in "$@"; do case $p in vcpus=*) vcpus=${p#vcpus=} ;; esac; done

work=$(mktemp -d "${TMPDIR:-/tmp}/realxen.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
machine="virt,virtualization=on,gic-version=$gic"

# ---- device tree: QEMU's own, plus /chosen for Xen and the dom0less domU ----
qemu-system-aarch64 -M "$machine,dumpdtb=$work/virt.dtb" -cpu cortex-a57 -smp "$smp" -m 2G -nic none \
    -nographic >/dev/null 2>&1 || die "qemu could not dump its device tree"
dtc -q -I dtb -O dts "$work/virt.dtb" >"$work/virt.dts" 2>/dev/null || die "dtc failed"
gaddr=0x50000000
gsize=$(stat -c %s "$img")
cat >>"$work/virt.dts" <<DTS
/ {
    chosen {
        xen,xen-bootargs = "console=dtuart dtuart=/pl011@9000000 bootscrub=0 loglvl=all guest_loglvl=all";
        domU1 {
            compatible = "xen,domain";
            #address-cells = <2>;
            #size-cells = <2>;
            memory = <0 $((mem * 1024))>;
            cpus = <$vcpus>;
            $([ $vpl011 = 1 ] && echo "vpl011;")
            module@50000000 {
                compatible = "multiboot,kernel", "multiboot,module";
                reg = <0 $gaddr 0 $gsize>;
                bootargs = "$params";
            };
        };
    };
};
DTS
dtc -q -I dts -O dtb -o "$work/system.dtb" "$work/virt.dts" 2>"$work/dtc.err" || {
    cat "$work/dtc.err" >&2; die "dtc could not compile the system device tree"; }

# ---- run until the guest says it shuts down, or the timeout ----
: >"$work/console"
qemu-system-aarch64 -M "$machine" -cpu cortex-a57 -smp "$smp" -m 2G -nic none -nographic -no-reboot \
    -monitor none -serial stdio $icount -kernel "$xen" -dtb "$work/system.dtb" \
    -device loader,file="$img",addr=$gaddr,force-raw=on </dev/null >"$work/console" 2>&1 &
qpid=$!
t=0; status=timeout
while [ $t -lt $((timeout * 10)) ]; do
    if grep -q 'wl: shutdown poweroff' "$work/console"; then status=poweroff; break; fi
    if grep -q 'wl: shutdown crash' "$work/console"; then status=crash; break; fi
    kill -0 $qpid 2>/dev/null || { status=qemu-exited; break; }
    sleep 0.1; t=$((t + 1))
done
sleep 0.2
kill $qpid 2>/dev/null; wait $qpid 2>/dev/null
tr -d '\r' <"$work/console" >"$work/console.txt"
# Guest lines: vPL011 output is "(XEN) DOM1: line", console_io output "(d1) line".
sed -n -e 's/^(XEN) DOM1: //p' -e 's/^(d1) //p' "$work/console.txt" >"$work/guest"
if [ $raw = 1 ]; then cat "$work/console.txt"; else cat "$work/guest"; fi
walk=$(grep -c 'Failed to walk page-table va' "$work/console.txt")
echo "realxen: $wl ($params) on Xen 4.17 gic-v$gic smp=$smp: $status; Xen logged $walk 'Failed to walk page-table va'" >&2
[ $status = poweroff ] || exit 1
[ $diff = 1 ] || exit 0

# ---- --diff: the same workload under hvsim's Xen model ----
hvsim=$build/hvsim
[ -x "$hvsim" ] || die "no $hvsim"
spec=$wl
[ -n "$params" ] && spec="$wl:$(echo "$params" | tr ' ' ',')"
vopt=""; [ $vpl011 = 1 ] && vopt="--vpl011"
"$hvsim" run --workload "$spec" --hv-profile xen-4.17 --vcpus "$vcpus" $vopt --no-db \
    >"$work/hvsim.out" 2>"$work/hvsim.err"
rc=$?
if [ $rc != 0 ] && ! grep -q '^RESULT' "$work/hvsim.out"; then
    echo "realxen: --diff: hvsim could not run $spec (exit $rc): $(grep hvsim: "$work/hvsim.err" | head -1)" >&2
    exit 3
fi
# Mask what depends on timing: counts of events and times.
mask() {
    grep '^RESULT' "$1" | sed -E \
        -e 's/ (updates|stale|retries|steal_ns|ticks|yields|desched|snapshots|remote_reads|[a-z_]*_ns|[a-z_]*_cycles)=[0-9]+/ \1=*/g'
}
mask "$work/guest" >"$work/a"
mask "$work/hvsim.out" >"$work/b"
if diff -u --label real-xen-4.17 --label hvsim-xen-4.17 "$work/a" "$work/b"; then
    echo "realxen: --diff: RESULT lines agree (timing values masked)" >&2
    exit 0
fi
exit 1
