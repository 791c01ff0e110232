#!/usr/bin/env bash
# Times muslcheck against scanelf, the head -c4 floor and auditwheel on real
# trees built from pinned packages; writes benches/RESULTS.md and the README
# table. Needs npm, pip, pax-utils (scanelf) and /usr/bin/time (package time).
set -euo pipefail
exec python3 "$(dirname "$0")/compare.py" "$@"
