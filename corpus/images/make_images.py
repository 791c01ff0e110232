"""Assembles the test images (see make-images.sh). Stdlib only; zstd via the command."""
import gzip
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

corpus, base_root, out = sys.argv[1:4]

# /etc/os-release as Debian 12's base-files ships it.
OS_RELEASE = b"""PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
"""

CONFIG = {
    "Entrypoint": ["/usr/local/bin/tool"],
    "Cmd": ["--serve"],
    "Env": [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "NODE_ENV=production",
        "NODE_VERSION=20.18.0",
    ],
    "User": "1000",
    "WorkingDir": "/usr/src/app",
}


def read(path):
    with open(path, "rb") as f:
        return f.read()


class Layer:
    """Entries in order: (name, kind, payload, mode). kind: file, dir, symlink, link."""

    def __init__(self):
        self.entries = []
        self.dirs = set()

    def parents(self, name):
        parts = name.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.dirs:
                self.dirs.add(d)
                self.entries.append((d, "dir", None, 0o755))

    def file(self, name, data, mode=0o644, parents=True):
        if parents:
            self.parents(name)
        self.entries.append((name, "file", data, mode))

    def symlink(self, name, target):
        self.parents(name)
        self.entries.append((name, "symlink", target, 0o777))

    def link(self, name, target):
        self.parents(name)
        self.entries.append((name, "link", target, 0o644))

    def tar(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
            for name, kind, payload, mode in self.entries:
                info = tarfile.TarInfo(name)
                info.mtime = 0
                info.mode = mode
                if kind == "dir":
                    info.type = tarfile.DIRTYPE
                    t.addfile(info)
                elif kind == "symlink":
                    info.type = tarfile.SYMTYPE
                    info.linkname = payload
                    t.addfile(info)
                elif kind == "link":
                    info.type = tarfile.LNKTYPE
                    info.linkname = payload
                    t.addfile(info)
                else:
                    info.size = len(payload)
                    t.addfile(info, io.BytesIO(payload))
        return buf.getvalue()


def tree_layer(root, layer):
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel = os.path.relpath(dirpath, root)
        if rel != ".":
            layer.dirs.add(rel)
            layer.entries.append((rel, "dir", None, 0o755))
        for name in sorted(filenames) + sorted(d for d in dirnames if os.path.islink(os.path.join(dirpath, d))):
            path = os.path.join(dirpath, name)
            member = os.path.normpath(os.path.join(rel, name))
            if os.path.islink(path):
                layer.entries.append((member, "symlink", os.readlink(path), 0o777))
            else:
                layer.entries.append((member, "file", read(path), os.stat(path).st_mode & 0o777))


def base_layer():
    layer = Layer()
    tree_layer(base_root, layer)
    layer.file("etc/os-release", OS_RELEASE)
    layer.file("etc/debian_version", b"12.8\n")
    return layer


# sharp and its platform packages as npm installs them on glibc, from the
# tree make-node-modules.sh installed from the registry.
SHARP_PACKAGES = ["sharp", "@img/sharp-linux-x64", "@img/sharp-libvips-linux-x64"]
SHARP_LOCKED = SHARP_PACKAGES + ["@img/sharp-linuxmusl-x64", "@img/sharp-libvips-linuxmusl-x64"]


def add_sharp(layer, app):
    """sharp 0.33.5 installed for glibc, and the lockfile entries npm wrote."""
    tree = os.path.join(corpus, "thirdparty/fetched/npm-glibc")
    lock = json.loads(read(os.path.join(tree, "package-lock.json")))
    packages = {"": {"name": "app", "version": "1.0.0",
                     "dependencies": {"bcrypt": "6.0.0", "native-demo": "1.0.0", "sharp": "0.33.5"}}}
    for name in SHARP_LOCKED:
        packages[f"node_modules/{name}"] = lock["packages"][f"node_modules/{name}"]
    layer.file(f"{app}/package-lock.json", json.dumps(
        {"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
         "packages": packages}, indent=2).encode())
    for name in SHARP_PACKAGES:
        top = os.path.join(tree, "node_modules", name)
        for dirpath, _, files in os.walk(top):
            for file in sorted(files):
                path = os.path.join(dirpath, file)
                if os.path.islink(path):
                    continue
                relative = os.path.relpath(path, os.path.join(tree, "node_modules"))
                mode = 0o755 if os.access(path, os.X_OK) else 0o644
                layer.file(f"{app}/node_modules/{relative}", read(path), mode)


def app_layer():
    layer = Layer()
    app = "usr/src/app"
    layer.file(f"{app}/package.json", json.dumps({
        "name": "app", "version": "1.0.0",
        "dependencies": {"bcrypt": "6.0.0", "native-demo": "1.0.0", "sharp": "0.33.5"}}).encode())
    add_sharp(layer, app)
    # bcrypt 6.0.0 as npm installs it: the tarball's package/ is the package directory.
    with tarfile.open(os.path.join(corpus, "thirdparty/bcrypt-6.0.0.tgz")) as t:
        for member in t.getmembers():
            if member.isfile():
                name = member.name.split("/", 1)[1]
                layer.file(f"{app}/node_modules/bcrypt/{name}", t.extractfile(member).read(), 0o644)
    layer.file(f"{app}/node_modules/native-demo/package.json",
               json.dumps({"name": "native-demo", "version": "1.0.0"}).encode())
    layer.file(f"{app}/node_modules/native-demo/build/Release/addon.node",
               read(os.path.join(corpus, "node/addon.node")), 0o755)
    # MarkupSafe's manylinux wheel installed as pip would (its RECORD lists the files).
    site = f"{app}/venv/lib/python3.11/site-packages"
    wheel = "thirdparty/MarkupSafe-2.1.5-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
    with zipfile.ZipFile(os.path.join(corpus, wheel)) as z:
        for info in z.infolist():
            if not info.is_dir():
                layer.file(f"{site}/{info.filename}", z.read(info), 0o755 if info.filename.endswith(".so") else 0o644)
    layer.file("usr/local/bin/vendored-tool", read(os.path.join(corpus, "bin/hello-glibc")), 0o755)
    # A program copied from a glibc stage that needs the base's libjq.so.1.
    layer.file(f"{app}/bin/jq", read(os.path.join(base_root, "usr/bin/jq")), 0o755)
    # Where the official node images install node (outside dpkg); a stand-in
    # binary: what is recognised is the place and NODE_VERSION.
    layer.file("usr/local/bin/node", read(os.path.join(corpus, "bin/hello-glibc")), 0o755)
    layer.link("usr/local/bin/vendored-tool-again", "usr/local/bin/vendored-tool")
    layer.symlink("usr/local/bin/tool", "vendored-tool")
    # Deleted by the next layer: must not be reported.
    layer.file(f"{app}/lib/libgone.so", read(os.path.join(corpus, "bin/uses-fortified")), 0o755)
    layer.file(f"{app}/old/uses-cxx", read(os.path.join(corpus, "bin/uses-cxx")), 0o755)
    layer.file("etc/motd", b"the app image\n")
    return layer


def cleanup_layer():
    layer = Layer()
    layer.file("usr/src/app/lib/.wh.libgone.so", b"")
    layer.file("usr/src/app/old/.wh..wh..opq", b"")
    layer.file("usr/src/app/old/README", b"emptied by an opaque whiteout\n")
    return layer


def sha(data):
    return hashlib.sha256(data).hexdigest()


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "zstd":
        # Two frames with a skippable frame between, as zstd:chunked layers have.
        zstd = lambda part: subprocess.run(["zstd", "-q", "-c", "-3"], input=part, stdout=subprocess.PIPE, check=True).stdout
        half = len(data) // 2
        skippable = bytes([0x50, 0x2A, 0x4D, 0x18]) + (5).to_bytes(4, "little") + b"notes"
        return zstd(data[:half]) + skippable + zstd(data[half:])
    return data


MEDIA = {
    None: "application/vnd.oci.image.layer.v1.tar",
    "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "zstd": "application/vnd.oci.image.layer.v1.tar+zstd",
}


def config_blob(diff_ids, arch="amd64", config=CONFIG):
    return json.dumps({
        "architecture": arch, "os": "linux", "config": config,
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + d for d in diff_ids]},
    }, sort_keys=True).encode()


