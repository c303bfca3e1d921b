#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Paillier-packed FL over the coordinator, end to end (docs/fl.md "Paillier over the
# coordinator"): a real claved over TLS on loopback (SQLite, or PostgreSQL with
# CLAVE_TEST_STORE=postgres), a collaboration of four member parties and an FL contract with
# protection "paillier" naming carol as key holder. carol's `clave fl keyholder` generates the
# run's key, certifies it with carol's identity key and decrypts only each round's sum; the
# federation waits for it before round 1. Six clients on a partition of the breast-cancer table:
# four honest ones (alice, bob, carol, dave), bob's killed during round 2, and two that talk
# through proxies substituting the key holder's key (tampered bytes) or its statement (one by
# another party): both refuse to proceed naming carol. Every round still completes with
# min_clients; the accuracy is checked against a floor and against the in-process Paillier
# simulation of the same federation; registrations by another party, with a statement by the
# wrong key, or twice are refused; audit entries are checked.
# Usage: fl_join_paillier.sh PATH-TO-clave (claved is taken from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: fl_join_paillier.sh PATH-TO-clave}")
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

# --- data: the WDBC table, rows dealt round-robin to six clients (sklearn header kept)
csv=$(bash "$src/scripts/fetch-data.sh" "${FL_TEST_DATA:-/tmp/clave-data}")
[[ -s "$csv" ]] || { echo "FAIL: no breast-cancer table" >&2; exit 1; }
for k in 1 2 3 4 5 6; do
    awk -v k="$k" -F, 'NR == 1 {h = $0; next} (NR - 2) % 6 == k - 1 {rows[n++] = $0}
        END {split(h, f, ","); printf "%d,%s,%s,%s\n", n, f[2], f[3], f[4]; for (i = 0; i < n; i++) print rows[i]}' \
        "$csv" >"part$k.csv"
done

port=$((20000 + RANDOM % 12000))
U=https://127.0.0.1:$port
export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=64 CLAVE_THREADS=2 CLAVE_WORKERS=4
export CLAVE_MAX_BODY_BYTES=262144
export CLAVE_CONFIG_DIR=$work/cfg
unset CLAVE_PASSWORD CLAVE_TOTP CLAVE_NEW_PASSWORD
if [[ ${CLAVE_TEST_STORE:-sqlite} == postgres ]]; then
    pgdir=$(mktemp -d /tmp/clave-flhepg-XXXXXX)
    pgport=$((40000 + RANDOM % 20000))
    (cd / && bash "$src/tests/testlib/pg_server.sh" start "$pgdir" "$pgport" >/dev/null &&
        bash "$src/tests/testlib/pg_server.sh" createdb "$pgdir" claved_flhe "$pgport")
    export CLAVE_STORE=postgres CLAVE_PG_CONNINFO="host=$pgdir port=$pgport user=postgres dbname=claved_flhe"
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

# --- the FL contract (paillier, key holder carol), signed by all four members
seed=$(printf '6f%.0s' {1..32})
spki() { openssl pkey -in "$1.pem" -pubout -outform DER | base64 -w0; }
python3 - "$seed" "$(spki alice)" "$(spki bob)" "$(spki carol)" "$(spki dave)" <<'EOF'
import hashlib, json, sys
seed, keys = sys.argv[1], dict(zip(["alice", "bob", "carol", "dave"], sys.argv[2:]))
spec = {"name": "wdbc-he", "seed": seed, "model": {"kind": "logistic", "inputs": 30},
        "clients": 6, "clients_per_round": 6, "min_clients": 3, "rounds": 5,
        "protection": "paillier", "key_holder": "carol", "round_timeout_s": 3,
        "local": {"learning_rate": "0.05", "batch_size": 16}}
c = {"collaboration": "acme", "version": 1,
     "datasets": [{"id": p + "-wdbc", "owner": p,
                   "sha256": hashlib.sha256(open("part%d.csv" % (i + 1), "rb").read()).hexdigest()}
                  for i, p in enumerate(keys)],
     "computation": {"kind": "fl", "spec": spec},
     "workloads": [{"tee": "sim-snp", "measurement": "a" * 96,
                    "min_tcb": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115}}],
     "tcb_statuses": ["UpToDate"], "output": {"budgets": [], "min_group_size": 1, "columns": []},
     "recipients": [{"party": p, "spki": k} for p, k in keys.items()], "regions": ["*"],
     "signers": [{"party": p, "spki": k} for p, k in keys.items()],
     "not_before": 1700000000, "expiry": 4000000000}
