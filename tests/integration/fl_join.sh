#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Federated learning over the coordinator, end to end: a real claved over TLS on loopback
# (SQLite, or PostgreSQL with CLAVE_TEST_STORE=postgres), a collaboration of four member parties,
# an FL contract signed by all four, and five clients on a partition of the breast-cancer table
# (UCI WDBC from Debian's python3-sklearn, scripts/fetch-data.sh): four `clave fl join` processes
# (one per party) and one hostile client that sends malformed, misattributed and oversized
# messages. One honest client is killed during round 3: every round still completes with at
# least min_clients; a non-member party's client is refused; the final accuracy is checked
# against a stated floor and against the in-process simulation of the same federation (same
# seed, same rows) computed here; the status output, the saved model and the audit ledger entries
# (one per round with the model hash) are checked. Client keys are certified by the parties'
# identity keys (carol's P-256 identity key lives in a SoftHSM2 PKCS#11 token: her contract
# approval and her client-key statement are signed there with pkcs11-tool): joins with a statement by the wrong key, for another party or without one are
# refused. A second federation with client-level DP pays each round from the parties' budgets
# in the coordinator's ledger and stops when alice's budget is spent; in it, dave's client talks
# through a proxy that substitutes bob's key in the directory, and refuses to proceed.
# Usage: fl_join.sh PATH-TO-clave (claved is taken from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: fl_join.sh PATH-TO-clave}")
claved=$(realpath "${CLAVE_BINARY_DIR:?}/claved")
src=${CLAVE_SOURCE_DIR:?}
for tool in curl openssl python3 base64 sha256sum awk pkcs11-tool softhsm2-util; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
pid=""
pgdir=""
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
    [[ -n "$pgdir" ]] && (cd / && bash "$src/tests/testlib/pg_server.sh" stop "$pgdir" >/dev/null 2>&1)
    [[ -n ${CLAVE_TEST_KEEP:-} ]] && echo "kept $work" || rm -rf "$work"
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
check() { # description python-expression-on-stdin-json
    if python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($2) else 1)"; then
        ok "$1"
    else bad "$1"; fi
}

# --- data: the WDBC table, rows dealt round-robin to five clients (sklearn header kept)
csv=$(bash "$src/scripts/fetch-data.sh" "${FL_TEST_DATA:-/tmp/clave-data}")
[[ -s "$csv" ]] || { echo "FAIL: no breast-cancer table" >&2; exit 1; }
for k in 1 2 3 4 5; do
    awk -v k="$k" -F, 'NR == 1 {h = $0; next} (NR - 2) % 5 == k - 1 {rows[n++] = $0}
        END {split(h, f, ","); printf "%d,%s,%s,%s\n", n, f[2], f[3], f[4]; for (i = 0; i < n; i++) print rows[i]}' \
        "$csv" >"part$k.csv"
done

port=$((20000 + RANDOM % 12000))
U=https://127.0.0.1:$port
export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=64 CLAVE_THREADS=2 CLAVE_WORKERS=4
export CLAVE_MAX_BODY_BYTES=65536
export CLAVE_CONFIG_DIR=$work/cfg
unset CLAVE_PASSWORD CLAVE_TOTP CLAVE_NEW_PASSWORD
if [[ ${CLAVE_TEST_STORE:-sqlite} == postgres ]]; then
    pgdir=$(mktemp -d /tmp/clave-flpg-XXXXXX)
    pgport=$((40000 + RANDOM % 20000))
    (cd / && bash "$src/tests/testlib/pg_server.sh" start "$pgdir" "$pgport" >/dev/null &&
        bash "$src/tests/testlib/pg_server.sh" createdb "$pgdir" claved_fl "$pgport")
    export CLAVE_STORE=postgres CLAVE_PG_CONNINFO="host=$pgdir port=$pgport user=postgres dbname=claved_fl"
fi

printf 'admin-password\n' >pw
printf 'user-password\n' >upw
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