class Blobs:
    def __init__(self):
        self.blobs = {}

    def add(self, data):
        digest = sha(data)
        self.blobs[digest] = data
        return digest

    def descriptor(self, media, data, **extra):
        d = {"mediaType": media, "digest": "sha256:" + self.add(data), "size": len(data)}
        d.update(extra)
        return d


def oci_manifest(blobs, tars, how, arch="amd64", alter=None):
    layers = []
    for i, tar in enumerate(tars):
        blob = compress(tar, how)
        desc = blobs.descriptor(MEDIA[how], blob)
        if alter and i == alter[0]:
            # The blob changed after the manifest named it: a digest mismatch.
            blobs.blobs[desc["digest"][7:]] = alter[1](blob)
        layers.append(desc)
    config = config_blob([sha(t) for t in tars], arch)
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blobs.descriptor("application/vnd.oci.image.config.v1+json", config),
        "layers": layers,
    }
    return json.dumps(manifest, sort_keys=True).encode()


def index_of(blobs, manifests):
    return json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests,
    }, sort_keys=True).encode()


def write_layout(path, blobs, index, extra=None):
    os.makedirs(os.path.join(path, "blobs/sha256"))
    with open(os.path.join(path, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    with open(os.path.join(path, "index.json"), "wb") as f:
        f.write(index)
    for digest, data in blobs.blobs.items():
        with open(os.path.join(path, "blobs/sha256", digest), "wb") as f:
            f.write(data)
    for name, data in (extra or {}).items():
        with open(os.path.join(path, name), "wb") as f:
            f.write(data)


def tar_dir(src, dest):
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as t:
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames.sort()
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                info = t.gettarinfo(path, os.path.relpath(path, src))
                info.mtime = 0
                with open(path, "rb") as f:
                    t.addfile(info, f)


def simple_layout(path, tars, how="gzip", alter=None):
    blobs = Blobs()
    manifest = oci_manifest(blobs, tars, how, alter=alter)
    index = index_of(blobs, [blobs.descriptor(
        "application/vnd.oci.image.manifest.v1+json", manifest,
        annotations={"org.opencontainers.image.ref.name": "latest"})])
    write_layout(path, blobs, index)


def docker_legacy(dest, tars, config=None, layer_names=None):
    files = {}
    ids = []
    for tar in tars:
        layer_id = sha(b"layer:" + tar.__len__().to_bytes(8, "big") + sha(tar).encode())
        files[f"{layer_id}/layer.tar"] = tar
        files[f"{layer_id}/VERSION"] = b"1.0"
        ids.append(layer_id)
    config = config or config_blob([sha(t) for t in tars])
    config_name = sha(config) + ".json"
    files[config_name] = config
    manifest = [{"Config": config_name, "RepoTags": ["app:latest"],
                 "Layers": layer_names or [f"{i}/layer.tar" for i in ids]}]
    files["manifest.json"] = json.dumps(manifest).encode()
    files["repositories"] = json.dumps({"app": {"latest": ids[-1]}}).encode()
    write_tar(dest, files)


def write_tar(dest, files):
    with tarfile.open(dest, "w", format=tarfile.PAX_FORMAT) as t:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))


