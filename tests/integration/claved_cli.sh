#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The clave CLI against a real claved: login (pinned key and CA file, wrong pin refused, no
# silent trust on first use), the 0600 session cache, user add|list|role, token
# create|list|revoke, and the audit ledger: key, signed head, export and proof fetched with curl
# verify with `clave audit verify`, and `clave audit tail` shows the events.
# With CLAVE_TEST_STORE=postgres the server runs on a throwaway PostgreSQL (pg_server.sh).
# Usage: claved_cli.sh PATH-TO-clave (claved is taken from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: claved_cli.sh PATH-TO-clave}")
claved=$(realpath "${CLAVE_BINARY_DIR:?}/claved")
src=${CLAVE_SOURCE_DIR:?}
for tool in curl openssl python3 setsid; do
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
check() { # description command...
    local d=$1
    shift
    if "$@" >last.out 2>&1; then ok "$d"; else bad "$d: $(head -c 400 last.out)"; fi
}
refuse() { # description command... (must fail)
    local d=$1
    shift
    if "$@" >last.out 2>&1; then bad "$d (it succeeded)"; else ok "$d"; fi
}

port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
U=https://127.0.0.1:$port
export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=64 CLAVE_THREADS=2 CLAVE_WORKERS=2
export CLAVE_AUDIT_CHECKPOINT_INTERVAL_S=1
export CLAVE_CONFIG_DIR=$work/cfg
unset CLAVE_PASSWORD CLAVE_TOTP CLAVE_NEW_PASSWORD

if [[ ${CLAVE_TEST_STORE:-sqlite} == postgres ]]; then
    pgdir=$(mktemp -d /tmp/clave-itpg-XXXXXX)
    pgport=$((40000 + RANDOM % 20000))
    # From / : the server runs as the postgres user, which cannot enter this root-only $work.
    (cd / && bash "$src/tests/testlib/pg_server.sh" start "$pgdir" "$pgport" >/dev/null &&
        bash "$src/tests/testlib/pg_server.sh" createdb "$pgdir" claved_it "$pgport")
    export CLAVE_STORE=postgres CLAVE_PG_CONNINFO="host=$pgdir port=$pgport user=postgres dbname=claved_it"
fi

printf 'admin-password\n' >pw
printf 'alice-password\n' >alice-pw
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

pin=$(openssl x509 -in data/tls/cert.pem -pubkey -noout | openssl pkey -pubin -outform der |
    openssl dgst -sha256 -binary | base64)

# --- login and trust
refuse "no terminal, no pin: first use is not trusted silently" \
    setsid -w "$clave" login --server "$U" --user root --password-file pw
grep -q "pin-sha256 $pin" last.out && ok "the refusal shows the server's key pin" || bad "pin hint: $(cat last.out)"
refuse "wrong pin refused" "$clave" login --server "$U" --user root --password-file pw \
    --pin-sha256 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
refuse "wrong password refused" "$clave" login --server "$U" --user root --password-file alice-pw --pin-sha256 "$pin" --totp ''
check "login with the pinned key" "$clave" login --server "$U" --user root --password-file pw --pin-sha256 "$pin"
[[ $(stat -c %a cfg/credentials.json) == 600 ]] && ok "session cache is 0600" || bad "session cache mode $(stat -c %a cfg/credentials.json)"
[[ $(stat -c %a cfg) == 700 ]] && ok "config dir is 0700" || bad "config dir mode"
! grep -q admin-password cfg/credentials.json && ok "no password in the cache" || bad "password cached"

# --- users
check "user add" env CLAVE_NEW_PASSWORD=alice-password "$clave" user add alice --role auditor
check "user add from a file" "$clave" user add bob --role analyst --password-file alice-pw
refuse "duplicate user refused" "$clave" user add bob --role analyst --password-file alice-pw
check "user list" "$clave" user list
grep -q "alice .*auditor" last.out && grep -q "bob .*analyst" last.out && ok "list shows both" || bad "list: $(cat last.out)"
check "user role by name" "$clave" user role bob owner
grep -q "is now owner" last.out && ok "role changed" || bad "role: $(cat last.out)"
refuse "bad role refused" "$clave" user role bob superuser
check "user list --json" "$clave" user list --json
python3 -c "import json;d=json.load(open('last.out'));assert any(u['name']=='bob' and u['role']=='owner' for u in d['users'])" &&
    ok "json list" || bad "json list"

