# SPDX-License-Identifier: Apache-2.0
# The clean-room scenario as shell functions, shared by `make demo` (scripts/demo.sh), the
# integration test (tests/integration/runner_flow.sh) and the benchmark (bench/runner.sh), so the
# three run the very same steps. Source it with these set:
#   CR_CLAVE, CR_CLAVED, CR_RUNNER  the three binaries
#   CR_WORK                         a directory for the server, keys and files (cwd is not changed)
# Every function fails (non-zero) on the first error; callers run under `set -euo pipefail`.

cr_b64url() { base64 -w0 "$1" | tr '+/' '-_' | tr -d '='; }
cr_spki() { openssl pkey -pubin -in "$1" -outform DER 2>/dev/null | base64 -w0; }

# cr_start_server [PORT]: a claved on loopback (embedded defaults: SQLite, local blobs), trusting
# the simulated TEE's dev root (NO HARDWARE PROTECTION) with a policy naming it. Sets CR_URL,
# CR_CA, CR_PID; logs the admin in (CLAVE_CONFIG_DIR=$CR_WORK/admin).
cr_start_server() {
    local port=${1:-$((20000 + RANDOM % 12000))} # below the ephemeral range (32768+)
    CR_URL=https://127.0.0.1:$port
    export CLAVE_ARGON2_T_COST=${CLAVE_ARGON2_T_COST:-1} CLAVE_ARGON2_M_COST_KIB=${CLAVE_ARGON2_M_COST_KIB:-64}
    export CLAVE_KBS_TRUST_SIM=1 CLAVE_KBS_AUTH_RATE=1000
    "$CR_CLAVE" attest sim-init --dir "$CR_WORK/sim" >/dev/null
    printf '{"version":1,"tees":{"sim-snp":{"trusted_roots":["%s"]},"sim-nitro":{"trusted_roots":["%s"]}}}\n' \
        "$CR_WORK/sim/root.pem" "$CR_WORK/sim/root.pem" >"$CR_WORK/attest-policy.json"
    export CLAVE_KBS_ATTEST_POLICY=$CR_WORK/attest-policy.json CLAVE_KBS_COLLATERAL_DIR=$CR_WORK/sim
    printf 'admin-password\n' >"$CR_WORK/admin.pw"
    "$CR_CLAVE" server init --data-dir "$CR_WORK/data" --admin root --password-file "$CR_WORK/admin.pw" \
        --listen "127.0.0.1:$port" >/dev/null
    "$CR_CLAVED" --config "$CR_WORK/data/claved.conf" 2>>"$CR_WORK/server.log" &
    CR_PID=$!
    local i
    for i in $(seq 1 150); do
        curl -sk "$CR_URL/healthz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    CR_CA=$CR_WORK/data/tls/cert.pem
    CLAVE_CONFIG_DIR=$CR_WORK/admin "$CR_CLAVE" login --server "$CR_URL" --user root \
        --password-file "$CR_WORK/admin.pw" --cacert "$CR_CA" >/dev/null
    curl -s --cacert "$CR_CA" "$CR_URL/v1/kbs/key" >"$CR_WORK/broker.jwk"
    curl -s --cacert "$CR_CA" "$CR_URL/v1/kbs/ear-key" >"$CR_WORK/ear.pem"
}

# cr_admin CMD...: a clave command in the admin's session.
cr_admin() { CLAVE_CONFIG_DIR=$CR_WORK/admin "$CR_CLAVE" "$@"; }

