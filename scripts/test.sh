#!/usr/bin/env bash
# `npm test`: the whole test suite on the real local PostgreSQL, Redis and Mosquitto.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-install.sh
bash scripts/services.sh
bash scripts/test-deps.sh
exec npx vitest run "$@"
