#!/usr/bin/env bash
# Fetches the pinned third-party packages the tests use, checks their sha256,
# and extracts their license files. The archives are committed (about 1.9 MB),
# so the tests need no network; run this only to change or re-verify them.
#
# Needs: pip (PyPI), npm (npm registry), sha256sum, unzip, tar.
set -euo pipefail
cd "$(dirname "$0")"

wheel() { # name==version platform
    pip download -q --no-deps --only-binary=:all: --python-version 3.11 \
        --platform "$2" -d . "$1"
}
wheel markupsafe==2.1.5 manylinux_2_17_x86_64   # small C extension, glibc
wheel markupsafe==2.1.5 musllinux_1_1_x86_64    # the same, musl
wheel ujson==5.10.0 manylinux_2_17_x86_64       # C++ extension: needs libstdc++.so.6
wheel ujson==5.10.0 musllinux_1_2_x86_64        # bundles Alpine's libstdc++ in ujson.libs/
npm pack -q bcrypt@6.0.0 >/dev/null             # glibc and musl prebuilds in one package
# node-gyp-build's choice among tagged prebuilds (tests/npm.rs runs its resolver):
npm pack -q utf-8-validate@6.0.6 >/dev/null     # an untagged linux-x64 prebuild beside a .musl one
npm pack -q @msgpackr-extract/msgpackr-extract-linux-x64@3.0.7 >/dev/null  # tags at a platform package's root
npm pack -q node-gyp-build@4.8.4 >/dev/null     # the resolvers themselves (JavaScript)
npm pack -q node-gyp-build-optional-packages@5.2.2 >/dev/null
npm pack -q node-gyp-build@3.9.0 >/dev/null     # its older layout: prebuilds/linuxmusl-x64/node-napi.node

sha256sum -c SHA256SUMS

mkdir -p LICENSES
unzip -p MarkupSafe-2.1.5-cp311-cp311-musllinux_1_1_x86_64.whl 'MarkupSafe-2.1.5.dist-info/LICENSE.rst' > LICENSES/markupsafe-2.1.5-LICENSE.rst
unzip -p ujson-5.10.0-cp311-cp311-musllinux_1_2_x86_64.whl 'ujson-5.10.0.dist-info/LICENSE.txt' > LICENSES/ujson-5.10.0-LICENSE.txt
tar -xzOf bcrypt-6.0.0.tgz package/LICENSE > LICENSES/bcrypt-6.0.0-LICENSE
tar -xzOf utf-8-validate-6.0.6.tgz package/LICENSE > LICENSES/utf-8-validate-6.0.6-LICENSE
tar -xzOf node-gyp-build-4.8.4.tgz package/LICENSE > LICENSES/node-gyp-build-4.8.4-LICENSE
tar -xzOf node-gyp-build-optional-packages-5.2.2.tgz package/LICENSE > LICENSES/node-gyp-build-optional-packages-5.2.2-LICENSE
tar -xzOf node-gyp-build-3.9.0.tgz package/LICENSE > LICENSES/node-gyp-build-3.9.0-LICENSE
# @msgpackr-extract/msgpackr-extract-linux-x64 ships no license file; its package.json says MIT.
echo "fetched and verified"
