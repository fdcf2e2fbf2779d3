# cometsync — the two commands a new user needs are `make demo` and `make test`.
GO      ?= go
BIN     := build/cometsync
PKGS    := ./...
FUZZTIME ?= 15s

# staticcheck is pinned (2026.2.2, which supports Go 1.26) and installed into .bin by
# `make staticcheck`; reinstalled when .bin holds another version or one built by
# another Go.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(CURDIR)/.bin/staticcheck

.PHONY: all build test demo proto proto-deps bench lint staticcheck fuzz clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/cometsync

## test: unit, integration (real CometBFT in-process, real gRPC) and fuzz-corpus tests
test:
	$(GO) test -count=1 -timeout 30m $(PKGS)

## demo: one process: a one-validator chain, a mediator and three participants settle a DvP; see README
demo: build
	./$(BIN) demo

## proto: regenerate the gogoproto code under proto/ (pinned protoc-gen-gocosmos)
proto: proto-deps
	./scripts/protocgen.sh

proto-deps:
	@command -v protoc >/dev/null 2>&1 || { \
	  echo "installing protoc (Debian protobuf-compiler)"; \
	  (apt-get update -qq && apt-get install -y -qq protobuf-compiler) >/dev/null || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq protobuf-compiler) >/dev/null; }

## bench: sequencer vs CometBFT kvstore throughput and latency, then IOU transfers end to end (prints tables)
bench: build
	./$(BIN) bench sequencer --phase 5s
	./$(BIN) bench e2e --duration 5s --ious 64 --concurrency 16 --replay-events 2000
	./$(BIN) bench e2e --across --duration 5s --ious 64 --concurrency 16 --replay-events 2000

## lint: gofmt, go vet and staticcheck (pinned, installed into .bin)
lint: staticcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'))" || { gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$'); exit 1; }
	$(GO) vet $(PKGS)
	$(STATICCHECK) $(PKGS)

staticcheck:
	@$(GO) version -m "$(STATICCHECK)" 2>/dev/null | grep -q "^[[:space:]]*mod[[:space:]]*honnef.co/go/tools[[:space:]]*$(STATICCHECK_VERSION)[[:space:]]" && \
	  [ "$$($(GO) version "$(STATICCHECK)" | awk '{print $$NF}')" = "$$($(GO) env GOVERSION)" ] || { \
	  echo "installing staticcheck $(STATICCHECK_VERSION) into .bin"; \
	  mkdir -p "$(CURDIR)/.bin" && GOBIN="$(CURDIR)/.bin" $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION); }

## fuzz: run every fuzz target for FUZZTIME each
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

clean:
	rm -rf build
