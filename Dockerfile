# Build stage: the Swift toolchain image compiles the release binaries.
FROM swift:6.3-bookworm AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      pkg-config libpng-dev zlib1g-dev libssl-dev libopenblas-dev libturbojpeg0-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Benchmarks ./Benchmarks
COPY Tests ./Tests
RUN swift build -c release --product dip --static-swift-stdlib \
    && install -D .build/release/dip /out/dip

# Runtime stage: slim Debian with only the shared libraries the binary links.
FROM debian:bookworm-slim
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libpng16-16 zlib1g libssl3 libopenblas0-pthread libturbojpeg0 libgfortran5 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data dip \
    && mkdir -p /data && chown dip /data
COPY --from=build /out/dip /usr/local/bin/dip
USER dip
WORKDIR /data
VOLUME ["/data"]
ENTRYPOINT ["/usr/local/bin/dip"]
CMD ["--help"]
