# Crossway's container image: `docker build -t crossway .`, then `docker run -p 4000:4000 -v $PWD/crossway.yaml:/etc/crossway/crossway.yaml crossway`.
# Three stages: the build (every dependency, `npm run build` into dist/), the production dependencies alone, and the
# runtime (dist/ with the dashboard in dist/ui, the sources the start checks dist/ against, production node_modules; no
# compiler, no dev tools).
# The Node major is the project's (package.json: devDependencies.node); checked by test/deploy.test.ts.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts are skipped: the `prepare` build needs the sources (copied next), and no dependency needs an install script.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
# The dashboard's sources: `npm run build` bundles them into dist/ui (the runtime gets dist/ui, not ui/).
COPY ui ./ui
RUN npm run build

FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force

FROM node:24-slim AS runtime
ENV NODE_ENV=production \
    CROSSWAY_CONFIG=/etc/crossway/crossway.yaml
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/tsconfig.json /app/tsconfig.build.json ./
COPY --from=build /app/bin ./bin
# src/ with dist/: bin/crossway.js runs dist/ only while it is the build of src/ as it is (same files, same times).
COPY --from=build /app/src ./src
COPY --from=build /app/dist ./dist
# The embedded SQLite default writes under ./.crossway; with PostgreSQL nothing is written here.
RUN mkdir -p /app/.crossway && chown node:node /app/.crossway
# The `node` user of the official image (uid 1000), never root.
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:4000/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The container's port and address; the configuration's server.port must stay 4000 (the default) for EXPOSE and the
# health check, and --host makes the gateway reachable from outside the container.
ENTRYPOINT ["node", "bin/crossway.js"]
CMD ["serve", "--host", "0.0.0.0"]
