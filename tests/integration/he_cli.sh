#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of `clave he`: keygen with the private key sealed to a file keyring, CSV
# column encryption by two parties, homomorphic sums, decryption, and refusal of tampered keys,
# foreign vectors and malformed inputs. Usage: he_cli.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: he_cli.sh PATH-TO-clave}")
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
export CLAVE_KEYRING=$work/r.keyring
export CLAVE_KEYRING_PASSPHRASE="he passphrase"

check "clave he --help" "$clave" he --help >/dev/null
"$clave" keyring init --label recipient >/dev/null
check "keygen 2048" "$clave" he keygen --bits 2048 --out key 2>/dev/null
check "private key file is mode 0600" test "$(stat -c %a key)" = 600
check "public key JSON beside it" grep -q '"format": "clave-he-public-key"' key.pub.json
check "private key is sealed (no JSON, sealed magic)" bash -c "head -c 8 key | grep -q CLAVSEAL"
fails_with "keygen refuses to overwrite" "exists" "$clave" he keygen --bits 2048 --out key

# A generated CSV shaped like the WDBC demo file: a non-name header line, then rows.
{
    echo "6,3,x,y"
    for i in $(seq 1 40); do echo "$i.5,$((i * i)),-$i.25,$((i % 2))"; done
} >all.csv
head -21 all.csv >p1.csv
{ head -1 all.csv; tail -20 all.csv; } >p2.csv
"$clave" he encrypt --key key.pub.json --csv p1.csv --column 3 --out p1.he 2>/dev/null
"$clave" he encrypt --key key.pub.json --csv p2.csv --column 3 --out p2.he 2>/dev/null
"$clave" he add --key key.pub.json --total p1.he p2.he --out sum.he 2>/dev/null
expect=$(awk -F, 'NR > 1 { s += $3 } END { printf "%.2f", s }' all.csv)
got=$("$clave" he decrypt --key key sum.he 2>/dev/null | awk '{ printf "%.2f", $1 }')
check "encrypted column total = plaintext total ($expect)" test "$got" = "$expect"
"$clave" he encrypt --key key.pub.json --csv p1.csv --column 2 --json --out a.json 2>/dev/null
"$clave" he add --key key.pub.json a.json a.json --out twice.he 2>/dev/null
check "element-wise sum of JSON vectors" bash -c \
    "'$clave' he decrypt --key key twice.he 2>/dev/null | head -3 | tr '\n' ' ' | grep -qx '2 8 18 '"
check "decrypt --sum" bash -c "'$clave' he decrypt --key key --sum a.json | grep -qx 2870"

# --- refusals
CLAVE_KEYRING=$work/other.keyring "$clave" keyring init --label other >/dev/null
CLAVE_KEYRING=$work/other.keyring "$clave" he keygen --bits 2048 --out other 2>/dev/null
"$clave" he encrypt --key other.pub.json --csv p1.csv --column 1 --out foreign.he 2>/dev/null
fails_with "adding a vector under another key" "another key" \
    "$clave" he add --key key.pub.json p1.he foreign.he --out x.he
fails_with "decrypting a vector under another key" "another key" \
    "$clave" he decrypt --key key foreign.he
fails_with "another keyring cannot open the private key" "no usable recipient" \
    "$clave" he decrypt --key other foreign.he
cp key tampered && printf '\x01' | dd of=tampered bs=1 seek=$(($(stat -c %s key) - 20)) conv=notrunc status=none
fails_with "a flipped bit in the sealed private key" "tampered\|authentication" \
    "$clave" he decrypt --key tampered sum.he
cp sum.he flipped.he && printf '\x01' | dd of=flipped.he bs=1 seek=100 conv=notrunc status=none
fails_with "a flipped bit in a ciphertext file" "checksum" "$clave" he decrypt --key key flipped.he
head -c 100 sum.he >short.he
fails_with "a truncated ciphertext file" "truncated\|checksum" "$clave" he decrypt --key key short.he
"$clave" he encrypt --key key.pub.json --csv all.csv --column 1 --out all.he 2>/dev/null
fails_with "lengths must match for element-wise sums" "length" \
    "$clave" he add --key key.pub.json p1.he all.he --out x.he
