#!/bin/sh
# A stand-in for kubectl, for cdk8s/src/deploy-secrets.int.test.ts only. These machines run no
# Kubernetes API server, so Secrets cannot be created for real; this keeps each one as a folder
# under $KUBE_STAND_IN_STATE/<namespace>/<name> (one file per key, the type in .type) and answers the
# only calls cdk8s/scripts/secrets.sh makes: `get secret NAME` (with `-o go-template=…`: the key
# names, one a line, whatever the template), `create secret generic NAME` with --type,
# --from-literal and --from-file=<dir>/, and `patch secret NAME --type=merge -p` with a one-key
# {"stringData":{"KEY":"VALUE"}}. Anything else fails loudly (exit 64).
set -eu
state=${KUBE_STAND_IN_STATE:?}
[ "${1:-}" = --namespace ] || { echo "kubectl stand-in: expected --namespace first: $*" >&2; exit 64; }
ns=$2
shift 2
case "${1:-} ${2:-}" in
  "get secret")
    [ -d "$state/$ns/$3" ] || { echo "Error from server (NotFound): secrets \"$3\" not found" >&2; exit 1; }
    case "${4:-} ${5:-}" in
      " ") ;;
      "-o go-template="*) ls "$state/$ns/$3" ;;
      *) echo "kubectl stand-in: unsupported output: $*" >&2; exit 64 ;;
    esac ;;
  "create secret")
    [ "$3" = generic ] || { echo "kubectl stand-in: only generic secrets: $*" >&2; exit 64; }
    name=$4
    shift 4
    dir="$state/$ns/$name"
    [ ! -e "$dir" ] || { echo "Error from server (AlreadyExists): secrets \"$name\" already exists" >&2; exit 1; }
    mkdir -p "$dir"
    echo "create $ns/$name" >>"$state/calls"
    for arg in "$@"; do
      case "$arg" in
        --type=*) printf %s "${arg#--type=}" >"$dir/.type" ;;
        --from-literal=*)
          kv=${arg#--from-literal=}
          printf %s "${kv#*=}" >"$dir/${kv%%=*}" ;;
        --from-file=*/)
          # like kubectl: every regular file of the folder, named after it
          for f in "${arg#--from-file=}"*; do [ ! -f "$f" ] || cp "$f" "$dir/"; done ;;
        *) echo "kubectl stand-in: unsupported argument $arg" >&2; exit 64 ;;
      esac
    done ;;
  "patch secret")
    dir="$state/$ns/$3"
    [ -d "$dir" ] || { echo "Error from server (NotFound): secrets \"$3\" not found" >&2; exit 1; }
    [ "${4:-}" = --type=merge ] && [ "${5:-}" = -p ] || { echo "kubectl stand-in: only merge patches: $*" >&2; exit 64; }
    kv=$(printf %s "${6:-}" | sed -n 's/^{"stringData":{"\([a-z0-9-]*\)":"\([^"]*\)"}}$/\1=\2/p')
    [ -n "$kv" ] || { echo "kubectl stand-in: unsupported patch: ${6:-}" >&2; exit 64; }
    printf %s "${kv#*=}" >"$dir/${kv%%=*}"
    echo "patch $ns/$3 ${kv%%=*}" >>"$state/calls" ;;
  *) echo "kubectl stand-in: unsupported call: $*" >&2; exit 64 ;;
esac
