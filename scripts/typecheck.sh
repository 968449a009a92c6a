#!/usr/bin/env bash
# Type-checks the build (tsc -b) and then every workspace's tests (tsconfig.test.json: src + test).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b
for config in */tsconfig.test.json services/*/tsconfig.test.json; do
  [ -f "$config" ] || continue
  npx tsc -p "$config"
done
