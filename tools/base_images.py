#!/usr/bin/env python3
"""Generate data/base-images/ (platform profiles) from real packages.

Run through tools/gen-base-images.sh. Debian and Ubuntu packages are fetched with apt
(a private apt configuration per suite, nothing on the host changes), extracted with
dpkg-deb and read with readelf; Alpine from its minirootfs tarballs. Images whose packages
cannot be fetched here keep the facts of the reference collection (copied to
data/base-images/sources/) and say how exact they are.

  --check [PROFILE...]   regenerate into a temporary directory and compare the named
                         profiles' rows and library files (default: a cheap Alpine subset)
"""

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "data" / "base-images"
SOURCES = OUT / "sources"
REFERENCE = Path(os.environ.get("MUSLCHECK_REFERENCE", REPO.parent / "shared" / "reference"))
WORK = Path(os.environ.get("MUSLCHECK_BASE_IMAGES_WORK", "/tmp/muslcheck-base-images"))
GENERATED_RS = REPO / "src" / "platform" / "profile_exports.rs"

# Libraries whose exported symbols are kept (a per-symbol check needs them). Besides
# libc/libm/libpthread/libdl/librt and the loader, the other libraries of glibc's own
# package a program or library is linked against with -l (so names in DT_NEEDED):
# libresolv (ns_*, res_* of glibc <= 2.33 builds: manylinux's bundled libkrb5, libldap,
# libcurl), libutil (openpty, forkpty), libanl (getaddrinfo_a), libnsl.so.1 (NIS; compat
# symbols only from glibc 2.28 on), libBrokenLocale, libmvec (gcc's vectorized libm calls),
# libthread_db (debuggers, profilers); and libcrypt.so.1/.2 (libxcrypt, glibc's libcrypt
# before 2.39). Not the NSS modules (libnss_*: loaded by libc itself through
# nsswitch.conf, not named in DT_NEEDED) nor the LD_PRELOAD helpers (libSegFault,
# libmemusage, libpcprofile, libc_malloc_debug).
EXPORT_SONAMES = re.compile(
    r"^(libc\.so\.6|libm\.so\.6|libpthread\.so\.0|libdl\.so\.2|librt\.so\.1|ld-linux[^/]*\.so\.\d+"
    r"|libresolv\.so\.2|libutil\.so\.1|libanl\.so\.1|libnsl\.so\.1|libBrokenLocale\.so\.1"
    r"|libmvec\.so\.1|libthread_db\.so\.1|libcrypt\.so\.[12]"
    r"|libstdc\+\+\.so\.6|libgcc_s\.so\.1|libgomp\.so\.1|libz\.so\.1|libcrypto\.so\.[\d.]+|libssl\.so\.[\d.]+"
    # Libraries the images ship that applications link directly (npm
    # addons and CLIs are not auditwheel'd: tauri-cli needs liblzma.so.5).
    r"|liblzma\.so\.5|libzstd\.so\.1|libbz2\.so\.1\.0|liblz4\.so\.1|libuuid\.so\.1|libtinfo\.so\.6"
    r"|libgmp\.so\.10|libpcre2-8\.so\.0|libudev\.so\.1|libffi\.so\.\d+"
    r"|libc\.musl-[a-z0-9_]+\.so\.1)$"
)

DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
TRIPLET = {"x86_64": "x86_64-linux-gnu", "aarch64": "aarch64-linux-gnu"}
GLIBC_LOADER = {"x86_64": "/lib64/ld-linux-x86-64.so.2", "aarch64": "/lib/ld-linux-aarch64.so.1"}

APT_ARCHIVES = {
    "debian": ("http://deb.debian.org/debian", "http://deb.debian.org/debian-security",
               "/usr/share/keyrings/debian-archive-keyring.gpg", ["x86_64", "aarch64"]),
    # ports.ubuntu.com (arm64) is not reachable from the generating machine.
    "ubuntu": ("http://archive.ubuntu.com/ubuntu", "http://archive.ubuntu.com/ubuntu",
               None, ["x86_64"]),
}

DISTROLESS_SOURCE = ("GoogleContainerTools/distroless private/repos/deb/{suite}.lock.json and "
                     "{{static,base,cc}}/BUILD (package sets), via reference base-images.tsv")

YES, NO, UNKNOWN = "yes", "no", "unknown"


def debian_slim(version, suite, manifest, note):
    return {
        "name": f"debian:{version}-slim",
        "aliases": [f"debian:{suite}-slim", f"debian:{version}", f"debian:{suite}"],
        "family": f"Debian {version} {suite}",
        "kind": "apt", "archive": "debian", "suite": suite, "manifest": manifest,
        "libc": "glibc",
        "package_manager": "apt", "install": "apt-get install -y",
        "sources": f"docker-debian-artifacts {suite}/slim/rootfs.manifest (sources/{manifest}); "
                   f"packages from deb.debian.org {suite}, {suite}-updates, {suite}-security",
        "note": note,
    }


