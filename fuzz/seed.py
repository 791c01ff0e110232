#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ (ignored by git) from committed files: the
regressions in corpus/fuzz-regressions/<target>/ and the small fixtures under
corpus/ (ELF files, wheels, the npm tarball, lockfiles), shaped as each
entry point in src/fuzz_entry/ reads its input (selector bytes, the
`tree` and `tree_image` targets' control bytes and separator).

    python3 fuzz/seed.py                # every target, from the repository root
    python3 fuzz/seed.py wheel tarball  # only these (their directories are replaced)
"""

import hashlib
import itertools
import pathlib
import shutil
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fuzz" / "corpus"
REGRESSIONS = ROOT / "corpus" / "fuzz-regressions"
TREE_SEPARATOR = b"MCFUZZ!"  # muslcheck::fuzz_entry::TREE_SEPARATOR

CONFIG = b"""target = "alpine:3.20"
arch = "x86_64"
gcompat = false
fail-on = "error"
exclude = ["docs/**", "*.tmp", "{a,b}/[!c]*"]

[[ignore]]
code = "MC102"
path = "tools/vendor/**"
reason = "vendored tools run in the build stage only"

[[ignore]]
package = "bcrypt"
version = ">=5, <6"
reason = "replaced by bcryptjs in the Alpine image"
"""

CONFIGS = [
    b"\x00" + CONFIG,
    b"\x01[project]\nname = \"x\"\n\n[tool.muslcheck]\n" + CONFIG.split(b"\n[[")[0],
    b"\x01[tool.muslcheck]\ntarget = \"musl:1.2.3\"\nfollow-symlinks = true\nall-files = true\n"
    b"[[tool.muslcheck.ignore]]\ncode = \"glibc-interpreter\"\nreason = \"x\"\n",
    b"\x00target = \"debian-musl\"\narch = \"aarch64\"\ngcompat = true\nfail-on = \"never\"\n",
    b"\x00target = \"alpine:latest\"\n[[ignore]]\npackage = \"numpy\"\nversion = \"!=1.24.4, ==1\"\nreason = \"r\"\n",
    b"\x00[[ignore]]\ncode = \"mc001\"\npath = \"**\"\nreason = \"everything\"\n",
]


TARGETS = ["elf", "wheel", "tarball", "manifests", "config", "baseline", "lock_variants", "tree",
           "tree_image"]
CHOSEN = sys.argv[1:] or TARGETS


def put(target, data):
    if target not in CHOSEN:
        return
    directory = OUT / target
    directory.mkdir(parents=True, exist_ok=True)
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def regressions(target):
    directory = REGRESSIONS / target
    if directory.is_dir():
        for path in sorted(directory.iterdir()):
            put(target, path.read_bytes())


def files(*patterns):
    return [p for pattern in patterns for p in sorted(ROOT.glob(pattern)) if p.is_file()]


def main():
    unknown = set(CHOSEN) - set(TARGETS)
    if unknown:
        sys.exit(f"unknown targets: {', '.join(sorted(unknown))}; known: {', '.join(TARGETS)}")
    for target in CHOSEN:
        if (OUT / target).exists():
            shutil.rmtree(OUT / target)
    for target in CHOSEN:
        regressions(target)

    elves = files("corpus/bin/*", "corpus/lib/*")
    for path in elves:
        put("elf", path.read_bytes())
    for path in files("corpus/thirdparty/*.whl"):
        put("wheel", path.read_bytes())
    for path in files("corpus/thirdparty/*.tgz"):
        put("tarball", path.read_bytes())

    npm_locks = files("corpus/projects/*/package-lock.json")
    indented = files("corpus/projects/*/yarn.lock", "corpus/projects/*/pnpm-lock.yaml")
    for path in npm_locks:
        put("manifests", b"\x06" + path.read_bytes())
        put("lock_variants", b"\x00" + path.read_bytes())
    for path in indented:
        put("manifests", b"\x07" + path.read_bytes())
        put("lock_variants", b"\x01" + path.read_bytes())
    for path in files("corpus/projects/*/uv.lock", "corpus/projects/*/poetry.lock"):
        put("manifests", b"\x00" + path.read_bytes())
    for path in files("corpus/projects/*/requirements.txt"):
        put("manifests", b"\x02" + path.read_bytes())

    for config in CONFIGS:
        put("config", config)
    # Baselines as `--write-baseline` writes them (see tests/baseline.rs).
    put("baseline", b'{"schema_version": 1, "fingerprints": []}\n')
    put("baseline", b'''{
  "schema_version": 1,
  "fingerprints": [
    {"code": "MC101", "package": "bcrypt", "path": "node_modules/.pnpm/bcrypt@/node_modules/bcrypt/x.node"},
    {"code": "MC102", "package": "", "path": "bin/hello-glibc"},
    {"code": "MC001", "package": "x", "path": "dist/x.whl!/x/\\\\xff.so"},
    {"code": "mc999", "package": "@img/sharp", "path": "vendor/lib/libfoo.so"}
  ]
}
''')

    # And what a build of muslcheck writes for the fixtures, when there is one.
    for binary in [ROOT / "target" / "release" / "muslcheck", ROOT / "target" / "debug" / "muslcheck"] * (
            "baseline" in CHOSEN):
        if binary.is_file():
            with tempfile.TemporaryDirectory() as temporary:
                for fixture in ["corpus/bin", "corpus/lib", "corpus/projects"]:
                    written = pathlib.Path(temporary) / "baseline.json"
                    subprocess.run([str(binary), "--quiet", "--no-config", "--write-baseline",
                                    str(written), fixture], cwd=ROOT, check=False,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    if written.is_file():
                        put("baseline", written.read_bytes())
            break

    # Trees: small libraries from corpus/lib that need each other.
    libs = files("corpus/lib/*.so")
    controls = [
        (0x00, 0b000010, 0x00), (0x00, 0b000001, 0x01), (0x0A, 0b000100, 0x1B),
        (0x13, 0b000001, 0x02), (0x05, 0b000010, 0x3C), (0x06, 0b000101, 0x11),
        (0x1F, 0b100000, 0x20), (0x37, 0b010000, 0x08), (0x02, 0x43, 0x44),
        (0x03, 0x87, 0x81), (0x0C, 0b011000, 0x09), (0x15, 0b000111, 0x16),
    ]
    for count, start in [(2, 0), (2, 3), (3, 5), (3, 8), (4, 1), (6, 2), (5, 9), (6, 7)]:
        chosen = list(itertools.islice(itertools.cycle(libs), start, start + count))
        parts = []
        for index, path in enumerate(chosen):
            place, links, flags = controls[(start + index) % len(controls)]
            parts.append(bytes([place, links, flags]) + path.read_bytes())
        put("tree", bytes([start]) + TREE_SEPARATOR.join(parts))

    # Trees in a container image: programs (glibc's and musl's) and libraries
    # in its directories, with a fourth control byte (which RUNPATH and RPATH,
    # needed names with a slash); the first byte's 0x10 and 0x20 bits pick
    # merged-usr links and glibc's interpreter and C library.
    image_files = files("corpus/bin/hello-glibc", "corpus/bin/hello-musl", "corpus/lib/*.so")
    image_controls = [
        (0x18, 0x42, 0x05, 0x03), (0x01, 0x40, 0x10, 0x00), (0x12, 0x40, 0x90, 0x00),
        (0x1C, 0x48, 0x06, 0x08), (0x05, 0x40, 0x28, 0x00), (0x06, 0x80, 0x50, 0x40),
        (0x07, 0x01, 0x01, 0x82), (0x1B, 0x44, 0x85, 0x2D), (0x03, 0x00, 0x02, 0x30),
        (0x14, 0x20, 0x11, 0x07), (0x19, 0x43, 0x04, 0x00), (0x02, 0x02, 0x18, 0x04),
    ]
    for number, (count, start) in enumerate([(2, 0), (3, 1), (3, 4), (4, 0), (4, 6), (5, 2),
                                             (6, 0), (6, 8), (2, 10), (5, 1)]):
        chosen = list(itertools.islice(itertools.cycle(image_files), start, start + count))
        parts = []
        for index, path in enumerate(chosen):
            control = image_controls[(start + index) % len(image_controls)]
            parts.append(bytes(control) + path.read_bytes())
        selector = number * 2 + (0x20 if number % 2 else 0) + (0x10 if number % 3 == 0 else 0)
        put("tree_image", bytes([selector]) + TREE_SEPARATOR.join(parts))

    for target in CHOSEN:
        print(f"{target}: {len(list((OUT / target).iterdir()))} seeds")


if __name__ == "__main__":
    main()
