#!/usr/bin/env bash
# Runs a command with REDIS_URL and DATABASE_URL pointing at servers that answer: the ones
# given (or this machine's defaults), else private ones started under .recio/ by
# `recio-services ensure`, which are stopped again when the command ends.
set -euo pipefail
cd "$(dirname "$0")/.."
exports=$(node topology/dist/cli.js ensure)
eval "$exports"
started_private=0
if grep -q "RECIO_PRIVATE_SERVICES=1" <<<"$exports"; then started_private=1; fi
cleanup() { if [ "$started_private" = 1 ]; then node topology/dist/cli.js stop >&2 || true; fi; }
trap cleanup EXIT
"$@"
