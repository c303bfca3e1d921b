#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Collaborations end to end with the clave CLI against a real claved over TLS on loopback:
# create, signed membership (founding self-signature, an addition signed with a key held
# outside clave like a token's, P-256 and Ed25519 keys, a vote-out by all others, a key change),
# refused statements (non-member signer, replayed statement, an owner signing for another party),
# offline re-verification of the history (and a tampered one refused), datasets streamed in
# parts (hash computed by the server, non-member / oversize / wrong offset refused), contracts
# tied to membership (unknown collaboration, a signer key that is not the registered one), the
# server contract verbs, `clave kbs policy show`, and the audit ledger entries.
# With CLAVE_TEST_STORE=postgres the server runs on a throwaway PostgreSQL (collab_cli_pg.sh).
# Usage: collab_cli.sh PATH-TO-clave (claved is taken from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: collab_cli.sh PATH-TO-clave}")
claved=$(realpath "${CLAVE_BINARY_DIR:?}/claved")
src=${CLAVE_SOURCE_DIR:?}
for tool in curl openssl python3 base64 sha256sum head; do
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
        bad "$d (rc=$rc, wanted $want and '$text'): $(head -c 600 last.out)"
    fi
}

port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
U=https://127.0.0.1:$port
export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=64 CLAVE_THREADS=2 CLAVE_WORKERS=2
export CLAVE_MAX_BODY_BYTES=65536 CLAVE_MAX_UPLOAD_BYTES=1048576
export CLAVE_CONFIG_DIR=$work/cfg
unset CLAVE_PASSWORD CLAVE_TOTP CLAVE_NEW_PASSWORD

if [[ ${CLAVE_TEST_STORE:-sqlite} == postgres ]]; then
    pgdir=$(mktemp -d /tmp/clave-collabpg-XXXXXX)
    pgport=$((40000 + RANDOM % 20000))
    (cd / && bash "$src/tests/testlib/pg_server.sh" start "$pgdir" "$pgport" >/dev/null &&
        bash "$src/tests/testlib/pg_server.sh" createdb "$pgdir" claved_collab "$pgport")
    export CLAVE_STORE=postgres CLAVE_PG_CONNINFO="host=$pgdir port=$pgport user=postgres dbname=claved_collab"
fi

printf 'admin-password\n' >pw
printf 'owner-password\n' >owner-pw
"$clave" server init --data-dir "$work/data" --admin root --password-file pw --listen "127.0.0.1:$port" >/dev/null
"$claved" --config data/claved.conf 2>>server.log &
pid=$!
for _ in $(seq 1 100); do curl -sk "$U/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
"$clave" login --server "$U" --user root --password-file pw --cacert data/tls/cert.pem >/dev/null
TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' cfg/credentials.json)
api() { # METHOD PATH [CURL-ARGS...]: prints the status; body in body.out
    local m=$1 p=$2
    shift 2
    curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $TOKEN" -X "$m" -o body.out \
        -w '%{http_code}' "$@" "$U$p"
}
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."): d=d[int(k)] if k.isdigit() else d[k]
print(d)' "$@"; }

# --- tenant parties, an owner user of alice's, identity keys
for p in alice bob carol; do
    printf '{"name":"%s"}' "$p" >req.json
    [[ $(api POST /v1/parties -H 'Content-Type: application/json' --data-binary @req.json) == 201 ]] ||
        bad "party $p: $(cat body.out)"
    [[ $p == alice ]] && alice_id=$(jget body.out id)
done
CLAVE_NEW_PASSWORD=owner-password "$clave" user add alice-owner --role owner --party "$alice_id" >/dev/null
openssl genpkey -algorithm ed25519 -out alice.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out bob.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out bob2.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out carol.pem 2>/dev/null
openssl pkey -in alice.pem -pubout -out alice.pub 2>/dev/null

# --- collaborations
expect "collab create" 0 "collaboration acme" "$clave" collab create acme --description "health study"
expect "collab create: duplicate refused" 1 "409" "$clave" collab create acme
expect "collab create: bad name refused" 1 "400" "$clave" collab create 'a.b'
expect "collab list" 0 "acme" "$clave" collab list
expect "collab list --json" 0 '"collaborations"' "$clave" collab list --json

# --- membership
expect "a non-member cannot found the collaboration for another party" 1 "409" \
    "$clave" party add --collab acme --party alice --identity-key alice.pub --signer bob --sign-key bob.pem
expect "founding: alice adds herself (self-signed)" 0 "add alice in acme (statement 0" \
    "$clave" party add --collab acme --party alice --identity-key alice.pub --region eu --sign-key alice.pem
