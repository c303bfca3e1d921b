#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of the clave CLI: keyrings (file and a real SoftHSM2 token), seal, unseal,
# inspect, tamper detection with no output left behind, and constant memory on a 10 GiB stream.
# Usage: cli_seal.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: cli_seal.sh PATH-TO-clave}")
for tool in softhsm2-util /usr/bin/time cmp head; do
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
fails_with() { # description expected-text command...
    local what=$1 text=$2
    shift 2
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if ((rc == 1)) && grep -q -- "$text" <<<"$out"; then ok "$what"; else
        bad "$what (rc=$rc, output: $out)"
    fi
}

export CLAVE_ARGON2_TEST_PARAMS=1
export CLAVE_KEYRING=$work/a.keyring
export CLAVE_KEYRING_PASSPHRASE="integration passphrase"

# --- help for every command
for cmd in keyring seal unseal inspect; do
    check "clave $cmd --help" "$clave" "$cmd" --help >/dev/null
done
fails_with "unknown command is a usage error" "unknown command" bash -c "'$clave' frobnicate; [[ \$? == 2 ]] && exit 1"

# --- file keyring
check "keyring init" "$clave" keyring init --label alice >/dev/null
check "keyring file is mode 0600" test "$(stat -c %a a.keyring)" = 600
kek=$("$clave" keyring list --json | grep -o '"id": "kek-[0-9a-f]*"' | head -1 | cut -d'"' -f4)
p256=$("$clave" keyring list --json | grep -o '"id": "p256-[0-9a-f]*"' | head -1 | cut -d'"' -f4)
check "keyring has a KEK and a P-256 key" test -n "$kek" -a -n "$p256"
fails_with "init over an existing keyring" "already exists" "$clave" keyring init
CLAVE_KEYRING_PASSPHRASE=wrong fails_with "wrong passphrase" "passphrase" "$clave" keyring list
check "export-public prints a public JWK without d" bash -c \
    "'$clave' keyring export-public $p256 | grep -q '\"crv\":\"P-256\"' && ! '$clave' keyring export-public $p256 | grep -q '\"d\"'"

# --- round trips at chunk edges, through files and pipes
for size in 0 1 1023 1024 1025 70000 300000; do
    head -c "$size" /dev/urandom >in.$size
    "$clave" seal in.$size s.$size --to "$kek" --to "$p256" --chunk-size 1024 2>/dev/null
    "$clave" unseal s.$size out.$size 2>/dev/null
    check "round trip $size bytes" cmp in.$size out.$size
done
head -c 200000 /dev/urandom >piped
check "seal and unseal through pipes" bash -c \
    "'$clave' seal - - --to $kek <piped 2>/dev/null | '$clave' unseal - - 2>/dev/null | cmp - piped"
check "inspect names both recipients" bash -c \
    "'$clave' inspect s.70000 | grep -q '\"key_id\": \"$kek\"' && '$clave' inspect s.70000 | grep -q '\"wrap\": \"jwe\"'"

# --- a second party, reached only through its public JWK
CLAVE_KEYRING=$work/b.keyring "$clave" keyring init --label bob >/dev/null
bob=$(CLAVE_KEYRING=$work/b.keyring "$clave" keyring list --json | grep -o '"id": "p256-[0-9a-f]*"' | cut -d'"' -f4)
CLAVE_KEYRING=$work/b.keyring "$clave" keyring export-public "$bob" >bob.jwk
"$clave" seal in.70000 for-bob --to-jwk bob.jwk 2>/dev/null
check "recipient of a JWK unseals" bash -c \
    "CLAVE_KEYRING=$work/b.keyring '$clave' unseal for-bob bob.out 2>/dev/null && cmp bob.out in.70000"
fails_with "a non-recipient cannot unseal" "no usable recipient" "$clave" unseal for-bob nope.out

