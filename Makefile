# Thin wrappers over npm scripts. Connection strings are variables:
#   make test REDIS_URL=redis://host:6379 DATABASE_URL=postgres://user@host:5432/recio
# Where nothing answers at them, private servers are started under .recio/ and stopped after.

REDIS_URL ?= redis://127.0.0.1:6379
DATABASE_URL ?= postgres://127.0.0.1:5432/recio
export REDIS_URL DATABASE_URL

.PHONY: all install build tools lint format test test-unit test-int test-e2e chaos dev bench migrate check clean services-stop synth images deploy undeploy

all: build

# npm ci when the lockfile changed since the last install (a fresh clone has no node_modules).
node_modules/.install-stamp: package-lock.json package.json */package.json
	npm ci --no-audit --no-fund
	@touch $@

install: node_modules/.install-stamp

build: install
	npm run build

# Tools the tests need (redis-server, PostgreSQL binaries) are installed if missing.
tools:
	scripts/ensure-tools.sh

# Format check (Prettier), lint (ESLint, type-aware), type check, then unit, integration and e2e tests.
test: build tools
	scripts/with-services.sh npm test

lint: build
	npm run format:check
	npm run lint

# Rewrites the tree in the house format (Prettier); `make test` fails on anything unformatted.
format: install
	npm run format

test-unit: build
	npm run test:unit

test-int: build tools
	scripts/with-services.sh npm run test:int

# A whole simulated trading day of the local stack: undisturbed, with services killed, with the exchange failing (~7 min).
test-e2e: build tools
	scripts/with-services.sh npm run test:e2e

# The trading day once undisturbed and once under each fault (services SIGKILLed, the exchange failing,
# Redis down 30 s, Redis restarted empty, a Sentinel failover, PostgreSQL crashed), then the fault
# table (docs/reliability.md), 10 to 15 min on this machine.
chaos: build tools
	scripts/with-services.sh npm run chaos

# The whole platform as local processes (stack/): migrations, relay, paper exchange, every
# service, restarted when they crash, prefixed logs. Ctrl-C stops all. STACK_* variables: stack/README.md.
dev: build tools
	scripts/with-services.sh node stack/dist/main.js

bench: build tools
	scripts/with-services.sh npm run bench

migrate: build
	scripts/with-services.sh node router/dist/cli/main.js migrate

check: build
	scripts/with-services.sh node router/dist/cli/main.js check

services-stop: build
	node topology/dist/cli.js stop

clean:
	npm run clean --if-present
	rm -rf node_modules */node_modules */dist

# Kubernetes (docs/deploy.md). Charts are synthesized into charts/<profile>-<redis mode>/ and committed.
ENV ?= kind
REDIS_MODE ?= sentinel
REGISTRY ?= recio
IMAGE_TAG ?= 0.1.0
KIND_CLUSTER ?= recio
NAMESPACE ?= recio
DEPLOY_VARS = ENV=$(ENV) REDIS_MODE=$(REDIS_MODE) REGISTRY=$(REGISTRY) IMAGE_TAG=$(IMAGE_TAG) \
	KIND_CLUSTER=$(KIND_CLUSTER) NAMESPACE=$(NAMESPACE) KUBE_CONTEXT=$(KUBE_CONTEXT)

synth: build
	npm run synth

# Builds with docker when an engine answers; otherwise prints one line and exits 0.
images: build
	$(DEPLOY_VARS) cdk8s/scripts/images.sh

deploy: build
	$(DEPLOY_VARS) cdk8s/scripts/deploy.sh

undeploy: build
	$(DEPLOY_VARS) DELETE_CLUSTER=$(DELETE_CLUSTER) cdk8s/scripts/undeploy.sh
