# notifyd — `make help` lists the targets.
GO ?= go
BIN := bin

.PHONY: help build test test-race lint bench demo ci tools

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-z-]+:.*## /{printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build bin/notifyd (git-ignored)
	$(GO) build -o $(BIN)/notifyd ./cmd/notifyd

test: ## run every test (miniredis and SQLite unless NOTIFYD_TEST_REDIS_URL / NOTIFYD_TEST_DATABASE_URL are set)
	$(GO) test ./...

test-race: ## the tests with the race detector, as CI runs them
	$(GO) test -race ./...

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

bench: ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

demo: ## run the demo once and print its summary
	$(GO) run ./cmd/notifyd demo --once

ci: ## what CI runs (needs local Redis and Postgres)
	bash .ci/run

tools: ## build the test tools (Mailpit) into tools/bin (git-ignored), from their own module
	cd tools && $(GO) build -o bin/mailpit github.com/axllent/mailpit