# --- parties (four members, mallory not), one analyst each with its own CLI session
parties=(alice bob carol dave mallory)
for p in "${parties[@]}"; do
    printf '{"name":"%s"}' "$p" >req.json
    [[ $(api POST /v1/parties -H 'Content-Type: application/json' --data-binary @req.json) == 201 ]] ||
        { echo "FAIL: party $p: $(cat body.out)" >&2; exit 1; }
    party_id=$(python3 -c 'import json; print(json.load(open("body.out"))["id"])')
    CLAVE_NEW_PASSWORD=user-password "$clave" user add "$p-user" --role analyst --party "$party_id" >/dev/null
    CLAVE_CONFIG_DIR=$work/cfg-$p "$clave" login --server "$U" --user "$p-user" --password-file upw \
        --cacert data/tls/cert.pem >/dev/null
    openssl genpkey -algorithm ed25519 -out "$p.pem" 2>/dev/null
done
as() { local p=$1; shift; CLAVE_CONFIG_DIR=$work/cfg-$p "$@"; }
# carol's identity key: P-256, generated inside a SoftHSM2 token, never exported
mkdir -p softhsm/tokens
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$work/softhsm/tokens" >softhsm/softhsm2.conf
export SOFTHSM2_CONF=$work/softhsm/softhsm2.conf
so=/usr/lib/softhsm/libsofthsm2.so
[[ -f $so ]] || { echo "FAIL: $so is missing (softhsm2)" >&2; exit 1; }
softhsm2-util --init-token --free --label carol --pin 1234 --so-pin 5678 >/dev/null
p11=(pkcs11-tool --module "$so" --token-label carol --login --pin 1234)
"${p11[@]}" --keypairgen --key-type EC:prime256v1 --id 01 --label identity >/dev/null 2>&1
"${p11[@]}" --read-object --type pubkey --id 01 -o carol.pub.der >/dev/null 2>&1
openssl pkey -pubin -inform DER -in carol.pub.der -out carol.pem
token_sign() { # TBS SIG: CKM_ECDSA over SHA-256(TBS) inside the token (raw r || s)
    openssl dgst -sha256 -binary "$1" >"$1.sha256"
    "${p11[@]}" --sign --mechanism ECDSA --id 01 -i "$1.sha256" -o "$2" >/dev/null 2>&1
}
"$clave" collab create acme --description "federated study" >/dev/null
"$clave" party add --collab acme --party alice --identity-key alice.pem --sign-key alice.pem >/dev/null
for p in bob carol dave; do
    "$clave" party add --collab acme --party "$p" --identity-key "$p.pem" --signer alice \
        --sign-key alice.pem >/dev/null
done

# --- the FL contract, signed by all four members
seed=$(printf '5e%.0s' {1..32})
spki() { openssl pkey -in "$1.pem" -pubout -outform DER 2>/dev/null | base64 -w0 ||
    openssl pkey -pubin -in "$1.pem" -outform DER | base64 -w0; }
python3 - "$seed" "$(spki alice)" "$(spki bob)" "$(spki carol)" "$(spki dave)" <<'EOF'
import hashlib, json, sys
seed, keys = sys.argv[1], dict(zip(["alice", "bob", "carol", "dave"], sys.argv[2:]))
spec = {"name": "wdbc-fed", "seed": seed, "model": {"kind": "logistic", "inputs": 30},
        "clients": 5, "clients_per_round": 5, "min_clients": 3, "rounds": 10,
        "protection": "secagg", "round_timeout_s": 2,
        "local": {"learning_rate": "0.05", "batch_size": 16}}
