#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# A real claved on a loopback port, driven with curl: login, RBAC basics, request ids in the
# logs, and hostile input (malformed JSON, wrong types, huge bodies, deep nesting, invalid UTF-8,
# tampered tokens, SQL metacharacters, path traversal, a slowloris client, lockout), then a
# SIGTERM drain. Usage: claved_api.sh PATH-TO-clave (claved is taken from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: claved_api.sh PATH-TO-clave}")
claved=$(realpath "${CLAVE_BINARY_DIR:?}/claved")
for tool in curl openssl python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
pid=""
cleanup() { [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }

port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
U=https://127.0.0.1:$port
export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=64 CLAVE_READ_TIMEOUT_S=3 \
    CLAVE_LOCKOUT_FREE_FAILURES=3 CLAVE_LOCKOUT_BASE_DELAY_S=60 CLAVE_THREADS=2 CLAVE_WORKERS=2

printf 'admin-password\n' >pw
"$clave" server init --data-dir "$work/data" --admin root --password-file pw --listen "127.0.0.1:$port" >/dev/null
"$claved" --check-config --config data/claved.conf >/dev/null && ok "check-config" || bad "check-config"
"$claved" --config data/claved.conf 2>server.log &
pid=$!
for _ in $(seq 1 100); do
    curl -sk "$U/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

# req METHOD PATH [BODY] [TOKEN] [CONTENT-TYPE]: prints the status; body in ./out, headers in ./hdr
req() {
    local args=(-sk -o out -D hdr -w '%{http_code}' -X "$1" "$U$2")
    [[ -n "${3:-}" ]] && args+=(--data-binary "$3" -H "Content-Type: ${5:-application/json}")
    [[ -n "${4:-}" ]] && args+=(-H "Authorization: Bearer $4")
    curl "${args[@]}" || true
}
expect() { # description expected-status actual-status
    if [[ "$3" == "$2" ]]; then ok "$1"; else bad "$1 (got $3, want $2: $(head -c 300 out))"; fi
}
field() { python3 -c "import json,sys; print(json.load(open('out'))$1)"; }

expect "healthz" 200 "$(req GET /healthz)"
grep -qi '^x-request-id: [0-9a-f]\{24\}' hdr && ok "X-Request-Id header" || bad "X-Request-Id header"
rid=$(grep -i '^x-request-id' hdr | tr -d '\r' | cut -d' ' -f2)

expect "login as the bootstrap admin" 200 "$(req POST /v1/login '{"username":"root","password":"admin-password"}')"
admin=$(field "['token']")
expect "GET /v1/me" 200 "$(req GET /v1/me '' "$admin")"
[[ $(field "['role']") == admin ]] && ok "me is admin" || bad "me is admin"
expect "create party" 201 "$(req POST /v1/parties '{"name":"acme"}' "$admin")"
party=$(field "['id']")
expect "create owner" 201 "$(req POST /v1/users "{\"name\":\"olga\",\"password\":\"owner-pw\",\"role\":\"owner\",\"party_id\":\"$party\"}" "$admin")"
expect "duplicate user" 409 "$(req POST /v1/users "{\"name\":\"olga\",\"password\":\"x\",\"role\":\"owner\",\"party_id\":\"$party\"}" "$admin")"
expect "owner logs in" 200 "$(req POST /v1/login '{"username":"olga","password":"owner-pw"}')"
owner=$(field "['token']")
expect "owner cannot create parties" 403 "$(req POST /v1/parties '{"name":"evil"}' "$owner")"
expect "owner cannot mint admins" 403 "$(req POST /v1/users '{"name":"x1","password":"p","role":"admin"}' "$owner")"
expect "API token" 201 "$(req POST /v1/tokens '{"name":"ci"}' "$owner")"
api=$(field "['token']")
tid=$(field "['id']")
expect "API token authenticates" 200 "$(req GET /v1/me '' "$api")"
expect "revoke API token" 200 "$(req DELETE "/v1/tokens/$tid" '' "$owner")"
expect "revoked API token refused" 401 "$(req GET /v1/me '' "$api")"

# --- hostile input
expect "malformed JSON" 400 "$(req POST /v1/login '{"username":')"
[[ $(field "['error']['code']") == invalid_json ]] && ok "error shape" || bad "error shape"
expect "wrong type" 400 "$(req POST /v1/login '{"username":5,"password":"x"}')"
expect "unknown key" 400 "$(req POST /v1/login '{"username":"a","password":"b","admin":true}')"
expect "array body" 400 "$(req POST /v1/login '[1,2]')"
expect "deep nesting" 413 "$(req POST /v1/parties "$(python3 -c "print('{\"name\":' + '['*5000 + ']'*5000 + '}')")" "$admin")"
expect "huge unauthenticated body" 413 "$(req POST /v1/login "{\"username\":\"$(head -c 20000 /dev/zero | tr '\0' a)\",\"password\":\"x\"}")"
python3 -c "print('{\"name\":\"' + 'a'*3000000 + '\"}')" >big.json
expect "body over the hard cap" 413 "$(req POST /v1/parties @big.json "$admin")"
expect "invalid UTF-8" 400 "$(req POST /v1/login "$(printf '{"username":"\xff\xfe","password":"x"}')")"
expect "wrong content type" 415 "$(req POST /v1/login '{"username":"a","password":"b"}' '' text/plain)"
expect "SQL metacharacters in login" 401 "$(req POST /v1/login "{\"username\":\"x' OR '1'='1\",\"password\":\"x\"}")"
expect "SQL metacharacters in names" 400 "$(req POST /v1/parties "{\"name\":\"a'; DROP TABLE users; --\"}" "$admin")"
expect "users table intact" 200 "$(req GET /v1/users '' "$admin")"
expect "path traversal" 404 "$(req GET '/v1/../../etc/passwd')"
expect "encoded traversal" 404 "$(req GET '/v1/%2e%2e/%2e%2e/etc/passwd')"
expect "NUL in path" 400 "$(req GET '/v1/me%00')"
expect "unknown method on a path" 405 "$(req PUT /v1/me '' "$admin")"
tampered="${admin:0:20}$( [[ ${admin:20:1} == A ]] && echo B || echo A )${admin:21}"
expect "tampered session token" 401 "$(req GET /v1/me '' "$tampered")"
expect "garbage token" 401 "$(req GET /v1/me '' 'v1.AAAA.BBBB')"
expect "non-bearer scheme" 401 "$(curl -sk -o out -w '%{http_code}' -H 'Authorization: Basic cm9vdDp4' "$U/v1/me")"
for i in 1 2 3; do req POST /v1/login '{"username":"olga","password":"wrong"}' >/dev/null; done
expect "fourth failure is locked out" 429 "$(req POST /v1/login '{"username":"olga","password":"wrong"}')"
grep -qi '^retry-after:' hdr && ok "Retry-After" || bad "Retry-After"
expect "logout" 200 "$(req POST /v1/logout '' "$admin")"
expect "logged-out session refused" 401 "$(req GET /v1/me '' "$admin")"

# --- slowloris: a client that never finishes its request head is cut off after read_timeout_s
# (3 s); the `timeout 30` only bounds a hung test.
rc=0
( printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n'; sleep 40 ) |
    timeout 30 openssl s_client -quiet -connect "127.0.0.1:$port" >slow.out 2>/dev/null || rc=$?
[[ $rc != 124 ]] && ok "slow client disconnected by the server" || bad "slow client still connected"
[[ ! -s slow.out ]] && ok "slow client got no response" || bad "slow client got a response"
expect "server still healthy" 200 "$(req GET /healthz)"

grep -q "\"request_id\":\"$rid\"" server.log && ok "request id in the log" || bad "request id in the log"
! grep -q 'admin-password\|owner-pw' server.log && ok "no passwords in the log" || bad "password in log"
grep -q '"event":"login.failure"' server.log && ok "audit events logged" || bad "audit events"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=""
[[ $rc == 0 ]] && ok "SIGTERM: clean exit" || bad "SIGTERM exit status $rc"
grep -q '"msg":"draining"' server.log && ok "drained" || bad "drained"

echo "claved_api: $passed passed, $failed failed"
((failed == 0))
