# Onramp. `make run` serves the embedded default; `make test` runs every test.
GO      ?= go
BIN     := bin/onramp
# Packages where concurrency lives run under the race detector; the large
# generated packages build without it (it doubles their build time).
RACE_PKGS := ./internal/...
PLAIN_PKGS := $(shell $(GO) list ./... 2>/dev/null | grep -v '/internal/')

.PHONY: run demo build test test-sqlite test-postgres vet fmt-check generate-check bench clean

run: build
	ONRAMP_DEV=$${ONRAMP_DEV:-true} ./$(BIN) serve

# Places a sample order starting today against the server of `make run`.
demo: build
	./$(BIN) demo

build:
	$(GO) build -o $(BIN) .

test: vet fmt-check test-sqlite test-postgres

# The suite on the embedded SQLite file.
test-sqlite:
	$(GO) test -count=1 -race $(RACE_PKGS)
	$(GO) test -count=1 $(PLAIN_PKGS)

# The same suite on PostgreSQL (ONRAMP_TEST_POSTGRES_URL, default the local
# server on 127.0.0.1:5432): each test gets a database of its own. A missing
# server fails the run; it never skips.
test-postgres:
	ONRAMP_TEST_DATABASE=postgres $(GO) test -count=1 -race $(RACE_PKGS)

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
	rm -rf bin
