# syntax=docker/dockerfile:1
# notifyd: a static, non-root image. Build: docker build -t notifyd .
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/notifyd ./cmd/notifyd \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/notifyd /usr/local/bin/notifyd
COPY --from=build --chown=65532:65532 /out/data /data
ENV NOTIFYD_HTTP_ADDR=0.0.0.0:8080 \
    NOTIFYD_DATABASE_URL=sqlite:/data/notifyd.db
VOLUME /data
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["notifyd"]
CMD ["run"]