printf 'h\nnot-a-number\n' >bad.csv
fails_with "non-numeric CSV value" "not a number" \
    "$clave" he encrypt --key key.pub.json --csv bad.csv --column 1 --out x.he
fails_with "unknown column" "no column" \
    "$clave" he encrypt --key key.pub.json --csv p1.csv --column nope --out x.he
# --- python-paillier (phe) interop, checked against tests/integration/he_phe_model.py
model="${CLAVE_SOURCE_DIR:-$(dirname "$0")/../..}/tests/integration/he_phe_model.py"
command -v python3 >/dev/null || { echo "he_cli: python3 is required (scripts/deps.sh)"; exit 1; }
check "keygen --phe-out (no keyring needed)" "$clave" he keygen --bits 2048 --phe-out k.phe 2>/dev/null
check "phe private key is mode 0600" test "$(stat -c %a k.phe)" = 600
check "phe private key is a DAJ JWK with p and q" \
    python3 -c "import json; d=json.load(open('k.phe')); assert d['kty']=='DAJ' and 'p' in d and d['pub']['alg']=='PAI-GN1'"
fails_with "keygen --phe-out refuses to overwrite" "exists" "$clave" he keygen --bits 2048 --phe-out k.phe
"$clave" he encrypt --key k.phe.pub.json --csv all.csv --column 3 --format phe --out col.phe 2>/dev/null
check "phe list form with public_key and exponent -4" \
    python3 -c "import json; d=json.load(open('col.phe')); assert d['values'][0][1]==-4 and int(d['public_key']['g'])==int(d['public_key']['n'])+1"
got=$("$clave" he decrypt --key k.phe --sum col.phe 2>/dev/null | awk '{ printf "%.2f", $1 }')
check "clave decrypts its phe list with the phe key ($expect)" test "$got" = "$expect"
got=$(python3 "$model" decrypt k.phe col.phe | awk '{ s += $1 } END { printf "%.2f", s }')
check "the phe model decrypts clave's phe list ($expect)" test "$got" = "$expect"
"$clave" he add --key k.phe.pub.json --total --format pheutil col.phe --out total.phe 2>/dev/null
got=$(python3 "$model" decrypt k.phe total.phe | awk '{ printf "%.2f", $1 }')
check "pheutil form of a clave sum decrypts in the model ($expect)" test "$got" = "$expect"
python3 "$model" encrypt k.phe.pub.json -3.25 -32 >m32.phe
check "clave decrypts a pheutil number at e = -32" \
    bash -c "'$clave' he decrypt --key k.phe m32.phe 2>/dev/null | grep -qx -- -3.25"
python3 "$model" encrypt k.phe.pub.json 10.5 -4 >m4.phe
"$clave" he add --key k.phe.pub.json --format pheutil m4.phe m4.phe --out m8.phe 2>/dev/null
check "clave adds model-encrypted numbers (10.5 + 10.5)" \
    bash -c "python3 '$model' decrypt k.phe m8.phe | grep -qx 21.0"
fails_with "e = -32 cannot be summed into a clave vector" "no clave scale" \
    "$clave" he add --key k.phe.pub.json m32.phe --out x.he
fails_with "a phe number under another key" "another key\|not a valid" \
    "$clave" he add --key key.pub.json col.phe --out x.he
fails_with "scale 1000 has no phe exponent" "not a power of 2" \
    "$clave" he encrypt --key k.phe.pub.json --csv p1.csv --column 1 --scale 1000 --format phe --out x.he
check "no output left by failures" test ! -e x.he

echo "he_cli: $passed passed, $failed failed"
((failed == 0))
