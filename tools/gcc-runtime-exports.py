#!/usr/bin/env python3
"""Writes the export table of an Alpine-built libstdc++ or libgcc_s.

    tools/gcc-runtime-exports.py LIBRARY (plain|versioned) HEADER > TABLE.tsv

LIBRARY is a libstdc++.so.6.0.33 or libgcc_s.so.1 that auditwheel copied into a
musllinux wheel's `<pkg>.libs/` from the build image (Alpine; `readelf -p
.comment` says "GCC: (Alpine 14.2.0)"). Each row is one defined dynamic symbol
(GLOBAL or WEAK): name, type, binding; `versioned` keeps libgcc_s's
`@@GCC_x.y` suffix and writes a version node's own symbol by its name alone.
Rows are sorted; HEADER is the comment line that says where the file came from.
Needs binutils' readelf, which reads every architecture's ELF.
"""
import re
import subprocess
import sys

ROW = re.compile(r"^\s*\d+:\s+\S+\s+\S+\s+(\S+)\s+(\S+)\s+\S+(?:\s+\[[^\]]*\])?\s+(\S+)\s+(\S+)")


def exports(path: str, versioned: bool):
    listing = subprocess.run(["readelf", "--dyn-syms", "-W", path],
                             capture_output=True, text=True, check=True).stdout
    rows = set()
    for line in listing.splitlines():
        match = ROW.match(line)
        if not match:
            continue
        kind, bind, section, name = match.groups()
        if section == "UND" or bind not in ("GLOBAL", "WEAK"):
            continue
        base, _, version = name.partition("@")
        if not versioned:
            name = base
        elif base == version.lstrip("@"):
            name = base
        rows.add((name, kind, bind))
    return sorted(rows)


def main() -> None:
    path, mode, header = sys.argv[1], sys.argv[2], sys.argv[3]
    print(header)
    for row in exports(path, mode == "versioned"):
        print("\t".join(row))


if __name__ == "__main__":
    main()
