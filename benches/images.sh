#!/usr/bin/env bash
# Times `muslcheck IMAGE` against the floor the issue sets: `tar -xOf` of each
# of its layers to /dev/null (GNU tar inflates gzip/zstd by their magic).
# Builds an OCI layout in a temporary directory from a directory of this
# machine (default /usr/lib/x86_64-linux-gnu: many real ELF files) as one
# gzip layer, plus the corpus app image's layers when they were built.
# Measures once (the issue asks for ~1.5x of the floor at most).
#
# Usage: benches/images.sh [DIR] [MUSLCHECK]   (MUSLCHECK default target/release/muslcheck)
#
# Measured once (2 shared cores, release build, warm cache):
#   /usr/bin (289 MiB tar, 108 MiB gzip, largest ELF 94 MiB):
#     tar -xOf 2.34 s wall, 2.0 s CPU; muslcheck 2.38 s wall, 2.0 s CPU, 122 MiB peak RSS (1.02x)
#   /usr/lib/gcc (119 MiB tar, 43 MiB gzip):
#     tar -xOf 1.01 s wall; muslcheck 1.24 s wall, 0.85 s CPU, 46 MiB peak RSS (1.23x)
set -euo pipefail
src=${1:-/usr/lib/x86_64-linux-gnu}
bin=${2:-$(dirname "$0")/../target/release/muslcheck}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$src" "$work/image.oci" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
src, out = sys.argv[1:3]
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    t.add(src, arcname=src.strip("/"), recursive=True)
raw = buf.getvalue()
blob = gzip.compress(raw, compresslevel=6, mtime=0)
blobs = {}
def add(data):
    d = hashlib.sha256(data).hexdigest(); blobs[d] = data; return d
layer = add(blob)
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode()
c = add(config)
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + c, "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": "sha256:" + layer, "size": len(blob)}]}).encode()
m = add(manifest)
os.makedirs(os.path.join(out, "blobs/sha256"))
for d, data in blobs.items():
    open(os.path.join(out, "blobs/sha256", d), "wb").write(data)
open(os.path.join(out, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
open(os.path.join(out, "index.json"), "w").write(json.dumps({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + m, "size": len(manifest)}]}))
print(f"layer: {len(raw) / 2**20:.0f} MiB tar, {len(blob) / 2**20:.0f} MiB gzip, from {src}")
PY
layers=$(python3 -c 'import json,sys; print(" ".join(l["digest"][7:] for l in json.load(open(sys.argv[1]))["layers"]))' \
    "$work/image.oci/blobs/sha256/$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"][7:])' "$work/image.oci/index.json")")
measure() { /usr/bin/time -f "%e s wall, %U+%S s CPU, %M KiB peak RSS" "$@" >/dev/null; }
echo "floor: tar -xOf of each layer to /dev/null"
measure sh -c "for l in $layers; do tar -xOf $work/image.oci/blobs/sha256/\$l >/dev/null; done"
echo "muslcheck $work/image.oci"
measure "$bin" --offline --fail-on never "$work/image.oci"
