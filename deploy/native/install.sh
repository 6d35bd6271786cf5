#!/usr/bin/env bash
# Installs a release of ANH Smart Reporter in the native layout (no containers):
#
#   /opt/anh/<version>/          the release, read-only once installed
#   /opt/anh/current -> <version>  what the units run; flipped atomically
#   /etc/anh/*.env, connector.yaml configuration (created once from the examples, never overwritten)
#   /etc/systemd/system/anh-*.service
#   user anh-connector            (site machines only; web and worker use DynamicUser=)
#
# Usage:
#   install.sh --from RELEASE_DIR --version VERSION [--components web,worker|connector]
#              [--prefix ROOT] [--no-systemctl]
#
#   --from        a release directory made by deploy/native/build-release.sh
#   --components  cloud hosts: web,worker (default; anh-migrate comes with either);
#                 site machines: connector
#   --prefix      install under ROOT instead of / (tests, image building): users are
#                 created in ROOT/etc/passwd, ownership is left to the real install, and
#                 systemctl is not called
#
# Idempotent: running it again with the same version changes nothing; with a new version
# it adds that release and flips `current`; configuration files are never overwritten.
# It starts nothing: fill /etc/anh/*.env first, then see the last lines it prints.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
deploy="$(dirname "$here")"

from="" version="" prefix="/" components="web,worker" systemctl_calls=1
usage() { sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
while [ $# -gt 0 ]; do
  case "$1" in
    --from) from="${2:?--from needs a directory}"; shift 2 ;;
    --version) version="${2:?--version needs a value}"; shift 2 ;;
    --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
    --components) components="${2:?--components needs a list}"; shift 2 ;;
    --no-systemctl) systemctl_calls=0; shift ;;
    -h | --help) usage 0 ;;
    *) echo "install.sh: unknown argument $1" >&2; usage ;;
  esac
done
[ -n "$from" ] && [ -n "$version" ] || usage
# The version becomes a directory name and a symlink target: nothing that walks paths.
[[ "$version" =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]] || { echo "install.sh: bad version '$version'" >&2; exit 2; }
[ -d "$from" ] || { echo "install.sh: no release directory $from" >&2; exit 2; }
from="$(cd "$from" && pwd)"
prefix="$(mkdir -p "$prefix" && cd "$prefix" && pwd)"
root_install=0
[ "$prefix" = "/" ] && root_install=1
[ "$root_install" = 1 ] || systemctl_calls=0
p() { printf '%s%s' "${prefix%/}" "$1"; } # a path of the target system, under the prefix

web=0 worker=0 connector=0
IFS=',' read -r -a wanted <<<"$components"
for c in "${wanted[@]}"; do
  case "$c" in
    web) web=1 ;;
    worker) worker=1 ;;
    connector) connector=1 ;;
    *) echo "install.sh: unknown component '$c' (web, worker, connector)" >&2; exit 2 ;;
  esac
done

# What each component needs from the release: refuse a partial release before touching
# anything.
need() { [ -e "$from/$1" ] || { echo "install.sh: the release lacks $1" >&2; exit 1; }; }
if [ "$web" = 1 ]; then need apps/web/.next/BUILD_ID; need node_modules/next/dist/bin/next; fi
if [ "$worker" = 1 ] || [ "$web" = 1 ]; then need dist/server/migrate.mjs; fi
if [ "$worker" = 1 ]; then need dist/server/worker.mjs; fi
if [ "$connector" = 1 ]; then need connector/node_modules/anh-connector/anh-connector.js; fi

# 1. The release: copied next to its final place, then renamed, so a half-copied
#    release is never visible as /opt/anh/<version>. An existing complete one is kept.
releases="$(p /opt/anh)"
target="$releases/$version"
mkdir -p "$releases"
if [ -f "$target/.anh-release-complete" ]; then
  echo "release $version already installed"