# cr_api METHOD PATH [BODY-FILE]: the admin calls the API; status on stdout, body in $CR_WORK/body.
cr_api() {
    local token args
    token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' \
        "$CR_WORK/admin/credentials.json")
    args=(-s --cacert "$CR_CA" -H "Authorization: Bearer $token" -H 'Content-Type: application/json'
        -X "$1" -o "$CR_WORK/body" -w '%{http_code}')
    [[ $# -ge 3 ]] && args+=(--data-binary "@$3")
    curl "${args[@]}" "$CR_URL$2"
}

# cr_party NAME: a tenant party on the server and an Ed25519 identity key $CR_WORK/NAME.pem
# (public half NAME.pub), unless NAME.pub exists already (e.g. a key kept in a token).
cr_party() {
    printf '{"name":"%s"}' "$1" >"$CR_WORK/req.json"
    [[ $(cr_api POST /v1/parties "$CR_WORK/req.json") == 201 ]] || {
        echo "party $1: $(cat "$CR_WORK/body")" >&2
        return 1
    }
    if [[ ! -f $CR_WORK/$1.pub ]]; then
        openssl genpkey -algorithm ed25519 -out "$CR_WORK/$1.pem" 2>/dev/null
        openssl pkey -in "$CR_WORK/$1.pem" -pubout -out "$CR_WORK/$1.pub" 2>/dev/null
    fi
}

# cr_collab COLLAB FOUNDER "OTHER ...": the collaboration; the founder adds itself (self-signed
# membership statement), then adds every other party with its identity key.
cr_collab() {
    local collab=$1 founder=$2 others=$3 p
    cr_admin collab create "$collab" --description "clean room" >/dev/null
    cr_admin party add --collab "$collab" --party "$founder" --identity-key "$CR_WORK/$founder.pub" \
        --region eu --sign-key "$CR_WORK/$founder.pem" >/dev/null
    for p in $others; do
        cr_admin party add --collab "$collab" --party "$p" --identity-key "$CR_WORK/$p.pub" \
            --region eu --signer "$founder" --sign-key "$CR_WORK/$founder.pem" >/dev/null
    done
}

# cr_recipient NAME: a P-256 key pair for receiving results (NAME-results.pem / .pub).
cr_recipient() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$CR_WORK/$1-results.pem" 2>/dev/null
    openssl pkey -in "$CR_WORK/$1-results.pem" -pubout -out "$CR_WORK/$1-results.pub" 2>/dev/null
}

# cr_seal_upload COLLAB ID OWNER CSV SCHEMA.json: the owner seals CSV to the broker key (and to
# nobody else here) and the admin uploads it on the owner's behalf; prints the sealed SHA-256.
cr_seal_upload() {
    local collab=$1 id=$2 owner=$3 csv=$4 schema=$5 rows
    rows=$(($(wc -l <"$csv") - 1))
    "$CR_CLAVE" seal "$csv" "$CR_WORK/$id.sealed" --to-jwk "$CR_WORK/broker.jwk" >/dev/null
    cr_admin dataset upload "$CR_WORK/$id.sealed" --collab "$collab" --id "$id" --name "$id" \
        --region eu --schema "$schema" --rows "$rows" --owner "$owner" >/dev/null
    sha256sum "$CR_WORK/$id.sealed" | cut -d' ' -f1
}

# cr_contract_json COLLAB VERSION JOB MEASUREMENT EPSILON "DS=OWNER=SHA ..." "SIGNER ..." RECIPIENT
# "COLUMN ..." MIN_GROUP: the contract JSON (docs/formats/contract.md) on stdout.
cr_contract_json() {
    local collab=$1 version=$2 job=$3 m=$4 eps=$5 datasets=$6 signers=$7 recipient=$8 columns=$9
    local min_group=${10} jobsha ds owner sha first=1 d s c
    jobsha=$(sha256sum "$job" | cut -d' ' -f1)
    printf '{"collaboration": "%s", "version": %s,\n "datasets": [' "$collab" "$version"
    for d in $datasets; do
        IFS='=' read -r ds owner sha <<<"$d"
        ((first)) || printf ', '
        first=0
        printf '{"id": "%s", "owner": "%s", "sha256": "%s"}' "$ds" "$owner" "$sha"
    done
    printf '],\n "computation": {"kind": "query", "spec": {"job_sha256": "%s"}},\n' "$jobsha"
    printf ' "workloads": [{"tee": "sim-snp", "measurement": "%s", "min_tcb": {"bootloader": 0, "tee": 0, "snp": 0, "microcode": 0}}],\n' "$m"
    printf ' "tcb_statuses": ["UpToDate"],\n "output": {"budgets": ['
    first=1
    for s in $signers; do
        ((first)) || printf ', '
        first=0
        printf '{"party": "%s", "epsilon_micro": %s, "delta_pico": 100000000}' "$s" "$((eps * 1000000))"
    done
    printf '],\n   "min_group_size": %s, "columns": [' "$min_group"
    first=1
    for c in $columns; do
        ((first)) || printf ', '
        first=0
        printf '"%s"' "$c"
    done
    printf ']},\n "recipients": [{"party": "%s", "spki": "%s"}],\n "regions": ["eu"],\n "signers": [' \
        "$recipient" "$(cr_spki "$CR_WORK/$recipient-results.pub")"
    first=1
    for s in $signers; do
        ((first)) || printf ', '
        first=0
        printf '{"party": "%s", "spki": "%s"}' "$s" "$(cr_spki "$CR_WORK/$s.pub")"
    done
    printf '],\n "not_before": 1700000000, "expiry": 4000000000}\n'
}

# cr_sign_submit NAME "SIGNER ...": propose $CR_WORK/NAME.json, every signer with a key file
# signs, export the bundle NAME.bundle, submit it; prints the contract id.
cr_sign_submit() {
    local name=$1 signers=$2 sigs=() s
    "$CR_CLAVE" contract propose --spec "$CR_WORK/$name.json" --out "$CR_WORK/$name.cbor" >/dev/null
    for s in $signers; do
        "$CR_CLAVE" contract sign "$CR_WORK/$name.cbor" --key "$CR_WORK/$s.pem" --party "$s" \
            --out "$CR_WORK/$name.$s.cose" >/dev/null
        sigs+=(--signature "$s=$CR_WORK/$name.$s.cose")
    done
    "$CR_CLAVE" contract export "$CR_WORK/$name.cbor" "${sigs[@]}" --out "$CR_WORK/$name.bundle" >/dev/null
    cr_admin contract submit "$CR_WORK/$name.bundle" --json >"$CR_WORK/$name.submit.json"
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$CR_WORK/$name.submit.json"
}

# cr_run NAME JOB OUT [RUNNER-ARGS...]: clave-runner with simulated SNP evidence.
cr_run() {
    local name=$1 job=$2 out=$3
    shift 3
    "$CR_RUNNER" run --server "$CR_URL" --cacert "$CR_CA" --bundle "$CR_WORK/$name.bundle" \
        --job "$job" --out "$out" --sim-dir "$CR_WORK/sim" "$@"
}

# cr_verify NAME OUT [clave result verify args...]: verify OUT/receipt.cose offline.
cr_verify() {
    local name=$1 out=$2
    shift 2
    curl -s --cacert "$CR_CA" -H "Authorization: Bearer $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$CR_WORK/admin/credentials.json")" \
        "$CR_URL/v1/audit/key" >"$CR_WORK/ledger.pem"
    "$CR_CLAVE" result verify "$out/receipt.cose" --bundle "$CR_WORK/$name.bundle" \
        --attest-policy "$CR_WORK/attest-policy.json" --ear-key "$CR_WORK/ear.pem" \
        --ledger-key "$CR_WORK/ledger.pem" --collateral "$CR_WORK/sim" "$@"
}