sha = lambda k: hashlib.sha256(open("part%d.csv" % k, "rb").read()).hexdigest()
c = {"collaboration": "acme", "version": 1,
     "datasets": [{"id": p + "-wdbc", "owner": p, "sha256": sha(i + 1)} for i, p in enumerate(keys)],
     "computation": {"kind": "fl", "spec": spec},
     "workloads": [{"tee": "sim-snp", "measurement": "a" * 96,
                    "min_tcb": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115}}],
     "tcb_statuses": ["UpToDate"], "output": {"budgets": [], "min_group_size": 1, "columns": []},
     "recipients": [{"party": p, "spki": k} for p, k in keys.items()], "regions": ["*"],
     "signers": [{"party": p, "spki": k} for p, k in keys.items()],
     "not_before": 1700000000, "expiry": 4000000000}
json.dump(c, open("fl.json", "w"))
# The same federation as a one-machine simulation: same seed, same rows, each client's rows
# split and standardised locally as `clave fl join` does.
sim = dict(spec)
sim.pop("round_timeout_s")
sim["model"] = {"kind": "logistic"}
sim["data"] = {"path": "all.csv"}
sim["local"] = {k: float(v) if isinstance(v, str) else v for k, v in spec["local"].items()}
json.dump(sim, open("sim.json", "w"))
EOF
id=$("$clave" contract propose --spec fl.json --out fl.cbor | grep -o '[0-9a-f]\{64\}' | head -1)
sigs=()
for p in alice bob dave; do
    "$clave" contract sign fl.cbor --key "$p.pem" --party "$p" --out "$p.cose" >/dev/null
    sigs+=(--signature "$p=$p.cose")
done
"$clave" contract signing-input fl.cbor --party carol --alg ES256 --out fl.carol.tbs >/dev/null
token_sign fl.carol.tbs fl.carol.sig
"$clave" contract assemble fl.cbor --party carol --alg ES256 --raw-signature fl.carol.sig \
    --out carol.cose >/dev/null
sigs+=(--signature "carol=carol.cose")
"$clave" contract export fl.cbor "${sigs[@]}" --out fl.bundle >/dev/null
expect "an FL contract signed by all four members is submitted (active)" 0 "active" \
    "$clave" contract submit fl.bundle

# --- refusals before anyone joins
expect "a client of a non-member party is refused" 1 "not_a_member\|not a member" \
    as mallory "$clave" fl join --contract "$id" --data part5.csv --party mallory \
    --sign-key mallory.pem --wait 5
expect "fl status: joining, nobody yet" 0 "joining" as alice "$clave" fl status --contract "$id"
expect "fl join: bad contract id" 2 "hex" as alice "$clave" fl join --contract xyz --data part1.csv \
    --party alice --sign-key alice.pem
expect "fl join: no identity key nor statement" 2 "usage" as alice "$clave" fl join --contract "$id" \
    --data part1.csv --party alice

# --- client-key statements: the coordinator refuses keys not certified by the caller's party
expect "a client key signed by another member's key is refused (403)" 1 "invalid_statement" \
    as alice "$clave" fl join --contract "$id" --data part1.csv --party alice --sign-key bob.pem --wait 5
expect "a statement for another party (bob's, with bob's key) is refused to alice's user" 1 \
    "invalid_statement" as alice "$clave" fl join --contract "$id" --data part1.csv --party bob \
    --sign-key bob.pem --wait 5
openssl genpkey -algorithm ed25519 -out forged-client.pem 2>/dev/null
rawpub() { openssl pkey -in "$1" -pubout -outform DER | tail -c 32 | base64 -w0 | tr '+/' '-_' | tr -d '='; }
"$clave" fl certify --contract "$id" --collab acme --party alice --client-key forged-client.pem \
    --sign-key mallory.pem --out forged.cose >/dev/null
b64url() { base64 -w0 "$1" | tr '+/' '-_' | tr -d '='; }
printf '{"public_key":"%s","statement":"%s"}' "$(rawpub forged-client.pem)" "$(b64url forged.cose)" >forged.json
ALICE_TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' cfg-alice/credentials.json)
fl_post() { # TOKEN BODY-FILE: the status of POST /v1/fl/$id/clients
    curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
        -o body.out -w '%{http_code}' --data-binary @"$2" "$U/v1/fl/$id/clients"
}
[[ $(fl_post "$ALICE_TOKEN" forged.json) == 403 ]] && grep -q invalid_statement body.out &&
    ok "a key certified by a non-member's key is refused (403)" || bad "forged statement: $(cat body.out)"
