# ouchie — `make run` serves the default site, `make test` runs every test.
GO        ?= go
BIN       ?= bin/ouchie
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X github.com/ouchie/ouchie/internal/cli.Version=$(VERSION)
LISTEN    ?= 127.0.0.1:8080
FUZZTIME  ?= 10s

.PHONY: all build run test test-short dist bench fuzz screenshots vet clean

all: build

build: ## the ouchie binary in bin/
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) .

run: build ## serve the embedded default site on $(LISTEN)
	$(BIN) serve --listen $(LISTEN)

test: ## every test: unit, CLI scripts, and the real nginx/HAProxy/Caddy/Chromium ones
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 20m ./...

test-short: ## unit tests only
	$(GO) test -short ./...

dist: build ## build every theme of the default site, all formats, compressed, into dist/
	$(BIN) build --dist dist --format all --compress

bench: build ## ouchie serve vs nginx under wrk, and ouchie build speed (needs wrk, nginx; see docs/performance.md)
	$(GO) build -o bin/ouchie-bench ./bench
	bin/ouchie-bench -ouchie $(BIN) $(BENCHFLAGS)

fuzz: ## every fuzz target of the module (found by go test -list), each for $(FUZZTIME)
	@list=$$($(GO) test -list '^Fuzz' ./...) || { echo "$$list"; exit 1; }; \
	targets=$$(echo "$$list" | awk '/^Fuzz/ { t[n++] = $$1 } /^ok / { for (i = 0; i < n; i++) print $$2 "," t[i]; n = 0 }'); \
	[ -n "$$targets" ] || { echo "no fuzz targets found" >&2; exit 1; }; \
	for pt in $$targets; do \
		pkg=$${pt%,*}; target=$${pt#*,}; \
		echo "fuzz: $$pkg $$target for $(FUZZTIME)"; \
		$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

vet:
	$(GO) vet ./...

clean:
	rm -rf bin dist

screenshots: ## each theme's 503 and 502 pages, light and dark, desktop and phone, into docs/screenshots/ (needs chromium)
	$(GO) run ./scripts/screenshots -src . -out docs/screenshots
