#!/usr/bin/env bash
# Installs the binaries the tests run themselves (redis-server for Sentinel, Cluster and failure
# tests, PostgreSQL for private servers, promtool for the alert rules, Chromium for the page's
# browser tests) when they are missing, from Debian's packages.
set -euo pipefail
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
if ! command -v initdb >/dev/null && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  missing+=(postgresql)
fi
# promtool comes with Debian's prometheus package (on a machine running systemd that also enables its
# server; the tests need only promtool).
command -v promtool >/dev/null || missing+=(prometheus)
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