expect "bob cannot add himself (not a member)" 1 "is not a member" \
    "$clave" party add --collab acme --party bob --identity-key bob.pem --sign-key bob.pem
# alice's key as if in a token: signing-input, sign outside clave, assemble
T=$(date +%s)
expect "token path: signing input" 0 "wrote" "$clave" party add --collab acme --party bob \
    --identity-key bob.pem --region us --signer alice --alg EdDSA --time "$T" --signing-input add-bob.tbs
openssl pkeyutl -sign -inkey alice.pem -rawin -in add-bob.tbs -out add-bob.sig
head -c 64 /dev/zero >zero.sig
expect "token path: a wrong raw signature is refused before submission" 1 "signature" \
    "$clave" party add --collab acme --party bob --identity-key bob.pem --region us --signer alice \
    --alg EdDSA --time "$T" --raw-signature zero.sig
expect "token path: alice adds bob (P-256)" 0 "add bob in acme (statement 1" \
    "$clave" party add --collab acme --party bob --identity-key bob.pem --region us --signer alice \
    --alg EdDSA --time "$T" --raw-signature add-bob.sig
expect "bob adds carol" 0 "statement 2" \
    "$clave" party add --collab acme --party carol --identity-key carol.pem --signer bob --sign-key bob.pem
expect "party list" 0 "carol" "$clave" party list --collab acme
[[ $(api GET /v1/collaborations/acme) == 200 ]] && [[ $(jget body.out members.1.region) == us ]] &&
    ok "GET: members with region tags" || bad "GET collaboration: $(head -c 300 body.out)"
stmt=$(jget body.out statements.1.statement)
printf '{"statement":"%s"}' "$stmt" >replay.json
code=$(api POST /v1/collaborations/acme/members -H 'Content-Type: application/json' --data-binary @replay.json)
[[ $code == 409 ]] && grep -q "seq" body.out && ok "a replayed statement is refused (409)" || bad "replay: $code $(cat body.out)"
printf '{"statement":"%s"}' "${stmt:0:40}" >junk.json
code=$(api POST /v1/collaborations/acme/members -H 'Content-Type: application/json' --data-binary @junk.json)
[[ $code == 400 ]] && ok "a truncated statement is refused (400)" || bad "junk: $code $(cat body.out)"
# an owner submits only statements signed by their own party
CLAVE_CONFIG_DIR=$work/cfg-owner "$clave" login --server "$U" --user alice-owner --password-file owner-pw \
    --cacert data/tls/cert.pem --totp '' >/dev/null
"$clave" collab create beta >/dev/null
expect "an owner cannot found a collaboration someone else created (403)" 1 "creator" \
    env CLAVE_CONFIG_DIR="$work/cfg-owner" "$clave" party add --collab beta --party alice \
    --identity-key alice.pem --sign-key alice.pem
expect "an owner founds the collaboration it created" 0 "add alice in gamma" sh -c \
    "CLAVE_CONFIG_DIR='$work/cfg-owner' '$clave' collab create gamma >/dev/null &&
     CLAVE_CONFIG_DIR='$work/cfg-owner' '$clave' party add --collab gamma --party alice \
       --identity-key alice.pem --sign-key alice.pem"
expect "an owner cannot submit another party's statement (403)" 1 "403" env CLAVE_CONFIG_DIR="$work/cfg-owner" \
    "$clave" party remove --collab acme --party carol --signer bob --sign-key bob.pem
expect "alice's owner votes carol out" 0 "remove carol in acme" env CLAVE_CONFIG_DIR="$work/cfg-owner" \
    "$clave" party remove --collab acme --party carol --signer alice --sign-key alice.pem
expect "one vote of two: carol is still a member" 0 "carol" "$clave" party list --collab acme
expect "bob's vote completes it" 0 "remove carol" \
    "$clave" party remove --collab acme --party carol --signer bob --sign-key bob.pem
"$clave" party list --collab acme >members.out
! grep -q carol members.out && ok "carol voted out by all others" || bad "carol still listed: $(cat members.out)"
expect "a rekey signed with another key is refused" 1 "signature" \
    "$clave" party rekey --collab acme --party bob --identity-key bob2.pem --sign-key bob2.pem
expect "bob changes his key (signed with the old one)" 0 "rekey bob" \
    "$clave" party rekey --collab acme --party bob --identity-key bob2.pem --sign-key bob.pem
expect "bob's old key no longer signs" 1 "signature" \
    "$clave" party add --collab acme --party carol --identity-key carol.pem --signer bob --sign-key bob.pem

# --- offline re-verification of the history
"$clave" collab show acme --json >history.json
expect "collab verify: the history replays offline" 0 "verified 6 statements of acme; members: alice bob" \
    "$clave" collab verify history.json
