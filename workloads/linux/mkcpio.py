#!/usr/bin/python3
"""workloads/linux/mkcpio.py - write the initramfs for the Linux workload as a newc cpio
archive (the format the kernel unpacks: Documentation/driver-api/early-userspace/
buffer-format.rst): /, /dev, /dev/console (char 5:1, so init has a console), /proc, /init.
Usage: mkcpio.py INIT_ELF OUT.cpio  (deterministic: fixed mtime, uid/gid 0)."""
import sys


def entry(name, mode, data=b"", rdev=(0, 0), ino=[0]):
    ino[0] += 1
    nb = name.encode() + b"\0"
    hdr = "070701" + "".join("%08X" % v for v in (
        ino[0], mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(nb), 0))
    out = hdr.encode() + nb
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: mkcpio.py INIT_ELF OUT.cpio")
    init = open(sys.argv[1], "rb").read()
    arc = b"".join([
        entry(".", 0o040755),
        entry("dev", 0o040755),
        entry("dev/console", 0o020600, rdev=(5, 1)),
        entry("proc", 0o040555),
        entry("init", 0o100755, init),
        entry("TRAILER!!!", 0),
    ])
    arc += b"\0" * (-len(arc) % 512)
    with open(sys.argv[2], "wb") as f:
        f.write(arc)


main()
