#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Install every Debian package clave needs to build, run, test and benchmark. Idempotent:
# runs `apt-get update` and `apt-get install` only when something is missing.
set -euo pipefail

PACKAGES=(
    # build
    build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
    # libraries (DESIGN.md §8)
    libssl-dev openssl libgmp-dev libcbor-dev libjansson-dev libargon2-dev libsqlite3-dev
    libp11-kit-dev p11-kit
    # metadata store: PostgreSQL client library for the postgres backend (src/lib/store/pg.c)
    libpq-dev
    # tests: a throwaway PostgreSQL 15 server (initdb, pg_ctl) for the store suite's PG run
    postgresql
    # claved: evhttp + bufferevent_openssl (DESIGN.md section 8)
    libevent-dev
    # clave CLI: HTTPS client for claved
    libcurl4-openssl-dev
    # claved integration tests drive the API with curl
    curl
    # bench/api.sh: load generator and the nginx baseline
    wrk nginx
    # bench/kbs.sh BENCH_PERF=FILE: profile claved under load (perf record)
    linux-perf
    # tests
    libcmocka-dev softhsm2 time
    # TPM 2.0: a software TPM and tpm2-tools for tests/integration/tpm2_swtpm.sh (real quotes)
    swtpm swtpm-tools tpm2-tools xxd
    # he_cli.sh runs a small Python model of python-paillier's formats (phe is not packaged)
    python3
    # tests/integration/dp_ledger_cli.sh: the sqlite3 shell holds a ledger's write lock
    sqlite3
    # src/lib/ml: matrix products through CBLAS (pkg-config name `openblas` on Debian 12)
    libopenblas-dev
    # bench/fl and the FL demo: Fashion-MNIST in IDX format (gzipped, /usr/share/datasets)
    dataset-fashion-mnist
    # demo data is extracted from Debian packages with apt-get download + dpkg-deb
    dpkg-dev
    # clave-runner: a seccomp system-call allowlist (src/runner/sandbox.c)
    libseccomp-dev
    # the demo signs a contract with a key inside a SoftHSM2 token (pkcs11-tool)
    opensc
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
    SUDO="sudo"
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
