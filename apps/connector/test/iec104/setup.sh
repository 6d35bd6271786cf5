#!/usr/bin/env bash
# Builds the IEC 60870-5-104 test slave (slave.c) against lib60870, the reference
# open-source IEC 104 stack. Debian ships it only from trixie (liblib60870-dev 2.3.x, with
# mbedTLS 3.6 runtime libraries), newer than this machine's Debian: the .deb files are
# fetched through a sources list of our own into the cache folder and unpacked there with
# dpkg-deb, so the system's packages, sources and apt state are never touched.
# Idempotent: fetches only when the cache is empty, compiles only when slave.c is newer
# than the binary. Needs gcc and Debian's package registry (the first time only).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="$here/.lib60870"
root="$cache/root"
lib="$root/usr/lib/x86_64-linux-gnu"
binary="$cache/slave"
mkdir -p "$cache"
# Test files run in parallel and each may call this: one at a time, the others then find
# everything done.
exec 9>"$cache/.lock"
flock 9

if [ ! -f "$lib/liblib60870.so.2" ] || [ ! -f "$root/usr/include/lib60870/cs104_slave.h" ]; then
  echo "iec104 setup: fetching lib60870 from Debian trixie into $cache"
  apt_dir="$cache/apt"
  rm -rf "$apt_dir"
  mkdir -p "$apt_dir/etc" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/debs"
  keyrings="/usr/share/keyrings/debian-archive-trixie-stable.gpg /usr/share/keyrings/debian-archive-trixie-automatic.gpg"
  for keyring in $keyrings; do
    [ -f "$keyring" ] || { echo "iec104 setup: missing $keyring (package debian-archive-keyring)" >&2; exit 1; }
  done
  cat >"$apt_dir/etc/trixie.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: $keyrings
SOURCES
  # Every apt path points into our folder: the system's lists, cache, status and lock
  # are not read or written.
  apt_options=(
    -o "Dir::Etc::SourceList=/dev/null"
    -o "Dir::Etc::SourceParts=$apt_dir/etc"
    -o "Dir::State::Lists=$apt_dir/lists"
    -o "Dir::Cache=$apt_dir/cache"
    -o "Dir::State::status=/dev/null"
    -o "Debug::NoLocking=1"
    -o "APT::Sandbox::User=root"
  )
  apt-get -qq "${apt_options[@]}" update
  # The library, its headers, and the mbedTLS 3.6 libraries it links (bookworm has 2.28).
  (cd "$apt_dir/debs" && apt-get -qq "${apt_options[@]}" download \
    liblib60870-dev liblib60870-2 libmbedcrypto16 libmbedtls21 libmbedx509-7)
  rm -rf "$root"
  mkdir -p "$root"
  for deb in "$apt_dir"/debs/*.deb; do dpkg-deb -x "$deb" "$root"; done
  rm -rf "$apt_dir"
fi

if [ ! -x "$binary" ] || [ "$here/slave.c" -nt "$binary" ]; then
  echo "iec104 setup: compiling $binary"
  # The slave finds lib60870 and mbedTLS in the cache, never in the system: an RPATH
  # relative to the binary ($ORIGIN), and an RPATH rather than a RUNPATH because only the
  # former is searched for the libraries lib60870 itself needs.
  gcc -O1 -g -Wall -Wextra -Werror -std=gnu11 -o "$binary.tmp" "$here/slave.c" \
    -I"$root/usr/include/lib60870" -L"$lib" -llib60870 -lpthread \
    -Wl,-rpath-link,"$lib" -Wl,--disable-new-dtags,-rpath,'$ORIGIN/root/usr/lib/x86_64-linux-gnu'
  mv "$binary.tmp" "$binary"
fi
