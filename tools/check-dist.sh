#!/usr/bin/env bash
# Installs and runs every artifact tools/build-dist.sh wrote into dist/, each
# from a fresh environment, the way a user gets it. Needs root (chroot),
# python3, npm, readelf. The Alpine root comes from the minirootfs tarballs the
# tests use (MUSLCHECK_ALPINE_MINIROOTFS, else corpus/alpine-minirootfs);
# without them that one check says so and is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
version=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["package"]["version"])')
muslcheck=$repo/dist/muslcheck
wheel=$(ls "$repo"/dist/muslcheck-"$version"-*.whl)
npm_dir=$repo/dist/npm
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say() { printf 'check-dist: %s\n' "$*"; }
fail() { printf 'check-dist: FAILED: %s\n' "$*" >&2; exit 1; }
targets=(alpine debian:12-slim distroless/static scratch)

# --- The binary: static, no interpreter, nothing needed.
if readelf -lW "$muslcheck" | grep -q 'program interpreter'; then fail "dist/muslcheck names an interpreter"; fi
if readelf -dW "$muslcheck" | grep -q '(NEEDED)'; then fail "dist/muslcheck needs shared libraries"; fi
say "binary: $(file -b "$muslcheck" | cut -d, -f1-3)"
(cd dist && sha256sum --check --quiet "muslcheck-$version-x86_64-linux.tar.gz.sha256")