def distroless(flavor, version, suite, packages, note):
    static = flavor == "static"
    return {
        "name": f"gcr.io/distroless/{flavor}-debian{version}",
        "aliases": [f"distroless/{flavor}-debian{version}"],
        "family": f"distroless (Debian {version})",
        "kind": "apt", "archive": "debian", "suite": suite, "packages": packages,
        "libc": "none" if static else "glibc",
        "facts": {
            "bin_sh": (NO, "no shell (the :debug tags add /busybox/sh)"),
            "ca_certificates": (YES, "/etc/ssl/certs/ca-certificates.crt"),
            "tzdata": (YES, "/usr/share/zoneinfo (package tzdata)"),
            "etc_passwd": (YES, "root, nonroot 65532, nobody"),
        },
        "package_manager": "none", "install": "",
        "sources": DISTROLESS_SOURCE.format(suite=suite) + f"; packages from deb.debian.org {suite}",
        "note": note,
    }


def ubuntu(version, codename, glibc_note):
    return {
        "name": f"ubuntu:{version}",
        "aliases": [f"ubuntu:{codename}"],
        "family": f"Ubuntu {version} {codename}",
        "kind": "apt", "archive": "ubuntu", "suite": codename,
        "manifest": f"ubuntu{version}.manifest",
        "libc": "glibc",
        "package_manager": "apt", "install": "apt-get install -y",
        "sources": f"image manifest (sources/ubuntu{version}.manifest); packages from "
                   f"archive.ubuntu.com {codename}, {codename}-updates, {codename}-security",
        "note": glibc_note,
    }


def alpine(release, tarball_release, note=""):
    return {
        "name": f"alpine:{release}",
        "aliases": [],
        "family": f"Alpine {release}",
        "kind": "alpine", "release": release, "tarball_release": tarball_release,
        "libc": "musl",
        "facts": {
            "bin_sh": (YES, "/bin/sh -> busybox"),
            "ca_certificates": (YES, "ca-certificates-bundle: /etc/ssl/certs/ca-certificates.crt"),
            "tzdata": (NO, "apk add tzdata"),
            "etc_passwd": (YES, "package alpine-baselayout-data"),
        },
        "package_manager": "apk", "install": "apk add",
        "note": note,
    }


def reference(name, aliases, family, exactness, package_manager, install, note, ref_name=None,
              rpm_list=None):
    """A profile whose facts come from the reference collection only."""
    return {
        "name": name, "aliases": aliases, "family": family, "kind": "reference",
        "ref_name": ref_name or name, "exactness": exactness,
        "package_manager": package_manager, "install": install, "note": note,
        "rpm_list": rpm_list,
    }


