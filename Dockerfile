# syntax=docker/dockerfile:1
#
# ouchie: a static binary and the default site's bundles (every theme, every
# format) on distroless, running as an unprivileged user.
#
#   docker build -t ouchie .
#   docker run --rm -p 8080:8080 ouchie
#
# Your own pages: build with --build-arg SITE=<folder in the build context
# holding content/, themes/ and ouchie.yaml>, or mount a built bundle over
# /dist. See docs/docker.md. --build-arg TAGS=kubernetes adds the Kubernetes
# crashlog source (docs/crashlogs.md).

ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TAGS=
RUN CGO_ENABLED=0 go build -trimpath -tags "${TAGS}" -ldflags "-s -w -X github.com/ouchie/ouchie/internal/cli.Version=${VERSION}" -o /out/ouchie .
ARG SITE=.
RUN /out/ouchie build --src "${SITE}" --dist /out/dist --format all

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/ouchie /ouchie
COPY --from=build /out/dist /dist
ENV OUCHIE_LISTEN=0.0.0.0:8080 \
    OUCHIE_DIST=/dist \
    OUCHIE_LOG_FORMAT=json
USER 65532:65532
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=5s --retries=3 \
    CMD ["/ouchie", "healthcheck", "--url", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/ouchie"]
CMD ["serve"]
