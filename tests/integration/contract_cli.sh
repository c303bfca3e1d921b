#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of `clave contract`: two parties make identity keys with openssl (Ed25519 and
# P-256), propose a contract from JSON, both sign, export a bundle, verify it offline (active),
# revoke, verify (revoked, exit 1), tamper (exit 1). Also: the token path (signing-input +
# assemble), expiry and not_before by --at, a non-required signer, and a signature for another
# contract. The commands follow docs/contracts.md.
# Usage: contract_cli.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: contract_cli.sh PATH-TO-clave}")
for tool in openssl base64 cmp sha256sum od dd; do
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
    if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
exits() { # description expected-rc expected-text command...
    local what=$1 want=$2 text=$3
    shift 3
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if ((rc == want)) && grep -q -- "$text" <<<"$out"; then ok "$what"; else
        bad "$what (rc=$rc, output: $out)"
    fi
}

# --- help for every subcommand
check "clave contract --help" "$clave" contract --help
for sub in propose show sign revoke export verify signing-input assemble; do
    check "clave contract $sub --help" "$clave" contract "$sub" --help
done
exits "unknown subcommand is a usage error" 2 "unknown contract command" "$clave" contract frob

# --- identity keys: Alice Ed25519, Bob P-256
openssl genpkey -algorithm ed25519 -out alice.pem 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out bob.pem 2>/dev/null
openssl genpkey -algorithm ed25519 -out mallory.pem 2>/dev/null
spki() { openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0; }
alice_spki=$(spki alice.pem)
bob_spki=$(spki bob.pem)
claims_sha=$(head -c 1000 /dev/zero | sha256sum | cut -d' ' -f1)
visits_sha=$(head -c 2000 /dev/zero | sha256sum | cut -d' ' -f1)
measurement=$(printf 'a%.0s' {1..96})

cat >contract.json <<JSON
{
  "collaboration": "acme-health",
  "version": 1,
  "datasets": [
    {"id": "claims", "owner": "alice", "sha256": "$claims_sha"},
    {"id": "visits", "owner": "bob", "sha256": "$visits_sha"}
  ],
  "computation": {"kind": "query", "spec": {"select": ["region", "count"], "group_by": ["region"]}},
  "workloads": [
    {"tee": "sim-snp", "measurement": "$measurement",
     "min_tcb": {"bootloader": 3, "tee": 0, "snp": 8, "microcode": 115}}
  ],
  "tcb_statuses": ["UpToDate"],
  "output": {
    "budgets": [{"party": "alice", "epsilon_micro": 1000000, "delta_pico": 1000},
                {"party": "bob", "epsilon_micro": 500000, "delta_pico": 1000}],
    "min_group_size": 10,
    "columns": ["region", "age"]
  },
  "recipients": [{"party": "bob", "spki": "$bob_spki"}],
  "regions": ["eu-west-1"],
  "signers": [{"party": "alice", "spki": "$alice_spki"}, {"party": "bob", "spki": "$bob_spki"}],
  "not_before": 1700000000,
  "expiry": 4000000000
}
JSON

# --- propose and show
id=$("$clave" contract propose --spec contract.json --out contract.cbor)
check "propose prints the id = sha256 of the file" test "$id" = "$(sha256sum contract.cbor | cut -d' ' -f1)"
"$clave" contract propose --spec contract.json --out again.cbor >/dev/null
check "propose is deterministic" cmp contract.cbor again.cbor
check "show prints the id and the fields" bash -c \
    "'$clave' contract show contract.cbor | grep -q '\"id\": \"$id\"' && '$clave' contract show contract.cbor | grep -q '\"min_group_size\": 10'"
sed 's/"delta_pico": 1000}/"delta_pico": 0.5}/' contract.json >float.json
exits "a float is refused, naming the field" 1 "contract.output.budgets\[0\].delta_pico" \
    "$clave" contract propose --spec float.json --out x.cbor
sed 's/"owner": "bob"/"owner": "carol"/' contract.json >owner.json
exits "a dataset owner who does not sign is refused" 1 "contract.datasets\[1\].owner" \
    "$clave" contract propose --spec owner.json --out x.cbor

# --- both sign, export, verify offline
"$clave" contract sign contract.cbor --key alice.pem --party alice --out alice.sig
exits "a draft bundle is not active" 1 "status *draft" bash -c \
    "'$clave' contract export contract.cbor --signature alice=alice.sig --out draft.bundle && '$clave' contract verify draft.bundle --at 1800000000"
