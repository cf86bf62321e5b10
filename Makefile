# Developer shortcuts. `go test ./...` alone needs nothing but Go.
GO ?= go
# The release toolchain (see go.mod); override with GOTOOLCHAIN=local to use your own Go.
GOTOOLCHAIN ?= go1.27.3
export GOTOOLCHAIN

.PHONY: test test-race test-kafka lint vet bench fuzz build validate ci

build:
	$(GO) build -trimpath -o bin/ ./cmd/...

test:
	$(GO) test ./...

test-race:
	$(GO) test -race ./...

# The same integration tests against a real Apache Kafka 4.x broker on loopback.
test-kafka:
	@set -e; env_line=$$(deploy/kafka/kafka-local.sh start); export "$$env_line"; \
	trap 'deploy/kafka/kafka-local.sh stop' EXIT; $(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

lint: vet
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0 run ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

fuzz:
	.ci/fuzz

validate:
	deploy/validate/validate.sh

ci:
	bash .ci/run
