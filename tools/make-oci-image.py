#!/usr/bin/env python3
"""The container image of the Dockerfile, assembled without a container engine:
an OCI image layout (and the same as one tar that `podman load`, `skopeo copy
oci-archive:` and `docker load` read), from a root directory with python3's
standard library only.

The Dockerfile is `FROM scratch`, `COPY dist/rootfs/ /`, `ENTRYPOINT`, `WORKDIR`:
one layer holding the root directory, so both routes give the same files.

Usage: tools/make-oci-image.py ROOTFS OUT_DIR TAG
Writes OUT_DIR/oci/ (the layout) and OUT_DIR/muslcheck-<tag>-oci.tar.
The output is reproducible: sorted entries, owner root, mtime SOURCE_DATE_EPOCH (else 0).
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
from pathlib import Path

ENTRYPOINT = ["/muslcheck"]
WORKDIR = "/src"


def main() -> None:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    rootfs, out, tag = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
    layout = out / "oci"
    shutil.rmtree(layout, ignore_errors=True)
    (layout / "blobs" / "sha256").mkdir(parents=True)

    layer_tar = layer(rootfs, mtime)
    # mtime=0 in the gzip header too, so the compressed blob is reproducible.
    layer_gz = gzip.compress(layer_tar, compresslevel=9, mtime=0)
    layer_digest = put_blob(layout, layer_gz)
    config = {
        "architecture": "amd64",
        "os": "linux",
        "config": {"Entrypoint": ENTRYPOINT, "WorkingDir": WORKDIR},
        "rootfs": {"type": "layers", "diff_ids": [f"sha256:{sha256(layer_tar)}"]},
        "history": [{"created_by": "COPY dist/rootfs/ / # tools/make-oci-image.py"}],
    }
    config_bytes = canonical(config)
    config_digest = put_blob(layout, config_bytes)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": len(config_bytes),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                "digest": layer_digest,
                "size": len(layer_gz),
            }
        ],
    }
    manifest_bytes = canonical(manifest)
    manifest_digest = put_blob(layout, manifest_bytes)
    index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": manifest_digest,
                "size": len(manifest_bytes),
                "annotations": {"org.opencontainers.image.ref.name": tag},
                "platform": {"architecture": "amd64", "os": "linux"},
            }
        ],
    }
    (layout / "index.json").write_bytes(canonical(index))
    (layout / "oci-layout").write_bytes(canonical({"imageLayoutVersion": "1.0.0"}))
    # docker load reads manifest.json (as `docker save` writes beside the OCI layout).
    docker_manifest = [
        {
            "Config": blob_path(config_digest),
            "RepoTags": [f"muslcheck:{tag}"],
            "Layers": [blob_path(layer_digest)],
        }
    ]
    (layout / "manifest.json").write_bytes(canonical(docker_manifest))

    archive = out / f"muslcheck-{tag}-oci.tar"
    with tarfile.open(archive, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(layout.rglob("*")):
            add(tar, path, path.relative_to(layout).as_posix(), mtime)
    print(layout)
    print(archive)


def layer(rootfs: Path, mtime: int) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(rootfs.rglob("*")):
            add(tar, path, path.relative_to(rootfs).as_posix(), mtime)
    return buffer.getvalue()


def add(tar: tarfile.TarFile, path: Path, name: str, mtime: int) -> None:
    info = tar.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = mtime
    if info.isfile():
        with open(path, "rb") as handle:
            tar.addfile(info, handle)
    else:
        tar.addfile(info)


def put_blob(layout: Path, data: bytes) -> str:
    digest = sha256(data)
    (layout / "blobs" / "sha256" / digest).write_bytes(data)
    return f"sha256:{digest}"


def blob_path(digest: str) -> str:
    return "blobs/sha256/" + digest.removeprefix("sha256:")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical(value) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


if __name__ == "__main__":
    main()
