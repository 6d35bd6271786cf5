#!/usr/bin/env bash
# `npm run demo`: installs if needed, starts local services, creates local secrets once
# (kept in .data/, never committed), migrates, seeds the demo tenant, builds the web app
# and runs web + worker until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-install.sh
bash scripts/services.sh
mkdir -p .data
if [ ! -f .data/dev.env ]; then
  umask 077
  {
    echo "TENANT_ROLE_SECRET=$(node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")"
    echo "NEXTAUTH_SECRET=$(node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")"
    echo "DEMO_PASSWORD=$(node -e "console.log('demo-' + require('crypto').randomBytes(6).toString('base64url'))")"
  } > .data/dev.env
fi
# Added later than the others: old .data/dev.env files get it too.
if ! grep -q '^SECRETS_KEYRING=' .data/dev.env; then
  echo "SECRETS_KEYRING=k1:$(node -e "console.log(require('crypto').randomBytes(32).toString('base64'))")" >> .data/dev.env
fi
# Live alerts: the web app signs the browsers' tokens, the worker's gateway checks them.
if ! grep -q '^LIVE_TOKEN_SECRET=' .data/dev.env; then
  echo "LIVE_TOKEN_SECRET=$(node -e "console.log(require('crypto').randomBytes(32).toString('base64url'))")" >> .data/dev.env
fi
# Web Push: the worker signs with the VAPID key pair, browsers subscribe with its public half.
if ! grep -q '^VAPID_PRIVATE_KEY=' .data/dev.env; then
  node -e "const k=require('web-push').generateVAPIDKeys();console.log('VAPID_PUBLIC_KEY='+k.publicKey);console.log('VAPID_PRIVATE_KEY='+k.privateKey)" >> .data/dev.env
  echo "VAPID_SUBJECT=mailto:operaciones@anh-smart-reporter.local" >> .data/dev.env
fi
set -a
# shellcheck disable=SC1091
. .data/dev.env
set +a
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/anh}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export NEXTAUTH_URL="${NEXTAUTH_URL:-http://127.0.0.1:3000}"
export NEXT_TELEMETRY_DISABLED=1
npm run db:migrate --silent
exec npx tsx scripts/demo.ts
