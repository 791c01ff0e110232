#!/usr/bin/env bash
# Builds two real node_modules trees for tests/npm.rs from pinned versions
# (npm registry; about 120 MB and 130 MB on disk, measured; not committed), with install scripts disabled:
#   fetched/npm-glibc: installed as on a Debian builder
#   fetched/npm-musl:  installed for Alpine (--os=linux --cpu=x64 --libc=musl)
set -euo pipefail
cd "$(dirname "$0")"
for flavour in glibc musl; do
    dir=fetched/npm-$flavour
    rm -rf "$dir"
    mkdir -p "$dir"
    cat > "$dir/package.json" <<'JSON'
{"name":"muslcheck-fixture","version":"1.0.0","private":true,
 "dependencies":{"sharp":"0.33.5","@swc/core":"1.7.6","esbuild":"0.23.1","bcrypt":"5.1.1",
                 "better-sqlite3":"11.1.2","@napi-rs/canvas":"0.1.53"}}
JSON
    extra=()
    [ "$flavour" = musl ] && extra=(--os=linux --cpu=x64 --libc=musl)
    (cd "$dir" && npm install -q --ignore-scripts --no-audit --no-fund "${extra[@]}" >/dev/null)
    echo "built $dir"
done
