#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `clave dp query` never releases a result its ledger has not durably debited, on both ledger
# backends: with the ledger locked by another session (SQLite and PostgreSQL) or read-only
# (PostgreSQL), the query prints nothing on stdout, exits non-zero, and the spend is unchanged;
# once the lock is gone the same query is debited and printed. Also the budget/query/status round
# trip on PostgreSQL. Starts its own throwaway PostgreSQL server (tests/testlib/pg_server.sh).
# Usage: dp_ledger_cli.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: dp_ledger_cli.sh PATH-TO-clave}")
src=${CLAVE_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
for tool in sqlite3 psql runuser awk grep seq; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
pgdir=/tmp/clave-dpl-$$ # reachable by the postgres user (mktemp -d is not); short socket path
pgport=54341
cleanup() {
    touch "$work/release" 2>/dev/null || true # lets a lock holder still running finish
    (cd / && bash "$src/tests/testlib/pg_server.sh" stop "$pgdir" >/dev/null 2>&1) || true
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
check() { # description command...
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
quiet() { "$@" >/dev/null; }
json_field() { # json field
    grep -o "\"$2\":[^,}]*" <<<"$1" | head -1 | cut -d: -f2 | tr -d '"'
}

{
    echo "value"
    for i in $(seq 1 200); do echo "$((i % 10))"; done
} >data.csv

# refused NAME LEDGER-ARGS...: the query fails, prints nothing, and the spend is unchanged.
refused() {
    local name=$1
    shift
    local before after out rc=0
    before=$(json_field "$("$clave" dp status "$@" --party p)" epsilon_spent)
    out=$("$clave" dp query --csv data.csv --column value --op count --epsilon 0.25 --json \
        "$@" --party p --busy-timeout 100 2>err.txt) || rc=$?
    check "$name: query exits non-zero" test "$rc" -ne 0
    check "$name: nothing printed on stdout" test -z "$out"
    check "$name: the error is reported" test -s err.txt
    after=$(json_field "$("$clave" dp status "$@" --party p)" epsilon_spent)
    check "$name: spend unchanged ($before)" test "$before" = "$after"
}

# released NAME LEDGER-ARGS...: the query is debited, then printed with its debit id.
released() {
    local name=$1
    shift
    local out
    out=$("$clave" dp query --csv data.csv --column value --op count --epsilon 0.25 --json \
        "$@" --party p)
    check "$name: result printed with its debit" test -n "$(json_field "$out" debit_id)"
}

# A lock holder touches `locked` once it holds the lock and lets go when `release` appears.
# wait_for FILE: until FILE exists, at most 30 s.
wait_for() {
    for _ in $(seq 1 300); do
        [[ -e $1 ]] && return 0
        sleep 0.1
    done
    return 1
}

# --- SQLite: another connection holds the write lock
sql=(--ledger l.db)
check "sqlite: budget set" quiet "$clave" dp budget "${sql[@]}" --party p --epsilon 1
released "sqlite: unlocked" "${sql[@]}"
rm -f locked release
printf '%s\n' "BEGIN EXCLUSIVE;" ".shell touch locked" \
    ".shell while [ ! -e release ]; do sleep 0.1; done" "ROLLBACK;" | sqlite3 l.db &
holder=$!
check "sqlite: lock holder ready" wait_for locked
refused "sqlite locked" "${sql[@]}"
touch release
wait "$holder"
released "sqlite: lock released" "${sql[@]}"
out=$("$clave" dp status "${sql[@]}" --party p)
check "sqlite: exactly the released debits spent" test "$(json_field "$out" epsilon_spent)" = 0.5

# --- PostgreSQL
(cd / && bash "$src/tests/testlib/pg_server.sh" start "$pgdir" "$pgport" >/dev/null)
bash "$src/tests/testlib/pg_server.sh" createdb "$pgdir" dpcli "$pgport"
pg=(--ledger-pg "host=$pgdir port=$pgport user=postgres dbname=dpcli")
psql_on() { # DB psql-args...
    local db=$1
    shift
    psql -X -q -v ON_ERROR_STOP=1 -h "$pgdir" -p "$pgport" -U postgres -d "$db" "$@"
}
check "pg: budget set" quiet "$clave" dp budget "${pg[@]}" --party p --epsilon 1
released "pg: unlocked" "${pg[@]}"

# Locked: another session holds an exclusive lock on the debit table.
rm -f locked release
printf '%s\n' "BEGIN;" "LOCK TABLE dp_debit IN ACCESS EXCLUSIVE MODE;" "\\! touch locked" \
    "\\! while [ ! -e release ]; do sleep 0.1; done" "ROLLBACK;" | psql_on dpcli >/dev/null &
holder=$!
check "pg: lock holder ready" wait_for locked
refused_locked() {
    local out rc=0
    out=$("$clave" dp query --csv data.csv --column value --op count --epsilon 0.25 --json \
        "${pg[@]}" --party p --busy-timeout 100 2>err.txt) || rc=$?
    check "pg locked: query exits non-zero" test "$rc" -ne 0
    check "pg locked: nothing printed on stdout" test -z "$out"
    check "pg locked: the error names the conflict" grep -q "conflict\|lock" err.txt
}
refused_locked
touch release
wait "$holder"
out=$("$clave" dp status "${pg[@]}" --party p)
check "pg locked: spend unchanged" test "$(json_field "$out" epsilon_spent)" = 0.25

# Read-only: new sessions of the database default to read-only transactions.
psql_on postgres -c "ALTER DATABASE dpcli SET default_transaction_read_only = on"
refused "pg read-only" "${pg[@]}"
check "pg read-only: the error names it" grep -q "read-only" err.txt
psql_on postgres -c "ALTER DATABASE dpcli RESET default_transaction_read_only"
released "pg: writable again" "${pg[@]}"
released "pg: third quarter" "${pg[@]}"
released "pg: last quarter" "${pg[@]}"
rc=0
out=$("$clave" dp query --csv data.csv --column value --op count --epsilon 0.25 "${pg[@]}" \
    --party p 2>err.txt) || rc=$?
check "pg: over the cap refused" test "$rc" = 1
check "pg: over the cap prints nothing" test -z "$out"
check "pg: refusal says budget exhausted" grep -q "budget exhausted" err.txt
out=$("$clave" dp status "${pg[@]}" --party p --epsilon 0.25)
check "pg: status spent 1.0" test "$(json_field "$out" epsilon_spent)" = 1
check "pg: status no queries left" test "$(json_field "$out" queries_left)" = 0
check "both ledgers rejected" test "$("$clave" dp status --ledger x.db "${pg[@]}" >/dev/null 2>&1; echo $?)" = 2

echo "dp_ledger_cli: $passed passed, $failed failed"
((failed == 0))
