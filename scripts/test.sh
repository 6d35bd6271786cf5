#!/usr/bin/env bash
# `npm test`: the whole test suite on the real local PostgreSQL, Redis and Mosquitto.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-install.sh
bash scripts/services.sh
bash scripts/test-deps.sh

# Browser tests run the BUILT web app (`next start`): build it when there is no build or
# a source is newer than it. In CI (.ci/run) the build runs just before, so this skips.
build_id=apps/web/.next/BUILD_ID
reason=""
if [ ! -f "$build_id" ]; then
  reason="$build_id is missing"
else
  sources=(apps/web/src apps/web/scripts apps/web/next.config.ts apps/web/tailwind.config.ts apps/web/postcss.config.mjs packages/*/src apps/worker/src)
  [ -d apps/web/public ] && sources+=(apps/web/public)
  newer="$(find "${sources[@]}" -newer "$build_id" -print -quit)"
  [ -n "$newer" ] && reason="$newer is newer than the last build"
fi
if [ -n "$reason" ]; then
  echo "test: building the web app ($reason)"
  # The build evaluates the route modules, which parse the env: throwaway secrets when
  # none are set (the server reads its own at run time; tests pass theirs).
  secret() { node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))"; }
  TENANT_ROLE_SECRET="${TENANT_ROLE_SECRET:-$(secret)}" \
    NEXTAUTH_SECRET="${NEXTAUTH_SECRET:-$(secret)}" \
    NEXT_TELEMETRY_DISABLED=1 \
    npm run build --silent -w @anh/web
fi

exec npx vitest run "$@"
