# ident-amo in a container: `sync watch` as a long-running service (README: "Running in a container").
# Stage 1 makes the npm package exactly as a release does — `npm pack`, whose prepack compiles dist/
# and the oclif manifest with the dev dependencies — and installs that package's files with the
# production dependencies of package-lock.json only. Stage 2 is the slim Node image with that tree,
# running as the unprivileged `node` user.
# --ignore-scripts: no dependency needs an install script (better-sqlite3 and @napi-rs/keyring ship
# prebuilt binaries), and a lockfile install would otherwise try to compile better-sqlite3 from source.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm pack --pack-destination /tmp \
 && mkdir /pkg \
 && tar -xzf /tmp/ident-amo-*.tgz -C /pkg --strip-components=1 \
 && cp package-lock.json /pkg/ \
 && cd /pkg \
 && npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-bookworm-slim
# State, logs and the config file (with OAuth tokens from `auth login --insecure-storage`: a container
# has no keychain) all live in the /data volume.
ENV NODE_ENV=production \
    IDENT_AMO_DATA_DIR=/data \
    IDENT_AMO_CONFIG_DIR=/data/config
COPY --from=build /pkg /opt/ident-amo
RUN ln -s /opt/ident-amo/bin/run.js /usr/local/bin/ident-amo \
 && install -d -o node -g node -m 0750 /data
USER node
WORKDIR /data
VOLUME ["/data"]
# Unhealthy when no pass has finished or started for three sync intervals (`sync status --check`).
HEALTHCHECK --interval=1m --timeout=30s --start-period=5m --retries=1 CMD ["ident-amo", "sync", "status", "--check"]
# `docker stop` sends SIGTERM: the watcher finishes the batch in flight, saves state and exits 143.
ENTRYPOINT ["ident-amo"]
CMD ["sync", "watch"]
