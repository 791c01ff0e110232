#!/usr/bin/env bash
# Builds corpus/thirdparty/fetched/ruby-bundle for tests/ruby.rs: Debian
# bookworm's ruby-bcrypt 3.1.18-1 (amd64; its C extension bcrypt_ext.so is
# built against glibc and libruby-3.1) placed where Bundler installs a gem,
# `vendor/bundle/ruby/3.1.0/gems/bcrypt-3.1.18/lib/` and
# `extensions/x86_64-linux/3.1.0/bcrypt-3.1.18/`, in two apps whose
# Gemfile.lock differ only in PLATFORMS:
#   glibc-lock/  PLATFORMS ruby, x86_64-linux            (no musl platform)
#   musl-lock/   PLATFORMS ruby, x86_64-linux, x86_64-linux-musl
# and platform-gems/: the same file under Bundler 2.5+'s platform gem names
# bcrypt-3.1.18-x86_64-linux-gnu and bcrypt-3.1.18-x86_64-linux-musl
# (synthetic: bcrypt publishes no platform gems, and the "musl" one is the
# glibc build; only the names decide which one Bundler uses).
# About 30 KB; not committed. The tests skip, saying why, when absent.
set -euo pipefail
cd "$(dirname "$0")"
target=fetched/ruby-bundle
rm -rf "$target"
mkdir -p "$target"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download ruby-bcrypt=3.1.18-1 >/dev/null 2>&1)
dpkg-deb -x "$work"/ruby-bcrypt_3.1.18-1_amd64.deb "$work/root"
ext=$(find "$work/root" -name bcrypt_ext.so | head -1)
for app in glibc-lock musl-lock; do
    home="$target/$app/vendor/bundle/ruby/3.1.0"
    mkdir -p "$home/gems/bcrypt-3.1.18/lib" "$home/extensions/x86_64-linux/3.1.0/bcrypt-3.1.18"
    cp "$ext" "$home/gems/bcrypt-3.1.18/lib/bcrypt_ext.so"
    cp "$ext" "$home/extensions/x86_64-linux/3.1.0/bcrypt-3.1.18/bcrypt_ext.so"
    platforms="  ruby
  x86_64-linux"
    if [ "$app" = musl-lock ]; then
        platforms="$platforms
  x86_64-linux-musl"
    fi
    cat > "$target/$app/Gemfile.lock" <<LOCK
GEM
  remote: https://rubygems.org/
  specs:
    bcrypt (3.1.18)

PLATFORMS
$platforms

DEPENDENCIES
  bcrypt

BUNDLED WITH
   2.5.3
LOCK
done
for platform in x86_64-linux-gnu x86_64-linux-musl; do
    dir="$target/platform-gems/vendor/bundle/ruby/3.1.0/gems/bcrypt-3.1.18-$platform/lib"
    mkdir -p "$dir"
    cp "$ext" "$dir/bcrypt_ext.so"
done
echo "built $target"