ALPINE_NOTE = "musl; no libstdc++, libgcc_s or tzdata (apk add libstdc++ libgcc tzdata)"
UBI_NOTE = "versions only: glibc, libstdc++, OpenSSL versions known, no library list"
PROFILES = [
    *[alpine(f"3.{minor}", tar, ALPINE_NOTE + extra) for minor, tar, extra in [
        (16, None, "; OpenSSL 1.1 (libssl.so.1.1)"), (17, "3.17.10", ""), (18, None, ""),
        (19, "3.19.4", ""), (20, "3.20.3", ""), (21, None, ""), (22, None, ""), (23, None, ""),
        (24, None, "")]],
    debian_slim(11, "bullseye", "debian11-slim.rootfs.manifest",
                "glibc 2.31: libc.so.6 defines no GLIBC_2.31 node (newest GLIBC_2.30)"),
    debian_slim(12, "bookworm", "debian12-slim.rootfs.manifest",
                "no OpenSSL at all (apt uses GnuTLS): apt-get install -y libssl3"),
    debian_slim(13, "trixie", "debian13-slim.rootfs.manifest",
                "merged /usr; libssl.so.3 present (libssl3t64)"),
    ubuntu("20.04", "focal", "glibc 2.31; no libssl in the base image"),
    ubuntu("22.04", "jammy", "glibc 2.35; libssl.so.3 present"),
    ubuntu("24.04", "noble", "glibc 2.39; libssl.so.3 present (libssl3t64)"),
    distroless("static", 12, "bookworm", [],
               "no libc: fully static binaries only (CGO_ENABLED=0, static Rust)"),
    distroless("base-nossl", 12, "bookworm", ["libc6"], "glibc only: no libssl, libz, libstdc++, libgcc_s"),
    distroless("base", 12, "bookworm", ["libc6", "libssl3"],
               "glibc + OpenSSL: no libstdc++, libgcc_s or libz (use distroless/cc for C++)"),
    distroless("cc", 12, "bookworm", ["libc6", "libssl3", "libgcc-s1", "libgomp1", "libstdc++6"],
               "glibc, OpenSSL, libgcc_s, libstdc++, libgomp; no libz"),
    distroless("static", 13, "trixie", [],
               "no libc: fully static binaries only (CGO_ENABLED=0, static Rust)"),
    distroless("base-nossl", 13, "trixie", ["libc6"], "glibc only: no libssl, libz, libstdc++, libgcc_s"),
    distroless("base", 13, "trixie", ["libc6", "libssl3t64", "zlib1g", "libzstd1"],
               "glibc + OpenSSL (+ its libz, libzstd): no libstdc++ or libgcc_s (use distroless/cc)"),
    distroless("cc", 13, "trixie",
               ["libc6", "libssl3t64", "zlib1g", "libzstd1", "libgcc-s1", "libgomp1", "libstdc++6"],
               "glibc, OpenSSL, libz, libzstd, libgcc_s, libstdc++, libgomp"),
    *[reference(f"registry.access.redhat.com/ubi{major}/{flavor}",
                [f"ubi{major}/{flavor}", f"ubi{major}"] if flavor == "ubi" else [f"ubi{major}/{flavor}", f"ubi{major}-{flavor.removeprefix('ubi-')}"],
                f"UBI {major} (RHEL {major})", "versions-only",
                {"ubi": "dnf" if major != 8 else "yum", "ubi-minimal": "microdnf", "ubi-micro": "none"}[flavor],
                {"ubi": "dnf install -y" if major != 8 else "yum install -y",
                 "ubi-minimal": "microdnf install -y", "ubi-micro": ""}[flavor],
                UBI_NOTE + ("; no package manager (build in ubi, copy in)" if flavor == "ubi-micro" else ""))
      for major in (8, 9, 10) for flavor in ("ubi", "ubi-minimal", "ubi-micro")],
    reference("amazonlinux:2", ["amazonlinux:2.0"], "Amazon Linux 2", "derived", "yum", "yum install -y",
              "glibc 2.26: manylinux_2_28 wheels and Node >= 18 binaries do not run; EOL 2026-06-30",
              rpm_list="amazonlinux2.rpm-list.txt"),
    reference("amazonlinux:2023", ["amazonlinux"], "Amazon Linux 2023", "derived", "dnf", "dnf install -y",
              "glibc 2.34; libcrypt.so.2 (libxcrypt), not .so.1", rpm_list="amazonlinux2023.rpm-list.txt"),
    reference("cgr.dev/chainguard/wolfi-base", ["chainguard/wolfi-base", "wolfi-base", "wolfi"],
              "Wolfi (Chainguard)", "derived", "apk", "apk add",
              "rolling glibc; libraries in /usr/lib; no libstdc++"),
    reference("cgr.dev/chainguard/glibc-dynamic", ["chainguard/glibc-dynamic", "glibc-dynamic"],
              "Wolfi (Chainguard)", "derived", "none", "",
              "glibc, libgcc_s, libstdc++; no shell, no package manager"),
    reference("cgr.dev/chainguard/static", ["chainguard/static"], "Wolfi (Chainguard)", "derived",
              "none", "", "no libc: CA certificates, tzdata, /etc/passwd only"),
    reference("scratch", [], "empty image", "verified", "none", "",
              "empty: no libc, no shell, no CA certificates, no tzdata, no /etc/passwd"),
]


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


# ---------------------------------------------------------------- ELF facts (readelf)

def elf_soname(path):
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                return None
    except OSError:
        return None
    out = subprocess.run(["readelf", "-d", "-W", str(path)], capture_output=True, text=True).stdout
    m = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", out)
    return m.group(1) if m else None


def version_definitions(path):
    """Every version node the file defines (readelf -V), the BASE entry left out."""
    out = run(["readelf", "-V", "-W", str(path)])
    nodes, in_defs = [], False
    for line in out.splitlines():
        if line.startswith("Version definition section"):
            in_defs = True
            continue
        if line.startswith("Version needs section") or line.startswith("Version symbols section"):
            in_defs = False
        if in_defs:
            m = re.search(r"Flags: (\S+).*Name: (\S+)", line)
            if m and "BASE" not in m.group(1):
                nodes.append(m.group(2))
    return nodes


def exports(path):
    """Defined dynamic symbols: (name, version or '', default?)."""
    out = run(["readelf", "--dyn-syms", "-W", str(path)])
    # Each version node also appears as an absolute symbol of its own name: not an export.
    markers = set(version_definitions(path))
    rows = set()
    for line in out.splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].endswith(":"):
            continue
        if re.fullmatch(r"\(\d+\)", f[-1]):  # `name@VER (2)`: the version index
            f = f[:-1]
        # Name and section index are the last fields (aarch64 adds `[VARIANT_PCS]` before them).
        typ, bind, vis, ndx, name = f[3], f[4], f[5], f[-2], f[-1]
        if ndx == "UND" or bind not in ("GLOBAL", "WEAK", "UNIQUE") or typ in ("SECTION", "FILE"):
            continue
        if vis not in ("DEFAULT", "PROTECTED"):
            continue
        if "@@" in name:
            sym, ver, default = *name.split("@@", 1), True
        elif "@" in name:
            sym, ver, default = *name.split("@", 1), False
        else:
            sym, ver, default = name, "", True
        ver = ver.split(" ")[0]
        if sym == ver or (ndx == "ABS" and sym in markers):
            continue
        rows.add((sym, ver, default))
    return sorted(rows)


WRITTEN_EXPORTS = {}


