#!/usr/bin/env bash
# Type-checks the build (tsc -b) and then every workspace's tests (tsconfig.test.json: src + test),
# two workspaces at a time (the machines have two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b
ls */tsconfig.test.json services/*/tsconfig.test.json | xargs -P 2 -n 1 npx tsc -p
