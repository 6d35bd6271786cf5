# syntax=docker/dockerfile:1
# The worker (BullMQ jobs, the live-alert gateway) and the migration command:
#   docker build -f deploy/docker/worker.Dockerfile -t anh-worker .
# (context: the repository root). Not built on our machines (no Docker daemon there): see
# deploy/README.md for what is checked instead. Pin NODE_IMAGE by digest in your registry.
ARG NODE_IMAGE=node:20-bookworm-slim

# ── build: bundle the worker and migrate (our TypeScript workspaces inlined) ───────────
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV CI=true
COPY package.json package-lock.json .npmrc ./
COPY apps/web/package.json apps/web/
COPY apps/worker/package.json apps/worker/
COPY apps/connector/package.json apps/connector/
COPY packages/db/package.json packages/db/
COPY packages/domain/package.json packages/domain/
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npx tsx deploy/bundle.ts dist/server

# ── deps: production dependencies of the worker only (the bundle's imports) ───────────
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY apps/web/package.json apps/web/
COPY apps/worker/package.json apps/worker/
COPY apps/connector/package.json apps/connector/
COPY packages/db/package.json packages/db/
COPY packages/domain/package.json packages/domain/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @anh/worker

# ── runtime ──────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app /app
COPY --from=build /src/dist/server dist/server
USER node
# 3002: the live-alert gateway (GATEWAY_HOST=0.0.0.0 in docker-compose.yml). The health
# endpoint stays on 127.0.0.1 inside the container, for the check below.
EXPOSE 3002
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.WORKER_HEALTH_PORT || 3001) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains running jobs (docker-compose.yml gives it 90 s).
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/server/worker.mjs"]
