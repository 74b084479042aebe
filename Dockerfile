# rlsgate with the PostgreSQL 15 server binaries it starts its throwaway databases with:
#   docker run --rm -v "$PWD:/project" ghcr.io/rlsgate/rlsgate test
# Built and run by .github/workflows/release.yml (docs/ci.md).

FROM rust:1-slim-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
COPY src ./src
RUN cargo build --release --locked --bin rlsgate \
    && strip target/release/rlsgate

FROM debian:bookworm-slim
# Debian's stable point releases carry the security fixes, so the packages follow bookworm
# rather than a pinned version. No cluster is created at install: rlsgate makes its own.
# hadolint ignore=DL3008
RUN mkdir -p /etc/postgresql-common \
    && echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-15 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/rlsgate /usr/local/bin/rlsgate
# It runs as root, as CI jobs do; rlsgate then runs its Postgres as the `postgres` account.
ENV RLSGATE_PG_BIN=/usr/lib/postgresql/15/bin
WORKDIR /project
ENTRYPOINT ["rlsgate"]
CMD ["test"]