# --- muslcheck's verdict on its own artifacts: every ELF file ok on every target.
for target in "${targets[@]}"; do
    "$muslcheck" --offline --no-config --target "$target" --format json --fail-on error \
        "$muslcheck" "$wheel" "$npm_dir"/*.tgz "dist/muslcheck-$version-x86_64-linux.tar.gz" \
        >"$work/own.json" 2>/dev/null || fail "muslcheck on its own artifacts for $target"
    python3 - "$work/own.json" "$target" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
elf = [a for a in report["artifacts"] if a["kind"] == "elf"]
bad = [f'{a["path"]}: {a["verdict"]}' for a in elf if a["verdict"] != "ok"]
assert len(elf) == 5 and not bad, (len(elf), bad)
print(f"check-dist: {sys.argv[2]}: {len(elf)} ELF files (binary, wheel, npm x2, release tarball) ok")
PY
done
# And the binary alone against every base image muslcheck knows (x86_64).
every_target=()
while read -r name; do every_target+=(--target "$name"); done < <(
    "$muslcheck" targets --format json \
        | python3 -c 'import json, sys; print("\n".join(t["name"] for t in json.load(sys.stdin) if "x86_64" in t["arches"]))')
"$muslcheck" --offline --no-config "${every_target[@]}" --format json --fail-on error "$muslcheck" \
    >"$work/every.json" 2>/dev/null || fail "muslcheck on its own binary for some base image"
python3 - "$work/every.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
targets = [t["target"]["name"] for t in report["targets"]]
verdicts = [cell["verdict"] for row in report["rows"] for cell in row["cells"]]
assert len(verdicts) == len(targets) >= 30 and set(verdicts) == {"ok"}, (targets, verdicts)
assert all(t["runs_as_is"] for t in report["targets"])
print(f"check-dist: its own binary on all {len(targets)} x86_64 base images: ok, runs as is")
PY
"$muslcheck" audit-wheel "$wheel" | tee "$work/audit.txt" | sed 's/^/check-dist: audit-wheel: /'
grep -q 'tag is true to the content' "$work/audit.txt" || fail "audit-wheel disputes the wheel's tags"
# auditwheel's view (and PyYAML for the Action's check below), in the tools venv.
tools=target/dist-tools
[ -x "$tools/bin/python" ] || python3 -m venv "$tools"
"$tools/bin/pip" install --quiet auditwheel==6.8.2 PyYAML==6.0.4
"$tools/bin/auditwheel" show "$wheel" 2>&1 | tee "$work/auditwheel.txt" | sed 's/^/check-dist: auditwheel: /'
grep -q 'requires no external shared libraries' "$work/auditwheel.txt" || fail "auditwheel finds external libraries"

# --- An empty root holding only the binary (as in a scratch image).
empty=$work/empty
mkdir -p "$empty"
cp "$muslcheck" "$empty/muslcheck"
chroot "$empty" /muslcheck --version
cp "$wheel" "$empty/"
cp corpus/bin/hello-glibc "$empty/"
chroot "$empty" /muslcheck --offline --quiet --target alpine "/$(basename "$wheel")"
status=0
chroot "$empty" /muslcheck --offline --quiet --target alpine /hello-glibc || status=$?
[ "$status" = 1 ] || fail "in the empty root, a glibc program on alpine should exit 1, not $status"
say "empty root: --version, the wheel ok, a glibc program breaks (exit 1)"

# --- Alpine's own root filesystem (musl, no gcompat).
tarball=""
for dir in "${MUSLCHECK_ALPINE_MINIROOTFS:-}" corpus/alpine-minirootfs; do
    if [ -n "$dir" ] && [ -f "$dir/alpine-minirootfs-3.20.3-x86_64.tar.gz" ]; then
        tarball=$dir/alpine-minirootfs-3.20.3-x86_64.tar.gz
        break
    fi
done
if [ -n "$tarball" ]; then
    alpine=$work/alpine
    mkdir -p "$alpine"
    tar xzf "$tarball" -C "$alpine"
    cp "$muslcheck" "$alpine/muslcheck"
    chroot "$alpine" /muslcheck --version
    chroot "$alpine" /muslcheck --offline --quiet --target alpine:3.20 /bin/busybox /lib/libcrypto.so.3 /muslcheck
    say "alpine 3.20 root: --version and a scan of its own busybox, libcrypto and muslcheck"
else
    say "alpine root skipped: no alpine-minirootfs-3.20.3-x86_64.tar.gz in MUSLCHECK_ALPINE_MINIROOTFS or corpus/alpine-minirootfs"
fi

# --- The wheel: pip in a fresh venv; pip's tag check for glibc and musl systems.
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --no-index "$wheel"
"$work/venv/bin/muslcheck" --version
for platform in manylinux2014_x86_64 musllinux_1_1_x86_64; do
    "$work/venv/bin/pip" install --quiet --no-index --dry-run --only-binary=:all: \
        --platform "$platform" --target "$work/pip-$platform" "$wheel" \
        || fail "pip does not accept the wheel on $platform"
done
say "wheel: installed in a fresh venv; pip accepts it for manylinux2014 and musllinux_1_1"

# --- npm: the launcher and the platform packages from the tarballs, offline.
npm_project() {
    mkdir -p "$1"
    cat >"$1/package.json" <<JSON
{
  "name": "try-muslcheck",
  "version": "1.0.0",
  "private": true,
  "devDependencies": { "muslcheck": "file:$npm_dir/muslcheck-$version.tgz" },
  "optionalDependencies": {
    "@muslcheck/linux-x64-gnu": "file:$npm_dir/muslcheck-linux-x64-gnu-$version.tgz",
    "@muslcheck/linux-x64-musl": "file:$npm_dir/muslcheck-linux-x64-musl-$version.tgz"
  }
}
JSON
}
# As installed here (glibc): npm picks the gnu package by its libc field.
npm_project "$work/npm-here"
(cd "$work/npm-here" && npm install --offline --no-audit --no-fund --silent && npx --offline muslcheck --version)
[ -d "$work/npm-here/node_modules/@muslcheck/linux-x64-gnu" ] || fail "npm did not install the gnu package"
# As `npm ci` installs it on Alpine: only the musl package; the launcher runs it here too.
cp -r "$work/npm-here" "$work/npm-musl"
rm -rf "$work/npm-musl/node_modules"
(cd "$work/npm-musl" && npm ci --offline --no-audit --no-fund --silent --libc=musl && npx --offline muslcheck --version)
[ ! -d "$work/npm-musl/node_modules/@muslcheck/linux-x64-gnu" ] || fail "npm --libc=musl installed the gnu package"
for target in "${targets[@]}"; do
    # The lockfile rules (both variants recorded), then the tree as installed for musl.
    "$muslcheck" --offline --no-config --quiet --target "$target" "$work/npm-here/package-lock.json" 2>/dev/null \
        || fail "muslcheck's lockfile rules on the npm project for $target"
    if [ "$target" = debian:12-slim ]; then
        # A glibc image: only the musl platform package is installed, so MC206 (the launcher
        # falls back to it, which muslcheck cannot know: docs/DISTRIBUTION.md).
        "$muslcheck" --offline --no-config --format json --fail-on never --target "$target" \
            "$work/npm-musl" 2>/dev/null | grep -q '"MC206"' \
            || fail "muslcheck on the musl-installed npm project for $target: no MC206"
    else
        "$muslcheck" --offline --no-config --quiet --target "$target" "$work/npm-musl" 2>/dev/null \
            || fail "muslcheck on the musl-installed npm project for $target"
    fi
done
say "npm: npx muslcheck from the tarballs (gnu and musl installs); lockfile ok on ${targets[*]}, the musl-installed tree ok except MC206 on debian:12-slim"

# --- The container image: the OCI layout's digests, then its root run as a container would.
python3 - "$repo/dist/oci" "$work/image" <<'PY'
import gzip, hashlib, io, json, sys, tarfile
from pathlib import Path
layout, root = Path(sys.argv[1]), Path(sys.argv[2])
def blob(descriptor):
    data = (layout / "blobs" / "sha256" / descriptor["digest"].split(":", 1)[1]).read_bytes()
    assert len(data) == descriptor["size"], descriptor
    assert "sha256:" + hashlib.sha256(data).hexdigest() == descriptor["digest"], descriptor
    return data
index = json.loads((layout / "index.json").read_text())
manifest = json.loads(blob(index["manifests"][0]))
config = json.loads(blob(manifest["config"]))
assert config["config"]["Entrypoint"] == ["/muslcheck"], config
for layer, diff_id in zip(manifest["layers"], config["rootfs"]["diff_ids"]):
    tar_bytes = gzip.decompress(blob(layer))
    assert "sha256:" + hashlib.sha256(tar_bytes).hexdigest() == diff_id
    tarfile.open(fileobj=io.BytesIO(tar_bytes)).extractall(root, filter="tar")
print(f"check-dist: image: digests verified, {len(manifest['layers'])} layer, entrypoint {config['config']['Entrypoint']}")
PY
chroot "$work/image" /muslcheck --version
[ -s "$work/image/etc/ssl/certs/ca-certificates.crt" ] || fail "the image has no CA bundle"

# Live (not fatal: the registries may be out of reach): the image's root with
# the runner's resolv.conf, as a container engine provides it, asks npm's
# registry; first with the image's CA bundle, then with the runner's (where
# egress goes through a proxy with its own CA, only the runner's bundle has it).
cp /etc/resolv.conf "$work/image/etc/resolv.conf" 2>/dev/null || true
cp /etc/ssl/certs/ca-certificates.crt "$work/image/runner-ca.crt" 2>/dev/null || true
cp corpus/projects/npm-sharp-glibc-lock/package-lock.json "$work/image/"
for bundle in image runner; do
    cert_env=()
    [ "$bundle" = runner ] && cert_env=(SSL_CERT_FILE=/runner-ca.crt)
    env -i "${cert_env[@]}" "$(command -v chroot)" "$work/image" /muslcheck --no-config --fail-on never --format json \
        /package-lock.json >"$work/live.json" 2>/dev/null || true
    python3 - "$work/live.json" "$bundle" <<'PY'
import json, sys
index = json.load(open(sys.argv[1]))["index"]
if index["mode"] == "online":
    print(f"check-dist: image, live, {sys.argv[2]}'s CA bundle: {index['fetched']} index documents fetched")
else:
    print(f"check-dist: image, live, {sys.argv[2]}'s CA bundle: no lookups ({index.get('reason')})")
PY
done
# --- The Action's shell steps, with the release asset served from dist/.
"$tools/bin/python" tools/try-action.py dist "$work/action-ok" \
    "path=corpus/bin/hello-musl corpus/bin/hello-static-musl" "targets=alpine,debian:12-slim" \
    >"$work/action-ok.log" 2>&1 || { cat "$work/action-ok.log"; fail "action.yml on files that load"; }
status=0
"$tools/bin/python" tools/try-action.py dist "$work/action-breaks" path=corpus/bin/hello-glibc targets=alpine \
    >"$work/action-breaks.log" 2>&1 || status=$?
[ "$status" = 1 ] && [ -s "$work/action-breaks/runner-temp/muslcheck.sarif" ] \
    && grep -q 'upload-sarif@v3 would run' "$work/action-breaks.log" \
    || { cat "$work/action-breaks.log"; fail "action.yml on a file that breaks: exit $status"; }
say "action.yml: installs the release asset (checksum), scans, SARIF for the upload, fails on findings"
say "all artifacts checked"