python3 - history.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["statements"][3]["statement"]
i = len(s) // 2
d["statements"][3]["statement"] = s[:i] + ("A" if s[i] != "A" else "B") + s[i + 1:]
json.dump(d, open("tampered.json", "w"))
del d["statements"][3]
json.dump(d, open("dropped.json", "w"))
PY
expect "collab verify: a flipped byte fails" 1 "collab verify" "$clave" collab verify tampered.json
expect "collab verify: a dropped statement fails" 1 "collab verify" "$clave" collab verify dropped.json

# --- datasets: metadata, then the sealed file streamed in parts
curl -s --cacert data/tls/cert.pem "$U/v1/kbs/key" >broker.jwk
head -c 300000 /dev/urandom | base64 >data.csv
"$clave" seal data.csv data.sealed --to-jwk broker.jwk >/dev/null 2>&1
printf '{"region":"string","age":"int"}\n' >schema.json
expect "dataset upload in parts (admin for member alice)" 0 "sha256 $(sha256sum data.sealed | cut -d' ' -f1)" \
    "$clave" dataset upload data.sealed --collab acme --id claims --name claims --region eu \
    --schema schema.json --rows 100 --owner alice --part-bytes 16384
expect "dataset show" 0 "owner alice" "$clave" dataset show --collab acme --id claims
expect "dataset list --json" 0 '"claims"' "$clave" dataset list --collab acme --json
expect "a removed party cannot upload (403)" 1 "not_a_member" \
    "$clave" dataset upload data.sealed --collab acme --id c2 --name c2 --region eu \
    --schema schema.json --rows 1 --owner carol
expect "no such collaboration (404)" 1 "404" \
    "$clave" dataset upload data.sealed --collab nope --id c2 --name c2 --region eu \
    --schema schema.json --rows 1 --owner alice
head -c 1200000 /dev/urandom >big.csv
"$clave" seal big.csv big.sealed --to-jwk broker.jwk >/dev/null 2>&1
expect "over max_upload_bytes: 413" 1 "413" \
    "$clave" dataset upload big.sealed --collab acme --id big --name big --region eu \
    --schema schema.json --rows 1 --owner alice
head -c 4000 /dev/urandom >junk.sealed
expect "not a sealed file: 400" 1 "not a sealed file" \
    "$clave" dataset upload junk.sealed --collab acme --id junk --name junk --region eu \
    --schema schema.json --rows 1 --owner alice
printf '{"id":"parts","name":"p","region":"eu","owner":"alice","row_count":1,"schema":{"a":"int"}}' >meta.json
[[ $(api POST /v1/collaborations/acme/datasets -H 'Content-Type: application/json' --data-binary @meta.json) == 202 ]] &&
    ok "metadata only: 202 with the upload URL" || bad "metadata: $(cat body.out)"
head -c 100 data.sealed >p1
code=$(api PUT '/v1/collaborations/acme/datasets/parts/sealed?offset=0' -H 'Content-Type: application/octet-stream' --data-binary @p1)
[[ $code == 200 ]] && grep -q '"received":100' body.out && ok "first part: 100 bytes received" || bad "part: $code $(cat body.out)"
code=$(api PUT '/v1/collaborations/acme/datasets/parts/sealed?offset=0' -H 'Content-Type: application/octet-stream' --data-binary @p1)
[[ $code == 409 ]] && grep -q "100 bytes were received" body.out && ok "wrong offset: 409 with the length to resume from" ||
    bad "offset: $code $(cat body.out)"
code=$(api PUT '/v1/collaborations/acme/datasets/parts/sealed?offset=100' -H 'Content-Type: application/json' --data-binary @p1)
[[ $code == 415 ]] && ok "a part must be application/octet-stream (415)" || bad "content type: $code"
tail -c +101 data.sealed >p2
# the server answers 413 and closes while curl may still be sending: curl can then exit
# non-zero after printing the status, which must not end the script
code=$(api PUT '/v1/collaborations/acme/datasets/parts/sealed?offset=100&final=1' -H 'Content-Type: application/octet-stream' --data-binary @p2 || true)
# 413, or 000 when the reset of the closed connection reached curl before the 413 did: either
# way the part was refused (a 2xx here fails)
[[ $code == 413 || $code == 000 ]] && ok "a part over max_body_bytes: refused ($code)" || bad "big part: $code"
expect "an interrupted upload restarts with a new upload of the same id" 0 "owner alice" \
    "$clave" dataset upload data.sealed --collab acme --id parts --name p --region eu \
    --schema schema.json --rows 1 --owner alice --part-bytes 50000

