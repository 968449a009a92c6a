# syntax=docker/dockerfile:1
# One image per service: docker build --build-arg SERVICE=<name> -t recio/recio-<name>:<tag> .
# SERVICE is a name from platform/src/services.ts; `relay` runs the router's CLI. The Deployment
# names the command, so the image holds the built workspace and nothing else.
ARG NODE_IMAGE=node:20.18.1-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
WORKDIR /app
RUN test -n "${SERVICE}" || { echo "build with --build-arg SERVICE=<name>" >&2; exit 1; }
COPY . .
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
RUN npm run build \
 && if [ "${SERVICE}" != relay ] && [ ! -f "services/${SERVICE}/dist/main.js" ]; then \
      echo "services/${SERVICE} does not build to dist/main.js" >&2; exit 1; fi \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf charts docs

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production RECIO_SERVICE=${SERVICE}
WORKDIR /app
# Owned by root, run as 10001: the process cannot rewrite its own code.
COPY --from=build /app /app
USER 10001:10001
EXPOSE 3000 4000 8001 8002 8004 8005 8007 8009 8010 8090 9464
CMD ["node", "router/dist/cli/main.js", "--help"]