# --- tokens
check "token create" "$clave" token create ci --ttl 3600
api=$(tail -n 1 last.out)
[[ $api == clv_* ]] && ok "token printed" || bad "token: $api"
[[ $(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $api" "$U/v1/me") == 200 ]] && ok "token authenticates" || bad "token auth"
check "token list" "$clave" token list --json
tid=$(python3 -c "import json;print([t['id'] for t in json.load(open('last.out'))['tokens'] if t['name']=='ci'][0])")
! grep -q "$api" last.out && ok "list never shows tokens" || bad "token in list"
check "token revoke" "$clave" token revoke "$tid"
[[ $(curl -sk -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $api" "$U/v1/me") == 401 ]] && ok "revoked token refused" || bad "revoked token works"
refuse "revoke of a bad id refused" "$clave" token revoke "../x"

# --- audit as the auditor, trusting the certificate through --cacert
refuse "wrong password for alice" "$clave" login --server "$U" --user alice --password-file pw --cacert data/tls/cert.pem --totp ''
check "auditor login with --cacert" "$clave" login --server "$U" --user alice --password-file alice-pw --cacert data/tls/cert.pem --totp ''
tok=$(python3 -c "import json;print(json.load(open('cfg/credentials.json'))['token'])")
get() { curl -sfS --cacert data/tls/cert.pem -H "Authorization: Bearer $tok" "$@"; }
get "$U/v1/audit/key" >key.pem && ok "GET /v1/audit/key" || bad "key"
# The checkpoint thread (audit_checkpoint_interval_s = 1) signs a head covering the log as it
# stands; poll for it (up to 20 s: the machine may be busy) rather than assume a time.
size=$(get "$U/v1/audit/entries?start=0&end=0" | python3 -c "import json,sys;print(json.load(sys.stdin)['tree_size'])")
periodic=bad
for _ in $(seq 1 100); do
    if [[ $(get "$U/v1/audit/sth" | python3 -c "import json,sys;print(json.load(sys.stdin)['tree_size'])") -ge $size ]]; then
        periodic=ok
        break
    fi
    sleep 0.2
done
$periodic "periodic signed head covers the log ($size entries) without an explicit checkpoint"
get -X POST "$U/v1/audit/checkpoint" >sth.json && ok "POST /v1/audit/checkpoint" || bad "checkpoint"
get "$U/v1/audit/sth" >sth2.json && cmp -s sth.json sth2.json && ok "GET /v1/audit/sth is the new head" || bad "sth differs"
get "$U/v1/audit/export" >export.jsonl && ok "GET /v1/audit/export" || bad "export"
get "$U/v1/audit/entries/2/proof" >proof.json && ok "GET proof" || bad "proof"
check "clave audit verify --export" "$clave" audit verify --log-key key.pem --sth sth.json --export export.jsonl
check "clave audit verify --proof" "$clave" audit verify --log-key key.pem --sth sth.json --proof proof.json
openssl pkey -pubin -in key.pem -noout -text 2>/dev/null | grep -q ED25519 && ok "log key is Ed25519 PEM" || bad "key format"
n=$(python3 -c "import json;print(json.load(open('sth.json'))['tree_size'])")
[[ $(wc -l <export.jsonl) == "$n" ]] && ok "export has tree_size lines" || bad "export lines"
python3 - "$api" <<'PY' && ok "events carry the documented fields, no secrets" || bad "event fields"
import base64, json, sys
types = []
for line in open('export.jsonl'):
    raw = json.loads(line)['event']
    ev = base64.urlsafe_b64decode(raw + '=' * (-len(raw) % 4))
    for secret in (b'admin-password', b'alice-password', sys.argv[1].encode(), b'clv_'):
        assert secret not in ev, ev
    e = json.loads(ev)
    for k in ('type', 'time', 'request_id', 'outcome', 'actor', 'actor_party'):
        assert k in e, (k, e)
    types.append(e['type'])
for t in ('login.success', 'login.failure', 'user.create', 'user.role', 'token.create', 'token.revoke'):
    assert t in types, (t, types)
PY
sed 's/"event":"e/"event":"f/' export.jsonl >tampered.jsonl
refuse "a tampered export fails verification" "$clave" audit verify --log-key key.pem --sth sth.json --export tampered.jsonl
check "clave audit tail" "$clave" audit tail -n 50
grep -q '"type":"user.role"' last.out && grep -q '"type":"login.failure"' last.out && ok "tail shows the events" || bad "tail: $(head -c 300 last.out)"
check "clave audit tail --server --json" "$clave" audit tail --server "$U" -n 3 --json
[[ $(wc -l <last.out) == 3 ]] && python3 -c "import json,sys;[json.loads(l)['event']['type'] for l in open('last.out')]" && ok "tail --json lines" || bad "tail json: $(cat last.out)"
refuse "tail refuses another server" "$clave" audit tail --server https://127.0.0.1:1
refuse "bob (owner) cannot read the audit log" env CLAVE_CONFIG_DIR="$work/cfg-bob" sh -c \
    "'$clave' login --server '$U' --user bob --password-file alice-pw --pin-sha256 '$pin' --totp '' >/dev/null && '$clave' audit tail"

# --- a pinned session stops working when the server's key changes
python3 - "$work/cfg/credentials.json" <<'PY'
import json, sys
p = sys.argv[1]
d = json.load(open(p))
d.pop('cacert', None)
d['pin_sha256'] = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='
json.dump(d, open(p, 'w'))
PY
refuse "a key that no longer matches the pin is refused" "$clave" user list

# --- restart: the log key and the log persist; the new head extends the old one
kill -TERM "$pid"
wait "$pid" || true
pid=""
start_server
check "login after restart" "$clave" login --server "$U" --user alice --password-file alice-pw --cacert data/tls/cert.pem --totp ''
tok=$(python3 -c "import json;print(json.load(open('cfg/credentials.json'))['token'])")
get "$U/v1/audit/key" | cmp -s - key.pem && ok "same log key after restart" || bad "log key changed"
get -X POST "$U/v1/audit/checkpoint" >sth3.json
get "$U/v1/audit/export" >export3.jsonl
check "verify after restart" "$clave" audit verify --log-key key.pem --sth sth3.json --export export3.jsonl
head -n "$n" export3.jsonl | cmp -s - export.jsonl && ok "old entries unchanged" || bad "history rewritten"
n3=$(python3 -c "import json;print(json.load(open('sth3.json'))['tree_size'])")
get "$U/v1/audit/consistency?first=$n&second=$n3" >cons.json && ok "consistency proof served" || bad "consistency"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[[ $rc == 0 ]] && ok "SIGTERM: clean exit (no leaks under ASan)" || bad "exit status $rc: $(tail -n 20 server.log)"
echo "claved_cli: $passed passed, $failed failed"
((failed == 0))
