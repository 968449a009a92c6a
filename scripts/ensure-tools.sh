#!/usr/bin/env bash
# Installs the binaries the tests run themselves (redis-server for Sentinel, Cluster and failure
# tests, PostgreSQL for private servers, Prometheus and promtool for the alert rules and dashboards,
# the Redis and PostgreSQL exporters the charts deploy, Chromium for the page's browser tests) when
# they are missing, from Debian's packages.
set -euo pipefail
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# promtool and the server come with Debian's prometheus package (on a machine running systemd that
# also enables its server; the tests start their own).
command -v promtool >/dev/null || missing+=(prometheus)
# The ecosystem's exporters, as the charts run them (the observability e2e test scrapes them).
command -v prometheus-redis-exporter >/dev/null || missing+=(prometheus-redis-exporter)
command -v prometheus-postgres-exporter >/dev/null || missing+=(prometheus-postgres-exporter)
# Chromium for the trader page's browser tests (driven by playwright-core).
command -v chromium >/dev/null || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing ${missing[*]} (apt-get)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
else
  echo "missing: ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]})." >&2
  exit 1
fi
