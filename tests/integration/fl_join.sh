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
# (one per round with the model hash) are checked.
# Usage: fl_join.sh PATH-TO-clave (claved is taken from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: fl_join.sh PATH-TO-clave}")
claved=$(realpath "${CLAVE_BINARY_DIR:?}/claved")
src=${CLAVE_SOURCE_DIR:?}
for tool in curl openssl python3 base64 sha256sum awk; do
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
"$clave" collab create acme --description "federated study" >/dev/null
"$clave" party add --collab acme --party alice --identity-key alice.pem --sign-key alice.pem >/dev/null
for p in bob carol dave; do
    "$clave" party add --collab acme --party "$p" --identity-key "$p.pem" --signer alice \
        --sign-key alice.pem >/dev/null
done

# --- the FL contract, signed by all four members
seed=$(printf '5e%.0s' {1..32})
spki() { openssl pkey -in "$1.pem" -pubout -outform DER | base64 -w0; }
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
for p in alice bob carol dave; do
    "$clave" contract sign fl.cbor --key "$p.pem" --party "$p" --out "$p.cose" >/dev/null
    sigs+=(--signature "$p=$p.cose")
done
"$clave" contract export fl.cbor "${sigs[@]}" --out fl.bundle >/dev/null
expect "an FL contract signed by all four members is submitted (active)" 0 "active" \
    "$clave" contract submit fl.bundle

# --- refusals before anyone joins
expect "a client of a non-member party is refused" 1 "not_a_member\|not a member" \
    as mallory "$clave" fl join --contract "$id" --data part5.csv --wait 5
expect "fl status: joining, nobody yet" 0 "joining" as alice "$clave" fl status --contract "$id"
expect "fl join: bad contract id" 2 "hex" as alice "$clave" fl join --contract xyz --data part1.csv
expect "fl join --help" 0 "usage: clave fl join" "$clave" fl join --help
expect "fl status --help" 0 "usage: clave fl status" "$clave" fl status --help

# --- the hostile client (dave's user): malformed, misattributed and oversized messages
ALICE_TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' cfg-alice/credentials.json)
DAVE_TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' cfg-dave/credentials.json)
cat >hostile.py <<'EOF'
import http.client, json, os, ssl, sys, time
host, port, token, contract, cafile = sys.argv[1:6]
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
import base64
key = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
st, body = call("POST", "/v1/fl/%s/clients" % contract, json.dumps({"public_key": key}))
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

# --- four honest clients and the hostile one
for k in 1 2 3 4; do
    p=${parties[$((k - 1))]}
    CLAVE_CONFIG_DIR=$work/cfg-$p "$clave" fl join --contract "$id" --data "part$k.csv" \
        --out "model-$p.bin" >"join-$p.out" 2>&1 &
    pids+=($!)
done
python3 hostile.py 127.0.0.1 "$port" "$DAVE_TOKEN" "$id" data/tls/cert.pem >hostile.out 2>&1 &
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
    as alice "$clave" fl join --contract "$id" --data part1.csv --wait 5

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
