#!/usr/bin/env bash
# Builds every distributed artifact into dist/ from one static release build:
#   dist/muslcheck                                   the static x86_64 Linux binary
#   dist/muslcheck-VERSION-x86_64-linux.tar.gz(.sha256)  the release asset the Action downloads
#   dist/muslcheck-VERSION-py3-none-*.whl            the PyPI wheel (maturin, bindings = "bin")
#   dist/npm/*.tgz                                   the npm launcher and platform packages
#   dist/rootfs/, dist/oci/, dist/muslcheck-VERSION-oci.tar   the container image (Dockerfile)
# Needs cargo, python3 and npm; maturin and wheel are installed into target/dist-tools.
# tools/check-dist.sh then installs and runs each one.
# `tools/build-dist.sh --binary` builds the static binary alone (cargo only) and prints
# its path: what benches/compare.py measures.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(python3 -c 'import tomllib; print(tomllib.load(open("Cargo.toml", "rb"))["package"]["version"])')
triple=x86_64-unknown-linux-gnu
# Static glibc (static-pie): no interpreter, no shared libraries, runs on musl
# and glibc systems and in an empty root. docs/DISTRIBUTION.md says why this route.
export RUSTFLAGS='-C target-feature=+crt-static'
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
if [ "${1:-}" = "--binary" ]; then
    cargo build --quiet --locked --profile dist --target "$triple"
    echo "target/$triple/dist/muslcheck"
    exit 0
fi
# The packaging tools, pinned, in a venv of their own (PyPI).
tools=target/dist-tools
if [ ! -x "$tools/bin/maturin" ] || [ ! -x "$tools/bin/wheel" ]; then
    python3 -m venv "$tools"
    "$tools/bin/pip" install --quiet maturin==1.16.0 wheel==0.48.0
fi

rm -rf dist
mkdir -p dist

# The wheel first: maturin runs the one cargo build (profile `dist`, locked),
# and the binary it built is the one every other artifact holds. Its tags: the
# binary needs no libc at all, so it installs wherever pip accepts either
# manylinux_2_17 (glibc >= 2.17) or musllinux_1_1 (musl >= 1.1). maturin will
# not mix the two for a gnu target, so the musllinux tag is added after.
"$tools/bin/maturin" build --quiet --locked --target "$triple" \
    --compatibility manylinux_2_17 --out dist/wheel-build
"$tools/bin/wheel" tags --remove --platform-tag +musllinux_1_1_x86_64 dist/wheel-build/*.whl >/dev/null
mv dist/wheel-build/*.whl dist/
rmdir dist/wheel-build
binary=target/$triple/dist/muslcheck
install -m 755 "$binary" dist/muslcheck

release=muslcheck-$version-x86_64-linux.tar.gz
tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner \
    -C dist -czf "dist/$release" muslcheck
(cd dist && sha256sum "$release" > "$release.sha256")

tools/make-npm-packages.py dist/muslcheck dist/npm >/dev/null

# The image's root: the binary, and CA certificates for the index lookups:
# Mozilla's roots as Debian's ca-certificates package ships them, never the
# building machine's own additions (/usr/local/share/ca-certificates: a proxy's CA).
mozilla=/usr/share/ca-certificates/mozilla
ls "$mozilla"/*.crt >/dev/null || { echo "build-dist: no $mozilla (apt-get install ca-certificates)" >&2; exit 1; }
mkdir -p dist/rootfs/etc/ssl/certs
install -m 755 dist/muslcheck dist/rootfs/muslcheck
LC_ALL=C cat $(LC_ALL=C ls "$mozilla"/*.crt) >dist/rootfs/etc/ssl/certs/ca-certificates.crt
chmod 644 dist/rootfs/etc/ssl/certs/ca-certificates.crt
tools/make-oci-image.py dist/rootfs dist "$version" >/dev/null

(cd dist && find . -maxdepth 2 -type f ! -path './oci/*' ! -path './rootfs/*' -printf '%s\t%p\n' | sort -k2)
