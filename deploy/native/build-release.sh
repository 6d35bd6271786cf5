#!/usr/bin/env bash
# Builds a release directory for install.sh from this checkout, on a build host with
# access to the npm registry (same OS family and CPU as the servers: native modules are
# installed for the machine that runs this).
#
#   deploy/native/build-release.sh OUT_DIR [--with-connector]
#
# OUT_DIR then holds what /opt/anh/<version> will: production node_modules (lockfile,
# no dev dependencies), the built web app, the bundled worker and migrations
# (dist/server), the installable connector package, and deploy/ itself (units, examples,
# install.sh). With --with-connector it also holds connector/ for site machines: the
# connector package installed with its native modules (build it on the site's platform).
# Then: sudo OUT_DIR/deploy/native/install.sh --from OUT_DIR --version "$(cat OUT_DIR/VERSION)"
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${1:?usage: build-release.sh OUT_DIR [--with-connector]}"
with_connector=0
[ "${2:-}" = "--with-connector" ] && with_connector=1
version="$(node -p "require('./package.json').version")+$(git rev-parse --short HEAD 2>/dev/null || echo local)"
export CI=true NEXT_TELEMETRY_DISABLED=1

# 1. Build from a lockfile-pinned install (dev dependencies included: they build).
npm ci --no-audit --no-fund
# Throwaway values for the build only; the real ones come from /etc/anh at run time.
TENANT_ROLE_SECRET=build-time-placeholder-not-a-secret-0000 \
  NEXTAUTH_SECRET=build-time-placeholder-not-a-secret-0000 \
  npm run build -w @anh/web
npx tsx deploy/bundle.ts dist/server
npm run package -w @anh/connector

# 2. Assemble.
rm -rf "$out"
mkdir -p "$out"
cp package.json package-lock.json .npmrc "$out/"
for ws in apps/web apps/worker apps/connector packages/db packages/domain; do
  mkdir -p "$out/$ws"
  cp "$ws/package.json" "$out/$ws/"
done
cp -a apps/web/.next apps/web/public apps/web/next.config.ts "$out/apps/web/"
rm -rf "$out/apps/web/.next/cache"
mkdir -p "$out/dist" "$out/apps/connector/dist"
cp -a dist/server "$out/dist/"
cp apps/connector/dist/anh-connector-*.tgz "$out/apps/connector/dist/"
cp -a deploy "$out/deploy"
rm -rf "$out/deploy/dist" "$out/deploy/.env"

# 3. Production dependencies of what runs on the servers, from the lockfile.
(cd "$out" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund -w @anh/web -w @anh/worker)

# 4. Site machines: the connector package with its native modules (better-sqlite3,
#    serialport), the way docs/connector.md installs it.
if [ "$with_connector" = 1 ]; then
  mkdir -p "$out/connector"
  (cd "$out/connector" && npm install --omit=dev --no-audit --no-fund \
    --allow-scripts=better-sqlite3,@serialport/bindings-cpp \
    "$(ls ../apps/connector/dist/anh-connector-*.tgz)")
fi

echo "$version" >"$out/VERSION"
echo "release $version in $out"
