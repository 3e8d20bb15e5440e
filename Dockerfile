# Build stage: the Swift toolchain image compiles the release binaries.
FROM swift:6.3-bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      pkg-config libpng-dev zlib1g-dev libssl-dev libturbojpeg0-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# The dependencies in a layer of their own, so a change to the sources does not fetch them again.
# A Package.resolved beside the manifest (the repository keeps none) pins them: the build then uses
# exactly its versions and fails if they no longer satisfy Package.swift.
COPY Package.* ./
RUN if [ -f Package.resolved ]; then swift package resolve --force-resolved-versions; \
    else swift package resolve; fi
COPY Sources ./Sources
COPY Benchmarks ./Benchmarks
COPY Tests ./Tests
COPY Plugins ./Plugins
COPY web ./web
COPY openapi.yaml ./
RUN swift build -c release --static-swift-stdlib --product dipd \
    && swift build -c release --static-swift-stdlib --product dip \
    && install -D -s .build/release/dipd /out/dipd && install -D -s .build/release/dip /out/dip

# Runtime stage: slim Debian with only the shared libraries the binaries link. The health
# check is dipd's own (`dipd --healthcheck`), so no HTTP client is installed.
FROM debian:bookworm-slim AS runtime
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpng16-16 zlib1g libssl3 libturbojpeg0 \
    && apt-get clean && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log \
    && groupadd --system --gid 10001 dipd \
    && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /data --shell /usr/sbin/nologin dipd \
    && mkdir -p /data && chown 10001:10001 /data
COPY --from=build /out/dipd /usr/local/bin/
COPY config/dipd.json /etc/dipd/dipd.json
# Every setting can be changed with DIPD_* variables (see config/dipd.json for the names).
ENV DIPD_CONFIG=/etc/dipd/dipd.json \
    DIPD_HOST=0.0.0.0 \
    DIPD_PORT=8080 \
    DIPD_DATA_DIR=/data
# Numeric, so that Kubernetes' runAsNonRoot can verify it. A bind-mounted /data must be
# writable by uid 10001 (chown 10001:10001 the host folder); dipd says so if it is not.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8080
# It reads the same settings as the service, so it follows DIPD_PORT. (Podman keeps a
# HEALTHCHECK only in images built with --format docker.)
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/usr/local/bin/dipd", "--healthcheck"]
# SIGTERM drains: running fits are saved as queued and run again on the next start.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/dipd"]

# The same image with the `dip` command beside the service (60 MB more), for running fits by hand:
#   docker build --target with-cli -t dipd:cli .  &&  docker run --rm --entrypoint dip dipd:cli info
FROM runtime AS with-cli
COPY --from=build /out/dip /usr/local/bin/

# The default image: the service alone.
FROM runtime
