# mockcloud as a sidecar:
#   docker build -t mockcloud .
#   docker run -p 8080:8080 mockcloud
#   docker run -p 8080:8080 -e MOCKCLOUD_ADMIN_TOKEN=change-me mockcloud
# It listens on 0.0.0.0 and so warns at start unless an admin token is set.
# /__admin answers to localhost and IP addresses; give other names (a compose
# service name) with MOCKCLOUD_ALLOWED_HOSTS=mockcloud.
#
# Build a fully static binary (musl), then ship it alone on distroless/static:
# no shell, no libc, nothing to patch. The health check is the binary itself.
FROM rust:1-bookworm AS build
RUN rustup target add x86_64-unknown-linux-musl \
 && apt-get update && apt-get install -y --no-install-recommends musl-tools \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock askama.toml ./
COPY src ./src
COPY scenarios ./scenarios
COPY openapi ./openapi
COPY benches ./benches
RUN cargo build --release --locked --bin mockcloud --target x86_64-unknown-linux-musl \
 && strip target/x86_64-unknown-linux-musl/release/mockcloud

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /src/target/x86_64-unknown-linux-musl/release/mockcloud /usr/local/bin/mockcloud
# The built-in scenarios are compiled in; these copies are for reference and
# for MOCKCLOUD_SCENARIO=/scenarios/<name>.json. Mount your own anywhere.
COPY scenarios /scenarios
ENV MOCKCLOUD_HOST=0.0.0.0 \
    MOCKCLOUD_PORT=8080 \
    MOCKCLOUD_SCENARIO=default
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s --start-period=2s --retries=3 \
    CMD ["/usr/local/bin/mockcloud", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/mockcloud"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