printf '{"public_key":"%s"}' "$(rawpub forged-client.pem)" >nostatement.json
[[ $(fl_post "$ALICE_TOKEN" nostatement.json) == 400 ]] && ok "a join without a statement is refused (400)" ||
    bad "no statement: $(cat body.out)"
expect "fl certify --help" 0 "usage: clave fl certify" "$clave" fl certify --help
# carol's identity key is in the token: the signing input out, the token's raw signature in
openssl genpkey -algorithm ed25519 -out carol-client.pem 2>/dev/null
"$clave" fl certify --contract "$id" --collab acme --party carol --client-key carol-client.pem \
    --alg ES256 --signing-input carol.tbs >/dev/null
token_sign carol.tbs carol.sig
expect "fl certify: the token's raw signature becomes a client-key statement" 0 "client-key statement" \
    "$clave" fl certify --contract "$id" --collab acme --party carol --client-key carol-client.pem \
    --alg ES256 --identity-key carol.pem --raw-signature carol.sig --out carol-client.cose
head -c 64 /dev/zero >zero.sig
expect "fl certify: a wrong raw signature is refused" 1 "signature" \
    "$clave" fl certify --contract "$id" --collab acme --party carol --client-key carol-client.pem \
    --alg ES256 --identity-key carol.pem --raw-signature zero.sig --out bad.cose
expect "fl join --help" 0 "usage: clave fl join" "$clave" fl join --help
expect "fl status --help" 0 "usage: clave fl status" "$clave" fl status --help

