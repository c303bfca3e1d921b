#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# clave result: a receipt made by docs/examples/receipt_tour.c (sim SNP evidence, signed
# contract bundle, EAR, SQLite audit ledger) verifies offline with every check printed; each
# wrong input fails with its named check; show, encrypt and decrypt round-trip.
# Usage: cli_result.sh PATH-TO-clave   (env CLAVE_BINARY_DIR: the build with example_receipt_tour)
set -euo pipefail

clave=$(realpath "${1:?usage: cli_result.sh PATH-TO-clave}")
tour="${CLAVE_BINARY_DIR:?CLAVE_BINARY_DIR must name the build directory}/example_receipt_tour"
for tool in "$tour" cmp grep stat; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
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
fails_at() { # description first-failing-check command...
    local what=$1 name=$2
    shift 2
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if ((rc == 1)) && grep -q -- "first failure: $name)" <<<"$out" &&
        grep -q -- "^FAIL  $name" <<<"$out"; then
        ok "$what"
    else
        bad "$what (rc=$rc, output: $out)"
    fi
}

for cmd in "" verify show encrypt decrypt; do
    # shellcheck disable=SC2086
    check "clave result $cmd --help" "$clave" result $cmd --help >/dev/null
done

"$tour" "$work" >tour.log
trust=(--bundle bundle.cbor --attest-policy policy.json --ear-key ear-key.jwk
    --ledger-key ledger-key.pem)

out=$("$clave" result verify receipt.cose "${trust[@]}" --output counts=counts.json) && rc=0 || rc=$?
check "receipt verifies (exit 0)" test "$rc" = 0
check "every check is printed" test "$(grep -c '^ok ' <<<"$out")" = 20
check "the verdict is printed" grep -q '^receipt: verified$' <<<"$out"
json=$("$clave" result verify receipt.cose "${trust[@]}" --json)
check "--json report" grep -q '"ok": true' <<<"$json"
check "show prints the payload" bash -c "'$clave' result show receipt.cose | grep -q '\"kind\": \"query\"'"

# wrong inputs: each names its check
echo '{"other": 1}' >other.json
fails_at "another output file" output.counts \
    "$clave" result verify receipt.cose "${trust[@]}" --output counts=other.json
fails_at "an output the receipt does not have" output.model \
    "$clave" result verify receipt.cose "${trust[@]}" --output model=counts.json
openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey -pubout >other-ledger.pem
fails_at "another ledger key" ledger.sth "$clave" result verify receipt.cose --bundle bundle.cbor \
    --attest-policy policy.json --ear-key ear-key.jwk --ledger-key other-ledger.pem
openssl ecparam -name prime256v1 -genkey 2>/dev/null | openssl pkey -pubout >other-ear.pem
fails_at "another EAR key" ear.signature "$clave" result verify receipt.cose --bundle bundle.cbor \
    --attest-policy policy.json --ear-key other-ear.pem --ledger-key ledger-key.pem
echo '{"version":1,"tees":{"snp":{}}}' >vendor-only.json
fails_at "a policy without the sim root" evidence.attestation "$clave" result verify receipt.cose \
    --bundle bundle.cbor --attest-policy vendor-only.json --ear-key ear-key.jwk \
    --ledger-key ledger-key.pem
size=$(stat -c %s receipt.cose)
last=$(tail -c 1 receipt.cose | od -An -tu1 | tr -d ' ')
head -c $((size - 1)) receipt.cose >damaged.cose
# shellcheck disable=SC2059
printf "\\$(printf %03o $((last ^ 1)))" >>damaged.cose
fails_at "a damaged signature" receipt.signature "$clave" result verify damaged.cose "${trust[@]}"
head -c $((size / 2)) receipt.cose >half.cose
fails_at "a truncated receipt" receipt.format "$clave" result verify half.cose "${trust[@]}"
rc=0
"$clave" result verify receipt.cose --bundle bundle.cbor >/dev/null 2>&1 || rc=$?
check "missing trust options are a usage error" test "$rc" = 2

# decrypt the result the tour encrypted; encrypt and decrypt again
check "decrypt" "$clave" result decrypt --key recipient.jwk --in counts.jwe --out counts.out
check "decrypted result is the output" cmp -s counts.json counts.out
check "plaintext is mode 0600" test "$(stat -c %a counts.out)" = 600
openssl genpkey -algorithm x25519 >x.pem 2>/dev/null
openssl pkey -in x.pem -pubout >x.pub.pem
check "encrypt to an X25519 PEM key" "$clave" result encrypt --to x.pub.pem --in counts.json \
    --out x.jwe
check "decrypt with the PKCS#8 PEM key" "$clave" result decrypt --key x.pem --in x.jwe --out x.out
check "round trip" cmp -s counts.json x.out
rc=0
"$clave" result decrypt --key recipient.jwk --in x.jwe --out wrong.out >/dev/null 2>&1 || rc=$?
check "the wrong key cannot decrypt" test "$rc" = 1

echo "cli_result: $passed passed, $failed failed"
((failed == 0))