# --- contracts tied to membership
alice_spki=$(openssl pkey -in alice.pem -pubout -outform DER 2>/dev/null | base64 -w0)
bob_spki=$(openssl pkey -in bob2.pem -pubout -outform DER 2>/dev/null | base64 -w0)
old_bob_spki=$(openssl pkey -in bob.pem -pubout -outform DER 2>/dev/null | base64 -w0)
sha=$(sha256sum data.sealed | cut -d' ' -f1)
M=$(printf 'a%.0s' {1..96})
contract() { # COLLAB BOB-SPKI
    cat <<JSON
{"collaboration": "$1", "version": 1,
 "datasets": [{"id": "claims", "owner": "alice", "sha256": "$sha"}],
 "computation": {"kind": "query", "spec": {"select": ["region"]}},
 "workloads": [{"tee": "sim-snp", "measurement": "$M",
                "min_tcb": {"bootloader": 0, "tee": 0, "snp": 0, "microcode": 0}}],
 "tcb_statuses": ["UpToDate"],
 "output": {"budgets": [{"party": "alice", "epsilon_micro": 1000000, "delta_pico": 0}],
            "min_group_size": 10, "columns": ["region"]},
 "recipients": [{"party": "bob", "spki": "$2"}],
 "regions": ["eu"],
 "signers": [{"party": "alice", "spki": "$alice_spki"}, {"party": "bob", "spki": "$2"}],
 "not_before": 1700000000, "expiry": 4000000000}
JSON
}
mk() { # NAME COLLAB BOB-SPKI
    contract "$2" "$3" >"$1.json"
    "$clave" contract propose --spec "$1.json" --out "$1.cbor" >/dev/null
    "$clave" contract sign "$1.cbor" --key alice.pem --party alice --out "$1.alice.cose" >/dev/null
    "$clave" contract export "$1.cbor" --signature "alice=$1.alice.cose" --out "$1.bundle" >/dev/null
}
mk good acme "$bob_spki"
mk stale acme "$old_bob_spki"
mk elsewhere nowhere "$bob_spki"
expect "contract submit: signers are members with their keys" 0 "state draft" "$clave" contract submit good.bundle
expect "contract submit: a signer key that is not the registered one (403)" 1 "not a member with this identity key" \
    "$clave" contract submit stale.bundle
expect "contract submit: unknown collaboration (400)" 1 "no such collaboration" "$clave" contract submit elsewhere.bundle
id=$(python3 -c 'import sys; import hashlib; print(hashlib.sha256(open(sys.argv[1],"rb").read()).hexdigest())' good.cbor)
"$clave" contract sign good.cbor --key bob2.pem --party bob --out good.bob.cose >/dev/null
expect "contract approve over the server: active" 0 "state active" \
    "$clave" contract approve "$id" --party bob --statement good.bob.cose
expect "contract status --bundle-out" 0 "signatures 2 of 2" "$clave" contract status "$id" --bundle-out server.bundle
expect "the server's bundle verifies offline" 0 "active" "$clave" contract verify server.bundle
"$clave" contract revoke good.cbor --key bob2.pem --party bob --out good.rev >/dev/null
expect "contract submit-revocation" 0 '"state": "revoked"' \
    "$clave" contract submit-revocation "$id" --party bob --statement good.rev --json
expect "contract status --json" 0 '"state": "revoked"' "$clave" contract status "$id" --json

# --- key broker policy
expect "kbs policy show" 0 "" "$clave" kbs policy show
expect "kbs policy show --json" 0 "{" "$clave" kbs policy show --json

# --- every membership change and upload is in the audit ledger
curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $TOKEN" -X POST "$U/v1/audit/checkpoint" >/dev/null
curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $TOKEN" "$U/v1/audit/export" >export.jsonl
python3 - export.jsonl >audit.txt <<'PY'
import base64, json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    raw = e.get("event") or e.get("data") or ""
    try:
        ev = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except Exception:
        ev = e
    print(ev.get("type", ""), ev.get("op", ""), ev.get("party", ""), ev.get("statement_sha256", ""))
PY
[[ $(grep -c '^collab.member' audit.txt) == 7 ]] && ok "7 membership statements audited (acme, gamma)" ||
    bad "collab.member entries: $(grep -c '^collab.member' audit.txt)"
grep -Eq '^collab.member rekey bob [0-9a-f]{64}$' audit.txt && ok "audit entry carries the statement hash" ||
    bad "rekey entry: $(grep rekey audit.txt)"
grep -q '^collab.create' audit.txt && grep -q '^dataset.upload' audit.txt && ok "collab.create and dataset.upload audited" ||
    bad "audit: $(sort -u audit.txt | head -20)"

echo "collab_cli: $passed passed, $failed failed"
((failed == 0))
