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

acl_users=$(redis_acl_users)
if ! exists recio-redis-acl; then
  args=""
  for u in $acl_users; do args="$args --from-literal=$u=$(rand)"; done
  # shellcheck disable=SC2086
  k create secret generic recio-redis-acl $args
else
  # A user added since the Secret was made (a new service, the exporter) gets a password; the
  # others keep theirs. Without it, the redis pods' start scripts refuse to start.
  held=$(k get secret recio-redis-acl -o 'go-template={{range $k, $v := .data}}{{$k}}{{"\n"}}{{end}}')
  for u in $acl_users; do
    printf '%s\n' "$held" | grep -qx "$u" ||
      k patch secret recio-redis-acl --type=merge -p "{\"stringData\":{\"$u\":\"$(rand)\"}}"
  done
fi
# Users' exchange keys and API tokens (DEPLOY_USERS, default user_0001), made once and kept under
# .recio/deploy/ on the operator's machine (never in the repository). With the real exchange, put
# your own credentials.json and key files into recio-exchange instead (docs/deploy.md).
# The paper exchange gets the public keys only (recio-paper-accounts), never recio-exchange.
if ! exists recio-exchange || ! exists recio-paper-accounts || ! exists recio-app; then
  accounts="$ROOT/.recio/deploy/$NAMESPACE"
  # shellcheck disable=SC2086
  node "$ROOT/cdk8s/scripts/deploy-accounts.mjs" "$accounts" ${DEPLOY_USERS:-user_0001}
  exists recio-exchange || k create secret generic recio-exchange --from-file="$accounts/exchange/"
  exists recio-paper-accounts || k create secret generic recio-paper-accounts --from-file="$accounts/paper/"
  exists recio-app || k create secret generic recio-app --from-file="$accounts/app/"
fi
# One PostgreSQL role per service (username = role, password): CloudNativePG's managed roles read
# them in cloud, the migrate Job's database-roles step in kind; each service's DATABASE_URL is built
# from its own.
for pair in $(database_roles); do
  service=${pair%%=*} role=${pair#*=}
  exists "recio-db-$service" ||
    k create secret generic "recio-db-$service" --type=kubernetes.io/basic-auth \
      --from-literal=username="$role" --from-literal=password="$(rand)"
done
if [ "$ENV" = kind ]; then
  if ! exists recio-postgres; then
    pw=$(rand)
    k create secret generic recio-postgres --from-literal=password="$pw"
    k create secret generic recio-database --from-literal=url="postgres://recio:$pw@postgres:5432/recio"
  fi
  # postgres_exporter's role (pg_monitor only; the migrate Job's database-roles step creates it) and
  # the kind Grafana's admin (cloud: CloudNativePG exports itself, and Grafana is the cluster's own).
  exists recio-db-monitor ||
    k create secret generic recio-db-monitor --type=kubernetes.io/basic-auth \
      --from-literal=username=recio_monitor --from-literal=password="$(rand)"
  exists recio-grafana || k create secret generic recio-grafana --from-literal=admin-password="$(rand)"
fi
# The owner's URL (migrations and grants only): recio-database in kind; in cloud postgres-app,
# which CloudNativePG creates.
echo "secrets present in namespace $NAMESPACE"
