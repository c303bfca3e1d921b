#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of `clave attest`: the vectors README verdicts through the CLI (exit codes
# and details), inspect, the simulated TEE round trip under an explicit dev policy, and collect
# on a machine without a TEE. The examples of docs/attestation.md run here as written.
# Usage: cli_attest.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: cli_attest.sh PATH-TO-clave}")
V=${CLAVE_SOURCE_DIR:?CLAVE_SOURCE_DIR must be set}/../shared/vectors/attestation
[[ -d $V ]] || { echo "FAIL: vectors missing at $V" >&2; exit 1; }
command -v python3 >/dev/null || { echo "FAIL: python3 is required (JSON checks)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
expect() { # description expected-rc expected-text command...
    local what=$1 want=$2 text=$3
    shift 3
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if ((rc == want)) && grep -q -- "$text" <<<"$out"; then ok "$what"; else
        bad "$what (rc=$rc, output: $out)"
    fi
}

expect "attest --help" 0 "sim-evidence" "$clave" attest --help
expect "verify --help lists formats" 0 "snp" "$clave" attest verify --help
expect "unknown subcommand" 2 "unknown subcommand" "$clave" attest frobnicate

# --- section 1: Nitro
expect "nitro prod doc valid at its timestamp" 0 "verdict: OK (nitro)" \
    "$clave" attest verify "$V/nitro/evervault_doc_2022-10-13_prod.cose"
expect "nitro prod doc expired on 2026-11-22" 1 "FAIL  x509.chain.*expired" \
    "$clave" attest verify "$V/nitro/evervault_doc_2022-10-13_prod.cose" --at 2026-11-22T00:00:00Z
expect "nitro debug doc (2022) rejected by the default policy" 1 "FAIL  policy.debug" \
    "$clave" attest verify "$V/nitro/evervault_doc_2022-10-12_debug.cose"
expect "nitro debug doc (2023) signature valid" 1 "PASS  nitro.signature" \
    "$clave" attest verify "$V/nitro/evervault_doc_2023-09-18_debug.cose"
echo '{"version":1,"tees":{"nitro":{"debug":true}}}' >allow-debug.json
expect "nitro debug doc accepted by a debug policy" 0 "verdict: OK" \
    "$clave" attest verify "$V/nitro/evervault_doc_2022-10-12_debug.cose" --policy allow-debug.json
expect "nitro inspect prints PCRs" 0 '"nitro.pcr0": "f4d48b81' \
    "$clave" attest inspect "$V/nitro/evervault_doc_2022-10-13_prod.cose"

# --- section 2: SEV-SNP
S=$V/sev-snp
expect "snp go-sev-guest: signature valid" 1 "PASS  snp.signature" \
    "$clave" attest verify "$S/gosevguest_milan_report.bin" --endorsement "$S/gosevguest_milan_vcek.der" --at 2026-11-22T00:00:00Z
expect "snp go-sev-guest: debug rejected" 1 "FAIL  policy.debug" \
    "$clave" attest verify "$S/gosevguest_milan_report.bin" --endorsement "$S/gosevguest_milan_vcek.der" --at 2026-11-22T00:00:00Z
expect "snp trustee milan valid" 0 "verdict: OK (snp)" \
    "$clave" attest verify "$S/trustee_milan_report.bin" --collateral "$S" --at 2026-11-22T00:00:00Z
expect "snp VLEK valid at 1733900000" 0 "verdict: OK (snp)" \
    "$clave" attest verify "$S/trustee_milan_vlek_report.bin" --collateral "$S" --at 1733900000
expect "snp VLEK expired on 2026-11-22" 1 "SEV-VLEK.*expired" \
    "$clave" attest verify "$S/trustee_milan_vlek_report.bin" --collateral "$S" --at 2026-11-22T00:00:00Z
"$clave" attest verify "$S/trustee_milan_report.bin" --collateral "$S" --at 1795305600 --json >report.json
if python3 -c 'import json,sys; r=json.load(open("report.json")); sys.exit(0 if r["ok"] and r["claims"]["snp.guest_svn"]==4 else 1)'; then
    ok "verify --json"
else bad "verify --json"; fi

# --- EAR tokens
command -v openssl >/dev/null || { echo "FAIL: openssl is required (EAR keys)" >&2; exit 1; }
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ear.key 2>/dev/null
openssl pkey -in ear.key -pubout -out ear.pub 2>/dev/null
"$clave" attest verify "$S/trustee_milan_report.bin" --collateral "$S" --at 1795305600 \
    --ear-key ear.key --ear-out ok.jwt >/dev/null
expect "EAR for a valid report is affirming" 0 "status: affirming" "$clave" attest ear-verify ok.jwt --key ear.pub
expect "debug doc rejected, its EAR still written" 1 "FAIL  policy.debug" \
    "$clave" attest verify "$V/nitro/evervault_doc_2022-10-12_debug.cose" --ear-key ear.key --ear-out debug.jwt
expect "EAR for a debug doc is contraindicated" 1 "status: contraindicated" "$clave" attest ear-verify debug.jwt --key ear.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null | openssl pkey -pubout -out other.pub 2>/dev/null
expect "EAR under another key fails" 1 "signature" "$clave" attest ear-verify ok.jwt --key other.pub

# --- simulated TEE (docs/attestation.md example)
expect "sim-init" 0 "NO\|no hardware protection" "$clave" attest sim-init --dir sim
expect "sim-init refuses to overwrite" 1 "exists" "$clave" attest sim-init --dir sim
m=$(printf '5c%.0s' $(seq 48))
cat >dev-policy.json <<JSON
{"version": 1,
 "tees": {"sim-nitro": {"trusted_roots": ["sim/root.pem"], "report_data": "00112233"},
          "sim-snp": {"trusted_roots": ["sim/root.pem"], "reference": {"measurement": ["$m"]}}}}
JSON
for fmt in nitro snp; do
    "$clave" attest sim-evidence --dir sim --format $fmt --report-data 00112233 --measurement "$m" --out ev.$fmt
    expect "sim $fmt verifies under the dev policy" 0 "verdict: OK (sim-$fmt)" \
        "$clave" attest verify ev.$fmt --collateral sim --policy dev-policy.json
    expect "sim $fmt rejected by the default policy" 1 "FAIL  x509.chain" \
        "$clave" attest verify ev.$fmt --collateral sim
done
expect "sim evidence prints the warning" 0 "no hardware protection" \
    "$clave" attest verify ev.snp --collateral sim --policy dev-policy.json
expect "sim-evidence needs a format" 2 "usage" "$clave" attest sim-evidence --dir sim

# --- sections 3-7: Intel DCAP, Azure vTPM, GCP TDX through the same `attest verify`
for fmt in nitro snp tdx sgx az-snp-vtpm az-tdx-vtpm gcp-tdx tpm2 az-vtpm; do
    expect "--help lists $fmt" 0 " $fmt" "$clave" attest --help
done
T=$V/tdx
expect "TDX v4 UpToDate (collateral JSON)" 0 "verdict: OK (tdx)" \
    "$clave" attest verify "$T/dcapqvl_quote_v4.dat" --collateral "$T/dcapqvl_quote_v4_collateral.json" --at 2025-07-01T00:00:00Z
expect "TDX v4 after the collateral's nextUpdate" 1 "expired" \
    "$clave" attest verify "$T/dcapqvl_quote_v4.dat" --collateral "$T/dcapqvl_quote_v4_collateral.json" --at 2025-07-20T00:00:00Z
expect "TDX SPR (PCS directory): TCB level not supported" 1 "FAIL  dcap.tcb_level .*TCB level not supported" \
    "$clave" attest verify "$T/gotdx_quote_v4_spr.dat" --format tdx --collateral "$T" --at 2023-07-01T01:00:00Z
expect "TDX v5 outdated: no TCB level" 1 "TCB level not supported" \
    "$clave" attest verify "$T/dcapqvl_quote_v5_outdated.dat" --collateral "$T/dcapqvl_quote_v5_outdated_collateral.json" --at 1772323200
SG=$V/sgx
expect "SGX v3 ConfigurationAndSWHardeningNeeded rejected by default" 1 "FAIL  policy.tcb_status .*ConfigurationAndSWHardeningNeeded" \
    "$clave" attest verify "$SG/dcapqvl_sgx_quote_v3.dat" --collateral "$SG/dcapqvl_sgx_quote_v3_collateral.json" --at 2025-07-01T00:00:00Z
echo '{"version":1,"tees":{"sgx":{"tcb_status":["UpToDate","ConfigurationAndSWHardeningNeeded"]}}}' >sgx-policy.json
expect "SGX v3 accepted when the policy lists its status" 0 "verdict: OK (sgx)" \
    "$clave" attest verify "$SG/dcapqvl_sgx_quote_v3.dat" --format sgx --collateral "$SG/dcapqvl_sgx_quote_v3_collateral.json" --at 2025-07-01T00:00:00Z --policy sgx-policy.json
expect "SGX Occlum debug enclave rejected" 1 "FAIL  policy.debug" \
    "$clave" attest verify "$SG/trustee_occlum_sgx_quote_v3.dat" --at 2025-07-01T00:00:00Z
AZ=$V/azure-snp-vtpm
expect "Azure SNP vTPM v2 evidence" 0 "verdict: OK (az-snp-vtpm)" \
    "$clave" attest verify "$AZ/trustee_evidence-v2.json" --format az-vtpm --nonce 982f5c6e45df0ed3f10b6f60b02f0c8390e281300f3805e2279c16168cd6ae9aa398f647caa2338748cd0fd9f5f819ef
expect "Azure SNP vTPM split files with the VCEK" 0 "PASS  x509.chain" \
    "$clave" attest verify "$AZ/trustee_hcl-report.bin" --tpm-quote "$AZ/trustee_tpm-quote-v1.json" --endorsement "$AZ/trustee_vcek.pem" --nonce 6368616c6c656e6765
expect "Azure SNP vTPM wrong nonce" 1 "FAIL  tpm.nonce" \
    "$clave" attest verify "$AZ/trustee_hcl-report.bin" --tpm-quote "$AZ/trustee_tpm-quote-v1.json" --endorsement "$AZ/trustee_vcek.pem" --nonce 6368616c6c656e6766
expect "Azure TDX vTPM: only the TCB collateral is missing" 1 "FAIL  dcap.collateral" \
    "$clave" attest verify "$V/azure-tdx-vtpm/trustee_evidence-v1.json" --nonce 6368616c6c656e6765
expect "GCP TDX: RTMRs replay from the CCEL log" 1 "PASS  gcp.rtmr_replay" \
    "$clave" attest verify "$V/gcp-tdx/gotdx_cos-113-tdx-quote.dat" --format gcp-tdx --event-log "$V/gcp-tdx/gotdx_ccel_data.dat"
gcp_out=$("$clave" attest verify "$V/gcp-tdx/gotdx_cos-113-tdx-quote.dat" --format gcp-tdx \
    --event-log "$V/gcp-tdx/gotdx_ccel_data.dat" 2>&1) || true
if [[ "$(grep -c '^FAIL' <<<"$gcp_out")" == 1 ]] && grep -q "^FAIL  dcap.collateral" <<<"$gcp_out"; then
    ok "GCP TDX: the only failed check is the missing TCB collateral"
else
    bad "GCP TDX: the only failed check is the missing TCB collateral ($gcp_out)"
fi
expect "inspect a TDX quote" 0 '"tdx.mrtd"' "$clave" attest inspect "$T/dcapqvl_quote_v4.dat"
expect "az-vtpm refuses non-Azure evidence" 1 "given as az-vtpm" \
    "$clave" attest verify "$T/dcapqvl_quote_v4.dat" --format az-vtpm

# --- collection without a TEE
expect "collect without a device" 1 "no TEE device found (looked for /dev/nsm, /dev/sev-guest, /sys/kernel/config/tsm/report)" \
    "$clave" attest collect --report-data 00

echo "cli_attest: $passed passed, $failed failed"
((failed == 0))
