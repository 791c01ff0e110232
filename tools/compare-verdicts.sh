#!/usr/bin/env bash
# Compares the verdicts and findings of two muslcheck binaries over the same
# inputs: a refactoring must not change them (except where its note says so).
#
#   tools/compare-verdicts.sh OLD_BINARY NEW_BINARY [PATH...]
#
# Default paths: the whole corpus (fixtures, projects, third-party wheels and
# tarballs, and the fetched venv / node_modules trees when present). Each path
# is scanned against several targets. Compared per artifact: path, verdict, and
# each finding's code, severity, message, loader messages and remedy.
set -euo pipefail
old=$1 new=$2
shift 2
cd "$(dirname "$0")/.."
paths=("$@")
[ ${#paths[@]} -gt 0 ] || paths=(corpus)
normalise() {
    python3 -c '
import json, sys
report = json.load(sys.stdin)
for a in report["artifacts"]:
    print(a["path"], a["verdict"])
    for f in a.get("findings", []):
        message = f["message"]
        # Before 0.2 the MC401 list came out of a hash map in any order.
        head, sep, items = message.partition(" which supplies ")
        if f["code"] == "MC401" and sep:
            message = head + sep + ", ".join(sorted(items.split(", ")))
        print("  ", f["code"], f["severity"], message)
        for line in f.get("loader_messages", []):
            print("     |", line)
        if f.get("remedy"):
            print("     fix:", f["remedy"])
'
}
status=0
for path in "${paths[@]}"; do
    for target in "--target alpine" "--target alpine:3.16" "--target alpine:3.18 --gcompat" \
                  "--target debian-musl" "--target musl:1.2.5 --arch aarch64"; do
        # shellcheck disable=SC2086
        if ! diff -u --label "old $path $target" --label "new $path $target" \
            <("$old" --no-config --format json --fail-on never $target "$path" | normalise) \
            <("$new" --no-config --format json --fail-on never $target "$path" | normalise); then
            status=1
        fi
    done
done
[ $status -eq 0 ] && echo "same verdicts and findings for: ${paths[*]}"
exit $status
