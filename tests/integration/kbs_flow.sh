#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The key broker end to end over real TLS on loopback: two parties sign contracts (Ed25519 and
# P-256 identity keys), an owner seals a dataset to the broker key and uploads it, and
# `clave kbs fetch` plays the TEE (RCAR: auth, attest with sim SNP / sim Nitro evidence bound to
# the runtime data, resource as a JWE) and unseals the dataset with the released key. Then every
# denial: wrong measurement, debug evidence, stale nonce, replayed evidence, wrong report-data
# binding, revoked / unsigned / expired contract, wrong region, dataset outside the contract,
# no session, no such resource; each with its status and reason, each in the audit ledger. Two
# concurrent budget debits that together exceed the cap: exactly one succeeds. /auth is
# rate-limited per client IP.
# With CLAVE_TEST_STORE=postgres the server runs on a throwaway PostgreSQL (kbs_flow_pg.sh).
# Usage: kbs_flow.sh PATH-TO-clave (claved is taken from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: kbs_flow.sh PATH-TO-clave}")
claved=$(realpath "${CLAVE_BINARY_DIR:?}/claved")
src=${CLAVE_SOURCE_DIR:?}
for tool in curl openssl python3 base64 sha384sum cmp; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
pid=""
pgdir=""
cleanup() {
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
    [[ -n "$pgdir" ]] && (cd / && bash "$src/tests/testlib/pg_server.sh" stop "$pgdir" >/dev/null 2>&1)
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
expect() { # description rc-wanted text-wanted command...
    local d=$1 want=$2 text=$3 rc=0
    shift 3
    "$@" >last.out 2>&1 || rc=$?
    if ((rc == want)) && grep -q -- "$text" last.out; then ok "$d"; else
        bad "$d (rc=$rc): $(head -c 600 last.out)"
    fi
}

port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
U=https://127.0.0.1:$port
export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=64 CLAVE_THREADS=2 CLAVE_WORKERS=2
export CLAVE_KBS_TRUST_SIM=1 CLAVE_KBS_AUTH_RATE=1000
export CLAVE_CONFIG_DIR=$work/cfg
unset CLAVE_PASSWORD CLAVE_TOTP

if [[ ${CLAVE_TEST_STORE:-sqlite} == postgres ]]; then
    pgdir=$(mktemp -d /tmp/clave-kbspg-XXXXXX)
    pgport=$((40000 + RANDOM % 20000))
    (cd / && bash "$src/tests/testlib/pg_server.sh" start "$pgdir" "$pgport" >/dev/null &&
        bash "$src/tests/testlib/pg_server.sh" createdb "$pgdir" claved_kbs "$pgport")
    export CLAVE_STORE=postgres CLAVE_PG_CONNINFO="host=$pgdir port=$pgport user=postgres dbname=claved_kbs"
fi

# --- the simulated TEE PKI and a policy trusting its root (sim only: NO HARDWARE PROTECTION)
"$clave" attest sim-init --dir "$work/sim" >/dev/null
printf '{"version":1,"tees":{"sim-snp":{"trusted_roots":["%s"]},"sim-nitro":{"trusted_roots":["%s"]}}}\n' \
    "$work/sim/root.pem" "$work/sim/root.pem" >policy.json
export CLAVE_KBS_ATTEST_POLICY=$work/policy.json CLAVE_KBS_COLLATERAL_DIR=$work/sim

printf 'admin-password\n' >pw
"$clave" server init --data-dir "$work/data" --admin root --password-file pw --listen "127.0.0.1:$port" >/dev/null
start_server() {
    "$claved" --config data/claved.conf 2>>server.log &
    pid=$!
    for _ in $(seq 1 100); do
        curl -sk "$U/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server did not start" >&2
    cat server.log >&2
    exit 1
}
start_server
CA=(--cacert data/tls/cert.pem)
TOKEN=$(curl -s "${CA[@]}" -H 'Content-Type: application/json' \
    -d '{"username":"root","password":"admin-password"}' "$U/v1/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
api() { # METHOD PATH [BODY-FILE]: prints the status line then the body
    local args=(-s "${CA[@]}" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json'
        -X "$1" -o body.out -w '%{http_code}')
    [[ $# -ge 3 ]] && args+=(--data-binary "@$3")
    curl "${args[@]}" "$U$2"
}
b64url() { base64 -w0 "$1" | tr '+/' '-_' | tr -d '='; }
"$clave" login --server "$U" --user root --password-file pw --cacert data/tls/cert.pem >/dev/null

# --- parties' identity keys and the datasets
openssl genpkey -algorithm ed25519 -out alice.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out bob.pem 2>/dev/null
for p in alice bob; do
    printf '{"name":"%s"}' "$p" >req.json
    [[ $(api POST /v1/parties req.json) == 201 ]] || bad "party $p: $(cat body.out)"
done
spki() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0; }
alice_spki=$(spki alice.pem)
bob_spki=$(spki bob.pem)
curl -s "${CA[@]}" "$U/v1/kbs/key" >broker.jwk
grep -q '"kid":"kbs-' broker.jwk && ok "GET /v1/kbs/key serves the broker JWK" || bad "broker key: $(cat broker.jwk)"
printf 'region,age,count\neu,42,17\neu,37,12\n' >claims.csv
"$clave" seal claims.csv claims.sealed --to-jwk broker.jwk >/dev/null
sealed_sha=$(sha256sum claims.sealed | cut -d' ' -f1)
M=$(printf 'b%.0s' {1..96})        # the accepted measurement (SNP) / PCR0 (Nitro)
WRONG=$(printf 'c%.0s' {1..96})
ZERO=$(printf '0%.0s' {1..96})
pcr1=$(printf 'clave sim pcr1' | sha384sum | cut -d' ' -f1)
pcr2=$(printf 'clave sim pcr2' | sha384sum | cut -d' ' -f1)

# contract COLLAB REGION NOT_BEFORE EXPIRY > contract.json
contract_json() {
    cat <<JSON
{"collaboration": "$1", "version": 1,
 "datasets": [{"id": "claims", "owner": "alice", "sha256": "$sealed_sha"}],
 "computation": {"kind": "query", "spec": {"select": ["region"]}},
 "workloads": [{"tee": "sim-snp", "measurement": "$M",
                "min_tcb": {"bootloader": 0, "tee": 0, "snp": 0, "microcode": 0}},
               {"tee": "sim-nitro", "pcr0": "$M", "pcr1": "$pcr1", "pcr2": "$pcr2"}],
 "tcb_statuses": ["UpToDate"],
 "output": {"budgets": [{"party": "alice", "epsilon_micro": 1000000, "delta_pico": 0}],
            "min_group_size": 10, "columns": ["region"]},
 "recipients": [{"party": "bob", "spki": "$bob_spki"}],
 "regions": ["$2"],
 "signers": [{"party": "alice", "spki": "$alice_spki"}, {"party": "bob", "spki": "$bob_spki"}],
 "not_before": $3, "expiry": $4}
JSON
}
# setup COLLAB REGION NB EXP SIGNERS DATASET-ID DATASET-REGION: contract submitted, dataset uploaded
setup() {
    local c=$1
    # the collaboration, alice founding it and adding bob (signed membership statements)
    "$clave" collab create "$c" >/dev/null || bad "collab create $c"
    "$clave" party add --collab "$c" --party alice --identity-key alice.pem --sign-key alice.pem >/dev/null &&
        "$clave" party add --collab "$c" --party bob --identity-key bob.pem --signer alice --sign-key alice.pem >/dev/null ||
        bad "members of $c"
    contract_json "$c" "$2" "$3" "$4" >"$c.json"
    "$clave" contract propose --spec "$c.json" --out "$c.cbor" >/dev/null
    local sigs=()
    for p in $5; do
        "$clave" contract sign "$c.cbor" --key "$p.pem" --party "$p" --out "$c.$p.cose" >/dev/null
        sigs+=(--signature "$p=$c.$p.cose")
    done
    "$clave" contract export "$c.cbor" "${sigs[@]}" --out "$c.bundle" >/dev/null
    printf '{"bundle":"%s"}' "$(b64url "$c.bundle")" >req.json
    [[ $(api POST /v1/contracts req.json) == 201 ]] || { bad "submit $c: $(cat body.out)"; return; }
    python3 -c 'import json; print(json.load(open("body.out"))["id"])' >"$c.id"
    printf '{"id":"%s","name":"claims","owner":"alice","region":"%s","row_count":2,"schema":{"region":"string","age":"int","count":"int"},"sealed":"%s"}' \
        "$6" "$7" "$(b64url claims.sealed)" >req.json
    [[ $(api POST "/v1/collaborations/$c/datasets" req.json) == 201 ]] || bad "upload to $c: $(cat body.out)"
}
now=$(date +%s)
setup ok eu 1700000000 4000000000 "alice" claims eu
# bob's approval through the server route (verified against his declared P-256 key)
"$clave" contract sign ok.cbor --key bob.pem --party bob --out ok.bob.cose >/dev/null
printf '{"party":"bob","statement":"%s"}' "$(b64url ok.bob.cose)" >req.json
[[ $(api POST "/v1/contracts/$(cat ok.id)/approvals" req.json) == 200 ]] && grep -q '"state":"active"' body.out &&
    ok "approval over the API makes the contract active" || bad "approval: $(cat body.out)"
printf '{"party":"alice","statement":"%s"}' "$(b64url ok.bob.cose)" >req.json
[[ $(api POST "/v1/contracts/$(cat ok.id)/approvals" req.json) == 400 ]] && ok "bob's signature as alice's refused" ||
    bad "forged approval: $(cat body.out)"
[[ $(api GET "/v1/contracts/$(cat ok.id)/bundle") == 200 ]] &&
    python3 -c 'import json,base64; b=json.load(open("body.out"))["bundle"]; open("ok.server.bundle","wb").write(base64.urlsafe_b64decode(b+"="*(-len(b)%4)))' &&
    "$clave" contract verify ok.server.bundle >/dev/null && ok "the server's bundle verifies offline (active)" ||
    bad "bundle export"
[[ $(api GET /v1/collaborations/ok/datasets/claims) == 200 ]] && grep -q "\"sha256\":\"$sealed_sha\"" body.out &&
    ok "dataset metadata: SHA-256 of the sealed blob" || bad "dataset show: $(cat body.out)"
setup revoked eu 1700000000 4000000000 "alice bob" claims eu
"$clave" contract revoke revoked.cbor --key alice.pem --party alice --out revoked.rev.cose >/dev/null
printf '{"party":"alice","statement":"%s"}' "$(b64url revoked.rev.cose)" >req.json
[[ $(api POST "/v1/contracts/$(cat revoked.id)/revocations" req.json) == 200 ]] && ok "revocation accepted" ||
    bad "revocation: $(cat body.out)"
setup unsigned eu 1700000000 4000000000 "alice" claims eu
setup expired eu 1600000000 1700000000 "alice bob" claims eu
setup region eu 1700000000 4000000000 "alice bob" claims us
setup outside eu 1700000000 4000000000 "alice bob" other eu

fetch() { "$clave" kbs fetch --server "$U" --cacert data/tls/cert.pem --sim-dir sim "$@"; }

# --- releases
expect "sim SNP: key released, dataset unsealed" 0 "released ok/dataset/claims" \
    fetch --format snp --measurement "$M" --resource ok/dataset/claims --sealed claims.sealed \
    --plain-out claims.out --token-out snp.token --save-attest snp.attest
cmp -s claims.csv claims.out && ok "the released key decrypts the dataset" || bad "unsealed data differs"
expect "sim Nitro: key released" 0 "released" \
    fetch --format nitro --measurement "$M" --resource ok/dataset/claims --sealed claims.sealed --plain-out n.out
expect "RSA TEE key (RSA-OAEP-256): released" 0 "released" \
    fetch --format snp --measurement "$M" --key rsa --resource ok/dataset/claims

# --- denials
expect "wrong measurement: 403" 1 "HTTP 403.*measurement" \
    fetch --format snp --measurement "$WRONG" --resource ok/dataset/claims
expect "debug evidence (Nitro PCR0 = 0): 403" 1 "HTTP 403.*debug" \
    fetch --format nitro --measurement "$ZERO" --resource ok/dataset/claims
expect "stale nonce: 401" 1 "HTTP 401.*nonce: stale" \
    fetch --format snp --measurement "$M" --stale-nonce --resource ok/dataset/claims
expect "replayed evidence: 401" 1 "HTTP 401.*replay" \
    fetch --format snp --measurement "$M" --replay-attest snp.attest --resource ok/dataset/claims
expect "wrong report-data binding: 401" 1 "HTTP 401.*binding" \
    fetch --format snp --measurement "$M" --wrong-binding --resource ok/dataset/claims
expect "revoked contract: 403" 1 "HTTP 403.*contract: revoked" \
    fetch --format snp --measurement "$M" --resource revoked/dataset/claims
expect "unsigned contract: 403" 1 "HTTP 403.*contract: draft" \
    fetch --format snp --measurement "$M" --resource unsigned/dataset/claims
expect "expired contract: 403" 1 "HTTP 403.*contract: expired" \
    fetch --format snp --measurement "$M" --resource expired/dataset/claims
expect "wrong region: 403" 1 "HTTP 403.*region: us" \
    fetch --format snp --measurement "$M" --resource region/dataset/claims
expect "dataset outside the contract: 403" 1 "HTTP 403.*dataset: other" \
    fetch --format snp --measurement "$M" --resource outside/dataset/other
expect "no such resource: 404" 1 "HTTP 404" \
    fetch --format snp --measurement "$M" --resource ok/dataset/nothing
code=$(curl -s "${CA[@]}" -o /dev/null -w '%{http_code}' "$U/kbs/v0/resource/ok/dataset/claims")
[[ $code == 401 ]] && ok "no session: 401" || bad "no session: $code"
code=$(curl -s "${CA[@]}" -o /dev/null -w '%{http_code}' -H 'Cookie: kbs-session-id=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' \
    "$U/kbs/v0/resource/ok/dataset/claims")
[[ $code == 401 ]] && ok "unknown session: 401" || bad "unknown session: $code"
code=$(curl -s "${CA[@]}" -o body.out -w '%{http_code}' -H 'Content-Type: application/json' \
    -d '{"version":"9.0.0","tee":"snp","extra-params":""}' "$U/kbs/v0/auth")
[[ $code == 401 ]] && ok "unsupported protocol version: 401" || bad "version: $code $(cat body.out)"

# --- the budget: cap 1.0 for alice; two concurrent debits of 0.6: exactly one succeeds
debit() { "$clave" kbs debit --server "$U" --cacert data/tls/cert.pem --token snp.token \
    --contract "$(cat ok.id)" --dataset claims --party alice --epsilon 0.6 >"debit.$1" 2>&1; }
rc1=0
rc2=0
debit 1 & p1=$!
debit 2 & p2=$!
wait $p1 || rc1=$?
wait $p2 || rc2=$?
if (( (rc1 == 0) + (rc2 == 0) == 1 )) && grep -q "budget_exhausted" debit.1 debit.2; then
    ok "two concurrent debits over the cap: exactly one succeeds"
else
    bad "debits: rc $rc1 $rc2: $(cat debit.1 debit.2)"
fi
printf 'not-a-token\n' >bad.token
expect "debit without a valid attestation token: 401" 1 "HTTP 401" \
    "$clave" kbs debit --server "$U" --cacert data/tls/cert.pem --token bad.token \
    --contract "$(cat ok.id)" --dataset claims --party alice --epsilon 0.1

# --- several parties' budgets in one debit (POST /kbs/v0/budget/debits, the runner's route):
# alice (cap 1.0) and bob (cap 0.3) pay 0.2 each; a second 0.2 exceeds bob's budget and is
# refused for both: alice keeps exactly 0.8, which one debit then spends to the last unit.
printf 'region,age,count\neu,51,9\neu,29,14\n' >visits.csv
"$clave" seal visits.csv visits.sealed --to-jwk broker.jwk >/dev/null
visits_sha=$(sha256sum visits.sealed | cut -d' ' -f1)
"$clave" collab create multi >/dev/null &&
    "$clave" party add --collab multi --party alice --identity-key alice.pem --sign-key alice.pem >/dev/null &&
    "$clave" party add --collab multi --party bob --identity-key bob.pem --signer alice --sign-key alice.pem >/dev/null ||
    bad "members of multi"
cat >multi.json <<JSON
{"collaboration": "multi", "version": 1,
 "datasets": [{"id": "claims", "owner": "alice", "sha256": "$sealed_sha"},
              {"id": "visits", "owner": "bob", "sha256": "$visits_sha"}],
 "computation": {"kind": "query", "spec": {"select": ["region"]}},
 "workloads": [{"tee": "sim-snp", "measurement": "$M",
                "min_tcb": {"bootloader": 0, "tee": 0, "snp": 0, "microcode": 0}}],
 "tcb_statuses": ["UpToDate"],
 "output": {"budgets": [{"party": "alice", "epsilon_micro": 1000000, "delta_pico": 0},
                        {"party": "bob", "epsilon_micro": 300000, "delta_pico": 0}],
            "min_group_size": 10, "columns": ["region"]},
 "recipients": [{"party": "bob", "spki": "$bob_spki"}],
 "regions": ["eu"],
 "signers": [{"party": "alice", "spki": "$alice_spki"}, {"party": "bob", "spki": "$bob_spki"}],
 "not_before": 1700000000, "expiry": 4000000000}
JSON
"$clave" contract propose --spec multi.json --out multi.cbor >/dev/null
for p in alice bob; do "$clave" contract sign multi.cbor --key "$p.pem" --party "$p" --out "multi.$p.cose" >/dev/null; done
"$clave" contract export multi.cbor --signature alice=multi.alice.cose --signature bob=multi.bob.cose \
    --out multi.bundle >/dev/null
printf '{"bundle":"%s"}' "$(b64url multi.bundle)" >req.json
[[ $(api POST /v1/contracts req.json) == 201 ]] || bad "submit multi: $(cat body.out)"
python3 -c 'import json; print(json.load(open("body.out"))["id"])' >multi.id
for ds in claims=alice visits=bob; do
    printf '{"id":"%s","name":"%s","owner":"%s","region":"eu","row_count":2,"schema":{"region":"string","age":"int","count":"int"},"sealed":"%s"}' \
        "${ds%%=*}" "${ds%%=*}" "${ds#*=}" "$(b64url "${ds%%=*}.sealed")" >req.json
    [[ $(api POST /v1/collaborations/multi/datasets req.json) == 201 ]] || bad "upload ${ds%%=*}: $(cat body.out)"
done
batch() { # OUT EPSILON DEBITS-JSON
    curl -s "${CA[@]}" -o "$1" -w '%{http_code}' -H "Authorization: Bearer $(cat snp.token)" \
        -H 'Content-Type: application/json' -X POST \
        -d "{\"contract\":\"$(cat multi.id)\",\"epsilon\":$2,\"what\":\"test\",\"debits\":$3}" \
        "$U/kbs/v0/budget/debits"
}
both='[{"dataset":"claims","party":"alice"},{"dataset":"visits","party":"bob"}]'
[[ $(batch batch.1 0.2 "$both") == 200 ]] && python3 - batch.1 <<'PY' && ok "batch debit: both parties charged, one record each" || bad "batch 1: $(cat batch.1)"
import json, sys
d = json.load(open(sys.argv[1]))["debits"]
assert [(x["dataset"], x["party"]) for x in d] == [("claims", "alice"), ("visits", "bob")], d
assert abs(d[0]["epsilon_remaining"] - 0.8) < 1e-9 and abs(d[1]["epsilon_remaining"] - 0.1) < 1e-9, d
assert d[0]["debit_id"] != d[1]["debit_id"]
PY
[[ $(batch batch.2 0.2 "$both") == 403 ]] && grep -q 'budget_exhausted' batch.2 && grep -q 'bob for visits); nothing was charged' batch.2 &&
    ok "batch debit over bob's budget: 403 naming bob, nothing charged" || bad "batch 2: $(cat batch.2)"
expect "alice was not charged by the refused batch: her last 0.8 is still there" 0 "" \
    "$clave" kbs debit --server "$U" --cacert data/tls/cert.pem --token snp.token \
    --contract "$(cat multi.id)" --dataset claims --party alice --epsilon 0.8
[[ $(batch batch.3 0.1 '[{"dataset":"visits","party":"alice"}]') == 403 ]] && grep -q 'policy_denied' batch.3 &&
    ok "batch debit: a dataset that is not the party's is refused" || bad "batch 3: $(cat batch.3)"
[[ $(batch batch.4 0.1 '[{"dataset":"visits","party":"bob"},{"dataset":"visits","party":"bob"}]') == 400 ]] &&
    [[ $(batch batch.5 0.1 '[]') == 400 ]] && [[ $(batch batch.6 0.1 '[{"dataset":"visits"}]') == 400 ]] &&
    ok "batch debit: a repeated, empty or incomplete list is refused (400)" || bad "batch 4-6: $(cat batch.4 batch.5 batch.6)"

# --- every decision is in the audit ledger, with its reason and the evidence digest
curl -s "${CA[@]}" -H "Authorization: Bearer $TOKEN" -X POST "$U/v1/audit/checkpoint" >/dev/null
curl -s "${CA[@]}" -H "Authorization: Bearer $TOKEN" "$U/v1/audit/export" >export.jsonl
python3 - export.jsonl >audit.txt <<'PY'
import base64, json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    raw = e.get("event") or e.get("data") or ""
    try:
        ev = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except Exception:
        ev = e
    print(ev.get("type", ""), "|", ev.get("reason", ""), "|", ev.get("evidence_sha256", ""), "|", ev.get("resource", ""))
PY
for want in "kbs.release | released" "measurement: no workload" "debug: the TEE" "nonce: stale" \
    "replay: this evidence" "binding: report data" "contract: revoked" "contract: draft" \
    "contract: expired" "region: us" "dataset: other" "kbs.budget.debit" "kbs.budget.deny" \
    "contract.submit" "contract.approve" "contract.revoke" "dataset.upload" "collab.create" \
    "collab.member"; do
    grep -q -- "$want" audit.txt && ok "audited: $want" || bad "not in the audit log: $want"
done
grep "kbs.deny | debug" audit.txt | grep -Eq '\| [0-9a-f]{64} \|' && ok "denials carry the evidence digest" ||
    bad "no evidence digest: $(grep debug audit.txt)"

# --- rate limit on /auth (restart with 2 per second per IP; sessions survive: they are stored)
kill -TERM "$pid"
wait "$pid" 2>/dev/null || true
export CLAVE_KBS_AUTH_RATE=2
start_server
limited=0
for _ in $(seq 1 12); do
    c=$(curl -s "${CA[@]}" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
        -d '{"version":"0.1.1","tee":"snp","extra-params":""}' "$U/kbs/v0/auth")
    [[ $c == 429 ]] && limited=$((limited + 1))
done
((limited > 0)) && ok "/kbs/v0/auth rate-limited per client IP ($limited of 12 got 429)" || bad "no 429"
[[ $(curl -s "${CA[@]}" -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat snp.token)" \
    "$U/kbs/v0/resource/ok/dataset/claims") == 200 ]] && ok "EAR token session served after a restart (stored)" ||
    bad "stored session"

echo "kbs_flow: $passed passed, $failed failed"
((failed == 0))
