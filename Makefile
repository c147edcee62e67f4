# Portcullis — the two commands a newcomer needs:
#   make demo   run the proxy for real in front of a real OpenSearch (TLS, sample users, roles and data)
#   make test   run every test (installs what it needs, starts and stops the servers)

GO      ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)

.PHONY: all build demo test unit spec e2e vet fuzz bench clean deps image

all: build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o bin/proxy ./cmd/proxy

demo: build
	scripts/demo.sh

# The container image from the Dockerfile (buildah; see scripts/image.sh).
image:
	scripts/image.sh build

deps:
	scripts/install-deps.sh

vet:
	$(GO) vet ./...
	@unformatted=$$(gofmt -l cmd internal test bench deploy 2>/dev/null); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

# Route-table coverage against the REST API specifications from Maven Central.
spec:
	scripts/fetch-rest-spec.sh
	REST_SPEC_DIR=$${REST_SPEC_DIR:-$$HOME/.cache/portcullis/rest-api-spec} REST_SPEC_REQUIRED=1 \
	  $(GO) test -count=1 -run TestSpecCoverage -v ./internal/esapi/ | grep -E '^(spec coverage|--- |ok|FAIL)'

# Short fuzzing runs of every fuzz target (the seeds also run in `unit`).
fuzz:
	scripts/fuzz.sh 10s

e2e: build
	scripts/e2e.sh

test: deps vet unit e2e spec fuzz

bench: build
	bench/run.sh

clean:
	rm -rf bin .run
