# syntax=docker/dockerfile:1
# One image for the three apps; the command picks the app (the default runs the sink):
#   node dist/apps/producer/src/main.js | node dist/apps/router/src/main.js | node dist/apps/sink/src/main.js
# Probes live in the Kubernetes manifests (deploy/kubernetes), not here: each app listens on its
# own port (8080, 8083, 8082), so one HEALTHCHECK could not fit all three.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the build needs only tsc and tsc-alias, and none of them runs one.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts ./scripts
RUN npm run build

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The example contracts are the default; mount your own and point TABLELANE_CONFIG at it.
COPY tablelane.yaml ./tablelane.yaml
ENV TABLELANE_CONFIG=/app/tablelane.yaml
# The files above stay owned by root: the app cannot rewrite its own code or config.
# Numeric user (the image's `node`) so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 8080 8082 8083
# Every app drains on SIGTERM: the sink flushes and commits its lanes, the router and the
# gateway finish what is in flight (docs/deploy.md, "Graceful shutdown").
STOPSIGNAL SIGTERM
CMD ["node", "dist/apps/sink/src/main.js"]
