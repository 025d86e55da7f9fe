#!/bin/sh
# scripts/fetch-images.sh - download Debian 12's unmodified arm64 Linux kernel for the
# `linux` workload (issue "Boot Debian's unmodified arm64 Linux kernel"). Nothing downloaded
# is committed: the package goes to $HVSIM_CACHE (default ~/.cache/hvsim)/linux and the
# kernel is extracted there as vmlinuz-arm64 (a raw arm64 Image with an EFI-stub header).
# Picks the newest linux-image-6.1.0-N-arm64-unsigned Debian's archive offers (the ABI number
# N changes with security updates). Prints the kernel's path on success.
# Usage: scripts/fetch-images.sh [--print-path]   (--print-path: only print, never download;
# exit 1 if the kernel is not there yet)
set -eu
CACHE=${HVSIM_CACHE:-$HOME/.cache/hvsim}/linux
KERNEL=$CACHE/vmlinuz-arm64
if [ "${1:-}" = "--print-path" ]; then
    [ -s "$KERNEL" ] && { echo "$KERNEL"; exit 0; }
    exit 1
fi
if [ -s "$KERNEL" ]; then
    echo "$KERNEL"
    exit 0
fi
err() { echo "fetch-images: $*" >&2; exit 1; }
command -v apt-get >/dev/null || err "apt-get not found (Debian 12 needed)"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq || err "apt-get update failed"
fi
pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-arm64-unsigned$' 2>/dev/null |
      awk '{print $1}' | sort -V | tail -1)
if [ -z "$pkg" ]; then
    $SUDO apt-get update -qq || err "apt-get update failed"
    pkg=$(apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-arm64-unsigned$' |
          awk '{print $1}' | sort -V | tail -1)
fi
[ -n "$pkg" ] || err "no linux-image-6.1.0-*-arm64-unsigned package in the apt sources"
mkdir -p "$CACHE"
tmp=$(mktemp -d "$CACHE/dl.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes into the current directory; _apt cannot write to root's home.
( cd "$tmp" && chmod 777 . && apt-get download -q "$pkg:arm64" >/dev/null 2>&1 ) ||
    err "apt-get download $pkg:arm64 failed (no network?)"
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || err "apt-get download produced no .deb"
dpkg-deb -x "$deb" "$tmp/x" || err "cannot unpack $deb"
img=$(ls "$tmp"/x/boot/vmlinuz-* 2>/dev/null | head -1)
[ -n "$img" ] || err "$deb has no /boot/vmlinuz-*"
cp "$img" "$KERNEL.part"
cp "$tmp"/x/boot/config-* "$CACHE/config-arm64" 2>/dev/null || true
echo "$pkg $(basename "$deb")" > "$CACHE/VERSION"
mv "$KERNEL.part" "$KERNEL"
echo "$KERNEL"
