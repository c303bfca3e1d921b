#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# TPM 2.0 quotes from a real software TPM (swtpm + tpm2-tools) verified by
# `clave attest verify --format tpm2`: RSA and ECDSA attestation keys, then tampering
# (flipped quote and signature bits, wrong nonce, wrong AK, wrong PCR values) must reject.
# A missing swtpm or tpm2-tools fails the test (scripts/deps.sh installs them).
# Usage: tpm2_swtpm.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: tpm2_swtpm.sh PATH-TO-clave}")
for tool in swtpm tpm2_createek tpm2_createak tpm2_quote tpm2_pcrread tpm2_pcrextend \
    tpm2_flushcontext xxd; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
swtpm_pid=""
cleanup() {
    if [[ -n "$swtpm_pid" ]]; then kill "$swtpm_pid" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
accepts() { # description command...
    local what=$1
    shift
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if ((rc == 0)); then ok "$what"; else bad "$what (rc=$rc: $out)"; fi
}
rejects() { # description expected-text command...
    local what=$1 text=$2
    shift 2
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if ((rc == 1)) && grep -q -- "$text" <<<"$out"; then ok "$what"; else
        bad "$what (rc=$rc, output: $out)"
    fi
}

# --- a software TPM on loopback (a free port pair is found by trying)
mkdir state
port=0
for _ in 1 2 3 4 5 6 7 8; do
    try=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
    if swtpm socket --tpm2 --server type=tcp,port=$try,bindaddr=127.0.0.1 \
        --ctrl type=tcp,port=$((try + 1)),bindaddr=127.0.0.1 \
        --flags not-need-init,startup-clear --tpmstate dir="$work/state" \
        --pid file="$work/swtpm.pid" --log file="$work/swtpm.log" --daemon 2>/dev/null; then
        port=$try
        break
    fi
done
((port != 0)) || { echo "FAIL: swtpm did not start" >&2; exit 1; }
swtpm_pid=$(cat "$work/swtpm.pid")
export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$port"
for _ in $(seq 50); do tpm2_pcrread sha256:0 >/dev/null 2>&1 && break; sleep 0.1; done

# make_ak NAME ALG SCHEME: an AK under the endorsement key, public part as PEM.
tpm2_createek -c ek.ctx -G rsa -u ek.pub >/dev/null
tpm2_flushcontext -t
make_ak() {
    tpm2_createak -C ek.ctx -c "$1.ctx" -G "$2" -g sha256 -s "$3" -u "$1.pem" -f pem \
        -n "$1.name" >/dev/null
    tpm2_flushcontext -t
    tpm2_flushcontext -s
}
# quote AK NONCE OUT: quote PCRs 0,1,2,16 (sha256) and read their values.
quote() {
    tpm2_quote -c "$1.ctx" -l sha256:0,1,2,16 -q "$2" -m "$3.msg" -s "$3.sig" -g sha256 >/dev/null
    tpm2_flushcontext -t
    tpm2_pcrread sha256:0,1,2,16 -o "$3.pcrs" >/dev/null
}
verify() { # AK NONCE PREFIX [MSG] [SIG] [PCRS]
    "$clave" attest verify --format tpm2 "${4:-$3.msg}" --signature "${5:-$3.sig}" \
        --ak-pub "$1.pem" --nonce "$2" --pcrs "${6:-$3.pcrs}"
}
flip() { # IN OUT BIT: copy IN with one bit flipped
    local bit=$3 byte
    cp "$1" "$2"
    byte=$(xxd -p -s $((bit / 8)) -l 1 "$1")
    printf "%02x" $((0x$byte ^ (1 << (bit % 8)))) | xxd -r -p |
        dd of="$2" bs=1 seek=$((bit / 8)) conv=notrunc status=none
}

nonce=$(xxd -p -l 32 /dev/urandom | tr -d '\n')
make_ak rsa rsa rsassa
make_ak ecc ecc ecdsa
make_ak other rsa rsassa
tpm2_pcrextend 16:sha256=$(printf 'clave' | sha256sum | cut -c1-64)
quote rsa "$nonce" q1
quote ecc "$nonce" q2

# --- genuine quotes verify
accepts "RSA AK quote verifies" verify rsa "$nonce" q1
accepts "ECDSA P-256 AK quote verifies" verify ecc "$nonce" q2
out=$("$clave" attest verify --format tpm2 q1.msg --signature q1.sig --ak-pub rsa.pem \
    --nonce "$nonce" --pcrs q1.pcrs --json)
if grep -q '"tpm.pcr16"' <<<"$out" && grep -q "\"tpm.extra_data\": *\"$nonce\"" <<<"$out"; then
    ok "JSON report carries the PCR values and the nonce"
else bad "JSON report: $out"; fi
"$clave" attest verify --help | grep -q -- "--ak-pub" && ok "--help" || bad "--help"

# --- tampering rejects
# another nonce: its first hex digit changed (to f, or to 0 when it already is f)
if [[ ${nonce:0:1} == f ]]; then wrong_nonce=0${nonce:1}; else wrong_nonce=f${nonce:1}; fi
rejects "wrong nonce" "extraData is not the expected nonce" verify rsa "$wrong_nonce" q1
rejects "wrong AK" "signature" verify other "$nonce" q1
rejects "RSA AK for an ECDSA quote" "" verify rsa "$nonce" q2
tpm2_pcrextend 16:sha256=$(printf 'later' | sha256sum | cut -c1-64)
tpm2_pcrread sha256:0,1,2,16 -o now.pcrs >/dev/null
rejects "PCR values changed after the quote" "pcrDigest" verify rsa "$nonce" q1 q1.msg q1.sig now.pcrs
msg_bits=$(($(stat -c %s q1.msg) * 8))
for bit in $(seq 0 7 $((msg_bits - 1))); do
    flip q1.msg bad.msg "$bit"
    rejects "quote bit $bit flipped" "" verify rsa "$nonce" q1 bad.msg
done
sig_bits=$(($(stat -c %s q1.sig) * 8))
for bit in $(seq 3 61 $((sig_bits - 1))); do
    flip q1.sig bad.sig "$bit"
    rejects "signature bit $bit flipped" "" verify rsa "$nonce" q1 q1.msg bad.sig
done
for bit in $(seq 5 97 $(($(stat -c %s q2.sig) * 8 - 1))); do
    flip q2.sig bad.sig "$bit"
    rejects "ECDSA signature bit $bit flipped" "" verify ecc "$nonce" q2 q2.msg bad.sig
done

echo "tpm2_swtpm: $passed passed, $failed failed"
((failed == 0))