"$clave" contract sign contract.cbor --key bob.pem --party bob --out bob.sig
exits "the wrong key for a party is refused" 1 "declared signer key" \
    "$clave" contract sign contract.cbor --key alice.pem --party bob --out x.sig
exits "a non-required party cannot sign" 1 "not a required signer" \
    "$clave" contract sign contract.cbor --key mallory.pem --party mallory --out x.sig
exits "export refuses a signature under the wrong party" 1 "signature" \
    "$clave" contract export contract.cbor --signature bob=alice.sig --out x.bundle
"$clave" contract export contract.cbor --signature alice=alice.sig --signature bob=bob.sig --out contract.bundle
exits "verify: active" 0 "status *active" "$clave" contract verify contract.bundle --at 1800000000
exits "verify --json: active" 0 '"status": "active"' "$clave" contract verify contract.bundle --at 1800000000 --json
exits "verify before not_before" 1 "not-yet-valid" "$clave" contract verify contract.bundle --at 1600000000
exits "verify after expiry" 1 "expired" "$clave" contract verify contract.bundle --at 4000000000
exits "verify defaults to now (active)" 0 "active" "$clave" contract verify contract.bundle

# --- a signature on another contract is refused
sed 's/"version": 1/"version": 2/' contract.json >v2.json
"$clave" contract propose --spec v2.json --out v2.cbor >/dev/null
"$clave" contract sign v2.cbor --key alice.pem --party alice --out alice-v2.sig
exits "a signature over another contract is refused" 1 "another contract" \
    "$clave" contract export contract.cbor --signature alice=alice-v2.sig --out x.bundle

# --- the token path: signing-input, an external signer (openssl), assemble
"$clave" contract signing-input contract.cbor --party alice --alg EdDSA --out alice.tbs
openssl pkeyutl -sign -inkey alice.pem -rawin -in alice.tbs -out alice.raw 2>/dev/null
"$clave" contract assemble contract.cbor --party alice --alg EdDSA --raw-signature alice.raw --out alice-token.sig
check "an externally made approval is accepted" "$clave" contract export contract.cbor \
    --signature alice=alice-token.sig --signature bob=bob.sig --out token.bundle
exits "a token bundle verifies active" 0 "active" "$clave" contract verify token.bundle --at 1800000000

# --- revoke: final
"$clave" contract revoke contract.cbor --key bob.pem --party bob --time 1900000000 --out bob.rev
"$clave" contract export contract.bundle --revocation bob=bob.rev --out revoked.bundle
exits "verify after revocation: revoked, exit 1" 1 "revoked by bob" "$clave" contract verify revoked.bundle --at 1950000000
exits "before the revocation time it was active" 0 "active" "$clave" contract verify revoked.bundle --at 1850000000
exits "revocation by a non-signer is refused" 1 "not a required signer" \
    "$clave" contract revoke contract.cbor --key mallory.pem --party mallory --out x.rev

# --- tampering: a flipped byte anywhere never verifies as active
size=$(stat -c %s contract.bundle)
tampered_active=0
for off in 0 1 7 20 100 $((size / 3)) $((size / 2)) $((size - 70)) $((size - 1)); do
    cp contract.bundle t.bundle
    byte=$(od -An -tu1 -j "$off" -N1 contract.bundle | tr -d ' ')
    printf "$(printf '\\x%02x' $((byte ^ 1)))" |
        dd of=t.bundle bs=1 seek="$off" conv=notrunc status=none
    if "$clave" contract verify t.bundle --at 1800000000 >/dev/null 2>&1; then
        tampered_active=$((tampered_active + 1))
    fi
done
check "no flipped byte verifies as active" test "$tampered_active" = 0
exits "tampered bundle: exit 1" 1 "" bash -c \
    "cp contract.bundle t2.bundle && printf '\\x00' | dd of=t2.bundle bs=1 seek=$((size - 5)) conv=notrunc status=none && '$clave' contract verify t2.bundle --at 1800000000"
head -c $((size - 1)) contract.bundle >short.bundle
exits "truncated bundle: exit 1" 1 "truncated" "$clave" contract verify short.bundle --at 1800000000

echo "contract_cli: $passed passed, $failed failed"
((failed == 0))
