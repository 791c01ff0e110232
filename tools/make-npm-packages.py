#!/usr/bin/env python3
"""The npm packages, generated from the built binary (the way esbuild and biome ship):

- `muslcheck`: the launcher (bin/muslcheck.js) with the platform packages as
  optionalDependencies, so npm installs only the one whose os/cpu/libc match;
- `@muslcheck/linux-x64-gnu` and `@muslcheck/linux-x64-musl`: the binary. It is
  static, so both hold the same file: the two names let npm's `libc` field pick
  one on either system and let lockfiles record both.

Usage: tools/make-npm-packages.py BINARY OUT_DIR  (writes OUT_DIR/*.tgz with `npm pack`)
"""

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAUNCHER = REPO / "packaging" / "npm" / "muslcheck"
# (npm os, npm cpu, package name's libc, npm's libc value) for each platform
# package the binary serves. npm names glibc "glibc" (process.report's
# glibcVersionRuntime), the packages say "gnu" as Rust's target triples do.
PLATFORMS = [("linux", "x64", "gnu", "glibc"), ("linux", "x64", "musl", "musl")]


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, out = Path(sys.argv[1]), Path(sys.argv[2])
    cargo = tomllib.loads((REPO / "Cargo.toml").read_text())["package"]
    version = cargo["version"]
    common = {
        "version": version,
        "description": cargo["description"],
        "license": cargo["license"],
    }
    staging = out / "packages"
    shutil.rmtree(staging, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)

    names = []
    for os_name, cpu, libc, npm_libc in PLATFORMS:
        name = f"@muslcheck/{os_name}-{cpu}-{libc}"
        package = staging / f"{os_name}-{cpu}-{libc}"
        (package / "bin").mkdir(parents=True)
        shutil.copy2(binary, package / "bin" / "muslcheck")
        (package / "bin" / "muslcheck").chmod(0o755)
        manifest = {
            "name": name,
            **common,
            "description": f"The {os_name} {cpu} binary of muslcheck (static: runs with glibc or musl)",
            "os": [os_name],
            "cpu": [cpu],
            "libc": [npm_libc],
            "files": ["bin/muslcheck"],
            "preferUnplugged": True,
        }
        write_json(package / "package.json", manifest)
        names.append(name)

    launcher = staging / "muslcheck"
    shutil.copytree(LAUNCHER, launcher)
    (launcher / "bin" / "muslcheck.js").chmod(0o755)
    write_json(
        launcher / "package.json",
        {
            "name": "muslcheck",
            **common,
            "bin": {"muslcheck": "bin/muslcheck.js"},
            "files": ["bin/muslcheck.js"],
            "engines": {"node": ">=14"},
            "optionalDependencies": {name: version for name in names},
        },
    )

    for package in sorted(staging.iterdir()):
        subprocess.run(
            ["npm", "pack", "--silent", "--pack-destination", str(out.resolve())],
            cwd=package,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    shutil.rmtree(staging)
    for tarball in sorted(out.glob("*.tgz")):
        print(tarball)


def write_json(path: Path, value: dict) -> None:
    path.write_text(json.dumps(value, indent=2) + "\n")


if __name__ == "__main__":
    main()
