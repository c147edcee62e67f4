# Portcullis: multi-stage build of one static binary on a minimal, non-root image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/proxy ./cmd/proxy

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/proxy /usr/local/bin/proxy
COPY config.example.yaml /etc/portcullis/config.yaml
USER nonroot:nonroot
# 9243: client listener (TLS); 9464: metrics, /healthz, /readyz.
EXPOSE 9243 9464
ENTRYPOINT ["/usr/local/bin/proxy"]
CMD ["serve", "--config", "/etc/portcullis/config.yaml"]
