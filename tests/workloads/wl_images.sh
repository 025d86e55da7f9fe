#!/bin/sh
# tests/workloads/wl_images.sh HVSIM IMGDIR NAME... - each arm64 workload image exists, `hvsim
# image` reads it as an arm64 Image with text_offset 0x80000 and an image_size that covers the
# file, and the raw header bytes agree (Linux Documentation/arch/arm64/booting.rst: code0 a
# branch, text_offset @8, image_size @16, flags @24, magic "ARM\x64" @56).
set -u
H=$1; D=$2; shift 2
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { fail=$((fail+1)); echo "FAIL: $*"; }
le64() { od -An -tx8 -j "$2" -N8 "$1" | tr -d ' '; }
for n in "$@"; do
    f=$D/$n.img
    if [ ! -f "$f" ]; then bad "$n: no image $f"; continue; fi
    out=$("$H" image "$f" 2>&1)
    [ $? = 0 ] && ok || bad "$n: hvsim image failed: $out"
    echo "$out" | grep -q '^format: *arm64 Image' && ok || bad "$n: not read as an arm64 Image"
    echo "$out" | grep -q 'text_offset 0x80000,' && ok || bad "$n: text_offset"
    echo "$out" | grep -q '^entry: *0x40080000' && ok || bad "$n: entry"
    [ "$(od -An -c -j 56 -N4 "$f" | tr -d ' ')" = "ARMd" ] && ok || bad "$n: magic"
    [ "$(le64 "$f" 8)" = "0000000000080000" ] && ok || bad "$n: raw text_offset"
    isz=$((0x$(le64 "$f" 16)))
    fsz=$(stat -c %s "$f")
    [ "$isz" -ge "$fsz" ] && [ $((isz % 4096)) = 0 ] && ok || bad "$n: image_size $isz vs file $fsz"
    # code0 is an unconditional branch (B: bits 31:26 = 000101).
    [ $(( (0x$(od -An -tx4 -N4 "$f" | tr -d ' ') >> 26) )) = 5 ] && ok || bad "$n: code0 not a branch"
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