# --- tampering: refused, and no output file or temporary file is left
cp s.300000 t1 && printf '\xff' | dd of=t1 bs=1 seek=5000 conv=notrunc status=none
fails_with "flipped byte in a chunk" "tampered" "$clave" unseal t1 t1.out
head -c 150000 s.300000 >t2
fails_with "truncated file" "tampered" "$clave" unseal t2 t2.out
cat s.300000 <(tail -c 1040 s.300000) >t3
fails_with "appended chunk" "tampered" "$clave" unseal t3 t3.out
cp s.300000 t4 && printf 'X' | dd of=t4 bs=1 seek=20 conv=notrunc status=none
fails_with "edited header" "authentication failed" "$clave" unseal t4 t4.out
check "no output or temporary files after failures" bash -c '! ls t?.out* 2>/dev/null | grep -q .'
printf 'this is not a sealed file at all' >junk
fails_with "inspect rejects junk" "not a clave sealed file" "$clave" inspect junk
printf 'CLAVSEAL' >short
fails_with "inspect rejects a short file" "truncated" "$clave" inspect short

# --- PKCS#11: a real SoftHSM2 token
mkdir -p hsm/tokens
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$work/hsm/tokens" >hsm/softhsm2.conf
export SOFTHSM2_CONF=$work/hsm/softhsm2.conf
softhsm2-util --init-token --free --label it --pin 1111 --so-pin 2222 >/dev/null
hsm=(--pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token it)
CLAVE_PKCS11_PIN=1111 "$clave" keyring init --label hsm "${hsm[@]}" >/dev/null
hkek=$(CLAVE_PKCS11_PIN=1111 "$clave" keyring list --json "${hsm[@]}" | grep -o '"id": "kek-[0-9a-f]*"' | cut -d'"' -f4)
check "token KEK listed" test -n "$hkek"
check "seal/unseal with the token KEK" bash -c \
    "CLAVE_PKCS11_PIN=1111 '$clave' seal in.70000 h.sealed --to $hkek ${hsm[*]} 2>/dev/null &&
     CLAVE_PKCS11_PIN=1111 '$clave' unseal h.sealed h.out ${hsm[*]} 2>/dev/null && cmp h.out in.70000"
CLAVE_PKCS11_PIN=9999 fails_with "wrong PIN" "passphrase" "$clave" keyring list "${hsm[@]}"

# --- constant memory: 10 GiB through seal and unseal
rss() { grep -o '[0-9]*' "$1"; }
head -c $((10 << 30)) /dev/zero |
    /usr/bin/time -f %M -o seal.rss "$clave" seal - - --to "$kek" 2>/dev/null |
    /usr/bin/time -f %M -o unseal.rss "$clave" unseal - - 2>/dev/null | wc -c >big.count
check "10 GiB survives seal+unseal ($(cat big.count) bytes)" test "$(cat big.count)" = $((10 << 30))
head -c $((1 << 20)) /dev/zero |
    /usr/bin/time -f %M -o small.rss "$clave" seal - - --to "$kek" 2>/dev/null >/dev/null
echo "# max RSS KiB: seal 10 GiB $(rss seal.rss), unseal 10 GiB $(rss unseal.rss), seal 1 MiB $(rss small.rss)"
check "seal memory does not grow with input" test $(($(rss seal.rss) - $(rss small.rss))) -lt 2048
if [[ -z "${CLAVE_SANITIZED:-}" ]]; then
    check "seal of 10 GiB under 16 MiB RSS" test "$(rss seal.rss)" -lt 16384
    check "unseal of 10 GiB under 16 MiB RSS" test "$(rss unseal.rss)" -lt 16384
else
    # Sanitizer runtimes add a fixed shadow/quarantine cost; growth is what matters there.
    check "unseal memory bounded under sanitizers" test "$(rss unseal.rss)" -lt 131072
fi

echo "cli_seal: $passed passed, $failed failed"
((failed == 0))
