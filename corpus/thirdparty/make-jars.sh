#!/usr/bin/env bash
# Builds corpus/thirdparty/fetched/jars for tests/jvm.rs: real JNI jars taken
# from PyPI's pyspark 3.5.1 sdist (deps/jars/: snappy-java 1.1.10.3,
# zstd-jni 1.5.5-4, lz4-java 1.8.0, rocksdbjni 8.3.2), plus
#  - app-fat.jar: a Spring Boot style fat jar (python3 zipfile) holding the
#    first three under BOOT-INF/lib/, as a build would copy them;
#  - rocksdbjni-glibc-only-synthetic.jar: rocksdbjni 8.3.2 with its -musl
#    members left out and a pom.properties (the jar has none) naming it
#    org.rocksdb:rocksdbjni 8.0.0-synthetic: a release without musl variants.
# The sdist is about 317 MB and is deleted after; not committed. The tests
# skip, saying why, when absent.
set -euo pipefail
cd "$(dirname "$0")"
target=fetched/jars
rm -rf "$target"
mkdir -p "$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pip download -q --no-deps --no-cache-dir -d "$work" pyspark==3.5.1
tar -xzf "$work"/pyspark-3.5.1.tar.gz -C "$work" \
    pyspark-3.5.1/deps/jars/snappy-java-1.1.10.3.jar \
    pyspark-3.5.1/deps/jars/zstd-jni-1.5.5-4.jar \
    pyspark-3.5.1/deps/jars/lz4-java-1.8.0.jar \
    pyspark-3.5.1/deps/jars/rocksdbjni-8.3.2.jar
cp "$work"/pyspark-3.5.1/deps/jars/*.jar "$target"/
python3 - "$target" <<'PY'
import sys, zipfile
target = sys.argv[1]
deps = ["snappy-java-1.1.10.3.jar", "zstd-jni-1.5.5-4.jar", "lz4-java-1.8.0.jar"]
with zipfile.ZipFile(f"{target}/app-fat.jar", "w") as fat:
    fat.writestr("META-INF/MANIFEST.MF",
                 "Manifest-Version: 1.0\nMain-Class: org.springframework.boot.loader.JarLauncher\n"
                 "Implementation-Title: demo-app\nImplementation-Version: 0.0.1\n")
    fat.writestr("BOOT-INF/classes/demo/App.class", b"\xca\xfe\xba\xbe")
    for dep in deps:
        # Spring Boot stores nested jars uncompressed.
        fat.write(f"{target}/{dep}", f"BOOT-INF/lib/{dep}", compress_type=zipfile.ZIP_STORED)
src = zipfile.ZipFile(f"{target}/rocksdbjni-8.3.2.jar")
with zipfile.ZipFile(f"{target}/rocksdbjni-glibc-only-synthetic.jar", "w", zipfile.ZIP_DEFLATED) as out:
    for info in src.infolist():
        if "-musl" in info.filename:
            continue
        out.writestr(info, src.read(info))
    out.writestr("META-INF/maven/org.rocksdb/rocksdbjni/pom.properties",
                 "groupId=org.rocksdb\nartifactId=rocksdbjni\nversion=8.0.0-synthetic\n")
PY
echo "built $target"