else
  rm -rf "$target.partial" "$target"
  cp -a "$from" "$target.partial"
  if [ "$web" = 1 ]; then
    # Next writes its cache under .next/cache; the release stays read-only
    # (ProtectSystem=strict) and the cache lives in the unit's CacheDirectory.
    rm -rf "$target.partial/apps/web/.next/cache"
    ln -s /var/cache/anh-web "$target.partial/apps/web/.next/cache"
  fi
  touch "$target.partial/.anh-release-complete"
  chmod -R go-w "$target.partial"
  mv -T "$target.partial" "$target"
  echo "release $version installed in /opt/anh/$version"
fi
# Relative link, so the tree also works seen from another root (a chroot, an image).
ln -sfn "$version" "$releases/current.new"
mv -Tf "$releases/current.new" "$releases/current"

# 2. Configuration: created from the examples when missing, never overwritten (it holds
#    the secrets). Root-only: systemd reads EnvironmentFile= before dropping privileges.
etc="$(p /etc/anh)"
mkdir -p "$etc"
chmod 0755 "$etc"
config() { # example, destination name, mode
  if [ -e "$etc/$2" ]; then
    echo "kept /etc/anh/$2"
  else
    install -m "$3" "$here/etc/$1" "$etc/$2"
    echo "created /etc/anh/$2 (fill it in)"
  fi
}
[ "$web" = 1 ] && config web.env.example web.env 0600
[ "$worker" = 1 ] || [ "$web" = 1 ] && config worker.env.example worker.env 0600
if [ "$connector" = 1 ]; then
  config connector.env.example connector.env 0600
  # The connector reads its YAML as its own user: group-readable by anh-connector.
  config connector.yaml.example connector.yaml 0640
fi

# 3. The connector's user (web and worker run as DynamicUser=). systemd-sysusers is
#    idempotent and works on another root, which is why it is used rather than useradd.
if [ "$connector" = 1 ]; then
  install -D -m 0644 "$here/sysusers.d/anh-connector.conf" "$(p /usr/lib/sysusers.d/anh-connector.conf)"
  if command -v systemd-sysusers >/dev/null; then
    if [ "$root_install" = 1 ]; then systemd-sysusers anh-connector.conf
    else systemd-sysusers --root="$prefix" anh-connector.conf; fi
  elif [ "$root_install" = 1 ] && ! id anh-connector >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/anh-connector --shell /usr/sbin/nologin \
      --groups dialout --user-group anh-connector
  fi
  # The state directory exists before the first start so `enroll` can write the
  # credential into it; StateDirectory= keeps its ownership right afterwards.
  mkdir -p "$(p /var/lib/anh-connector)"
  chmod 0750 "$(p /var/lib/anh-connector)"
  if [ "$root_install" = 1 ]; then
    chown anh-connector:anh-connector /var/lib/anh-connector
    chgrp anh-connector /etc/anh/connector.yaml
  fi
fi

# 4. The units.
units="$(p /etc/systemd/system)"
mkdir -p "$units"
unit() { install -m 0644 "$deploy/systemd/$1" "$units/$1"; }
if [ "$web" = 1 ] || [ "$worker" = 1 ]; then unit anh-migrate.service; fi
[ "$web" = 1 ] && unit anh-web.service
[ "$worker" = 1 ] && unit anh-worker.service
[ "$connector" = 1 ] && unit anh-connector.service

if [ "$systemctl_calls" = 1 ] && command -v systemctl >/dev/null; then
  systemctl daemon-reload
fi

echo "current -> $version"
enable=()
[ "$web" = 1 ] && enable+=(anh-web)
[ "$worker" = 1 ] && enable+=(anh-worker)
[ "$connector" = 1 ] && enable+=(anh-connector)
echo "next: fill /etc/anh/*, then: systemctl enable --now ${enable[*]}"
if [ "$web" = 1 ] || [ "$worker" = 1 ]; then
  echo "upgrades: after installing a new version, systemctl restart anh-migrate (then web and worker restart)"
fi
