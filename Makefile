# Onramp. `make run` serves the embedded default; `make test` runs every test.
GO      ?= go
BIN     := bin/onramp
# Packages where concurrency lives run under the race detector; the large
# generated packages build without it (it doubles their build time), and so
# do the fault and start-up tests, which run a binary they build without it
# (the race detector would watch only their harness, at twice the CPU).
PROCESS_PKGS := ./internal/faults ./internal/startup
RACE_PKGS := $(shell $(GO) list ./internal/... 2>/dev/null | grep -v -e '/internal/faults$$' -e '/internal/startup$$')
PLAIN_PKGS := $(shell $(GO) list ./... 2>/dev/null | grep -v '/internal/') $(PROCESS_PKGS)

.PHONY: run demo build test test-prereqs test-suites test-frontend-unit test-browser test-sqlite test-sqlite-race test-sqlite-plain test-postgres test-frontend test-conformance frontend lint lint-go lint-frontend vet fmt-check generate-check bench clean

# The binary embeds frontend/dist: build the wizard first (when missing or
# stale), then the binary.
run: frontend
	$(MAKE) build
	ONRAMP_DEV=$${ONRAMP_DEV:-true} ./$(BIN) serve

# Places a sample order starting today against the server of `make run`.
demo: build
	./$(BIN) demo

build:
	$(GO) build -o $(BIN) .

# Lint (which also generates the frontend's GraphQL types) and build
# first; then five suites at once, their outputs one after the other as
# each ends: the two SQLite halves and the PostgreSQL run of the Go suite
# use databases of their own per test, the browser tests and the
# conformance audit their own servers, and the frontend's unit tests none.
# Nothing in that stage writes a file another reads.
test: test-prereqs lint frontend
	$(MAKE) --no-print-directory build
	$(MAKE) --no-print-directory -j5 -O test-suites

test-suites: test-sqlite-race test-sqlite-plain test-postgres test-frontend-unit test-browser

# The parts of test-frontend, for `make test`'s parallel stage (the build
# and the generated types are made before it).
test-frontend-unit:
	cd frontend && npx vitest run

test-browser:
	cd frontend && npm run test:e2e
	cd frontend && node conformance/audit.mjs

# What a fresh machine lacks: Debian's chromium, and the local PostgreSQL
# started (and its "test" database created) unless ONRAMP_TEST_POSTGRES_URL
# names another server.
test-prereqs:
	@scripts/test-prereqs

# The suite on the embedded SQLite file. Tests wait more than they compute
# (servers, sockets, the job queue), so more of them run at once than the
# two cores (-parallel).
GO_TEST := $(GO) test -count=1 -parallel 8

test-sqlite: test-sqlite-race test-sqlite-plain

# The two halves of test-sqlite, apart so that make test runs them at once.
test-sqlite-race:
	$(GO_TEST) -race $(RACE_PKGS)

test-sqlite-plain:
	$(GO_TEST) $(PLAIN_PKGS)

# The same suite on PostgreSQL (ONRAMP_TEST_POSTGRES_URL, default the local
# server on 127.0.0.1:5432): each test gets a database of its own. A missing
# server fails the run; it never skips. Without -race: the Go code is the
# SQLite run's, which has the race detector, and so do the tests of what
# only PostgreSQL does (replicas, the listener), which run in both; this
# run checks the SQL. The race detector doubled its CPU on two cores.
test-postgres:
	ONRAMP_TEST_DATABASE=postgres $(GO_TEST) ./internal/...

# The React wizard and the GraphQL IDE (frontend/dist, embedded by the
# binary). npm ci runs when node_modules is missing or the lockfile changed;
# the build runs when a source (or the GraphQL schema it is typed from) is
# newer than dist/index.html.
FRONTEND_SRC := $(shell find frontend/src frontend/index.html frontend/playground.html \
	frontend/vite.config.ts frontend/codegen.ts frontend/tsconfig.json frontend/package.json \
	schema -type f -not -path 'frontend/src/gql/*' 2>/dev/null)

frontend: frontend/dist/index.html

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	cd frontend && npm ci --no-audit --no-fund
	@touch $@

frontend/dist/index.html: frontend/node_modules/.package-lock.json $(FRONTEND_SRC)
	cd frontend && npm run build

# Unit tests (Vitest + Testing Library), then the end-to-end tests: a real
# `onramp serve` (built here, with the fresh frontend embedded) driven in
# Debian's chromium by playwright-core.
test-frontend: frontend
	$(MAKE) build
	cd frontend && npm test
	cd frontend && npm run test:e2e

# GraphQL-over-HTTP conformance: graphql-http's server audit against a real
# `onramp serve` (dev mode, a temporary SQLite file, a free port); any error
# fails the run, warnings are listed (see README).
test-conformance: frontend/node_modules/.package-lock.json build
	cd frontend && node conformance/audit.mjs

# golangci-lint (.golangci.yml: staticcheck, errcheck, revive, gosec,
# exhaustive and the rest), go vet and gofmt; ESLint (typescript-eslint,
# React's hooks rules), Prettier and tsc for the frontend.
lint: lint-go lint-frontend

GOLANGCI := bin/golangci-lint

# Built from tools/go.mod, which pins its version apart from the service's
# modules.
$(GOLANGCI): tools/go.mod tools/go.sum
	cd tools && $(GO) build -o ../$(GOLANGCI) github.com/golangci/golangci-lint/v2/cmd/golangci-lint

lint-go: $(GOLANGCI) vet fmt-check
	$(GOLANGCI) run ./...

lint-frontend: frontend/node_modules/.package-lock.json
	cd frontend && npm run codegen --silent && npx tsc -b && npm run lint --silent

vet:
	$(GO) vet ./...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './frontend/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Regenerates ent and gqlgen code and fails when it differs from what is
# committed.
generate-check:
	$(GO) generate ./...
	git diff --exit-code

bench: build
	$(GO) run ./bench

clean:
	rm -rf bin frontend/dist/assets frontend/dist/*.html
