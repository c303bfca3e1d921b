#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Recipient keys as key broker resources, end to end over real TLS on loopback (SQLite; with
# CLAVE_TEST_STORE=postgres on a throwaway PostgreSQL). A contract names bob as a result
# recipient by the RFC 7638 thumbprint of his P-256 JWK and alice by the SPKI of her X25519 key.
# Registration (POST /v1/collaborations/{c}/recipients): a member's owner succeeds; another
# party's owner, a non-member and an admin for a non-member are refused; private, malformed and
# Ed25519 keys are refused; a duplicate is 409. Then an attested sim SNP workload fetches
# <c>/recipient/<party> (`clave kbs fetch --raw-out`): only the key the contract names, not the
# party's other (rotated) key; the same with the EAR bearer token. Denials: wrong measurement
# 403, a party no contract names 403, a named party with no matching key 404, a revoked contract
# 403, no session 401. Every decision and every registration is in the audit ledger.
# Usage: kbs_recipients.sh PATH-TO-clave (claved is taken from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: kbs_recipients.sh PATH-TO-clave}")
claved=$(realpath "${CLAVE_BINARY_DIR:?}/claved")
src=${CLAVE_SOURCE_DIR:?}
for tool in curl openssl python3 base64 sha256sum; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done
work=$(mktemp -d)
cds=$work
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
port=$((20000 + RANDOM % 12000))
U=https://127.0.0.1:$port
kbs_env_init "$port"
kbs_start "$port"
TOKEN=$(kbs_login "$port")
api() { kbs_api "$port" "$TOKEN" "$@"; }
as() { # CONFIG-DIR clave-args...: the CLI logged in as another user
    local dir=$1
    shift
    CLAVE_CONFIG_DIR=$work/$dir "$clave" "$@"
}
export CLAVE_CONFIG_DIR=$work/cfg
"$clave" login --server "$U" --user root --password-file pw --cacert data/tls/cert.pem >/dev/null

# --- parties, an owner user per party, the collaboration rc (alice and bob; carol is not in it)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out bob.pem 2>/dev/null
for p in alice bob carol; do
    printf '{"name":"%s"}' "$p" >req.json
    [[ $(api POST /v1/parties req.json) == 201 ]] || bad "party $p: $(cat body.out)"
    pid=$(python3 -c 'import json; print(json.load(open("body.out"))["id"])')
    printf '{"name":"%s-owner","password":"pw-%s-12345","role":"owner","party_id":"%s"}' "$p" "$p" "$pid" >req.json
    [[ $(api POST /v1/users req.json) == 201 ]] || bad "user $p-owner: $(cat body.out)"
    printf 'pw-%s-12345\n' "$p" >"pw.$p"
    as "cfg-$p" login --server "$U" --user "$p-owner" --password-file "pw.$p" \
        --cacert data/tls/cert.pem >/dev/null || bad "login $p-owner"
done
collab() { # NAME: alice founds it and adds bob
    "$clave" collab create "$1" >/dev/null &&
        "$clave" party add --collab "$1" --party alice --identity-key alice.pem --sign-key alice.pem >/dev/null &&
        "$clave" party add --collab "$1" --party bob --identity-key bob.pem --signer alice --sign-key alice.pem >/dev/null ||
        bad "collaboration $1"
}
collab rc
collab rv

