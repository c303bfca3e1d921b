#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# TCB-driven revocation over real TLS on loopback: a sim SNP workload gets its key; then the
# operator replaces kbs-tcb.json in kbs_collateral_dir (a minimum TCB above the platform's, then
# the platform's CHIP_ID listed as revoked) and releases to that platform stop at once, also for
# a session that attested before the change (policy re-evaluated per release); a contract that
# accepts OutOfDate still releases; a broken file fails closed; removing it restores releases.
# POST /v1/kbs/collateral/refresh forces a re-read. Every denial is audited with its reason.
# With CLAVE_TEST_STORE=postgres the server runs on a throwaway PostgreSQL.
# Usage: kbs_collateral.sh PATH-TO-clave (claved from $CLAVE_BINARY_DIR).
set -euo pipefail
clave=$(realpath "${1:?usage: kbs_collateral.sh PATH-TO-clave}")
claved=$(realpath "${CLAVE_BINARY_DIR:?}/claved")
src=${CLAVE_SOURCE_DIR:?}
for tool in curl openssl python3 base64 sha256sum; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done
work=$(mktemp -d)
# shellcheck source=../testlib/kbs_env.sh
source "$src/tests/testlib/kbs_env.sh"
trap kbs_cleanup EXIT
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

[[ ${CLAVE_TEST_STORE:-sqlite} == postgres ]] && kbs_env_pg
port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
kbs_env_init "$port"
kbs_start "$port"
TOKEN=$(kbs_login "$port")
kbs_collab "$port" "$TOKEN" strict '["UpToDate"]'
kbs_collab "$port" "$TOKEN" lenient '["UpToDate", "OutOfDate"]'
CA=(--cacert data/tls/cert.pem)
U=https://127.0.0.1:$port
resource_with() { # TOKEN-FILE RESOURCE: the HTTP status of a release by an EAR token
    curl -s "${CA[@]}" -o body.out -w '%{http_code}' -H "Authorization: Bearer $(cat "$1")" \
        "$U/kbs/v0/resource/$2"
}
chip=$(kbs_sim_chip_id)
[[ ${#chip} == 128 ]] && ok "the sim platform's CHIP_ID read from a sim report" || bad "chip id: $chip"

# --- no kbs-tcb.json: no status, the release goes through
expect "no TCB collateral: released" 0 "released strict/dataset/d1" \
    kbs_fetch "$port" --resource strict/dataset/d1 --token-out early.token
# --- collateral at the platform's own TCB (3, 0, 8, 115): UpToDate
kbs_tcb_file '{"version":1,"issued_at":1790000000,"snp":{"min_tcb":{"bootloader":3,"tee":0,"snp":8,"microcode":115}}}'
expect "collateral: platform at the minimum TCB (UpToDate): released" 0 "released" \
    kbs_fetch "$port" --resource strict/dataset/d1
[[ $(resource_with early.token strict/dataset/d1) == 200 ]] && ok "the earlier session still releases" ||
    bad "earlier session: $(cat body.out)"

# --- fresher collateral: SNP firmware 9 required. The platform is OutOfDate.
kbs_tcb_file '{"version":1,"issued_at":1790086400,"snp":{"min_tcb":{"bootloader":3,"tee":0,"snp":9,"microcode":115}}}'
expect "OutOfDate platform: new release denied 403" 1 "HTTP 403.*tcb: platform OutOfDate per collateral" \
    kbs_fetch "$port" --resource strict/dataset/d1
code=$(resource_with early.token strict/dataset/d1)
[[ $code == 403 ]] && grep -q "tcb: platform OutOfDate" body.out &&
    ok "a session attested before the change is denied too (re-evaluated per release)" ||
    bad "earlier session after the change: $code $(cat body.out)"
expect "a contract accepting OutOfDate still releases" 0 "released lenient/dataset/d1" \
    kbs_fetch "$port" --resource lenient/dataset/d1
code=$(curl -s "${CA[@]}" -o body.out -w '%{http_code}' -H "Authorization: Bearer $(cat early.token)" \
    -H 'Content-Type: application/json' -X POST \
    -d "{\"contract\":\"$(cat strict.id)\",\"dataset\":\"d1\",\"party\":\"alice\",\"epsilon\":0.1}" \
    "$U/kbs/v0/budget/debit")
[[ $code == 403 ]] && grep -q "tcb: status OutOfDate" body.out &&
    ok "a budget debit for the OutOfDate platform is denied" || bad "debit: $code $(cat body.out)"

# --- the chip revoked
kbs_tcb_file "{\"version\":1,\"issued_at\":1790172800,\"snp\":{\"revoked_chip_ids\":[\"$chip\"]}}"
expect "revoked chip: denied 403 even under a lenient contract" 1 "HTTP 403.*tcb: platform Revoked per collateral (the chip id is listed" \
    kbs_fetch "$port" --resource lenient/dataset/d1
kbs_tcb_file "{\"version\":1,\"snp\":{\"revoked_chip_ids\":[\"$(printf '0%.0s' {1..128})\"]}}"
expect "another chip revoked: this one releases" 0 "released" kbs_fetch "$port" --resource strict/dataset/d1

# --- an in-place rewrite (no rename) is seen too
printf '{"version":1,"snp":{"min_tcb":{"bootloader":4,"tee":0,"snp":0,"microcode":0}}}\n' >sim/kbs-tcb.json
expect "in-place rewrite: OutOfDate, denied" 1 "HTTP 403.*OutOfDate" \
    kbs_fetch "$port" --resource strict/dataset/d1

# --- a broken file fails closed, and the refresh route reports it
printf '{"version":1,"snp":{"min_tcb":{"bootloader":"x"}}}\n' >sim/kbs-tcb.json
expect "unreadable collateral: every release fails closed" 1 "HTTP 403.*tcb: collateral: kbs-tcb.json" \
    kbs_fetch "$port" --resource lenient/dataset/d1
[[ $(kbs_api "$port" "$TOKEN" POST /v1/kbs/collateral/refresh) == 200 ]] && grep -q '"error":"kbs-tcb.json' body.out &&
    ok "POST /v1/kbs/collateral/refresh reports the broken file" || bad "refresh: $(cat body.out)"
gen1=$(python3 -c 'import json; print(json.load(open("body.out"))["generation"])')
rm -f sim/kbs-tcb.json
[[ $(kbs_api "$port" "$TOKEN" POST /v1/kbs/collateral/refresh) == 200 ]] &&
    python3 -c 'import json,sys; j=json.load(open("body.out")); sys.exit(not (j["generation"] > int(sys.argv[1]) and not j["tcb_file"] and j["error"] == ""))' "$gen1" &&
    ok "refresh after removing the file: a new generation, no TCB file" || bad "refresh 2: $(cat body.out)"
expect "collateral removed: released again" 0 "released" kbs_fetch "$port" --resource strict/dataset/d1
code=$(curl -s "${CA[@]}" -o body.out -w '%{http_code}' -X POST "$U/v1/kbs/collateral/refresh")
[[ $code == 401 ]] && ok "refresh without credentials: 401" || bad "anonymous refresh: $code"

# --- certificates are collateral too: a change retires the attestation caches
mv sim/snp-vcek.pem vcek.away
expect "VCEK removed from the collateral: attestation fails (no stale cache)" 1 "HTTP 401.*evidence" \
    kbs_fetch "$port" --resource strict/dataset/d1
mv vcek.away sim/snp-vcek.pem
expect "VCEK back: released" 0 "released" kbs_fetch "$port" --resource strict/dataset/d1

# --- a broken file at start-up: claved refuses to start
printf 'not json\n' >sim/kbs-tcb.json
kill -TERM "${kbs_pids[0]}"
wait "${kbs_pids[0]}" 2>/dev/null || true
rc=0
CLAVE_LISTEN="127.0.0.1:$port" timeout 20 "$claved" --config data/claved.conf >start.out 2>&1 || rc=$?
((rc != 0)) && grep -q "kbs-tcb.json" start.out && ok "claved refuses to start with unreadable collateral" ||
    bad "start with broken collateral: rc=$rc $(head -c 300 start.out)"
rm -f sim/kbs-tcb.json
kbs_start "$port"

# --- audited
kbs_audit_lines "$port" "$TOKEN" >audit.txt
for want in "kbs.deny | tcb: platform OutOfDate" "kbs.deny | tcb: platform Revoked" \
    "kbs.deny | tcb: collateral: kbs-tcb.json" "kbs.collateral.refresh" "kbs.budget.deny"; do
    grep -q -- "$want" audit.txt && ok "audited: $want" || bad "not in the audit log: $want"
done
grep "tcb: platform Revoked" audit.txt | grep -Eq '\| [0-9a-f]{64} \|' &&
    ok "the revocation denial carries the evidence digest" || bad "no digest: $(grep Revoked audit.txt)"

echo "kbs_collateral: $passed passed, $failed failed"
((failed == 0))
