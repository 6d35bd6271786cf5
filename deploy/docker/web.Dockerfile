# syntax=docker/dockerfile:1
# The web app (Next.js): docker build -f deploy/docker/web.Dockerfile -t anh-web .
# (context: the repository root; deploy/docker-compose.yml does this). Not built on our
# machines (no Docker daemon there): see deploy/README.md for what is checked instead.
# Pin NODE_IMAGE by digest in your registry for reproducible builds.
ARG NODE_IMAGE=node:20-bookworm-slim

# ── build: every dependency (dev included), next build, the connector package ──────────
FROM ${NODE_IMAGE} AS build
WORKDIR /src
ENV CI=true NEXT_TELEMETRY_DISABLED=1 TURBO_TELEMETRY_DISABLED=1
# Manifests first: the npm layer is reused until the lockfile changes.
COPY package.json package-lock.json .npmrc ./
COPY apps/web/package.json apps/web/
COPY apps/worker/package.json apps/worker/
COPY apps/connector/package.json apps/connector/
COPY packages/db/package.json packages/db/
COPY packages/domain/package.json packages/domain/
# Lockfile-pinned. --ignore-scripts: the cloud needs no install script (the root
# package.json allows only the connector's native modules, which this image never runs).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# Throwaway values for the build only (pages render per request; nothing is inlined):
# the real secrets arrive at run time through the environment.
RUN TENANT_ROLE_SECRET=build-time-placeholder-not-a-secret-0000 \
    NEXTAUTH_SECRET=build-time-placeholder-not-a-secret-0000 \
    npm run build -w @anh/web \
 && npm run package -w @anh/connector \
 && rm -rf apps/web/.next/cache

# ── deps: production dependencies of the web app only ──────────────────────────────────
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
COPY apps/web/package.json apps/web/
COPY apps/worker/package.json apps/worker/
COPY apps/connector/package.json apps/connector/
COPY packages/db/package.json packages/db/
COPY packages/domain/package.json packages/domain/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund --workspace @anh/web

# ── runtime ──────────────────────────────────────────────────────────────────────────────
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1
WORKDIR /app
COPY --from=deps /app /app
COPY --from=build /src/apps/web/.next apps/web/.next
COPY --from=build /src/apps/web/public apps/web/public
COPY --from=build /src/apps/web/next.config.ts apps/web/next.config.ts
# The installable connector the web app offers for download (CONNECTOR_PACKAGE_DIR).
COPY --from=build /src/apps/connector/dist/*.tgz apps/connector/dist/
# Files stay root's; the app runs as the image's unprivileged `node` user and may write
# only Next's cache.
RUN mkdir -p apps/web/.next/cache && chown node:node apps/web/.next/cache
USER node
WORKDIR /app/apps/web
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:3000/login').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# 0.0.0.0 inside the container; publish the port behind the reverse proxy (TLS, gzip).
CMD ["node", "/app/node_modules/next/dist/bin/next", "start", "--hostname", "0.0.0.0", "--port", "3000"]
