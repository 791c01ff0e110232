#!/usr/bin/env python3
"""Records the package index documents the index tests serve.

For every package of tests/data/index/test-packages.tsv and every pin of
corpus/thirdparty/manylinux-stack.txt, fetches the real document (PyPI's PEP
691 JSON simple API page, the npm registry's package document, and the
documents of its optional dependencies) and trims it to what the tests need,
keeping its structure:

- PyPI: the pinned versions' files for Linux x86_64 (manylinux, musllinux, linux),
  pure wheels and sdists, and one wheel for another system; of later versions, only the musllinux x86_64 wheels
  CPython 3.11 accepts (they decide `first_musl_version`); `versions` lists
  the versions kept.
- npm: the pinned versions, the later ones up to the first that names a musl
  platform package, and `latest`; each version with the fields muslcheck
  reads (name, version, dependencies, optionalDependencies, os, cpu, libc,
  engines, dist). Platform packages: the versions those name, and `latest`.

Writes tests/data/index/pypi/NAME.json and tests/data/index/npm/NAME.json
(scoped names with `%2f` for `/`), and `recorded.txt` (date, what the npm
registry answered to the abbreviated-document Accept header).

Usage: tools/record-index.py   (needs pypi.org and registry.npmjs.org)
"""

import json
import os
import re
import sys
import urllib.request
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "data", "index")
PYPI = "https://pypi.org/simple"
NPM = "https://registry.npmjs.org"
PYPI_ACCEPT = "application/vnd.pypi.simple.v1+json"
NPM_ACCEPT = "application/vnd.npm.install-v1+json"
NPM_FIELDS = ["name", "version", "dependencies", "optionalDependencies", "os", "cpu",
              "libc", "engines", "dist"]


def get(url, accept):
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "muslcheck-recorder"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.headers.get("Content-Type", ""), json.load(response)