# --- recipient keys: bob's P-256 (named by thumbprint) and a rotated one; alice's X25519 (SPKI)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out bob-r1.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out bob-r2.pem 2>/dev/null
openssl genpkey -algorithm X25519 -out alice-r.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out ed.pem 2>/dev/null
for k in bob-r1 bob-r2 alice-r ed; do openssl pkey -in "$k.pem" -pubout -out "$k.pub.pem" 2>/dev/null; done
bob_tp=$("$clave" recipient thumbprint --jwk bob-r1.pub.pem)
bob_tp2=$("$clave" recipient thumbprint --jwk bob-r2.pub.pem)
[[ ${#bob_tp} == 43 && $bob_tp != "$bob_tp2" ]] && ok "clave recipient thumbprint: base64url SHA-256" ||
    bad "thumbprint: $bob_tp"
spki() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0; }
alice_spki=$(spki alice.pem)
bob_spki=$(spki bob.pem)
contract() { # COLLAB: the contract JSON
    cat <<JSON
{"collaboration": "$1", "version": 1,
 "datasets": [{"id": "d1", "owner": "alice", "sha256": "$(printf x | sha256sum | cut -d' ' -f1)"}],
 "computation": {"kind": "query", "spec": {"select": ["x"]}},
 "workloads": [{"tee": "sim-snp", "measurement": "$KBS_M",
                "min_tcb": {"bootloader": 0, "tee": 0, "snp": 0, "microcode": 0}}],
 "tcb_statuses": ["UpToDate"],
 "output": {"budgets": [], "min_group_size": 10, "columns": ["x"]},
 "recipients": [{"party": "bob", "jwk_thumbprint": "$bob_tp"},
                {"party": "alice", "spki": "$(spki alice-r.pem)"}],
 "regions": ["eu"],
 "signers": [{"party": "alice", "spki": "$alice_spki"}, {"party": "bob", "spki": "$bob_spki"}],
 "not_before": 1700000000, "expiry": 4000000000}
JSON
}
submit() { # COLLAB
    contract "$1" >"$1.json"
    "$clave" contract propose --spec "$1.json" --out "$1.cbor" >/dev/null
    "$clave" contract sign "$1.cbor" --key alice.pem --party alice --out "$1.alice.cose" >/dev/null
    "$clave" contract sign "$1.cbor" --key bob.pem --party bob --out "$1.bob.cose" >/dev/null
    "$clave" contract export "$1.cbor" --signature "alice=$1.alice.cose" --signature "bob=$1.bob.cose" \
        --out "$1.bundle" >/dev/null
    printf '{"bundle":"%s"}' "$(kbs_b64url "$1.bundle")" >req.json
    [[ $(api POST /v1/contracts req.json) == 201 ]] || bad "submit $1: $(cat body.out)"
    python3 -c 'import json; print(json.load(open("body.out"))["id"])' >"$1.id"
}
submit rc
submit rv
"$clave" contract revoke rv.cbor --key alice.pem --party alice --out rv.rev.cose >/dev/null
printf '{"party":"alice","statement":"%s"}' "$(kbs_b64url rv.rev.cose)" >req.json
[[ $(api POST "/v1/contracts/$(cat rv.id)/revocations" req.json) == 200 ]] || bad "revoke rv: $(cat body.out)"

# --- registration
expect "bob's owner registers bob's key (PEM converted to a JWK)" 0 "bob  $bob_tp  EC P-256" \
    as cfg-bob recipient register --collab rc --party bob --jwk bob-r1.pub.pem
expect "a second key for bob (rotation)" 0 "$bob_tp2" \
    as cfg-bob recipient register --collab rc --party bob --jwk bob-r2.pub.pem
expect "the same key again: 409" 1 "HTTP 409" \
    as cfg-bob recipient register --collab rc --party bob --jwk bob-r1.pub.pem
expect "bob's owner registering for alice: 403" 1 "HTTP 403 forbidden" \
    as cfg-bob recipient register --collab rc --party alice --jwk alice-r.pub.pem
expect "a non-member's owner (carol): 403" 1 "HTTP 403 not_a_member" \
    as cfg-carol recipient register --collab rc --party carol --jwk bob-r2.pub.pem
expect "an admin for a non-member: 403" 1 "HTTP 403 not_a_member" \
    "$clave" recipient register --collab rc --party carol --jwk bob-r2.pub.pem
expect "the CLI refuses a private key file" 1 "private key" \
    as cfg-bob recipient register --collab rc --party bob --jwk bob-r1.pem
# raw bodies: a private JWK, a malformed one, an Ed25519 one, not an object
python3 - <<'PY'
import json, subprocess, base64
def b64u(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
der = subprocess.run(["openssl", "pkey", "-in", "bob-r1.pem", "-outform", "DER"], capture_output=True).stdout
pub = subprocess.run(["openssl", "pkey", "-in", "bob-r1.pem", "-pubout", "-outform", "DER"], capture_output=True).stdout
x, y = pub[-64:-32], pub[-32:]
# the PKCS#8 EC private key holds the scalar after the OCTET STRING tag 04 20
d = der[der.index(b"\x04\x20") + 2:][:32]
ec = {"kty": "EC", "crv": "P-256", "x": b64u(x), "y": b64u(y)}
json.dump({"party": "bob", "jwk": dict(ec, d=b64u(d))}, open("private.json", "w"))
json.dump({"party": "bob", "jwk": {"kty": "EC", "crv": "P-256", "x": b64u(x)}}, open("malformed.json", "w"))
json.dump({"party": "bob", "jwk": dict(ec, x=b64u(bytes(32)))}, open("offcurve.json", "w"))
ed = subprocess.run(["openssl", "pkey", "-in", "ed.pem", "-pubout", "-outform", "DER"], capture_output=True).stdout
json.dump({"party": "bob", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": b64u(ed[-32:])}}, open("ed.json", "w"))
json.dump({"party": "bob", "jwk": "not-an-object"}, open("string.json", "w"))
PY
BOB_TOKEN=$(curl -s --cacert data/tls/cert.pem -H 'Content-Type: application/json' \
    -d '{"username":"bob-owner","password":"pw-bob-12345"}' "$U/v1/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
for case in "private:private member" "malformed:jwk" "offcurve:jwk" "ed:not an encryption key" "string:a JWK object"; do
    f=${case%%:*}
    want=${case#*:}
    code=$(kbs_api "$port" "$BOB_TOKEN" POST /v1/collaborations/rc/recipients "$f.json")
    [[ $code == 400 ]] && grep -q "$want" body.out && ok "registration of a $f JWK: 400" ||
        bad "$f JWK: $code $(cat body.out)"
done
[[ $(kbs_api "$port" "$BOB_TOKEN" POST /v1/collaborations/nope/recipients malformed.json) == 400 ]] &&
    ok "a malformed key is refused before the collaboration is looked up" || bad "order: $(cat body.out)"
printf '{"party":"bob","jwk":%s}' "$(python3 -c 'import json; print(json.dumps(json.load(open("malformed.json"))["jwk"] | {"y": "AA"}))')" >tmp.json
code=$(kbs_api "$port" "$BOB_TOKEN" POST /v1/collaborations/nope/recipients tmp.json)
[[ $code == 400 ]] && ok "a short coordinate: 400" || bad "short y: $code"
# a valid key for an unknown collaboration: 404
as cfg-bob recipient register --collab nope --party bob --jwk bob-r1.pub.pem >last.out 2>&1 &&
    bad "unknown collaboration accepted" || { grep -q "HTTP 404" last.out && ok "unknown collaboration: 404" || bad "$(cat last.out)"; }
expect "bob registers in rv too" 0 "$bob_tp" \
    as cfg-bob recipient register --collab rv --party bob --jwk bob-r1.pub.pem
expect "clave recipient list: both of bob's keys" 0 "$bob_tp2" "$clave" recipient list --collab rc
[[ $(api GET /v1/collaborations/rc/recipients/bob) == 200 ]] &&
    python3 -c 'import json,sys; d=json.load(open("body.out")); r=d["recipients"]; assert len(r)==2 and all("d" not in x["jwk"] for x in r), d' &&
    ok "GET .../recipients/bob: two public keys" || bad "list bob: $(cat body.out)"

# --- releases to an attested sim SNP workload
fetch() { kbs_fetch "$port" "$@"; }
first_key() { python3 -c 'import json,sys; k=json.load(open(sys.argv[1]))["keys"]; assert len(k)==1, k; json.dump(k[0], open(sys.argv[2],"w"))' "$@"; }
expect "named party with no registered key: 404" 1 "HTTP 404.*no registered key" \
    fetch --resource rc/recipient/alice --raw-out alice.keys
expect "recipient keys released to the attested workload" 0 "released rc/recipient/bob" \
    fetch --resource rc/recipient/bob --raw-out bob.keys --token-out ear.jwt
first_key bob.keys bob.got.jwk && [[ $("$clave" recipient thumbprint --jwk bob.got.jwk) == "$bob_tp" ]] &&
    ok "only the key whose thumbprint the contract names (not the rotated one)" || bad "keys: $(cat bob.keys)"
expect "alice registers her X25519 key" 0 "alice" \
    as cfg-alice recipient register --collab rc --party alice --jwk alice-r.pub.pem
expect "recipient named by SPKI: the registered key with that SPKI" 0 "released rc/recipient/alice" \
    fetch --resource rc/recipient/alice --raw-out alice.keys
first_key alice.keys alice.got.jwk &&
    [[ $("$clave" recipient thumbprint --jwk alice.got.jwk) == $("$clave" recipient thumbprint --jwk alice-r.pub.pem) ]] &&
    ok "alice's X25519 key returned" || bad "alice keys: $(cat alice.keys)"
code=$(curl -s --cacert data/tls/cert.pem -o ear.keys -w '%{http_code}' -H "Authorization: Bearer $(cat ear.jwt)" \
    "$U/kbs/v0/resource/rc/recipient/bob")
[[ $code == 200 ]] && cmp -s ear.keys bob.keys && ok "EAR bearer token: the same answer" || bad "bearer: $code $(cat ear.keys)"

# --- denials
WRONG=$(printf 'c%.0s' {1..96})
expect "wrong measurement: 403" 1 "HTTP 403.*measurement" \
    "$clave" kbs fetch --server "$U" --cacert data/tls/cert.pem --sim-dir sim --format snp \
    --measurement "$WRONG" --resource rc/recipient/bob --raw-out x.keys
expect "a party no contract names: 403" 1 "HTTP 403.*recipient: carol is a recipient of no contract" \
    fetch --resource rc/recipient/carol --raw-out x.keys
expect "revoked contract: 403" 1 "HTTP 403.*contract: revoked" \
    fetch --resource rv/recipient/bob --raw-out x.keys
expect "unknown collaboration: 403 (no contract)" 1 "HTTP 403" \
    fetch --resource none/recipient/bob --raw-out x.keys
code=$(curl -s --cacert data/tls/cert.pem -o /dev/null -w '%{http_code}' "$U/kbs/v0/resource/rc/recipient/bob")
[[ $code == 401 ]] && ok "no session: 401" || bad "no session: $code"
expect "--raw-out with --out: usage" 2 "usage" fetch --resource rc/recipient/bob --raw-out a --out b

# --- the audit ledger
kbs_audit_lines "$port" "$TOKEN" >audit.txt
for want in "recipient.register" "kbs.release | released | .* | rc/recipient/bob" \
    "kbs.release | released | .* | rc/recipient/alice" "kbs.deny | measurement: .* | rc/recipient/bob" \
    "kbs.deny | recipient: carol" "kbs.deny | contract: revoked .* | rv/recipient/bob" \
    "kbs.deny | recipient: no registered key .* | rc/recipient/alice"; do
    grep -Eq -- "$want" audit.txt && ok "audited: $want" || bad "not in the audit log: $want"
done
grep -E "kbs.release \| released \| [0-9a-f]{64} \| rc/recipient/bob" audit.txt >/dev/null &&
    ok "releases carry the evidence digest" || bad "no evidence digest"

echo "kbs_recipients: $passed passed, $failed failed"
((failed == 0))
