# Shared by the deploy scripts (sourced). Fails with one clear line when a tool is missing.
need() {
  command -v "$1" >/dev/null 2>&1 || { echo "error: $1 not found on PATH: $2" >&2; exit 2; }
}

# Names of every service in @recio/platform (built by `make build`).
service_names() {
  node --input-type=module -e 'const m = await import(process.argv[1]); console.log(m.SERVICES.map((s) => s.name).join(" "))' \
    "$ROOT/platform/dist/index.js"
}

# Services that connect to PostgreSQL, each as its own role: "<service>=<role>" pairs.
database_roles() {
  node --input-type=module -e 'const m = await import(process.argv[1]); console.log(m.databaseServices(m.SERVICES).map((s) => `${s.name}=${m.databaseRoleName(s.name)}`).join(" "))' \
    "$ROOT/platform/dist/index.js"
}

# Users of the Redis ACL, one key each in the recio-redis-acl Secret (cdk8s/src/redis-acl.ts, built by `make build`).
redis_acl_users() {
  node --input-type=module -e 'const m = await import(process.argv[1]); console.log(m.redisAclSecretKeys().join(" "))' \
    "$ROOT/cdk8s/dist/redis-acl.js"
}

# Services whose code exists in this checkout: the relay (router/) and services/<name>/.
buildable_services() {
  for s in $(service_names); do
    if [ "$s" = relay ] || [ -f "$ROOT/services/$s/package.json" ]; then printf '%s ' "$s"; fi
  done
}

docker_answers() {
  command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1
}
