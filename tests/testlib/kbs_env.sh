# SPDX-License-Identifier: Apache-2.0
# Shared setup for the key broker integration tests (sourced, not run): a simulated SEV-SNP PKI
# with a policy trusting its root (NO HARDWARE PROTECTION), claved data, optional throwaway
# PostgreSQL, claved replicas on loopback TLS, one party (alice, Ed25519) and contracts naming
# one dataset sealed to the broker key. The caller sets clave, claved, src, work and cds to $work.
# Functions print nothing on success and exit 1 with the server log on failure.

kbs_pids=()
kbs_pgdir=""
kbs_cleanup() {
    local p
    for p in "${kbs_pids[@]}"; do kill -9 "$p" 2>/dev/null && wait "$p" 2>/dev/null || true; done
    [[ -n "$kbs_pgdir" ]] && (cd / && bash "$src/tests/testlib/pg_server.sh" stop "$kbs_pgdir" >/dev/null 2>&1)
    rm -rf "$work"
}

# kbs_env_pg: a throwaway PostgreSQL for every claved started afterwards.
kbs_env_pg() {
    kbs_pgdir=$(mktemp -d /tmp/clave-kbsenv-XXXXXX)
    local pgport=$((40000 + RANDOM % 20000))
    (cd / && bash "$src/tests/testlib/pg_server.sh" start "$kbs_pgdir" "$pgport" >/dev/null &&
        bash "$src/tests/testlib/pg_server.sh" createdb "$kbs_pgdir" claved_kbs "$pgport")
    export CLAVE_STORE=postgres
    export CLAVE_PG_CONNINFO="host=$kbs_pgdir port=$pgport user=postgres dbname=claved_kbs"
}

# kbs_env_init PORT: sim PKI in $work/sim (the collateral directory), policy, claved data.
kbs_env_init() {
    export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=64 CLAVE_THREADS=2 CLAVE_WORKERS=2
    export CLAVE_KBS_TRUST_SIM=1 CLAVE_KBS_AUTH_RATE=1000
    unset CLAVE_PASSWORD CLAVE_TOTP
    "$clave" attest sim-init --dir "$work/sim" >/dev/null
    printf '{"version":1,"tees":{"sim-snp":{"trusted_roots":["%s"]}}}\n' "$work/sim/root.pem" \
        >"$work/policy.json"
    export CLAVE_KBS_ATTEST_POLICY=$work/policy.json CLAVE_KBS_COLLATERAL_DIR=$work/sim
    printf 'admin-password\n' >"$work/pw"
    "$clave" server init --data-dir "$work/data" --admin root --password-file "$work/pw" \
        --listen "127.0.0.1:$1" >/dev/null
    openssl genpkey -algorithm ed25519 -out "$work/alice.pem" 2>/dev/null
}

# kbs_start PORT: one more claved over the same data directory and store, listening on PORT.
kbs_start() {
    CLAVE_LISTEN="127.0.0.1:$1" "$claved" --config "$work/data/claved.conf" 2>>"$work/server.$1.log" &
    kbs_pids+=($!)
    for _ in $(seq 1 100); do
        curl -s --cacert "$work/data/tls/cert.pem" "https://127.0.0.1:$1/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "claved on port $1 did not start" >&2
    cat "$work/server.$1.log" >&2
    exit 1
}

# kbs_login PORT: an admin bearer token.
kbs_login() {
    curl -s --cacert "$work/data/tls/cert.pem" -H 'Content-Type: application/json' \
        -d '{"username":"root","password":"admin-password"}' "https://127.0.0.1:$1/v1/login" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}

