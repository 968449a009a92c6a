#!/bin/sh
# make undeploy: deletes the namespace (PVCs and their data included) and the EventConsumer CRD;
# with ENV=kind and DELETE_CLUSTER=1 also the kind cluster.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/cdk8s/scripts/lib.sh"
: "${ENV:=kind}" "${NAMESPACE:=recio}" "${KIND_CLUSTER:=recio}" "${DELETE_CLUSTER:=0}"
need kubectl "install kubectl (https://kubernetes.io/docs/tasks/tools/)"
if [ "$ENV" = kind ]; then
  need kind "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
  if [ "$DELETE_CLUSTER" = 1 ]; then kind delete cluster --name "$KIND_CLUSTER"; exit 0; fi
  kubectl config use-context "kind-$KIND_CLUSTER" >/dev/null
elif [ -n "${KUBE_CONTEXT:-}" ]; then
  kubectl config use-context "$KUBE_CONTEXT" >/dev/null
else
  echo "error: ENV=cloud needs KUBE_CONTEXT=<kubectl context>" >&2; exit 2
fi
kubectl delete namespace "$NAMESPACE" --ignore-not-found --wait=true
kubectl delete crd eventconsumers.recio.dev --ignore-not-found
