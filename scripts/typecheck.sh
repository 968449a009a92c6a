#!/usr/bin/env bash
# Type-checks the build (tsc -b) and then every workspace's tests (tsconfig.test.json: src + test)
# and main-app's page (web/tsconfig.json: the browser's types),
# two workspaces at a time (the machines have two cores).
set -euo pipefail
cd "$(dirname "$0")/.."
npx tsc -b
ls */tsconfig.test.json services/*/tsconfig.test.json services/main-app/web/tsconfig.json | xargs -P 2 -n 1 npx tsc -p