# kbs_api PORT TOKEN METHOD PATH [BODY-FILE]: prints the HTTP status, the body in $work/body.out.
kbs_api() {
    local args=(-s --cacert "$work/data/tls/cert.pem" -H "Authorization: Bearer $2"
        -H 'Content-Type: application/json' -X "$3" -o "$work/body.out" -w '%{http_code}')
    [[ $# -ge 5 ]] && args+=(--data-binary "@$5")
    curl "${args[@]}" "https://127.0.0.1:$1$4"
}

kbs_b64url() { base64 -w0 "$1" | tr '+/' '-_' | tr -d '='; }

KBS_M=$(printf 'b%.0s' {1..96}) # the measurement every contract accepts

# kbs_collab PORT TOKEN COLLAB TCB-STATUSES-JSON: a contract signed by alice accepting sim-snp
# with measurement KBS_M and those TCB statuses, and dataset "d1" sealed to the broker key.
# Writes $work/COLLAB.id and $work/COLLAB.cbor.
kbs_collab() {
    local c=$3 spki
    spki=$(openssl pkey -in "$work/alice.pem" -pubout -outform DER 2>/dev/null | base64 -w0)
    curl -s --cacert "$work/data/tls/cert.pem" "https://127.0.0.1:$1/v1/kbs/key" >"$work/broker.jwk"
    printf 'x,y\n1,2\n' >"$work/$c.csv"
    "$clave" seal "$work/$c.csv" "$work/$c.sealed" --to-jwk "$work/broker.jwk" >/dev/null
    cat >"$work/$c.json" <<JSON
{"collaboration": "$c", "version": 1,
 "datasets": [{"id": "d1", "owner": "alice", "sha256": "$(sha256sum "$work/$c.sealed" | cut -d' ' -f1)"}],
 "computation": {"kind": "query", "spec": {"select": ["x"]}},
 "workloads": [{"tee": "sim-snp", "measurement": "$KBS_M",
                "min_tcb": {"bootloader": 0, "tee": 0, "snp": 0, "microcode": 0}}],
 "tcb_statuses": $4,
 "output": {"budgets": [{"party": "alice", "epsilon_micro": 1000000, "delta_pico": 0}],
            "min_group_size": 10, "columns": ["x"]},
 "recipients": [{"party": "alice", "spki": "$spki"}],
 "regions": ["eu"], "signers": [{"party": "alice", "spki": "$spki"}],
 "not_before": 1700000000, "expiry": 4000000000}
JSON
    # the tenant party alice and the collaboration, alice its founding member (self-signed)
    printf '{"name":"alice"}' >"$work/req.json"
    kbs_api "$1" "$2" POST /v1/parties "$work/req.json" >/dev/null
    [[ -f $work/cfg/credentials.json ]] ||
        CLAVE_CONFIG_DIR=$work/cfg "$clave" login --server "https://127.0.0.1:$1" --user root \
            --password-file "$work/pw" --cacert "$work/data/tls/cert.pem" >/dev/null
    CLAVE_CONFIG_DIR=$work/cfg "$clave" collab create "$c" >/dev/null &&
        CLAVE_CONFIG_DIR=$work/cfg "$clave" party add --collab "$c" --party alice \
            --identity-key "$work/alice.pem" --sign-key "$work/alice.pem" >/dev/null ||
        { echo "collaboration $c could not be set up" >&2; exit 1; }
    "$clave" contract propose --spec "$work/$c.json" --out "$work/$c.cbor" >/dev/null
    "$clave" contract sign "$work/$c.cbor" --key "$work/alice.pem" --party alice --out "$work/$c.alice.cose" >/dev/null
    "$clave" contract export "$work/$c.cbor" --signature "alice=$work/$c.alice.cose" --out "$work/$c.bundle" >/dev/null
    printf '{"bundle":"%s"}' "$(kbs_b64url "$work/$c.bundle")" >"$work/req.json"
    [[ $(kbs_api "$1" "$2" POST /v1/contracts "$work/req.json") == 201 ]] ||
        { echo "contract $c: $(cat "$work/body.out")" >&2; exit 1; }
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/body.out" >"$work/$c.id"
    printf '{"id":"d1","name":"d1","owner":"alice","region":"eu","row_count":1,"schema":{"x":"int","y":"int"},"sealed":"%s"}' \
        "$(kbs_b64url "$work/$c.sealed")" >"$work/req.json"
    [[ $(kbs_api "$1" "$2" POST "/v1/collaborations/$c/datasets" "$work/req.json") == 201 ]] ||
        { echo "dataset $c: $(cat "$work/body.out")" >&2; exit 1; }
}

# kbs_fetch PORT ARGS...: clave kbs fetch as a sim SNP TEE with the accepted measurement.
kbs_fetch() {
    local port=$1
    shift
    "$clave" kbs fetch --server "https://127.0.0.1:$port" --cacert "$work/data/tls/cert.pem" \
        --sim-dir "$work/sim" --format snp --measurement "$KBS_M" "$@"
}

# kbs_tcb_file JSON: replace $work/sim/kbs-tcb.json atomically (write, then rename).
kbs_tcb_file() {
    printf '%s\n' "$1" >"$work/sim/.kbs-tcb.json.new"
    mv -f "$work/sim/.kbs-tcb.json.new" "$work/sim/kbs-tcb.json"
}

# kbs_sim_chip_id: the CHIP_ID of the sim SNP platform, read from a sim report.
kbs_sim_chip_id() {
    "$clave" attest sim-evidence --dir "$work/sim" --format snp --report-data 00 --out "$work/chip.snp" >/dev/null
    "$clave" attest inspect "$work/chip.snp" --json |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["claims"]["snp.chip_id"])'
}

# kbs_audit_lines PORT TOKEN: "type | reason | evidence | resource" per audit entry.
kbs_audit_lines() {
    curl -s --cacert "$work/data/tls/cert.pem" -H "Authorization: Bearer $2" -X POST \
        "https://127.0.0.1:$1/v1/audit/checkpoint" >/dev/null
    curl -s --cacert "$work/data/tls/cert.pem" -H "Authorization: Bearer $2" "https://127.0.0.1:$1/v1/audit/export" |
        python3 -c '
import base64, json, sys
for line in sys.stdin:
    e = json.loads(line)
    raw = e.get("event") or e.get("data") or ""
    try:
        ev = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except Exception:
        ev = e
    print(ev.get("type", ""), "|", ev.get("reason", ""), "|", ev.get("evidence_sha256", ""), "|", ev.get("resource", ""), "|", ev.get("generation", ""))'
}