def docker25(dest, tars):
    blobs = Blobs()
    manifest = oci_manifest(blobs, tars, None)
    mdesc = blobs.descriptor("application/vnd.oci.image.manifest.v1+json", manifest,
                             annotations={"io.containerd.image.name": "docker.io/library/app:latest",
                                          "org.opencontainers.image.ref.name": "latest"})
    index = index_of(blobs, [mdesc])
    m = json.loads(manifest)
    docker_manifest = [{
        "Config": "blobs/sha256/" + m["config"]["digest"][7:],
        "RepoTags": ["app:latest"],
        "Layers": ["blobs/sha256/" + l["digest"][7:] for l in m["layers"]],
    }]
    files = {"oci-layout": b'{"imageLayoutVersion":"1.0.0"}', "index.json": index,
             "manifest.json": json.dumps(docker_manifest).encode()}
    for digest, data in blobs.blobs.items():
        files["blobs/sha256/" + digest] = data
    write_tar(dest, files)


def merged_tree(dest, layers):
    """The merged root the container sees, written as a plain directory."""
    view = {}
    for layer in layers:
        removed, opaque, added = [], [], []
        for entry in layer.entries:
            name = entry[0]
            d, _, b = name.rpartition("/")
            if b == ".wh..wh..opq":
                opaque.append(d)
            elif b.startswith(".wh."):
                removed.append((d + "/" if d else "") + b[4:])
            else:
                added.append(entry)
        for r in removed:
            for k in [k for k in view if k == r or k.startswith(r + "/")]:
                del view[k]
        for o in opaque:
            for k in [k for k in view if k.startswith(o + "/")]:
                del view[k]
        for entry in added:
            view[entry[0]] = entry
    for name, kind, payload, mode in sorted(view.values()):
        path = os.path.join(dest, name)
        if kind == "dir":
            os.makedirs(path, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if kind == "symlink":
            os.symlink(payload, path)
        elif kind == "link":
            os.link(os.path.join(dest, payload), path)
        else:
            with open(path, "wb") as f:
                f.write(payload)
            os.chmod(path, mode)


layers = [base_layer(), app_layer(), cleanup_layer()]
tars = [layer.tar() for layer in layers]

merged_tree(os.path.join(out, "rootfs"), layers)
simple_layout(os.path.join(out, "app.oci"), tars, "gzip")
tar_dir(os.path.join(out, "app.oci"), os.path.join(out, "app-oci-archive.tar"))
simple_layout(os.path.join(out, "app-zstd.oci"), tars, "zstd")
docker_legacy(os.path.join(out, "app-docker-legacy.tar"), tars)
docker25(os.path.join(out, "app-docker25.tar"), tars)

# A JRE where Eclipse Temurin's images install it (stand-in binaries: what is
# recognised is the place and JAVA_VERSION), running an app jar.
JAVA_CONFIG = {
    "Entrypoint": ["/opt/java/openjdk/bin/java", "-jar", "/app/app.jar"],
    "Env": [
        "PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "JAVA_HOME=/opt/java/openjdk",
        "JAVA_VERSION=jdk-21.0.5+11",
    ],
}


def java_layer():
    layer = Layer()
    layer.file("opt/java/openjdk/bin/java", read(os.path.join(corpus, "bin/hello-glibc")), 0o755)
    layer.file("opt/java/openjdk/lib/server/libjvm.so",
               read(os.path.join(corpus, "lib/libfortified.so")), 0o755)
    # The fat jar of make-jars.sh (snappy-java, zstd-jni, lz4-java in
    # BOOT-INF/lib/) when it was built, else an empty jar.
    fat = os.path.join(corpus, "thirdparty/fetched/jars/app-fat.jar")
    layer.file("app/app.jar", read(fat) if os.path.exists(fat) else b"PK\x05\x06" + b"\0" * 18)
    return layer


java_tars = [base_layer().tar(), java_layer().tar()]
docker_legacy(os.path.join(out, "java-docker-legacy.tar"), java_tars,
              config=config_blob([sha(t) for t in java_tars], config=JAVA_CONFIG))

# Multi-platform: an index naming an amd64 and an arm64 image (behind a nested index).
blobs = Blobs()
amd64 = oci_manifest(blobs, tars, "gzip")
arm_layer = Layer()
arm_layer.file("usr/local/bin/vendored-tool", read(os.path.join(corpus, "bin/hello-aarch64-glibc")), 0o755)
arm64 = oci_manifest(blobs, [arm_layer.tar()], "gzip", arch="arm64")
M = "application/vnd.oci.image.manifest.v1+json"
nested = index_of(blobs, [
    blobs.descriptor(M, arm64, platform={"architecture": "arm64", "os": "linux", "variant": "v8"}),
    blobs.descriptor(M, amd64, platform={"architecture": "amd64", "os": "linux"}),
])
write_layout(os.path.join(out, "multi.oci"), blobs,
             index_of(blobs, [blobs.descriptor("application/vnd.oci.image.index.v1+json", nested)]))
# Only platforms the scan does not ask for.
blobs = Blobs()
s390x = oci_manifest(blobs, [arm_layer.tar()], "gzip", arch="s390x")
write_layout(os.path.join(out, "s390x-only.oci"), blobs, index_of(blobs, [
    blobs.descriptor(M, s390x, platform={"architecture": "s390x", "os": "linux"}),
    blobs.descriptor(M, arm64, platform={"architecture": "arm64", "os": "linux"}),
]))

hostile = os.path.join(out, "hostile")
os.makedirs(hostile)
# Member names climbing out, absolute, and a whiteout of `..`; one good file besides.
bad = Layer()
musl = read(os.path.join(corpus, "bin/hello-musl"))
bad.file("../escaped.so", read(os.path.join(corpus, "bin/uses-fortified")), 0o755, parents=False)
bad.file("/absolute.so", read(os.path.join(corpus, "bin/uses-fortified")), 0o755, parents=False)
bad.file("usr/.wh..", b"")
bad.file("usr/local/bin/ok", musl, 0o755)
docker_legacy(os.path.join(hostile, "names.tar"), [bad.tar()])
# A manifest naming a layer outside the archive, then a good one.
good = Layer()
good.file("usr/local/bin/ok", musl, 0o755)
docker_legacy(os.path.join(hostile, "manifest-outside.tar"), [good.tar()],
              layer_names=["../../../../etc/passwd", None])
# (fix the second name up: the good layer's id)
with tarfile.open(os.path.join(hostile, "manifest-outside.tar")) as t:
    members = {m.name: t.extractfile(m).read() for m in t.getmembers() if m.isfile()}
layer_dir = next(n.split("/")[0] for n in members if n.endswith("/layer.tar"))
manifest = json.loads(members["manifest.json"])
manifest[0]["Layers"] = ["../../../../etc/passwd", "/etc/shadow", f"{layer_dir}/layer.tar"]
members["manifest.json"] = json.dumps(manifest).encode()
write_tar(os.path.join(hostile, "manifest-outside.tar"), members)
# A corrupt (truncated) gzip layer, then a good layer: the good one is still read.
corrupt = gzip.compress(tars[1], mtime=0)
corrupt = corrupt[: len(corrupt) // 2]
blobs = Blobs()
layers_desc = [blobs.descriptor(MEDIA["gzip"], corrupt), blobs.descriptor(MEDIA["gzip"], gzip.compress(good.tar(), mtime=0))]
config = config_blob([sha(tars[1]), sha(good.tar())])
manifest = json.dumps({"schemaVersion": 2, "mediaType": M,
                       "config": blobs.descriptor("application/vnd.oci.image.config.v1+json", config),
                       "layers": layers_desc}).encode()
write_layout(os.path.join(hostile, "corrupt.oci"), blobs, index_of(blobs, [blobs.descriptor(M, manifest)]))
# The app layer altered after the manifest named it (one byte of etc/motd).
def flip_motd(blob):
    data = bytearray(gzip.decompress(blob))
    at = data.find(b"the app image")
    data[at] = ord("T")
    return gzip.compress(bytes(data), mtime=0)
simple_layout(os.path.join(hostile, "digest.oci"), tars, "gzip", alter=(1, flip_motd))
# A layer bomb: 1 GiB of zeros in one member (about 1 MiB of gzip), then a good layer.
bomb = io.BytesIO()
with gzip.GzipFile(fileobj=bomb, mode="wb", mtime=0, compresslevel=9) as g:
    info = tarfile.TarInfo("zeros")
    info.size = 1 << 30
    g.write(info.tobuf(tarfile.PAX_FORMAT))
    chunk = bytes(1 << 20)
    for _ in range(1 << 10):
        g.write(chunk)
    g.write(bytes(1024))
blobs = Blobs()
layers_desc = [blobs.descriptor(MEDIA["gzip"], bomb.getvalue()), blobs.descriptor(MEDIA["gzip"], gzip.compress(good.tar(), mtime=0))]
config = config_blob(["0" * 64, sha(good.tar())])
manifest = json.dumps({"schemaVersion": 2, "mediaType": M,
                       "config": blobs.descriptor("application/vnd.oci.image.config.v1+json", config),
                       "layers": layers_desc}).encode()
write_layout(os.path.join(hostile, "bomb.oci"), blobs, index_of(blobs, [blobs.descriptor(M, manifest)]))
