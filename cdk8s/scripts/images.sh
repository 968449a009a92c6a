#!/bin/sh
# make images: one image per service from the root Dockerfile (--build-arg SERVICE=<name>).
# Without a Docker engine it prints one line and exits 0, so `make` on a machine without one works.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/cdk8s/scripts/lib.sh"
: "${REGISTRY:=recio}" "${IMAGE_TAG:=0.1.0}"
[ "$IMAGE_TAG" != latest ] || { echo "error: IMAGE_TAG=latest is not allowed; name a version" >&2; exit 2; }

if ! docker_answers; then
  echo "make images: no Docker engine answers (docker info failed); skipped building images"
  exit 0
fi
for s in $(buildable_services); do
  echo "building $REGISTRY/recio-$s:$IMAGE_TAG"
  docker build --build-arg "SERVICE=$s" -t "$REGISTRY/recio-$s:$IMAGE_TAG" "$ROOT"
done
skipped=""
for s in $(service_names); do case " $(buildable_services) " in *" $s "*) ;; *) skipped="$skipped $s" ;; esac; done
[ -z "$skipped" ] || echo "not built (no services/<name>/ yet):$skipped"