def normalise(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def release(version):
    return [int(p) if p.isdigit() else 0 for p in re.split(r"[.]", re.sub(r"[^0-9.].*$", "", version))]


def is_final(version):
    return bool(re.fullmatch(r"[0-9]+(\.[0-9]+)*", version))


def file_version(filename):
    if filename.endswith(".whl"):
        parts = filename[:-4].split("-")
        return parts[1] if len(parts) in (5, 6) else None
    for suffix in (".tar.gz", ".zip", ".tar.bz2", ".tgz"):
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            return stem.rsplit("-", 1)[1] if "-" in stem else None
    return None


def musl_for_cp311(filename):
    if not filename.endswith(".whl"):
        return False
    parts = filename[:-4].split("-")
    python, abi, platform = parts[-3], parts[-2], parts[-1]
    platforms = platform.split(".")
    ok_platform = any(re.fullmatch(r"musllinux_1_[12]_x86_64", p) for p in platforms)
    ok_python = any(p in ("cp311", "py3") or (p.startswith("cp3") and abi == "abi3") for p in python.split("."))
    return ok_platform and ok_python


def linux_or_pure_or_sdist(filename):
    if not filename.endswith(".whl"):
        return True
    platform = filename[:-4].split("-")[-1]
    return any(p == "any" or ("linux" in p and p.endswith("_x86_64")) for p in platform.split("."))


def record_pypi(name, versions):
    _, page = get(f"{PYPI}/{normalise(name)}/", PYPI_ACCEPT)
    pinned = set(versions)
    lowest = min((release(v) for v in pinned), default=[0])
    kept = []
    # One wheel for another system per pinned version keeps what muslcheck
    # reads of the rest (the release publishes wheels: its sdist is no
    # sign of pure Python code).
    other_system = set()
    for file in page.get("files", []):
        version = file_version(file["filename"])
        if version is None:
            continue
        if version in pinned and linux_or_pure_or_sdist(file["filename"]):
            kept.append(file)
        elif version in pinned and version not in other_system:
            other_system.add(version)
            kept.append(file)
        elif is_final(version) and release(version) > lowest and musl_for_cp311(file["filename"]):
            kept.append(file)
    kept_versions = {file_version(f["filename"]) for f in kept}
    page["files"] = kept
    if "versions" in page:
        page["versions"] = [v for v in page["versions"] if v in kept_versions]
    write(os.path.join(OUT, "pypi", f"{normalise(name)}.json"), page)
    return len(kept)


def trim_npm_version(manifest):
    return {k: manifest[k] for k in NPM_FIELDS if k in manifest}


def npm_url(name):
    return f"{NPM}/{name.replace('/', '%2f')}"


def record_npm(name, versions, notes):
    content_type, document = get(npm_url(name), NPM_ACCEPT)
    notes.add(f"{name}: Content-Type {content_type or '(none)'}; top-level keys {sorted(document)}")
    all_versions = document.get("versions", {})
    latest = document.get("dist-tags", {}).get("latest")
    keep = set(v for v in versions if v in all_versions)
    lowest = min((release(v) for v in keep), default=[0])
    later = sorted((v for v in all_versions if is_final(v) and release(v) > lowest), key=release)
    for version in later:
        keep.add(version)
        if any("musl" in dep for dep in all_versions[version].get("optionalDependencies", {})):
            break
    if latest in all_versions:
        keep.add(latest)
    trimmed = {
        "name": document.get("name", name),
        "dist-tags": {"latest": latest} if latest else {},
        "versions": {v: trim_npm_version(all_versions[v]) for v in sorted(keep, key=release)},
    }
    if "modified" in document:
        trimmed["modified"] = document["modified"]
    write(os.path.join(OUT, "npm", f"{name.replace('/', '%2f')}.json"), trimmed)
    wanted = {}
    for version in keep:
        for dep, spec in all_versions[version].get("optionalDependencies", {}).items():
            wanted.setdefault(dep, set()).add(spec)
    return wanted


def record_platform_package(name, specs):
    _, document = get(npm_url(name), NPM_ACCEPT)
    all_versions = document.get("versions", {})
    latest = document.get("dist-tags", {}).get("latest")
    keep = {s.lstrip("=^~v") for s in specs if s.lstrip("=^~v") in all_versions}
    if latest in all_versions:
        keep.add(latest)
    trimmed = {
        "name": document.get("name", name),
        "dist-tags": {"latest": latest} if latest else {},
        "versions": {v: trim_npm_version(all_versions[v]) for v in sorted(keep, key=release)},
    }
    write(os.path.join(OUT, "npm", f"{name.replace('/', '%2f')}.json"), trimmed)


def write(path, document):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        json.dump(document, out, indent=0, sort_keys=True)
        out.write("\n")


def main():
    pins = {"pypi": {}, "npm": {}}
    with open(os.path.join(OUT, "test-packages.tsv")) as tsv:
        for line in tsv:
            if line.startswith("#") or not line.strip():
                continue
            ecosystem, name, version = line.split("\t")[:3]
            pins[ecosystem].setdefault(name, set()).add(version.strip())
    with open(os.path.join(ROOT, "corpus", "thirdparty", "manylinux-stack.txt")) as stack:
        for line in stack:
            if "==" in line and not line.startswith("#"):
                name, version = line.strip().split("==")
                pins["pypi"].setdefault(name, set()).add(version)
    for name, versions in sorted(pins["pypi"].items()):
        print(f"pypi {name}: {record_pypi(name, versions)} files kept", file=sys.stderr)
    notes = set()
    platform = {}
    for name, versions in sorted(pins["npm"].items()):
        for dep, specs in record_npm(name, versions, notes).items():
            platform.setdefault(dep, set()).update(specs)
    for name, specs in sorted(platform.items()):
        record_platform_package(name, specs)
    print(f"npm: {len(pins['npm'])} packages, {len(platform)} platform packages", file=sys.stderr)
    with open(os.path.join(OUT, "recorded.txt"), "w") as out:
        out.write(f"recorded {datetime.now(timezone.utc).strftime('%Y-%m-%d')} by tools/record-index.py\n")
        out.write(f"npm registry, asked with Accept: {NPM_ACCEPT}:\n")
        for note in sorted(notes):
            out.write(f"  {note}\n")


if __name__ == "__main__":
    main()
