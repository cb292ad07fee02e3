# ouchie — `make run` serves the default site, `make test` runs every test.
GO        ?= go
BIN       ?= bin/ouchie
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -buildid= -X github.com/ouchie/ouchie/internal/cli.Version=$(VERSION)
# Build tags: TAGS=kubernetes adds the Kubernetes crashlog source (client-go
# makes the binary more than twice as large; docs/kubernetes.md).
TAGS      ?=
# A static binary with no build path, build id or time in it: the same
# source and Go give the same bytes (make release checks it in its test).
GOBUILD   = $(GO) build -trimpath -tags '$(TAGS)' -ldflags '$(LDFLAGS)'
LISTEN    ?= 127.0.0.1:8080
FUZZTIME  ?= 10s

# make install: $(PREFIX)/bin, the first GOPATH's bin by default.
PREFIX    ?= $(firstword $(subst :, ,$(shell $(GO) env GOPATH)))
BINDIR    ?= $(PREFIX)/bin

# make release and make image: the last commit's time stands for "now" in
# archives and image timestamps, so rebuilding a commit gives the same
# archives and the same image layer.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 315532800)
RELEASE   ?= bin/release
PLATFORMS ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64
PODMAN    ?= podman
IMAGE     ?= ouchie:$(VERSION)
IMAGE_ARCH ?= $(shell $(GO) env GOARCH)
IMAGE_CONTEXT ?= bin/image
REVISION  ?= $(shell git rev-parse HEAD 2>/dev/null)
CREATED   ?= $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r $(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)

.PHONY: all build install release image run test test-short dist bench fuzz screenshots vet clean

all: build

build: ## the ouchie binary in bin/
	CGO_ENABLED=0 $(GOBUILD) -o $(BIN) .

install: build ## copy bin/ouchie to $(BINDIR) ($(go env GOPATH)/bin, or PREFIX=/usr/local for /usr/local/bin)
	install -d '$(DESTDIR)$(BINDIR)'
	install -m 0755 $(BIN) '$(DESTDIR)$(BINDIR)/ouchie'

release: ## static binaries for $(PLATFORMS), archived, with SHA256SUMS, into $(RELEASE)/
	rm -rf $(RELEASE)
	$(GO) run ./scripts/release -out $(RELEASE) -version '$(VERSION)' -date $(SOURCE_DATE_EPOCH) \
		-platforms '$(PLATFORMS)' -files README.md -- $(GOBUILD)

image: ## container image $(IMAGE) with podman: FROM scratch, the static linux binary (docs/docker.md)
	rm -rf $(IMAGE_CONTEXT) && mkdir -p $(IMAGE_CONTEXT)
	CGO_ENABLED=0 GOOS=linux GOARCH=$(IMAGE_ARCH) $(GOBUILD) -o $(IMAGE_CONTEXT)/ouchie .
	$(PODMAN) build --format docker --timestamp $(SOURCE_DATE_EPOCH) --platform linux/$(IMAGE_ARCH) \
		--build-arg VERSION='$(VERSION)' --build-arg REVISION='$(REVISION)' --build-arg CREATED='$(CREATED)' \
		-f Containerfile -t $(IMAGE) $(IMAGE_CONTEXT)

run: build ## serve the embedded default site on $(LISTEN)
	$(BIN) serve --listen $(LISTEN)

# The kube package's tests run in both builds (the package has no build
# tag); only ouchie serve's wiring of the source differs, so the tagged run
# is of those tests.
test: ## every test: unit, CLI scripts, and the real nginx/HAProxy/Caddy/Chromium ones; the serve tests again with -tags kubernetes
	$(GO) vet ./...
	$(GO) vet -tags kubernetes ./...
	$(GO) test -count=1 -timeout 30m ./...
	$(GO) test -count=1 -tags kubernetes -run Kubernetes ./internal/cli/

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