def write_exports(path_in, key, arch):
    """One table per distinct build, named for the first architecture that has it."""
    groups = {}
    for sym, ver, default in exports(path_in):
        groups.setdefault((ver, default), []).append(sym)
    lines = ["#exported dynamic symbols (readelf --dyn-syms), grouped by version node: `@NODE` opens",
             "#the default (@@) definitions of NODE, `@NODE compat` the compat (@) ones, bound only",
             "#by a reference naming NODE; `@` the unversioned exports"]
    for (ver, default), symbols in sorted(groups.items(), key=lambda g: (g[0][0], not g[0][1])):
        lines.append(f"@{ver}" + ("" if default else " compat"))
        lines.extend(sorted(symbols))
    text = "\n".join(lines) + "\n"
    name = WRITTEN_EXPORTS.get((key, text))
    if name is not None:
        # The same package version built for another architecture exports exactly
        # the same: share its table (never across packages, so names stay stable).
        return name
    name = re.sub(r"[^A-Za-z0-9._+-]", "-", f"{key}_{arch}") + ".tsv"
    WRITTEN_EXPORTS[(key, text)] = name
    (OUT / "exports").mkdir(parents=True, exist_ok=True)
    (OUT / "exports" / name).write_text(text)
    return name


# ---------------------------------------------------------------- apt (Debian, Ubuntu)

