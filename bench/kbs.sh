#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Key broker benchmark: starts claved on loopback TLS (SQLite, or PostgreSQL with
# BENCH_STORE=postgres), a simulated SEV-SNP PKI, a contract signed by one party and a sealed
# dataset, then runs bench_kbs (full RCAR releases: auth + attest with sim SNP evidence +
# resource) with BENCH_CLIENTS concurrent clients for BENCH_SECONDS. Prints bench_kbs's JSON
# lines (releases/s, p50/p99, CPU per release, same-run `openssl speed ecdsap384` verify/s).
# PostgreSQL runs with fsync=on (BENCH_PG_FSYNC=off to compare); SQLite is claved's own
# (WAL, synchronous=FULL). BENCH_PERF=FILE records the server with `perf record` during the run
# (BENCH_PERF_ARGS, default -g; e.g. "--call-graph dwarf,16384 -F 499").
# Usage: bench/kbs.sh BUILD-DIR   (needs curl, openssl, python3; perf for BENCH_PERF)
set -euo pipefail
build=$(realpath "${1:?usage: bench/kbs.sh BUILD-DIR}")
src=$(cd "$(dirname "$0")/.." && pwd)
for tool in curl openssl python3 sha256sum base64; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/deps.sh)" >&2; exit 1; }
done
CLIENTS=${BENCH_CLIENTS:-8}
SECONDS_RUN=${BENCH_SECONDS:-10}
work=$(mktemp -d)
pid=""
pgdir=""
cleanup() {
    [[ -n "$pid" ]] && kill "$pid" 2>/dev/null
    [[ -n "$pgdir" ]] && (cd / && bash "$src/tests/testlib/pg_server.sh" stop "$pgdir" >/dev/null 2>&1)
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
clave=$build/clave
port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
U=https://127.0.0.1:$port
export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=1024 CLAVE_LOG_LEVEL=warn
export CLAVE_THREADS=${BENCH_SERVER_THREADS:-2} CLAVE_WORKERS=${BENCH_SERVER_WORKERS:-4}
export CLAVE_KBS_TRUST_SIM=1 CLAVE_KBS_AUTH_RATE=1000000 CLAVE_KBS_MAX_SESSIONS=10000000
if [[ ${BENCH_STORE:-sqlite} == postgres ]]; then
    pgdir=$(mktemp -d /tmp/clave-kbsbench-XXXXXX)
    pgport=$((40000 + RANDOM % 20000))
    (cd / && bash "$src/tests/testlib/pg_server.sh" start "$pgdir" "$pgport" >/dev/null &&
        bash "$src/tests/testlib/pg_server.sh" createdb "$pgdir" claved_bench "$pgport")
    # The test fixture runs PostgreSQL with fsync=off; a benchmark measures a durable server.
    as_pg=()
    [[ $(id -u) -eq 0 ]] && as_pg=(runuser -u postgres --)
    (cd / && "${as_pg[@]}" "${CLAVE_PG_BIN:-/usr/lib/postgresql/15/bin}/pg_ctl" -D "$pgdir/data" -w -t 60 \
        -l "$pgdir/server.log" restart -o "-k $pgdir -c listen_addresses='' -p $pgport \
        -c fsync=${BENCH_PG_FSYNC:-on} -c max_connections=50" >/dev/null)
    export CLAVE_STORE=postgres CLAVE_PG_CONNINFO="host=$pgdir port=$pgport user=postgres dbname=claved_bench"
fi

"$clave" attest sim-init --dir "$work/sim" >/dev/null
printf '{"version":1,"tees":{"sim-snp":{"trusted_roots":["%s"]}}}\n' "$work/sim/root.pem" >policy.json
export CLAVE_KBS_ATTEST_POLICY=$work/policy.json CLAVE_KBS_COLLATERAL_DIR=$work/sim
printf 'bench-password\n' >pw
"$clave" server init --data-dir "$work/data" --admin bench --password-file pw --listen "127.0.0.1:$port" >/dev/null
"$build/claved" --config data/claved.conf 2>claved.log &
pid=$!
for _ in $(seq 1 100); do curl -sk "$U/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
CA=(--cacert data/tls/cert.pem)
token=$(curl -s "${CA[@]}" -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password"}' "$U/v1/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
api() { curl -s "${CA[@]}" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -o body.out -w '%{http_code}' --data-binary "@$2" "$U$1"; }
b64url() { base64 -w0 "$1" | tr '+/' '-_' | tr -d '='; }

# One party, one contract naming one dataset sealed to the broker key.
openssl genpkey -algorithm ed25519 -out alice.pem 2>/dev/null
spki=$(openssl pkey -in alice.pem -pubout -outform DER 2>/dev/null | base64 -w0)
curl -s "${CA[@]}" "$U/v1/kbs/key" >broker.jwk
head -c 4096 /dev/urandom >data.bin
"$clave" seal data.bin data.sealed --to-jwk broker.jwk >/dev/null
M=$(printf 'b%.0s' {1..96})
cat >contract.json <<JSON
{"collaboration": "bench", "version": 1,
 "datasets": [{"id": "d1", "owner": "alice", "sha256": "$(sha256sum data.sealed | cut -d' ' -f1)"}],
 "computation": {"kind": "query", "spec": {"select": ["x"]}},
 "workloads": [{"tee": "sim-snp", "measurement": "$M",
                "min_tcb": {"bootloader": 0, "tee": 0, "snp": 0, "microcode": 0}}],
 "tcb_statuses": ["UpToDate"],
 "output": {"budgets": [{"party": "alice", "epsilon_micro": 1000000, "delta_pico": 0}],
            "min_group_size": 10, "columns": ["x"]},
 "recipients": [{"party": "alice", "spki": "$spki"}],
 "regions": ["eu"], "signers": [{"party": "alice", "spki": "$spki"}],
 "not_before": 1700000000, "expiry": 4000000000}
JSON
# the tenant party alice and the collaboration, alice its founding member (self-signed)
printf '{"name":"alice"}' >req.json
[[ $(api /v1/parties req.json) == 201 ]] || { echo "bench: party: $(cat body.out)" >&2; exit 1; }
CLAVE_CONFIG_DIR=$work/cfg "$clave" login --server "$U" --user bench --password-file pw \
    --cacert data/tls/cert.pem >/dev/null
CLAVE_CONFIG_DIR=$work/cfg "$clave" collab create bench >/dev/null
CLAVE_CONFIG_DIR=$work/cfg "$clave" party add --collab bench --party alice --identity-key alice.pem \
    --sign-key alice.pem >/dev/null
"$clave" contract propose --spec contract.json --out c.cbor >/dev/null
"$clave" contract sign c.cbor --key alice.pem --party alice --out c.alice.cose >/dev/null
"$clave" contract export c.cbor --signature alice=c.alice.cose --out c.bundle >/dev/null
printf '{"bundle":"%s"}' "$(b64url c.bundle)" >req.json
[[ $(api /v1/contracts req.json) == 201 ]] || { echo "bench: contract: $(cat body.out)" >&2; exit 1; }
printf '{"id":"d1","name":"d1","owner":"alice","region":"eu","row_count":1,"schema":{"x":"int"},"sealed":"%s"}' \
    "$(b64url data.sealed)" >req.json
[[ $(api /v1/collaborations/bench/datasets req.json) == 201 ]] || { echo "bench: dataset: $(cat body.out)" >&2; exit 1; }

args=(--url "$U" --cacert data/tls/cert.pem --sim-dir sim --measurement "$M"
    --resource bench/dataset/d1 --server-pid "$pid")
"$build/bench_kbs" "${args[@]}" --clients 2 --seconds 1 --no-openssl >/dev/null # warm-up
if [[ -n "$pgdir" ]]; then # the PostgreSQL backends serving claved count as server CPU
    pm=$(head -1 "$pgdir/data/postmaster.pid")
    for p in $pm $(ps --ppid "$pm" -o pid=); do args+=(--server-pid "$p"); done
fi
if [[ -n ${BENCH_PERF:-} ]]; then
    perf record ${BENCH_PERF_ARGS:--g} -o "$BENCH_PERF" -p "$pid" -- sleep "$((SECONDS_RUN + 4))" 2>/dev/null &
    perfpid=$!
fi
${BENCH_CLIENT_WRAP:-} "$build/bench_kbs" "${args[@]}" --clients "$CLIENTS" --seconds "$SECONDS_RUN"
[[ -n ${BENCH_PERF:-} ]] && wait "$perfpid"
echo "{\"bench\":\"kbs\",\"store\":\"${BENCH_STORE:-sqlite}\",\"server_threads\":$CLAVE_THREADS,\"server_workers\":$CLAVE_WORKERS,\"cores\":$(nproc),\"openssl\":\"$(openssl version | cut -d' ' -f2)\"}"
