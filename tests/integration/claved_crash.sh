#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Crash safety of the audit ledger through the real server: clients stream failed logins (each
# one is appended to the ledger before its 401 is sent) while claved is killed with SIGKILL and
# restarted, several times. Afterwards the whole log verifies against a fresh signed head with
# `clave audit verify`, and every login failure a client saw answered (its X-Request-Id) is in
# the log. With CLAVE_TEST_STORE=postgres the server runs on a throwaway PostgreSQL.
# Usage: claved_crash.sh PATH-TO-clave (claved is taken from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: claved_crash.sh PATH-TO-clave}")
claved=$(realpath "${CLAVE_BINARY_DIR:?}/claved")
src=${CLAVE_SOURCE_DIR:?}
for tool in curl python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done

ROUNDS=${CLAVE_CRASH_ROUNDS:-6}
CLIENTS=3
work=$(mktemp -d)
pid=""
pgdir=""
clients=()
cleanup() {
    touch "$work/stop" 2>/dev/null || true
    for c in "${clients[@]}"; do kill "$c" 2>/dev/null || true; done
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

port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
U=https://127.0.0.1:$port
export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=64 CLAVE_THREADS=2 CLAVE_WORKERS=3
if [[ ${CLAVE_TEST_STORE:-sqlite} == postgres ]]; then
    pgdir=$(mktemp -d /tmp/clave-itpg-XXXXXX)
    pgport=$((40000 + RANDOM % 20000))
    (cd / && bash "$src/tests/testlib/pg_server.sh" start "$pgdir" "$pgport" >/dev/null &&
        bash "$src/tests/testlib/pg_server.sh" createdb "$pgdir" claved_crash "$pgport")
    export CLAVE_STORE=postgres CLAVE_PG_CONNINFO="host=$pgdir port=$pgport user=postgres dbname=claved_crash"
fi
printf 'admin-password\n' >pw
"$clave" server init --data-dir "$work/data" --admin root --password-file pw --listen "127.0.0.1:$port" >/dev/null

start_server() {
    "$claved" --config data/claved.conf 2>>server.log &
    pid=$!
    for _ in $(seq 1 150); do
        curl -sk "$U/healthz" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "server did not start" >&2
    tail -n 20 server.log >&2
    exit 1
}

# One client: failed logins back to back; an acknowledged one (401 fully received) is recorded.
client() {
    local k=$1
    while [[ ! -e stop ]]; do
        local code
        code=$(curl -sk --max-time 5 -D "hdr.$k" -o /dev/null -w '%{http_code}' -X POST \
            -H 'Content-Type: application/json' --data '{"username":"ghost","password":"guess"}' \
            "$U/v1/login" 2>/dev/null) || code=000
        if [[ $code == 401 ]]; then
            grep -i '^x-request-id:' "hdr.$k" | tr -d '\r' | cut -d' ' -f2 >>"acked.$k"
        fi
    done
}

start_server
for round in $(seq 1 "$ROUNDS"); do
    rm -f stop
    clients=()
    for k in $(seq 1 $CLIENTS); do
        client "$k" &
        clients+=($!)
    done
    sleep "$(python3 -c "import random; print(0.4 + random.random())")"
    kill -9 "$pid"
    wait "$pid" 2>/dev/null || true
    touch stop
    for c in "${clients[@]}"; do wait "$c" || true; done
    clients=()
    start_server
done
cat acked.* >acked.txt 2>/dev/null || true
acked=$(wc -l <acked.txt)
((acked > 0)) && ok "$ROUNDS kills during $acked acknowledged appends" || bad "no acknowledged appends"

login=$(curl -sk -X POST -H 'Content-Type: application/json' \
    --data '{"username":"root","password":"admin-password"}' "$U/v1/login")
tok=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['token'])" "$login")
get() { curl -sfSk -H "Authorization: Bearer $tok" "$@"; }
get "$U/v1/audit/key" >key.pem
get -X POST "$U/v1/audit/checkpoint" >sth.json
get "$U/v1/audit/export" >export.jsonl
if "$clave" audit verify --log-key key.pem --sth sth.json --export export.jsonl >verify.out 2>&1; then
    ok "the log verifies against a fresh head after the crashes"
else
    bad "verify: $(cat verify.out)"
fi
python3 - <<'PY' && ok "every acknowledged append is in the log" || bad "acknowledged appends missing"
import base64, json
seen = set()
for line in open('export.jsonl'):
    raw = json.loads(line)['event']
    e = json.loads(base64.urlsafe_b64decode(raw + '=' * (-len(raw) % 4)))
    if e['type'] == 'login.failure':
        seen.add(e['request_id'])
acked = [l.strip() for l in open('acked.txt') if l.strip()]
missing = [r for r in acked if r not in seen]
print(f"acknowledged {len(acked)}, logged failures {len(seen)}, missing {len(missing)}")
assert not missing, missing[:5]
PY
# The export holds exactly the entries the fresh head covers.
n=$(python3 -c "import json;print(json.load(open('sth.json'))['tree_size'])")
[[ $(wc -l <export.jsonl) == "$n" ]] && ok "export matches the head's size" || bad "export size"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[[ $rc == 0 ]] && ok "SIGTERM: clean exit" || bad "exit status $rc: $(tail -n 20 server.log)"
echo "claved_crash: $passed passed, $failed failed"
((failed == 0))
