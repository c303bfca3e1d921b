#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Two claved replicas on one PostgreSQL (same data directory: broker, EAR and session keys; same
# kbs_collateral_dir), over real TLS on loopback. One RCAR flow spread over both: auth on A,
# attest on B, resource on A, the budget debit on B (each step counted in that replica's
# /metrics); replayed evidence across replicas; two concurrent debits over the cap, one per
# replica: exactly one succeeds; a contract revocation submitted to A stops releases on B; TCB
# collateral refreshed through A stops releases on B; the audit ledger holds both replicas'
# decisions.
# Usage: kbs_replicas_pg.sh PATH-TO-clave (claved from $CLAVE_BINARY_DIR).
set -euo pipefail
clave=$(realpath "${1:?usage: kbs_replicas_pg.sh PATH-TO-clave}")
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

kbs_env_pg
A=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
B=$((A + 1))
kbs_env_init "$A"
kbs_start "$A"
kbs_start "$B"
TOKEN=$(kbs_login "$A")
kbs_collab "$A" "$TOKEN" acme '["UpToDate"]'
CA=(--cacert data/tls/cert.pem)
# served PORT METHOD ROUTE: how many 200s that replica answered on the route (its /metrics)
served() {
    curl -s "${CA[@]}" "https://127.0.0.1:$1/metrics" |
        python3 -c '
import re, sys
m, r = sys.argv[1], sys.argv[2]
n = 0
for line in sys.stdin:
    if line.startswith("claved_http_requests_total{") and f"method=\"{m}\"" in line and \
       f"route=\"{r}\"" in line and "status=\"200\"" in line:
        n += int(float(line.split()[-1]))
print(n)' "$2" "$3"
}
resource_at() { # PORT TOKEN-FILE: HTTP status of a release by EAR token
    curl -s "${CA[@]}" -o body.out -w '%{http_code}' -H "Authorization: Bearer $(cat "$2")" \
        "https://127.0.0.1:$1/kbs/v0/resource/acme/dataset/d1"
}
debit_at() { # PORT EPSILON OUT-FILE
    "$clave" kbs debit --server "https://127.0.0.1:$1" --cacert data/tls/cert.pem --token t.token \
        --contract "$(cat acme.id)" --dataset d1 --party alice --epsilon "$2" >"$3" 2>&1
}

# --- one flow over both replicas
[[ $(kbs_api "$B" "$TOKEN" GET /v1/me) == 200 ]] && ok "a login on A is valid on B (shared keys and store)" ||
    bad "login on B: $(cat body.out)"
expect "auth on A, attest on B, resource on A: released" 0 "released acme/dataset/d1" \
    kbs_fetch "$A" --attest-server "https://127.0.0.1:$B" --resource acme/dataset/d1 \
    --sealed acme.sealed --plain-out acme.out --token-out t.token --save-attest t.attest
cmp -s acme.csv acme.out && ok "the key released by A (session attested on B) unseals the data" ||
    bad "unsealed data differs"
[[ $(served "$A" POST /kbs/v0/auth) == 1 && $(served "$B" POST /kbs/v0/auth) == 0 ]] &&
    ok "auth was served by A only" || bad "auth counts: A $(served "$A" POST /kbs/v0/auth) B $(served "$B" POST /kbs/v0/auth)"
[[ $(served "$B" POST /kbs/v0/attest) == 1 && $(served "$A" POST /kbs/v0/attest) == 0 ]] &&
    ok "attest was served by B only" || bad "attest counts"
route=/kbs/v0/resource/{repository}/{type}/{tag}
[[ $(served "$A" GET "$route") == 1 && $(served "$B" GET "$route") == 0 ]] &&
    ok "resource was served by A only" || bad "resource counts: A $(served "$A" GET "$route") B $(served "$B" GET "$route")"
debit_at "$B" 0.2 d0.out && ok "budget debit on B with the token of a session attested on B, released on A" ||
    bad "debit on B: $(cat d0.out)"
[[ $(resource_at "$B" t.token) == 200 ]] && ok "the same token releases on B too" || bad "release on B: $(cat body.out)"

# --- replay across replicas: evidence attested on B is refused on A
expect "evidence replayed to A after B accepted it: 401 replay" 1 "HTTP 401.*replay" \
    kbs_fetch "$A" --replay-attest t.attest --resource acme/dataset/d1
# --- two concurrent debits over the cap (1.0; 0.2 spent), one per replica: exactly one succeeds
rc1=0
rc2=0
debit_at "$A" 0.5 d1.out & p1=$!
debit_at "$B" 0.5 d2.out & p2=$!
wait $p1 || rc1=$?
wait $p2 || rc2=$?
if (( (rc1 == 0) + (rc2 == 0) == 1 )) && grep -q budget_exhausted d1.out d2.out; then
    ok "two concurrent debits on two replicas over the cap: exactly one succeeds"
else
    bad "debits: rc $rc1 $rc2: $(cat d1.out d2.out)"
fi

# --- TCB collateral refreshed through A stops releases on B (shared kbs_collateral_dir)
kbs_tcb_file '{"version":1,"snp":{"min_tcb":{"bootloader":3,"tee":0,"snp":9,"microcode":115}}}'
[[ $(kbs_api "$A" "$TOKEN" POST /v1/kbs/collateral/refresh) == 200 ]] && ok "collateral refreshed on A" ||
    bad "refresh on A: $(cat body.out)"
code=$(resource_at "$B" t.token)
[[ $code == 403 ]] && grep -q "tcb: platform OutOfDate" body.out && ok "B denies the OutOfDate platform" ||
    bad "B after the collateral change: $code $(cat body.out)"
rm -f sim/kbs-tcb.json
[[ $(resource_at "$B" t.token) == 200 ]] && ok "B releases again once the file is gone" || bad "B: $(cat body.out)"

# --- a contract revocation submitted to A stops releases on B at once
"$clave" contract revoke acme.cbor --key alice.pem --party alice --out acme.rev.cose >/dev/null
printf '{"party":"alice","statement":"%s"}' "$(kbs_b64url acme.rev.cose)" >req.json
[[ $(kbs_api "$A" "$TOKEN" POST "/v1/contracts/$(cat acme.id)/revocations" req.json) == 200 ]] &&
    ok "revocation submitted to A" || bad "revocation: $(cat body.out)"
code=$(resource_at "$B" t.token)
[[ $code == 403 ]] && grep -q "contract: revoked" body.out && ok "B refuses the release after A took the revocation" ||
    bad "B after the revocation: $code $(cat body.out)"
debit_at "$B" 0.01 d3.out && bad "debit on B after the revocation succeeded" ||
    { grep -q "HTTP 403" d3.out && ok "B refuses the debit after the revocation"; } || bad "debit: $(cat d3.out)"

# --- both replicas' decisions in the one ledger
kbs_audit_lines "$B" "$TOKEN" >audit.txt
for want in "kbs.attest" "kbs.release | released" "kbs.deny | replay" "kbs.deny | tcb: platform OutOfDate" \
    "kbs.deny | contract: revoked" "contract.revoke" "kbs.collateral.refresh" "kbs.budget.debit"; do
    grep -q -- "$want" audit.txt && ok "audited: $want" || bad "not in the audit log: $want"
done
[[ $(curl -s "${CA[@]}" -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$A/v1/audit/sth" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("tree_size", 0) > 0)') == True ]] &&
    ok "A signs tree heads over the shared ledger" || bad "sth on A"

echo "kbs_replicas_pg: $passed passed, $failed failed"
((failed == 0))
