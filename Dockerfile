# mockcloud as a sidecar: docker build -t mockcloud . && docker run -p 8080:8080 mockcloud
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY scenarios ./scenarios
RUN cargo build --release --locked --bin mockcloud

# Distroless: glibc and nothing else; no shell is needed, the health check is
# the binary itself.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/mockcloud /usr/local/bin/mockcloud
COPY scenarios /scenarios
ENV MOCKCLOUD_HOST=0.0.0.0 \
    MOCKCLOUD_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=2s --retries=3 \
    CMD ["/usr/local/bin/mockcloud", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/mockcloud"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
