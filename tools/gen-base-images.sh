#!/bin/sh
# Regenerate data/base-images/ (platform profiles) and src/platform/profile_exports.rs from
# real packages: Debian/Ubuntu with apt (private configuration under $MUSLCHECK_BASE_IMAGES_WORK,
# default /tmp/muslcheck-base-images), Alpine from the minirootfs tarballs in
# ../shared/reference/alpine-minirootfs (override with MUSLCHECK_REFERENCE).
#   tools/gen-base-images.sh                 regenerate everything
#   tools/gen-base-images.sh --check [NAME…] regenerate NAMEs in a temp dir and diff
set -eu
cd "$(dirname "$0")/.."
exec python3 tools/base_images.py "$@"
