#!/usr/bin/env bash
# Installs the npm workspaces when node_modules is missing or older than the lockfile,
# so `npm run demo` and `npm test` work straight after a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install: npm ci"
  npm ci --no-audit --no-fund
fi
