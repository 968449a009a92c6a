#!/bin/sh
# make deploy ENV=kind|cloud: images, charts, secrets, rollout. See docs/deploy.md.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/cdk8s/scripts/lib.sh"
: "${ENV:=kind}" "${REDIS_MODE:=sentinel}" "${NAMESPACE:=recio}" "${KIND_CLUSTER:=recio}"
: "${REGISTRY:=recio}" "${IMAGE_TAG:=0.1.0}" "${ROLLOUT_TIMEOUT:=300s}"
export ENV NAMESPACE REGISTRY IMAGE_TAG

case "$ENV" in kind | cloud) ;; *) echo "error: ENV must be kind or cloud, got $ENV" >&2; exit 2 ;; esac
case "$REDIS_MODE" in sentinel | cluster) ;; *) echo "error: REDIS_MODE must be sentinel or cluster" >&2; exit 2 ;; esac
need kubectl "install kubectl (https://kubernetes.io/docs/tasks/tools/)"
need docker "install Docker (https://docs.docker.com/engine/install/)"
docker_answers || { echo "error: docker is installed but no engine answers (docker info failed)" >&2; exit 2; }

charts="$ROOT/charts/$ENV-$REDIS_MODE"
if [ "$REGISTRY" != recio ] || [ "$IMAGE_TAG" != 0.1.0 ] || [ "$NAMESPACE" != recio ]; then
  # The committed charts use the defaults; anything else is synthesized into .recio/ (not committed).
  out="$ROOT/.recio/charts"
  RECIO_CHART_CONFIG="{\"imageRegistry\":\"$REGISTRY\",\"imageTag\":\"$IMAGE_TAG\",\"namespace\":\"$NAMESPACE\"}" \
    node "$ROOT/cdk8s/dist/main.js" --out "$out"
  charts="$out/$ENV-$REDIS_MODE"
fi

"$ROOT/cdk8s/scripts/images.sh"
if [ "$ENV" = kind ]; then
  need kind "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
  kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER" || kind create cluster --name "$KIND_CLUSTER"
  kubectl config use-context "kind-$KIND_CLUSTER" >/dev/null
  for s in $(buildable_services); do kind load docker-image --name "$KIND_CLUSTER" "$REGISTRY/recio-$s:$IMAGE_TAG"; done
else
  [ -n "${KUBE_CONTEXT:-}" ] || { echo "error: ENV=cloud needs KUBE_CONTEXT=<kubectl context>" >&2; exit 2; }
  kubectl config use-context "$KUBE_CONTEXT" >/dev/null
  [ "$REGISTRY" != recio ] || { echo "error: ENV=cloud needs REGISTRY=<registry the cluster pulls from>" >&2; exit 2; }
  for s in $(buildable_services); do docker push "$REGISTRY/recio-$s:$IMAGE_TAG"; done
  kubectl get crd clusters.postgresql.cnpg.io >/dev/null 2>&1 ||
    { echo "error: CloudNativePG is not installed (crd clusters.postgresql.cnpg.io missing); see docs/deploy.md" >&2; exit 2; }
fi

k() { kubectl --namespace "$NAMESPACE" "$@"; }
kubectl apply -f "$charts/00-namespace.k8s.yaml"
kubectl wait --for=condition=Established crd/eventconsumers.recio.dev --timeout=60s
"$ROOT/cdk8s/scripts/secrets.sh"
# A Job runs once and its pod template cannot change: the last deploy's is deleted, so every deploy
# migrates and grants the roles again (both are idempotent), and the services roll only after that.
k delete job -l app.kubernetes.io/name=migrate --ignore-not-found --wait=true
for f in 10-redis 20-postgres; do kubectl apply -f "$charts/$f.k8s.yaml"; done
k wait --for=condition=complete -l app.kubernetes.io/name=migrate job --timeout="$ROLLOUT_TIMEOUT" ||
  { echo "error: migrations or database roles did not complete (kubectl -n $NAMESPACE logs -l app.kubernetes.io/name=migrate --all-containers)" >&2; exit 1; }
for f in 30-platform 40-event-consumers 80-observability; do kubectl apply -f "$charts/$f.k8s.yaml"; done
monitors="servicemonitors.monitoring.coreos.com podmonitors.monitoring.coreos.com prometheusrules.monitoring.coreos.com"
# shellcheck disable=SC2086
if kubectl get crd $monitors >/dev/null 2>&1; then
  kubectl apply -f "$charts/90-monitoring.k8s.yaml"
else
  echo "prometheus-operator CRDs missing: skipped 90-monitoring.k8s.yaml (ServiceMonitors, PodMonitors, rules)"
fi

for sts in $(k get statefulsets -o name); do k rollout status "$sts" --timeout="$ROLLOUT_TIMEOUT"; done
[ "$REDIS_MODE" != cluster ] || k wait --for=condition=complete job/redis-cluster-create --timeout="$ROLLOUT_TIMEOUT"
failed=""
# kind also runs postgres_exporter, Prometheus and Grafana of its own (80-observability).
extra=""
[ "$ENV" != kind ] || extra="postgres-exporter prometheus grafana"
for s in $(buildable_services) $extra; do k rollout status "deployment/$s" --timeout="$ROLLOUT_TIMEOUT" || failed="$failed $s"; done
[ -z "$failed" ] || { echo "error: rollout did not finish:$failed (kubectl -n $NAMESPACE describe deployment <name>)" >&2; exit 1; }
echo "deployed $ENV-$REDIS_MODE to namespace $NAMESPACE; services without an image yet stay pending"
[ "$ENV" != kind ] || echo "Grafana: kubectl -n $NAMESPACE port-forward svc/grafana 3001:3000 (docs/deploy.md)"