json.dump(c, open("fl.json", "w"))
# The same federation as a one-machine Paillier simulation (same seed, all rows).
sim = dict(spec)
for k in ("round_timeout_s", "key_holder"):
    sim.pop(k)
sim["model"] = {"kind": "logistic"}
sim["data"] = {"path": "all.csv"}
sim["local"] = {k: float(v) if isinstance(v, str) else v for k, v in spec["local"].items()}
json.dump(sim, open("sim.json", "w"))
# Exactness: the same three-client federation under paillier and under secagg.
for prot in ("paillier", "secagg"):
    e = json.loads(json.dumps(c))
    s = e["computation"]["spec"]
    s.update({"name": "wdbc-" + prot, "clients": 3, "clients_per_round": 3, "min_clients": 3,
              "rounds": 3, "protection": prot, "round_timeout_s": 30})
    if prot == "secagg":
        s.pop("key_holder")
    json.dump(e, open("fl-%s.json" % prot, "w"))
EOF
make_contract() { # NAME: propose NAME.json, sign by all four, submit; prints the id
    local cid
    cid=$("$clave" contract propose --spec "$1.json" --out "$1.cbor" | grep -o '[0-9a-f]\{64\}' | head -1)
    local sigs=()
    for p in alice bob carol dave; do
        "$clave" contract sign "$1.cbor" --key "$p.pem" --party "$p" --out "$1-$p.cose" >/dev/null
        sigs+=(--signature "$p=$1-$p.cose")
    done
    "$clave" contract export "$1.cbor" "${sigs[@]}" --out "$1.bundle" >/dev/null
    "$clave" contract submit "$1.bundle" >"$1.submit" 2>&1
    grep -q active "$1.submit" && echo "$cid"
}
id=$(make_contract fl) && ok "a paillier FL contract signed by all four members is submitted (active)" ||
    { bad "the paillier contract: $(cat fl.submit)"; exit 1; }

# --- key-holder registrations the coordinator refuses
expect "fl keyholder --help" 0 "usage: clave fl keyholder" "$clave" fl keyholder --help
expect "fl keyholder: a party that is not the contract's key holder refuses locally" 1 \
    "names carol as key holder, not bob" as bob "$clave" fl keyholder --contract "$id" --party bob \
    --sign-key bob.pem --wait 5
expect "another party's user cannot register the key (403, naming carol)" 1 \
    "names carol as key holder, not bob" as bob "$clave" fl keyholder --contract "$id" \
    --party carol --sign-key bob.pem --wait 5
expect "a key-holder statement by another key than carol's identity key is refused (403)" 1 \
    "invalid_statement" as carol "$clave" fl keyholder --contract "$id" --party carol \
    --sign-key mallory.pem --wait 5
expect "a non-member cannot register (403)" 1 "not_a_member\|not a member" \
    as mallory "$clave" fl keyholder --contract "$id" --party carol --sign-key carol.pem --wait 5

