#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `clave audit verify` on a real log written by the ledger tour example: verifies as written,
# and refuses every kind of tampering an auditor must catch.
set -euo pipefail

clave=$(realpath "${1:?usage: audit_cli.sh PATH-TO-clave}")
tour=${CLAVE_BINARY_DIR:?}/example_ledger_tour
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
expect() { # description expected-rc command...
    local what=$1 want=$2 rc=0
    shift 2
    "$@" >out.txt 2>&1 || rc=$?
    if ((rc == want)); then ok "$what"; else bad "$what (rc=$rc: $(head -c 300 out.txt))"; fi
}

"$tour" "$work" >/dev/null
args=(--log-key log-key.pem --sth sth.json)
expect "whole exported log verifies" 0 "$clave" audit verify "${args[@]}" --export export.jsonl
expect "one entry's proof verifies" 0 "$clave" audit verify "${args[@]}" --proof proof-3.json

sed '3d' export.jsonl >dropped.jsonl
expect "a dropped entry is caught" 1 "$clave" audit verify "${args[@]}" --export dropped.jsonl
sed '2{h;d};3{G}' export.jsonl >swapped.jsonl
expect "swapped entries are caught" 1 "$clave" audit verify "${args[@]}" --export swapped.jsonl
sed '4s/"event":"e/"event":"f/' export.jsonl >edited.jsonl
expect "an edited entry is caught" 1 "$clave" audit verify "${args[@]}" --export edited.jsonl
sed 's/"tree_size":5/"tree_size":4/' sth.json >sth-size.json
expect "a head with a changed size is refused" 1 "$clave" audit verify --log-key log-key.pem \
    --sth sth-size.json --export export.jsonl
mkdir other && "$tour" "$work/other" >/dev/null
expect "a head signed by another log key is refused" 1 "$clave" audit verify \
    --log-key other/log-key.pem --sth sth.json --export export.jsonl
flip_first_path_digit() { # flip the first hex digit of the audit path
    sed -E 's/("audit_path":\[")([0-9a-f])/\1X\2/; s/X0/1/; s/X([1-9a-f])/0/' "$1"
}
flip_first_path_digit proof-3.json >proof-bad.json
expect "a forged audit path is refused" 1 "$clave" audit verify "${args[@]}" --proof proof-bad.json
expect "usage errors exit 2" 2 "$clave" audit verify --sth sth.json
expect "--help exits 0" 0 "$clave" audit --help

echo "audit_cli: $passed passed, $failed failed"
((failed == 0))
