# Bosun's image: `docker compose up` builds it (see docker-compose.yml and README.md,
# "Deploying with Docker Compose"). The API listens on 0.0.0.0:8080; the embedded
# store and the agents' folders live in /data unless EVENTSTORE_URL etc. say otherwise.
# the full image: python3, make and g++ for a native module with no prebuilt binary
FROM node:20-bookworm

WORKDIR /app
# dependencies first, so that a change of source reuses this layer
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build --silent && npm prune --omit=dev --no-audit --no-fund

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    BOSUN_DATA_DIR=/data
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=6 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/cli.js", "serve"]