# --- proxies that substitute the key holder's key (mode key) or statement (mode statement)
cat >tamper.py <<'EOF'
import http.client, http.server, json, os, base64, ssl, sys
listen, upstream, cert, key, contract, mode = int(sys.argv[1]), int(sys.argv[2]), *sys.argv[3:7]
up = ssl.create_default_context(cafile=cert)
up.check_hostname = False
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def unb64(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
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
            kh = d.get("key_holder")
            if isinstance(kh, dict):
                if mode == "key":
                    pub = bytearray(unb64(kh["public_key"]))
                    pub[len(pub) // 2] ^= 1
                    kh["public_key"] = b64(bytes(pub))
                else:  # a statement made by another party (bob's client-key statement)
                    kh["statement"] = [e for e in d["directory"] if e["party"] == "bob"][0]["statement"]
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
EOF
proxy_cfg() { # PARTY PORT MODE: a CLI session of PARTY's user through a tampering proxy
    python3 tamper.py "$2" "$port" data/tls/cert.pem data/tls/key.pem "$id" "$3" 2>"tamper-$3.err" &
    pids+=($!)
    for _ in $(seq 1 100); do curl -sk "https://127.0.0.1:$2/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
    cp -r "cfg-$1" "cfg-$1-$3"
    python3 - "cfg-$1-$3/credentials.json" "https://127.0.0.1:$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["server"] = sys.argv[2]
json.dump(d, open(sys.argv[1], "w"))
EOF
}
proxy_cfg dave $((port + 1)) key
proxy_cfg alice $((port + 2)) statement

# --- six clients join; the federation waits for the key holder
clients=(alice bob carol dave dave-key alice-statement)
cpids=()
for k in 1 2 3 4 5 6; do
    cfg=${clients[$((k - 1))]}
    p=${cfg%%-*}
    CLAVE_CONFIG_DIR=$work/cfg-$cfg "$clave" fl join --contract "$id" --data "part$k.csv" \
        --party "$p" --sign-key "$p.pem" --out "model-$cfg.bin" --wait 120 >"join-$cfg.out" 2>&1 &
    cpids+=($!)
    pids+=($!)
done
ALICE_TOKEN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' cfg-alice/credentials.json)
status() { curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $ALICE_TOKEN" "$U/v1/fl/$id/status"; }
for _ in $(seq 1 600); do
    j=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin).get("joined", 0))' 2>/dev/null || echo 0)
    ((j == 6)) && break
    sleep 0.1
done
sleep 1
status >status-wait.json
check "all six joined, and no round starts before the key holder registers" \
    'd["joined"] == 6 and d["state"] == "joining" and d["round"] == 0' <status-wait.json

# --- carol's key holder
as carol "$clave" fl keyholder --contract "$id" --party carol --sign-key carol.pem >keyholder.out 2>&1 &
kh=$!
pids+=("$kh")
for _ in $(seq 1 300); do grep -q registered keyholder.out && break; sleep 0.1; done
expect "a second registration of the key is refused (409)" 1 "already registered\|no longer joining" \
    as carol "$clave" fl keyholder --contract "$id" --party carol --sign-key carol.pem --wait 5

# bob's client dies during round 2
for _ in $(seq 1 900); do
    r=$(status | python3 -c 'import json,sys; print(json.load(sys.stdin).get("round", 0))' 2>/dev/null || echo 0)
    ((r >= 2)) && break
    sleep 0.1
done
kill -9 "${cpids[1]}" 2>/dev/null && ok "bob's client killed during round $r" || bad "bob's client was not running"

rcs=()
for k in 0 2 3 4 5; do
    rc=0
    wait "${cpids[$k]}" || rc=$?
    rcs+=("$rc")
done
khrc=0
wait "$kh" || khrc=$?
[[ ${rcs[*]} == "0 0 0 1 1" ]] && ok "honest clients finish (0), both misled clients refuse (1)" ||
    bad "client exits ${rcs[*]}: $(tail -3 join-alice.out) / $(tail -3 join-dave-key.out)"
((khrc == 0)) && ok "the key holder finishes (exit 0)" || bad "key holder exit $khrc: $(tail -5 keyholder.out)"
expect "a tampered Paillier key: the client refuses, naming the key holder carol" 0 \
    "the Paillier key is not certified by key holder carol's identity key" cat join-dave-key.out
expect "a key-holder statement by another party: the client refuses, naming carol" 0 \
    "the Paillier key is not certified by key holder carol's identity key" cat join-alice-statement.out
expect "alice's client printed five rounds" 0 "round 5/5" cat join-alice.out
n=$(grep -c 'sum decrypted' keyholder.out || true)
((n == 5)) && ok "the key holder decrypted exactly one sum per round" || bad "key holder sums: $n: $(cat keyholder.out)"
expect "the key holder printed the end" 0 "federation done" cat keyholder.out

status >status.json
check "status: done, all five rounds, protection paillier" \
    'd["state"] == "done" and len(d["history"]) == 5 and d["protection"] == "paillier"' <status.json
check "every round completed (none aborted) with at least min_clients" \
    'all((not h["aborted"]) and h["reported"] >= 3 for h in d["history"])' <status.json
check "before the kill four clients report, after it three" \
    'd["history"][0]["reported"] == 4 and d["history"][-1]["reported"] == 3' <status.json
curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $ALICE_TOKEN" "$U/v1/fl/$id/clients" >dir.json
check "the directory carries the key holder's party, key and statement" \
    'd["key_holder"]["party"] == "carol" and len(d["key_holder"]["public_key"]) > 300' <dir.json
# only the user that registered may exchange the key holder's messages
code=$(curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $ALICE_TOKEN" -o kh.out -w '%{http_code}' \
    "$U/v1/fl/$id/keyholder/message")
[[ $code == 403 ]] && ok "another user cannot fetch the key holder's aggregates (403)" || bad "keyholder GET by alice: $code"

# --- accuracy: a floor, and the one-machine Paillier simulation of the same federation
{ head -1 "$csv"; for k in 1 2 3 4 5 6; do tail -n +2 "part$k.csv"; done; } >all.csv
acc=$(python3 -c 'import json; print(json.load(open("status.json"))["history"][-1]["accuracy"])')
"$clave" fl run --config sim.json --json >sim.out
sim_acc=$(tail -1 sim.out | python3 -c 'import json,sys; print(json.load(sys.stdin)["accuracy"])')
python3 -c "import sys; sys.exit(0 if $acc >= 0.88 else 1)" && ok "federated accuracy $acc >= 0.88" ||
    bad "federated accuracy $acc < 0.88"
python3 -c "import sys; sys.exit(0 if $sim_acc >= 0.90 else 1)" &&
    ok "the one-machine Paillier simulation of the federation reaches $sim_acc >= 0.90" ||
    bad "simulation accuracy $sim_acc"
curl -s --cacert data/tls/cert.pem -H "Authorization: Bearer $ALICE_TOKEN" -o model-server.bin "$U/v1/fl/$id/model"
cmp -s model-alice.bin model-server.bin && ok "alice saved the coordinator's final model" || bad "saved model differs"

expect "fl keyholder: the token path's options come together" 2 "usage" \
    as carol "$clave" fl keyholder --contract "$id" --party carol --alg EdDSA --wait 5
# --- exactness: one federation of three clients (joined one after the other, so ids are
# fixed) under paillier and under secagg gives the same model: both sums are exact in the
# fixed-point encoding
run_fed() { # PROT ID: three clients, and under paillier carol's key holder
    local prot=$1 cid=$2 k=0 jp=()
    if [[ $prot == paillier ]]; then
        # the two-step path of identity keys in a token: the signing input out, the raw
        # signature in (made here by openssl with carol's Ed25519 key, as a token would)
        openssl pkey -in carol.pem -pubout -out carol.pub.pem
        as carol "$clave" fl keyholder --contract "$cid" --party carol --alg EdDSA \
            --identity-key carol.pub.pem --signing-input kh.tbs --raw-signature kh.sig \
            >"kh-$prot.out" 2>&1 &
        jp+=($!)
        pids+=($!)
        for _ in $(seq 1 300); do [[ -s kh.tbs ]] && break; sleep 0.1; done
        openssl pkeyutl -sign -inkey carol.pem -rawin -in kh.tbs -out kh.sig.tmp && mv kh.sig.tmp kh.sig
    fi
    for p in alice bob dave; do
        k=$((k + 1))
        as "$p" "$clave" fl join --contract "$cid" --data "part$k.csv" --party "$p" \
            --sign-key "$p.pem" --out "model-$prot-$p.bin" --wait 60 >"join-$prot-$p.out" 2>&1 &
        jp+=($!)
        pids+=($!)
        for _ in $(seq 1 300); do
            grep -q "client $k of 3" "join-$prot-$p.out" && break
            sleep 0.1
        done
    done
    local rc=0
    for q in "${jp[@]}"; do wait "$q" || rc=1; done
    return $rc
}
idp=$(make_contract fl-paillier) && ids=$(make_contract fl-secagg) || bad "exactness contracts"
run_fed paillier "$idp" && ok "a clean paillier federation of three completes (key certified by the token path)" ||
    bad "paillier federation: $(tail -3 join-paillier-alice.out) / $(tail -3 kh-paillier.out)"
run_fed secagg "$ids" && ok "the same federation under secagg completes" ||
    bad "secagg federation: $(tail -3 join-secagg-alice.out)"
cmp -s model-paillier-alice.bin model-secagg-alice.bin &&
    ok "paillier and secagg give the same final model (exact fixed-point sums)" ||
    bad "paillier and secagg models differ"

# --- audit
[[ $(api POST /v1/audit/checkpoint) == 200 ]] || bad "audit checkpoint: $(head -c 300 body.out)"
[[ $(api GET /v1/audit/export) == 200 ]] || bad "audit export: $(head -c 300 body.out)"
python3 - body.out "$id" >audit.txt <<'PY'
import base64, json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    raw = e.get("event") or e.get("data") or ""
    try:
        ev = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except Exception:
        ev = e
    if ev.get("contract") == sys.argv[2]:
        print(ev.get("type", ""), ev.get("party", "-"), ev.get("round", "-"))
PY
grep -q '^fl.keyholder carol' audit.txt && ok "the key holder's registration is audited" || bad "no fl.keyholder entry"
n=$(grep -c '^fl.round ' audit.txt || true)
((n == 5)) && ok "five fl.round audit entries" || bad "fl.round entries: $n"

kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
pid=""
if grep -l "Sanitizer\|runtime error" server.log join-*.out keyholder.out >sanitizer.txt 2>/dev/null; then
    bad "sanitizer reports in: $(tr '\n' ' ' <sanitizer.txt)"
else
    ok "no sanitizer report from claved, the clients or the key holder"
fi
echo "fl_join_paillier: $passed passed, $failed failed"
((failed == 0))
