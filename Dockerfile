# syntax=docker/dockerfile:1

# Build and run on the same official Node 24 image (package.json pins Node >=24.9 <25).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The browser client's sources: `npm run build` bundles them into dist/client, which ships.
COPY client ./client
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
# Root-owned and not writable by the process: the pod also mounts the root filesystem read-only.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The image's unprivileged "node" user, by number so Kubernetes can verify runAsNonRoot.
USER 1000:1000
EXPOSE 3000
# Nest's shutdown hooks turn SIGTERM into a drain: readiness fails, streams end, then exit.
STOPSIGNAL SIGTERM
# Exec form: node is PID 1 and receives the signal itself (no shell in between).
CMD ["node", "dist/main.js"]
