#!/usr/bin/env python3
"""Tabulates the shared libraries an Alpine base image already has.

From each Alpine minirootfs tarball given (the root filesystems the official
`alpine` images are built from), for every ELF shared library the musl loader
finds on its default path (/lib, /usr/local/lib, /usr/lib) by file name:

  data/alpine/alpine-base-libraries.tsv   release, arch, name, soname, package, version, path
  data/alpine/alpine-base-exports-ARCH.tsv soname, symbol, version node, one 0/1 column per release

The exports are the dynamic symbols musl's loader binds to: defined (not UND),
bind GLOBAL/WEAK/UNIQUE, type NOTYPE/OBJECT/FUNC/COMMON/TLS (OK_TYPES in
ldso/dynlink.c: never STT_GNU_IFUNC), and not a hidden (non-default, `name@V`)
version, which musl skips (versym < 0). musl itself (the loader and
libc.musl-ARCH.so.1) is left out: it has its own tables in data/musl/.
The package and its version come from the image's lib/apk/db/installed.

Usage: tools/extract-alpine-base-libs.py OUT_DIR TARBALL...
Needs: readelf (binutils).
"""

import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import defaultdict

LIB_DIRS = ["lib", "usr/local/lib", "usr/lib"]
OK_TYPES = {"NOTYPE", "OBJECT", "FUNC", "COMMON", "TLS"}
OK_BINDS = {"GLOBAL", "WEAK", "UNIQUE"}
TARBALL = re.compile(r"alpine-minirootfs-(\d+\.\d+)\.\d+-(\w+)\.tar\.gz$")


def installed_files(root):
    """path inside the root -> (package, version), from lib/apk/db/installed."""
    owners = {}
    package = version = folder = None
    with open(os.path.join(root, "lib/apk/db/installed"), encoding="utf-8") as db:
        for line in db:
            key, _, value = line.rstrip("\n").partition(":")
            if key == "P":
                package, version, folder = value, None, None
            elif key == "V":
                version = value
            elif key == "F":
                folder = value
            elif key == "R" and folder is not None:
                owners[f"{folder}/{value}"] = (package, version)
    return owners


def readelf(*args):
    return subprocess.run(
        ["readelf", *args], check=True, capture_output=True, text=True
    ).stdout


def soname_of(path):
    match = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", readelf("-d", "-W", path))
    return match.group(1) if match else None


def is_shared_object(path):
    with open(path, "rb") as f:
        head = f.read(18)
    # ELF magic and e_type == ET_DYN (little-endian: both arches here are).
    return head[:4] == b"\x7fELF" and head[16:18] == b"\x03\x00"


def exports_of(path):
    """(symbol, version) musl's loader binds to."""
    symbols = set()
    for line in readelf("--dyn-syms", "-W", path).splitlines():
        fields = line.split()
        if len(fields) < 8 or not fields[0].endswith(":"):
            continue
        sym_type, bind, ndx, name = fields[3], fields[4], fields[6], fields[7]
        if ndx == "UND" or sym_type not in OK_TYPES or bind not in OK_BINDS:
            continue
        if "@@" in name:
            name, version = name.split("@@", 1)
        elif "@" in name:
            continue  # a hidden (non-default) version: musl skips it
        else:
            version = ""
        symbols.add((name, version))
    return symbols


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out_dir, tarballs = sys.argv[1], sys.argv[2:]
    libraries = []  # rows of alpine-base-libraries.tsv
    # arch -> soname -> (symbol, version) -> set of releases
    exports = defaultdict(lambda: defaultdict(lambda: defaultdict(set)))
    releases = defaultdict(set)  # arch -> releases
    sources = []
    for tarball in tarballs:
        match = TARBALL.search(os.path.basename(tarball))
        if not match:
            sys.exit(f"not a minirootfs tarball name: {tarball}")
        release, arch = match.group(1), match.group(2)
        releases[arch].add(release)
        sources.append(os.path.basename(tarball))
        with tempfile.TemporaryDirectory() as root:
            with tarfile.open(tarball) as tar:
                members = [m for m in tar.getmembers() if not m.isdev()]
                tar.extractall(root, members=members, filter="tar")
            owners = installed_files(root)
            seen_names = set()
            for directory in LIB_DIRS:
                full_dir = os.path.join(root, directory)
                if not os.path.isdir(full_dir):
                    continue
                for name in sorted(os.listdir(full_dir)):
                    path = os.path.join(full_dir, name)
                    if name in seen_names or not os.path.isfile(path):
                        continue
                    if not is_shared_object(path):
                        continue
                    real = os.path.relpath(os.path.realpath(path), root)
                    package, version = owners.get(real, ("?", "?"))
                    if package == "musl":
                        continue
                    soname = soname_of(path) or name
                    seen_names.add(name)
                    libraries.append((release, arch, name, soname, package, version, real))
                    for symbol in exports_of(path):
                        exports[arch][soname][symbol].add(release)

    def release_key(release):
        return tuple(int(p) for p in release.split("."))

    header = "# from: " + ", ".join(sorted(sources)) + " (tools/extract-alpine-base-libs.py)\n"
    with open(os.path.join(out_dir, "alpine-base-libraries.tsv"), "w", encoding="utf-8") as out:
        out.write("# Shared libraries on the musl loader's default path in the Alpine minirootfs\n")
        out.write(header)
        out.write("#release\tarch\tname\tsoname\tpackage\tversion\tpath\n")
        for row in sorted(libraries, key=lambda r: (release_key(r[0]), r[1], r[2])):
            out.write("\t".join(row) + "\n")
    for arch, by_soname in sorted(exports.items()):
        columns = sorted(releases[arch], key=release_key)
        path = os.path.join(out_dir, f"alpine-base-exports-{arch}.tsv")
        with open(path, "w", encoding="utf-8") as out:
            out.write(f"# Symbols musl's loader binds to in the Alpine base libraries ({arch})\n")
            out.write(header)
            out.write("#soname\tsymbol\tversion\t" + "\t".join(columns) + "\n")
            for soname in sorted(by_soname):
                for (symbol, version), present in sorted(by_soname[soname].items()):
                    flags = ["1" if r in present else "0" for r in columns]
                    out.write("\t".join([soname, symbol, version, *flags]) + "\n")


if __name__ == "__main__":
    main()
