#!/usr/bin/env python3
"""Turns an ELF file's PT_GNU_STACK program header into PT_NULL, in place: a
library as an old or non-GNU linker leaves it (no stack marking at all).
Usage: drop-gnu-stack.py FILE (64-bit little-endian ELF only)."""
import struct
import sys

PT_NULL, PT_GNU_STACK = 0, 0x6474E551
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
    sys.exit(f"{path}: not a 64-bit little-endian ELF file")
phoff = struct.unpack_from("<Q", data, 0x20)[0]
phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
dropped = 0
for index in range(phnum):
    at = phoff + index * phentsize
    if struct.unpack_from("<I", data, at)[0] == PT_GNU_STACK:
        struct.pack_into("<I", data, at, PT_NULL)
        dropped += 1
if dropped != 1:
    sys.exit(f"{path}: expected one PT_GNU_STACK, found {dropped}")
open(path, "wb").write(data)