# --- the hostile client (dave's user): malformed, misattributed and oversized messages
DAVE_TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' cfg-dave/credentials.json)
cat >hostile.py <<'EOF'
import http.client, json, os, ssl, sys, time
host, port, token, contract, cafile, key, statement = sys.argv[1:8]
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False
def call(method, path, body=None, ctype="application/json"):
    c = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    h = {"Authorization": "Bearer " + token}
    if body is not None:
        h["Content-Type"] = ctype
    c.request(method, path, body=body, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data
st, body = call("POST", "/v1/fl/%s/clients" % contract,
                json.dumps({"public_key": key, "statement": statement}))
assert st == 201, (st, body)
me = json.loads(body)["client"]
log = open("hostile.log", "w")
path = "/v1/fl/%s/clients/%d/message" % (contract, me)
while True:
    st, msg = call("GET", path)
    if st == 410:
        break
    if st != 200:
        time.sleep(0.05)
        continue
    hdr = bytearray(msg[:32])
    other = bytearray(hdr)
    other[28:32] = ((me % 5) + 1).to_bytes(4, "little")      # another client's id
    s1, _ = call("POST", path, bytes(other) + b"\0" * 64, "application/octet-stream")
    s2, _ = call("POST", path, b"\0" * 70000, "application/octet-stream")  # over the body limit
    hdr[5] = 2                                                # an UPDATE under secagg, garbage body
    s3, b3 = call("POST", path, bytes(hdr) + os.urandom(40), "application/octet-stream")
    log.write("misattributed %d oversized %d malformed %d\n" % (s1, s2, s3))
    log.flush()
EOF

# --- four honest clients and the hostile one (whose key dave's identity key certifies)
for k in 1 2 3 4; do
    p=${parties[$((k - 1))]}
    if [[ $p == carol ]]; then signing=(--client-key carol-client.pem --statement carol-client.cose)
    else signing=(--sign-key "$p.pem"); fi
    CLAVE_CONFIG_DIR=$work/cfg-$p "$clave" fl join --contract "$id" --data "part$k.csv" \
        --party "$p" "${signing[@]}" --out "model-$p.bin" >"join-$p.out" 2>&1 &
    pids+=($!)
done
openssl genpkey -algorithm ed25519 -out hostile.pem 2>/dev/null
"$clave" fl certify --contract "$id" --collab acme --party dave --client-key hostile.pem \
    --sign-key dave.pem --out hostile.cose >/dev/null
python3 hostile.py 127.0.0.1 "$port" "$DAVE_TOKEN" "$id" data/tls/cert.pem "$(rawpub hostile.pem)" \
    "$(b64url hostile.cose)" >hostile.out 2>&1 &
hostile=$!
pids+=("$hostile")

# carol's client dies during round 3
victim=${pids[2]}
for _ in $(seq 1 600); do
    r=$(curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $ALICE_TOKEN" "$U/v1/fl/$id/status" 2>/dev/null |
        python3 -c 'import json,sys; print(json.load(sys.stdin).get("round", 0))' 2>/dev/null || echo 0)
    ((r >= 3)) && break
    sleep 0.1
done
kill -9 "$victim" 2>/dev/null && ok "carol's client killed during round $r" || bad "carol's client was not running"

rcs=()
for k in 0 1 3; do
    rc=0
    wait "${pids[$k]}" || rc=$?
    rcs+=("$rc")
done
wait "$hostile" || true
[[ ${rcs[*]} == "0 0 0" ]] && ok "the surviving clients finish (exit 0)" ||
    bad "client exits ${rcs[*]}: $(tail -5 join-alice.out)"
expect "alice's client printed ten rounds" 0 "round 10/10" cat join-alice.out
expect "dave's client printed the end" 0 "federation done" cat join-dave.out
expect "progress lines carry clients, loss, accuracy, epsilon, time" 0 \
    "clients [0-9]/5  rejected [0-9]*  loss [0-9.]*  accuracy [0-9.]*  epsilon 0.000  time" cat join-bob.out
expect "the hostile client's misattributed message is refused (400)" 0 "misattributed 400" cat hostile.log
expect "the hostile client's oversized message is refused (413)" 0 "oversized 413" cat hostile.log
expect "the hostile client's malformed update is rejected (400)" 0 "malformed 400" cat hostile.log

# --- the coordinator's view
as alice "$clave" fl status --contract "$id" --json >status.json
check "status: done, all ten rounds" 'd["state"] == "done" and len(d["history"]) == 10' <status.json
check "every round completed (none aborted), at least min_clients each" \
    'all((not h["aborted"]) and h["reported"] >= 3 for h in d["history"])' <status.json
check "the hostile client is rejected every round, nobody else" \
    'all(h["rejected"] >= 1 for h in d["history"])' <status.json
check "after the kill: exactly the three survivors report" \
    'd["history"][-1]["reported"] == 3' <status.json
check "before the kill: four honest clients report" 'd["history"][0]["reported"] == 4' <status.json
expect "fl status (text)" 0 "round 10/10  clients 3/5" as bob "$clave" fl status --contract "$id"
expect "fl status: a non-member cannot look" 1 "not_a_member\|not a member" \
    as mallory "$clave" fl status --contract "$id"
expect "a late join is refused (federation full)" 1 "409\|full\|every client slot" \
    as alice "$clave" fl join --contract "$id" --data part1.csv --party alice --sign-key alice.pem \
    --wait 5
curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $ALICE_TOKEN" "$U/v1/fl/$id/clients" >dir.json
check "the directory carries a client-key statement for every client" \
    'len(d["directory"]) == 5 and all(len(e["statement"]) > 100 for e in d["directory"])' <dir.json

# --- accuracy: a stated floor, and the one-machine simulation of the same federation
{ head -1 "$csv"; tail -n +2 part1.csv; tail -n +2 part2.csv; tail -n +2 part3.csv; tail -n +2 part4.csv; tail -n +2 part5.csv; } >all.csv
acc=$(python3 -c 'import json; print(json.load(open("status.json"))["history"][-1]["accuracy"])')
"$clave" fl run --config sim.json --json >sim.out
sim_acc=$(tail -1 sim.out | python3 -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
python3 -c "import sys; sys.exit(0 if $acc >= 0.90 else 1)" && ok "federated accuracy $acc >= 0.90" ||
    bad "federated accuracy $acc < 0.90"
python3 -c "import sys; sys.exit(0 if $acc >= $sim_acc - 0.05 else 1)" &&
    ok "federated accuracy $acc within 0.05 of the simulation's $sim_acc" ||
    bad "federated accuracy $acc vs simulation $sim_acc"

# --- the model and the audit ledger
curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $ALICE_TOKEN" -o model-server.bin "$U/v1/fl/$id/model"
cmp -s model-alice.bin model-server.bin && ok "alice saved the coordinator's final model" ||
    bad "saved model differs"
model_sha=$(sha256sum model-server.bin | cut -d' ' -f1)
[[ $(api POST /v1/audit/checkpoint) == 200 ]] || bad "audit checkpoint: $(head -c 300 body.out)"
[[ $(api GET /v1/audit/export) == 200 ]] || bad "audit export: $(head -c 300 body.out)"
python3 - body.out >audit.txt <<'PY'
import base64, json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    raw = e.get("event") or e.get("data") or ""
    try:
        ev = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except Exception:
        ev = e
    print(ev.get("type", ""), ev.get("round", "-"), ev.get("clients", "-"), ev.get("model_sha256", "-"))
PY
n=$(grep -c '^fl.round ' audit.txt || true)
((n == 10)) && ok "ten fl.round audit entries" || bad "fl.round entries: $n"
grep -q "^fl.round 10 3/5 $model_sha\$" audit.txt && ok "the last round's entry: round, clients, model hash" ||
    bad "the last fl.round entry: $(grep '^fl.round 10' audit.txt)"
grep -q '^fl.join' audit.txt && grep -q '^fl.start' audit.txt && ok "fl.join and fl.start audited" ||
    bad "fl.join / fl.start not audited"

# --- client-level DP: every round paid from each party's budget before it runs
# Four clients (alice runs two), q = 1, noise multiplier 2, delta 1e-5: alice's budget lies
# between the accountant's epsilon after three and after four rounds.
eps() { "$clave" dp epsilon --q 1 --sigma 2 --steps "$1" --delta 1e-5 --json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["epsilon"])'; }
eps3=$(eps 3)
eps4=$(eps 4)
python3 - "$seed" "$eps3" "$eps4" "$(spki alice)" "$(spki bob)" "$(spki dave)" <<'EOF2'
import json, sys
seed, eps3, eps4 = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
keys = dict(zip(["alice", "bob", "dave"], sys.argv[4:]))
spec = {"name": "wdbc-dp", "seed": seed, "model": {"kind": "logistic", "inputs": 30},
        "clients": 4, "clients_per_round": 4, "min_clients": 3, "rounds": 8,
        "protection": "secagg", "round_timeout_s": 5,
        "local": {"learning_rate": "0.05", "batch_size": 16},
        "dp": {"mode": "distributed", "clip": "0.5", "noise_multiplier": "2", "delta": "1e-5"}}
c = json.load(open("fl.json"))
c["computation"]["spec"] = spec
c["datasets"] = [d for d in c["datasets"] if d["owner"] in keys]
c["output"]["budgets"] = [{"party": "alice", "epsilon_micro": int((eps3 + eps4) / 2 * 1e6),
                           "delta_pico": 20000000}] + \
    [{"party": p, "epsilon_micro": 100000000, "delta_pico": 20000000} for p in ("bob", "dave")]
c["recipients"] = [{"party": p, "spki": k} for p, k in keys.items()]
c["signers"] = [{"party": p, "spki": k} for p, k in keys.items()]
json.dump(c, open("fl-dp.json", "w"))
EOF2
id2=$("$clave" contract propose --spec fl-dp.json --out fl-dp.cbor | grep -o '[0-9a-f]\{64\}' | head -1)
sigs=()
for p in alice bob dave; do
    "$clave" contract sign fl-dp.cbor --key "$p.pem" --party "$p" --out "$p-dp.cose" >/dev/null
    sigs+=(--signature "$p=$p-dp.cose")
done
"$clave" contract export fl-dp.cbor "${sigs[@]}" --out fl-dp.bundle >/dev/null
expect "a DP FL contract with per-party budgets is submitted (active)" 0 "active" \
    "$clave" contract submit fl-dp.bundle
expect "client-level DP: a party without a budget in the contract cannot join (403)" 1 \
    "policy_denied\|no budget" as carol "$clave" fl join --contract "$id2" --data part3.csv \
    --party carol --client-key carol-client.pem --statement carol-client.cose --wait 5
# dave's client talks to the coordinator through a malicious proxy (same TLS key) that
# substitutes bob's client key in the directory it shows dave
cat >tamper.py <<'EOF2'
import http.client, http.server, json, os, base64, ssl, sys
listen, upstream, cert, key, contract = int(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:6]
up = ssl.create_default_context(cafile=cert)
up.check_hostname = False
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def relay(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        c = http.client.HTTPSConnection("127.0.0.1", upstream, context=up, timeout=60)
        hdr = {k: v for k, v in self.headers.items() if k.lower() in ("authorization", "content-type")}
        c.request(self.command, self.path, body=body or None, headers=hdr)
        r = c.getresponse()
        data = r.read()
        if self.command == "GET" and self.path == "/v1/fl/%s/clients" % contract and r.status == 200:
            d = json.loads(data)
            for e in d["directory"]:
                if e["party"] == "bob":
                    e["public_key"] = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
            data = json.dumps(d).encode()
        self.send_response(r.status)
        self.send_header("Content-Type", r.getheader("Content-Type") or "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
    do_GET = do_POST = do_PUT = do_DELETE = relay
srv = http.server.ThreadingHTTPServer(("127.0.0.1", listen), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
EOF2
pport=$((port + 1))
python3 tamper.py "$pport" "$port" data/tls/cert.pem data/tls/key.pem "$id2" 2>tamper.err &
proxy=$!
pids+=("$proxy")
for _ in $(seq 1 100); do curl -sk "https://127.0.0.1:$pport/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
cp -r cfg-dave cfg-dave-proxy
python3 - cfg-dave-proxy/credentials.json "https://127.0.0.1:$pport" <<'EOF2'
import json, sys
d = json.load(open(sys.argv[1]))
d["server"] = sys.argv[2]
json.dump(d, open(sys.argv[1], "w"))
EOF2
dp_pids=()
k=0
for p in alice alice bob dave; do
    k=$((k + 1))
    cfg=$work/cfg-$p
    [[ $p == dave ]] && cfg=$work/cfg-dave-proxy
    CLAVE_CONFIG_DIR=$cfg "$clave" fl join --contract "$id2" --data "part$k.csv" \
        --party "$p" --sign-key "$p.pem" >"join-dp-$k.out" 2>&1 &
    dp_pids+=($!)
    pids+=($!)
done
rcs=()
for p in "${dp_pids[@]}"; do
    rc=0
    wait "$p" || rc=$?
    rcs+=("$rc")
done
kill "$proxy" 2>/dev/null || true
[[ ${rcs[*]} == "0 0 0 1" ]] && ok "the DP federation's honest clients finish (exit 0), dave's refuses (1)" ||
    bad "DP client exits ${rcs[*]}: $(tail -3 join-dp-1.out) / $(tail -3 join-dp-4.out)"
expect "a substituted key in the directory: dave's client refuses to proceed, naming bob" 0 \
    "directory entry [0-9]: the client key of party bob is not certified by bob's identity key" \
    cat join-dp-4.out
expect "the clients print why the federation stopped" 0 "federation done: privacy budget spent" \
    cat join-dp-1.out
as bob "$clave" fl status --contract "$id2" --json >status-dp.json
check "DP federation: done after three rounds, stopped by alice's budget" \
    'd["state"] == "done" and len(d["history"]) == 3 and d["reason"].startswith("privacy budget spent: alice")' \
    <status-dp.json
check "DP federation: every round completed without dave's client (3 of 4)" \
    'all((not h["aborted"]) and h["reported"] == 3 for h in d["history"])' <status-dp.json
check "status: each round's epsilon is the accountant's" \
    "abs(d['history'][-1]['epsilon'] - $eps3) < 1e-9" <status-dp.json
check "status: per-party budgets (alice paid three rounds, spent <= cap)" \
    'any(b["party"] == "alice" and b["paid_round"] == 3 and b["epsilon_spent"] <= b["epsilon_cap"] for b in d["budgets"]) and len(d["budgets"]) == 3' \
    <status-dp.json
expect "fl status (text) shows the budgets" 0 "budget alice: epsilon 4.01" as bob "$clave" fl status --contract "$id2"
if [[ ${CLAVE_TEST_STORE:-sqlite} == postgres ]]; then ledger=(--ledger-pg "$CLAVE_PG_CONNINFO"); else ledger=(--ledger data/claved.db); fi
"$clave" dp status "${ledger[@]}" --collaboration acme --contract "$id2" --dataset fl --party alice >ledger-alice.json
check "the coordinator's budget ledger: alice spent eps(3) of her cap" \
    "abs(d['epsilon_spent'] - $eps3) < 1e-6 and d['epsilon_spent'] <= d['epsilon_cap'] and abs(d['delta_spent'] - 1e-5) < 1e-12" \
    <ledger-alice.json
curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $ALICE_TOKEN" -o model-dp.bin "$U/v1/fl/$id2/model"
[[ $(api POST /v1/audit/checkpoint) == 200 ]] || bad "audit checkpoint: $(head -c 300 body.out)"
[[ $(api GET /v1/audit/export) == 200 ]] || bad "audit export: $(head -c 300 body.out)"
python3 - body.out "$id2" >audit-dp.txt <<'PY'
import base64, json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    raw = e.get("event") or e.get("data") or ""
    try:
        ev = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except Exception:
        ev = e
    if ev.get("contract") == sys.argv[2]:
        print(ev.get("type", ""), ev.get("party", "-"), ev.get("round", "-"), ev.get("model_sha256", "-"))
PY
n=$(grep -c '^fl.budget.debit alice ' audit-dp.txt || true)
((n == 3)) && ok "three fl.budget.debit entries for alice" || bad "alice's debits: $n"
grep -q '^fl.budget.deny alice 4 ' audit-dp.txt && ok "round 4 refused by alice's budget (fl.budget.deny)" ||
    bad "no fl.budget.deny for alice round 4: $(grep deny audit-dp.txt)"
((n = $(grep -c '^fl.round ' audit-dp.txt || true), n == 3)) && ok "no round past the refused debit (3 fl.round entries)" ||
    bad "fl.round entries of the DP federation: $n"
grep -q "^fl.round - 3 $(sha256sum model-dp.bin | cut -d' ' -f1)\$" audit-dp.txt &&
    ok "the released model is round 3's (round 4's never computed)" || bad "DP model: $(grep '^fl.round' audit-dp.txt)"

kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=""
if grep -l "Sanitizer\|runtime error" server.log join-*.out >sanitizer.txt 2>/dev/null; then
    bad "sanitizer reports in: $(tr '\n' ' ' <sanitizer.txt)"
else
    ok "no sanitizer report from claved or the clients"
fi
echo "fl_join: $passed passed, $failed failed"
((failed == 0))
