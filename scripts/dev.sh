#!/usr/bin/env bash
# `make dev`: migrations, then the relay and a demo publisher, with prefixed logs.
# Ctrl-C (or SIGTERM) stops them all. Runs under scripts/with-services.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
recio="node router/dist/cli/main.js"
$recio migrate
pids=()
run() {
  local name=$1; shift
  # $! is the process itself (not a pipeline), so stop() signals it directly.
  "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}
stop() { trap - INT TERM; kill "${pids[@]}" 2>/dev/null || true; wait || true; }
trap stop INT TERM EXIT
RECIO_SOURCE=recio-relay run relay $recio relay --metrics-port "${RELAY_METRICS_PORT:-9464}"
RECIO_SOURCE=recio-demo run demo $recio demo --rate "${DEMO_RATE:-2}"
echo "[dev] Redis $REDIS_URL  PostgreSQL ${DATABASE_URL}"
echo "[dev] relay metrics: http://127.0.0.1:${RELAY_METRICS_PORT:-9464}/metrics"
echo "[dev] watch events:  node router/dist/cli/main.js tail --channel 'prices:*' --channel 'trades:*'"
echo "[dev] Ctrl-C stops everything"
wait
