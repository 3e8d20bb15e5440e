# Build stage: the Swift toolchain image compiles the release binaries.
FROM swift:6.3-bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      pkg-config libpng-dev zlib1g-dev libssl-dev libturbojpeg0-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Benchmarks ./Benchmarks
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product dipd \
    && swift build -c release --static-swift-stdlib --product dip \
    && install -D .build/release/dipd /out/dipd && install -D .build/release/dip /out/dip

# Runtime stage: slim Debian with only the shared libraries the binaries link, and curl
# for the health check.
FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpng16-16 zlib1g libssl3 libturbojpeg0 curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data dipd \
    && mkdir -p /data && chown dipd /data
COPY --from=build /out/dipd /out/dip /usr/local/bin/
COPY config/dipd.json /etc/dipd/dipd.json
# Every setting can be changed with DIPD_* variables (see config/dipd.json for the names).
ENV DIPD_CONFIG=/etc/dipd/dipd.json \
    DIPD_HOST=0.0.0.0 \
    DIPD_PORT=8080 \
    DIPD_DATA_DIR=/data
USER dipd
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
# SIGTERM drains: running fits are saved as queued and run again on the next start.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/dipd"]