def apt_root(archive, suite):
    url, security_url, keyring, _ = APT_ARCHIVES[archive]
    root = WORK / "apt" / f"{archive}-{suite}"
    (root / "state" / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    (root / "cache" / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    (root / "status").touch()
    if keyring is None:
        keyring = str(ubuntu_keyring())
    arches = "amd64,arm64" if "aarch64" in APT_ARCHIVES[archive][3] else "amd64"
    security = f"{suite}-security"
    (root / "sources.list").write_text(
        f"deb [arch={arches} signed-by={keyring}] {url} {suite} main\n"
        f"deb [arch={arches} signed-by={keyring}] {url} {suite}-updates main\n"
        f"deb [arch={arches} signed-by={keyring}] {security_url} {security} main\n")
    opts = [
        "-o", f"Dir::State={root}/state", "-o", f"Dir::State::status={root}/status",
        "-o", f"Dir::Cache={root}/cache", "-o", f"Dir::Etc::SourceList={root}/sources.list",
        "-o", "Dir::Etc::SourceParts=/dev/null", "-o", "Dir::Etc::Preferences=/dev/null",
        "-o", "Dir::Etc::PreferencesParts=/dev/null", "-o", "APT::Architecture=amd64",
        "-o", "APT::Architectures::=amd64", "-o", "APT::Architectures::=arm64",
        "-o", "Debug::NoLocking=1", "-o", "APT::Sandbox::User=root", "-o", "APT::Get::AllowUnauthenticated=false",
    ]
    stamp = root / "updated"
    if not stamp.exists():
        run(["apt-get", *opts, "update"])
        stamp.touch()
    return root, opts


def ubuntu_keyring():
    """Ubuntu's archive keyring, from Debian's own ubuntu-keyring package."""
    dest = WORK / "ubuntu-keyring"
    keyring = dest / "usr" / "share" / "keyrings" / "ubuntu-archive-keyring.gpg"
    if not keyring.exists():
        dest.mkdir(parents=True, exist_ok=True)
        # Debian ships Ubuntu's keyring (trixie and later): the trust comes from Debian's.
        _, opts = apt_root("debian", "trixie")
        run(["apt-get", *opts, "download", "ubuntu-keyring"], cwd=dest)
        deb = next(dest.glob("ubuntu-keyring_*.deb"))
        run(["dpkg-deb", "-x", str(deb), str(dest)])
    return keyring


def apt_fetch(archive, suite, arch, packages):
    """Download and extract packages; returns {package: (version, extracted dir)}."""
    root, opts = apt_root(archive, suite)
    deb_arch = DEB_ARCH[arch]
    debs = root / "debs" / deb_arch
    debs.mkdir(parents=True, exist_ok=True)

    def local(pkg):
        found = [d for d in (root / "debs").glob(f"*/{pkg}_*.deb")
                 if d.name.split("_")[0] == pkg and d.name.rsplit("_", 1)[1] in (f"{deb_arch}.deb", "all.deb")]
        return sorted(found)[-1] if found else None

    def download(names):
        # One apt call for all (each call loads the package lists again); drop what it rejects.
        names = list(names)
        while names:
            res = subprocess.run(["apt-get", *opts, "download", *names], cwd=debs,
                                 capture_output=True, text=True)
            if res.returncode == 0:
                return
            rejected = set(re.findall(r"package ([^\s:]+(?::\S+)?)(?: as it has no candidate)?", res.stderr))
            rejected = {r for r in rejected if r in names}
            if not rejected:
                # A transfer failed part-way: fetch what is still missing one by one.
                print(f"  apt-get download failed, retrying one by one: {res.stderr.strip()[-300:]}",
                      file=sys.stderr)
                for name in names:
                    if local(name.split(":")[0]) is None:
                        download_some_version(name)
                return
            names = [n for n in names if n not in rejected]

    def download_some_version(name):
        # The mirror may lack a security update for one architecture: take the
        # newest version it does have (the profile records which).
        madison = subprocess.run(["apt-cache", *opts, "madison", name], capture_output=True,
                                 text=True).stdout
        for version in dict.fromkeys(l.split("|")[1].strip() for l in madison.splitlines() if "|" in l):
            res = subprocess.run(["apt-get", *opts, "download", f"{name}={version}"], cwd=debs,
                                 capture_output=True, text=True)
            if res.returncode == 0:
                return

    wanted = [p for p in packages if local(p) is None]
    if wanted:
        download(f"{p}:{deb_arch}" for p in wanted)
        # Architecture-independent packages have no :arm64 candidate: ask for them unqualified.
        if deb_arch != "amd64":
            download(p for p in wanted if local(p) is None)
    result = {}
    for pkg in packages:
        deb = local(pkg)
        if deb is None:
            print(f"  {suite}/{deb_arch}: {pkg} not downloadable", file=sys.stderr)
            continue
        version = run(["dpkg-deb", "-f", str(deb), "Version"]).strip()
        extracted = root / "x" / deb.name.removesuffix(".deb")
        if not extracted.exists():
            extracted.mkdir(parents=True)
            run(["dpkg-deb", "-x", str(deb), str(extracted)])
        result[pkg] = (version, extracted)
    # Which packages are older than the archive's own candidate (a fallback above).
    policy = subprocess.run(["apt-cache", *opts, "policy", *(f"{p}:{deb_arch}" for p in result)],
                            capture_output=True, text=True).stdout
    candidates = dict(re.findall(r"^(\S+?)(?::\w+)?:\n(?:  .*\n)*?  Candidate: (\S+)", policy, re.M))
    stale = sorted(f"{pkg} {version}" for pkg, (version, _) in result.items()
                   if candidates.get(pkg, version) not in (version, "(none)"))
    return result, stale


def manifest_packages(name):
    text = (SOURCES / name).read_text()
    pkgs = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        for word in (line.split("\t")[:1] if "\t" in line else line.split()):
            pkgs.append(word.split(":")[0])
    return pkgs


def library_files(root, arch):
    """soname -> (path in the image, real file, other paths) for shared objects in the default
    search dirs. The other paths are the library's further names there (the real file
    libgomp.so.1.0.0 behind the soname's link libgomp.so.1): ld.so finds a needed name in
    these directories by file name, so a file that links the full name loads it too."""
    dirs = ["lib", "lib64", "usr/lib", "usr/lib64", f"lib/{TRIPLET[arch]}", f"usr/lib/{TRIPLET[arch]}"]
    found, names = {}, {}
    for d in dirs:
        base = root / d
        if not base.is_dir() or base.is_symlink():
            continue
        for entry in sorted(base.iterdir()):
            real = entry.resolve() if entry.is_symlink() else entry
            if entry.is_symlink():
                target = os.readlink(entry)
                real = (entry.parent / target) if not target.startswith("/") else root / target.lstrip("/")
            if not real.is_file():
                continue
            soname = elf_soname(real)
            if not soname:
                continue
            image_path = "/" + str(entry.relative_to(root))
            names.setdefault(soname, []).append(image_path)
            # The loader finds a library by its soname as a file name: prefer that entry.
            prev = found.get(soname)
            if prev is None or (entry.name == soname and Path(prev[0]).name != soname):
                found[soname] = (image_path, real)
    return {soname: (image_path, real, sorted(set(names[soname]) - {image_path}))
            for soname, (image_path, real) in found.items()}


def apt_profile(p, arch):
    packages = manifest_packages(p["manifest"]) if "manifest" in p else p["packages"]
    fetched, stale = apt_fetch(p["archive"], p["suite"], arch, packages)
    libs = []
    for pkg, (version, root) in sorted(fetched.items()):
        for soname, (image_path, real, others) in library_files(root, arch).items():
            libs.append((soname, image_path, pkg, version, real, others))
    libc_version = ""
    if p["libc"] == "glibc":
        if "libc6" not in fetched:
            raise RuntimeError(f"{p['name']} {arch}: libc6 could not be fetched")
        libc_version = fetched["libc6"][0].split("-")[0].split(":")[-1]
    missing = sorted(set(packages) - set(fetched))
    facts = package_facts(fetched) if "manifest" in p else p["facts"]
    return libs, libc_version, GLIBC_LOADER[arch] if p["libc"] == "glibc" else "", missing, stale, facts


def package_facts(fetched):
    """Shell, certificates, tzdata and /etc/passwd of an image installed from packages."""
    shell = [(pkg, path) for pkg, (_, root) in sorted(fetched.items())
             for path in ("bin/sh", "usr/bin/sh") if (root / path).is_symlink() or (root / path).exists()]
    if shell:
        pkg, path = shell[0]
        target = os.readlink(fetched[pkg][1] / path) if (fetched[pkg][1] / path).is_symlink() else ""
        bin_sh = (YES, f"/{path}" + (f" -> {target}" if target else "") + f" (package {pkg})")
    else:
        bin_sh = (NO, "no package ships /bin/sh")
    def by_package(pkg, present, absent):
        return (YES, f"{present} (package {pkg})") if pkg in fetched else (NO, absent)
    return {
        "bin_sh": bin_sh,
        "ca_certificates": by_package("ca-certificates", "/etc/ssl/certs/ca-certificates.crt",
                                      "apt-get install -y ca-certificates"),
        "tzdata": by_package("tzdata", "/usr/share/zoneinfo", "apt-get install -y tzdata"),
        "etc_passwd": by_package("base-passwd", "/etc/passwd", "no base-passwd package"),
    }


# ---------------------------------------------------------------- Alpine minirootfs

def alpine_profile(p, arch):
    tar = REFERENCE / "alpine-minirootfs" / f"alpine-minirootfs-{p['tarball_release']}-{arch}.tar.gz"
    root = WORK / "alpine" / f"{p['tarball_release']}-{arch}"
    if not root.exists():
        root.mkdir(parents=True)
        with tarfile.open(tar) as t:
            t.extractall(root, filter="tar")
    owner, versions, pkg = {}, {}, None
    for line in (root / "lib" / "apk" / "db" / "installed").read_text().splitlines():
        if line.startswith("P:"):
            pkg = line[2:]
        elif line.startswith("V:"):
            versions[pkg] = line[2:]
        elif line.startswith("F:"):
            folder = line[2:]
        elif line.startswith("R:"):
            owner[f"/{folder}/{line[2:]}"] = pkg
    libs = []
    for soname, (image_path, real, others) in library_files(root, arch).items():
        real_in_image = "/" + str(real.relative_to(root)) if real.is_relative_to(root) else image_path
        pkg = owner.get(image_path) or owner.get(real_in_image) or ""
        libs.append((soname, image_path, pkg, versions.get(pkg, ""), real, others))
    musl = versions["musl"]
    loader = f"/lib/ld-musl-{arch}.so.1"
    return libs, musl.rsplit("-r", 1)[0], loader, []


# ---------------------------------------------------------------- reference-only profiles

def reference_rows():
    rows = {}
    lines = (SOURCES / "base-images.reference.tsv").read_text().splitlines()
    header = lines[0].split("\t")
    for line in lines[1:]:
        f = line.split("\t")
        rows[f[0]] = dict(zip(header, f))
    return rows


def presence(text):
    t = text.strip().strip('"')
    low = t.lower()
    if low.startswith("yes"):
        state = YES
    elif low.startswith("no"):
        state = NO
    else:
        state = UNKNOWN
    detail = re.sub(r"^(yes|no|likely|unknown)\s*(\(|/)?\s*", "", t, flags=re.I).rstrip(")").strip()
    if low.startswith("likely"):
        detail = ("likely; " + detail).strip("; ")
    return state, detail.replace("\t", " ")


def glibc_nodes_up_to(version, arch):
    """libc.so.6's GLIBC_ nodes for a glibc release, from data/glibc/glibc-version-nodes.tsv."""
    col = 5 if arch == "x86_64" else 6
    want = tuple(int(x) for x in version.split("."))
    nodes = []
    for line in (REPO / "data" / "glibc" / "glibc-version-nodes.tsv").read_text().splitlines():
        if line.startswith("#"):
            continue
        f = line.split("\t")
        if not f[0].startswith("GLIBC_2") or len(f) <= col or f[col] != "1":
            continue
        have = tuple(int(x) for x in f[1].split("."))
        if have <= want:
            nodes.append(f[0])
    return nodes


# The libraries of RPMs an image's own package list names that the reference's
# soname list (written from package names) leaves out: each RPM's sonames, as
# its spec's %files installs them (glib2 ships libgthread beside libglib).
RPM_SONAMES = {
    "glib2": ["libglib-2.0.so.0", "libgobject-2.0.so.0", "libgio-2.0.so.0",
              "libgmodule-2.0.so.0", "libgthread-2.0.so.0"],
    "cyrus-sasl-lib": ["libsasl2.so.3"],
    "elfutils-libelf": ["libelf.so.1"],
    "file-libs": ["libmagic.so.1"],
    "krb5-libs": ["libk5crypto.so.3", "libkrb5support.so.0"],
    "libcom_err": ["libcom_err.so.2"],
    "keyutils-libs": ["libkeyutils.so.1"],
    "openldap": ["libldap-2.4.so.2", "liblber-2.4.so.2"],
    "libtasn1": ["libtasn1.so.6"],
    "p11-kit": ["libp11-kit.so.0"],
    "libpsl": ["libpsl.so.5"],
    "popt": ["libpopt.so.0"],
    "gdbm": ["libgdbm.so.4"],
}


def rpm_sonames(rpm_list):
    """The sonames of RPM_SONAMES's packages that `rpm_list` names, in its order."""
    if not rpm_list:
        return []
    installed = {line.rsplit("-", 2)[0]
                 for line in (SOURCES / rpm_list).read_text().split() if line.count("-") >= 2}
    return [s for rpm, names in RPM_SONAMES.items() if rpm in installed for s in names]


def reference_profile(p, arch, refs):
    if p["name"] == "scratch":
        r = {"libc": "none", "libc_version": "", "dynamic_loader": "", "bin_sh": "no",
             "ca_certificates": "no (COPY /etc/ssl/certs/ca-certificates.crt)",
             "tzdata": "no (COPY /usr/share/zoneinfo, or embed it)", "etc_passwd": "no",
             "sources": "the empty image (Docker's reserved name)", "sonames_in_default_image": ""}
    else:
        r = refs[p["ref_name"]]
    libc = r["libc"].split()[0] if r["libc"] else "none"
    version = r["libc_version"].split(" ")[0].split("(")[0]
    libs = []
    sonames = [s for s in r.get("sonames_in_default_image", "").split(";") if s]
    nodes = glibc_nodes_up_to(version, arch) if libc == "glibc" else None
    # glibc's package ships libmvec.so.1 beside libm.so.6 on x86_64 since glibc 2.22
    # (gcc's vectorised math calls need it): a soname list written from package names
    # (Amazon Linux's) leaves it out, though every such image has it.
    if (libc == "glibc" and arch == "x86_64" and "libm.so.6" in sonames
            and "libmvec.so.1" not in sonames
            and tuple(int(x) for x in version.split(".")[:2]) >= (2, 22)):
        sonames.insert(sonames.index("libm.so.6") + 1, "libmvec.so.1")
    sonames += [s for s in rpm_sonames(p.get("rpm_list")) if s not in sonames]
    for s in sonames:
        defines = nodes if s == "libc.so.6" and nodes is not None else None
        libs.append((s, "", "", "", defines, None))
    loader = r["dynamic_loader"].split(" ")[0]
    facts = {k: presence(r[k]) for k in ("bin_sh", "ca_certificates", "tzdata", "etc_passwd")}
    # Every distribution with a package manager here names its time-zone package
    # tzdata (Alpine, Debian, Fedora/RHEL, Amazon Linux, Wolfi): an image without
    # it installs it, where the reference gives no command.
    state, detail = facts["tzdata"]
    if state == NO and not detail and p.get("install"):
        facts["tzdata"] = (NO, f"{p['install']} tzdata")
    return libs, libc, version, loader, facts, r["sources"].strip('"')


# ---------------------------------------------------------------- output

def tsv_field(value):
    return str(value).replace("\t", " ").replace("\n", " ")


def fmt_fact(fact):
    state, detail = fact
    return f"{state}: {detail}" if detail else state


def generate(selected=None, arches=("x86_64", "aarch64")):
    refs = reference_rows()
    profile_rows, library_rows, export_files = [], [], set()
    for p in PROFILES:
        if selected and p["name"] not in selected:
            continue
        for arch in arches:
            set_id = f"{p['name']}/{arch}"
            if p["kind"] == "apt":
                if arch not in APT_ARCHIVES[p["archive"]][3]:
                    continue
                try:
                    libs, libc_version, loader, missing, stale, facts = apt_profile(p, arch)
                except (RuntimeError, subprocess.CalledProcessError) as err:
                    print(f"SKIPPED {p['name']} {arch}: {err}", file=sys.stderr)
                    continue
                exactness = "verified"
                sources, libc = p["sources"], p["libc"]
                if missing:
                    sources += "; not downloadable here: " + " ".join(missing)
                if stale:
                    sources += ("; older than the archive's candidate (the mirror lacked it for "
                                "this architecture): " + ", ".join(stale))
                if p["libc"] == "none":
                    libc_version, loader = "", ""
            elif p["kind"] == "alpine":
                if p["tarball_release"] is None:
                    if arch != "x86_64":
                        continue
                    libs, libc, libc_version, loader, facts, sources = reference_profile(
                        {**p, "ref_name": p["name"]}, arch, refs)
                    facts, exactness = p["facts"], "derived"
                    libc_version = refs[p["name"]]["libc_version"].split(" ")[0].rsplit("-r", 1)[0]
                    sources = "sonames as in the nearest minirootfs; " + sources
                else:
                    libs, libc_version, loader, _ = alpine_profile(p, arch)
                    facts, libc, exactness = p["facts"], "musl", "verified"
                    sources = (f"alpine-minirootfs-{p['tarball_release']}-{arch}.tar.gz "
                               f"(alpinelinux/docker-alpine), lib/apk/db/installed")
            else:
                if arch != "x86_64" and p["name"] != "scratch":
                    continue
                libs, libc, libc_version, loader, facts, sources = reference_profile(p, arch, refs)
                exactness = p["exactness"]
                if p.get("rpm_list"):
                    sources += f"; sources/{p['rpm_list']}"
                if libc == "glibc" and loader and arch != "x86_64":
                    loader = GLIBC_LOADER[arch]
            for soname, image_path, pkg, version, real, others in libs:
                if isinstance(real, Path):
                    defines = " ".join(version_definitions(real))
                    export_file = ""
                    if EXPORT_SONAMES.match(soname):
                        export_file = write_exports(real, f"{pkg}_{version}_{soname}", arch)
                        export_files.add(export_file)
                else:
                    defines = "?" if real is None else " ".join(real)
                    export_file = ""
                library_rows.append([set_id, soname, image_path or "?", pkg or "?", version or "?",
                                     defines or "-", export_file or "-",
                                     "?" if others is None else " ".join(others) or "-"])
            if p["kind"] == "reference" and exactness == "versions-only":
                library_set = "-"
            else:
                library_set = set_id
            profile_rows.append([
                p["name"], ",".join(p["aliases"]), p["family"], arch, libc, libc_version or "-",
                loader or "-", fmt_fact(facts["bin_sh"]), fmt_fact(facts["ca_certificates"]),
                fmt_fact(facts["tzdata"]), fmt_fact(facts["etc_passwd"]), p["package_manager"],
                p["install"] or "-", exactness, library_set, sources, p["note"],
            ])
            print(f"{p['name']} {arch}: {libc} {libc_version} {len(libs)} libraries, {exactness}",
                  file=sys.stderr)
    return profile_rows, library_rows, export_files


PROFILE_HEADER = ("#name\taliases\tfamily\tarch\tlibc\tlibc_version\tloader\tbin_sh\tca_certificates"
                  "\ttzdata\tetc_passwd\tpackage_manager\tinstall_command\texactness\tlibrary_set"
                  "\tsources\tnote")
LIBRARY_HEADER = ("#library_set\tsoname\tpath\tpackage\tpackage_version"
                  "\tdefined_version_nodes(space-separated; - none; ? unknown)\texports_file"
                  "\tother_paths(further names in the search dirs; - none; ? unknown)")


def write_all(profile_rows, library_rows, export_files):
    (OUT / "profiles.tsv").write_text(
        PROFILE_HEADER + "\n" + "".join("\t".join(map(tsv_field, r)) + "\n" for r in profile_rows))
    (OUT / "libraries.tsv").write_text(
        LIBRARY_HEADER + "\n" + "".join("\t".join(map(tsv_field, r)) + "\n" for r in library_rows))
    for stale in (OUT / "exports").glob("*.tsv"):
        if stale.name not in export_files:
            stale.unlink()
    entries = "".join(
        f'    ("{name}", include_str!("../../data/base-images/exports/{name}")),\n'
        for name in sorted(export_files))
    GENERATED_RS.write_text(
        "// Generated by tools/gen-base-images.sh: the exported-symbol tables of\n"
        "// data/base-images/exports/, by file name. Do not edit.\n\n"
        "#[rustfmt::skip]\n"
        "pub(super) const EXPORT_TABLES: &[(&str, &str)] = &[\n" + entries + "];\n")


def check(selected):
    """Regenerate the selected profiles and compare them with the committed data."""
    global OUT, GENERATED_RS
    committed_out = OUT
    with tempfile.TemporaryDirectory() as tmp:
        OUT = Path(tmp) / "base-images"
        shutil.copytree(committed_out / "sources", OUT / "sources")
        GENERATED_RS = Path(tmp) / "profile_exports.rs"
        profiles, libraries, exported = generate(set(selected))
        failures = 0
        committed_profiles = [l for l in (committed_out / "profiles.tsv").read_text().splitlines()
                              if l.split("\t")[0] in selected]
        fresh_profiles = ["\t".join(map(tsv_field, r)) for r in profiles]
        committed_libs = [l for l in (committed_out / "libraries.tsv").read_text().splitlines()
                          if l.split("\t")[0].rsplit("/", 1)[0] in selected]
        fresh_libs = ["\t".join(map(tsv_field, r)) for r in libraries]
        for label, old, new in [("profiles.tsv", committed_profiles, fresh_profiles),
                                ("libraries.tsv", committed_libs, fresh_libs)]:
            if old != new:
                failures += 1
                sys.stdout.writelines(difflib.unified_diff(
                    [l + "\n" for l in old], [l + "\n" for l in new], label, label + " (fresh)"))
        for name in sorted(exported):
            old = (committed_out / "exports" / name)
            new = (OUT / "exports" / name).read_text()
            if not old.exists() or old.read_text() != new:
                failures += 1
                print(f"exports/{name} differs or is missing")
        print(f"checked {len(fresh_profiles)} profiles, {len(fresh_libs)} libraries, "
              f"{len(exported)} export tables: {'OK' if not failures else f'{failures} differ'}")
        return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", nargs="*", metavar="PROFILE")
    ap.add_argument("--only", nargs="*", metavar="PROFILE", help="generate only these (debugging)")
    args = ap.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    if args.check is not None:
        return check(args.check or ["alpine:3.20", "alpine:3.17", "scratch"])
    if args.only:
        for row in generate(set(args.only))[0]:
            print("\t".join(row))
        return 0
    write_all(*generate())
    return 0


if __name__ == "__main__":
    sys.exit(main())
