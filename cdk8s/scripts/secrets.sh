#!/bin/sh
# Creates the Secrets the charts reference, with random hex values, only where they are missing
# (re-running never rotates a password). Values never touch the repository.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/cdk8s/scripts/lib.sh"
: "${NAMESPACE:=recio}" "${ENV:=kind}"
need kubectl "install kubectl (https://kubernetes.io/docs/tasks/tools/)"
need openssl "install openssl (apt-get install openssl)"
k() { kubectl --namespace "$NAMESPACE" "$@"; }
rand() { openssl rand -hex 24; }
exists() { k get secret "$1" >/dev/null 2>&1; }

if ! exists recio-redis-acl; then
  args=""
  for u in replication sentinel admin default $(service_names); do
    [ "$u" = paper-exchange ] || args="$args --from-literal=$u=$(rand)"
  done
  # shellcheck disable=SC2086
  k create secret generic recio-redis-acl $args
fi
exists recio-app || k create secret generic recio-app --from-literal=session-secret="$(rand)"
if [ "$ENV" = kind ]; then
  if ! exists recio-postgres; then
    pw=$(rand)
    k create secret generic recio-postgres --from-literal=password="$pw"
    k create secret generic recio-database --from-literal=url="postgres://recio:$pw@postgres:5432/recio"
  fi
fi
# recio-exchange (key-id, private-key) is optional: without it services use the paper exchange.
# In cloud, DATABASE_URL comes from postgres-app, which CloudNativePG creates.
echo "secrets present in namespace $NAMESPACE"
