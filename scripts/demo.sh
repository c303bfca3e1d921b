#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job, on embedded defaults (SQLite, local files, simulated TEE, SoftHSM2): the
# confidential clean room of docs/quickstart.md, end to end, then a short tour of the other
# capabilities. Artefacts in demo-out/. Exits non-zero if any step fails.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say() { printf '   %s\n' "$*"; }

step "build"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
root=$PWD
clave=$root/build/clave
started=$(date +%s)

out=$root/demo-out
rm -rf "$out"
mkdir -p "$out/work"
CR_CLAVE=$clave CR_CLAVED=$root/build/claved CR_RUNNER=$root/build/clave-runner CR_WORK=$out/work
source scripts/cleanroom-lib.sh
CR_PID=""
trap '[[ -n "$CR_PID" ]] && kill "$CR_PID" 2>/dev/null; true' EXIT
H="hospital-a hospital-b hospital-c"

step "1. the coordinator: claved on loopback (SQLite, local blob store, TLS, audit ledger)"
cr_start_server
say "listening on $CR_URL; the key broker trusts the simulated TEE's dev root (NO HARDWARE"
say "PROTECTION: for laptops and CI; production trusts AMD, Intel and AWS roots)"

step "2. three hospitals join a collaboration, each with its own identity key"
mkdir -p "$CR_WORK/softhsm/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$CR_WORK/softhsm/tokens" >"$CR_WORK/softhsm/softhsm2.conf"
export SOFTHSM2_CONF=$CR_WORK/softhsm/softhsm2.conf
so=/usr/lib/softhsm/libsofthsm2.so
softhsm2-util --init-token --free --label hospital-c --pin 1234 --so-pin 5678 >/dev/null
p11=(pkcs11-tool --module "$so" --token-label hospital-c --login --pin 1234)
"${p11[@]}" --keypairgen --key-type EC:prime256v1 --id 01 --label identity >/dev/null 2>&1
"${p11[@]}" --read-object --type pubkey --id 01 -o "$CR_WORK/hospital-c.pub.der" >/dev/null 2>&1
openssl pkey -pubin -inform DER -in "$CR_WORK/hospital-c.pub.der" -out "$CR_WORK/hospital-c.pub"
say "hospital-c: P-256 identity key generated inside a SoftHSM2 PKCS#11 token (never exported)"
for p in $H; do cr_party "$p"; done
say "hospital-a, hospital-b: Ed25519 identity keys in files"
cr_collab wdbc-study hospital-a "hospital-b hospital-c"
cr_admin party list --collab wdbc-study

step "3. the data: the Wisconsin breast cancer table, split between the hospitals, sealed locally"
data=$(bash scripts/fetch-data.sh "$root/out/data")
say "$data (UCI WDBC, BSD-3, from Debian's python3-sklearn): $(($(wc -l <"$data") - 1)) patients"
bash scripts/wdbc-split.sh "$data" "$CR_WORK/part" 3
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["tables"]["patients"]["schema"], open(sys.argv[2], "w"))' \
    examples/cleanroom/job.json "$CR_WORK/schema.json"
export CLAVE_KEYRING_PASSPHRASE="demo passphrase, not for production"
n=1
declare -A SHA
for p in $H; do
    # Each hospital keeps a way back to its own data (its KEK, file keyring) and seals the data
    # key to the broker too; the coordinator stores ciphertext and never sees a key in the clear.
    CLAVE_KEYRING=$CR_WORK/$p.keyring "$clave" keyring init --label "$p" >/dev/null
    kek=$(CLAVE_KEYRING=$CR_WORK/$p.keyring "$clave" keyring list --json | grep -m1 -o '"id": "kek-[0-9a-f]*"' | cut -d'"' -f4)
    CLAVE_KEYRING=$CR_WORK/$p.keyring "$clave" seal "$CR_WORK/part$n.csv" "$CR_WORK/$p.sealed" \
        --to "$kek" --to-jwk "$CR_WORK/broker.jwk" >/dev/null
    cr_admin dataset upload "$CR_WORK/$p.sealed" --collab wdbc-study --id "$p" --name "$p" \
        --region eu --schema "$CR_WORK/schema.json" --rows $(($(wc -l <"$CR_WORK/part$n.csv") - 1)) \
        --owner "$p" >/dev/null
    SHA[$p]=$(sha256sum "$CR_WORK/$p.sealed" | cut -d' ' -f1)
    say "$p: $(($(wc -l <"$CR_WORK/part$n.csv") - 1)) rows sealed (AES-256-GCM) and uploaded, sha256 ${SHA[$p]:0:16}…"
    n=$((n + 1))
done

step "4. the contract: the job (DP query + DP-SGD training), budgets, min group size, recipient"
job=examples/cleanroom/job.json
python3 - "$job" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
q = j["queries"][0]; t = j["train"]
print("   query %s: %s by %s at epsilon %s (%s)" % (q["name"], ", ".join(a["op"] + (" " + a["column"].split(".")[1] if "column" in a else "") for a in q["aggregates"]), q["group_by"][0]["column"].split(".")[1], q["privacy"]["epsilon"], q["privacy"]["mechanism"]))
print("   train %s: %s regression, %d features, DP-SGD epsilon %s delta %s" % (t["name"], t["model"], len(t["features"]), t["dp"]["epsilon"], t["dp"]["delta"]))
PY
cr_recipient hospital-a
M=$("$CR_RUNNER" measure)
say "approved workload: sim-snp measurement ${M:0:24}… (SHA-384 of clave-runner)"
cr_contract_json wdbc-study 1 "$job" "$M" 5 \
    "hospital-a=hospital-a=${SHA[hospital-a]} hospital-b=hospital-b=${SHA[hospital-b]} hospital-c=hospital-c=${SHA[hospital-c]}" \
    "$H" hospital-a "malignant mean_radius mean_area" 10 >"$CR_WORK/study.json"
say "budget 5 epsilon per hospital, min group size 10, results to hospital-a's P-256 key"
"$clave" contract propose --spec "$CR_WORK/study.json" --out "$CR_WORK/study.cbor"
sigs=()
for p in hospital-a hospital-b; do
    "$clave" contract sign "$CR_WORK/study.cbor" --key "$CR_WORK/$p.pem" --party "$p" --out "$CR_WORK/study.$p.cose" >/dev/null
    sigs+=(--signature "$p=$CR_WORK/study.$p.cose")
done
"$clave" contract signing-input "$CR_WORK/study.cbor" --party hospital-c --alg ES256 --out "$CR_WORK/study.tbs" >/dev/null
# SoftHSM2 offers CKM_ECDSA (over a digest): hash the signing input, sign the SHA-256 inside.
openssl dgst -sha256 -binary "$CR_WORK/study.tbs" >"$CR_WORK/study.tbs.sha256"
"${p11[@]}" --sign --mechanism ECDSA --id 01 -i "$CR_WORK/study.tbs.sha256" -o "$CR_WORK/study.c.sig" >/dev/null 2>&1
"$clave" contract assemble "$CR_WORK/study.cbor" --party hospital-c --alg ES256 \
    --raw-signature "$CR_WORK/study.c.sig" --out "$CR_WORK/study.hospital-c.cose" >/dev/null
sigs+=(--signature "hospital-c=$CR_WORK/study.hospital-c.cose")
say "hospital-a and hospital-b signed with their key files; hospital-c inside its token"
"$clave" contract export "$CR_WORK/study.cbor" "${sigs[@]}" --out "$out/contract.bundle" >/dev/null
cp "$out/contract.bundle" "$CR_WORK/study.bundle"
contract_id=$(cr_admin contract submit "$out/contract.bundle" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
"$clave" contract verify "$out/contract.bundle"

step "5. clave-runner attests, receives the keys, runs the DP query and DP-SGD"
cr_run study "$job" "$out/results"

step "6. the recipient decrypts; the receipt, the audit log and the budgets check out"
for f in by_diagnosis.json malignancy.metrics malignancy.model; do
    "$clave" result decrypt --key "$CR_WORK/hospital-a-results.pem" --in "$out/results/$f.hospital-a.jwe" --out "$out/$f" >/dev/null
done
python3 - "$out/by_diagnosis.json" "$out/malignancy.metrics" <<'PY'
import json, sys
q = json.load(open(sys.argv[1])); m = json.load(open(sys.argv[2]))
print("   %-12s %10s %14s %12s   (epsilon %g, %s)" % ("diagnosis", "patients", "mean radius", "mean area", q["epsilon_spent"], q["aggregates"][0]["noise"]["mechanism"]))
for g in q["groups"]:
    v = g["values"]
    print("   %-12s %10s %14.2f %12.1f" % ("malignant" if g["key"][0] == 1 else "benign", v["patients"], v["mean_radius"], v["mean_area"]))
t, b = m["test"], m["baseline_non_private_test"]
print("   DP-SGD logistic regression (epsilon %.2f, delta %g, noise multiplier %.2f):" % (m["dp"]["epsilon"], m["dp"]["delta"], m["dp"]["noise_multiplier"]))
print("     private model:      accuracy %.3f  AUC %.3f  (held-out %d patients)" % (t["accuracy"], t["auc"], m["test_rows"]))
print("     non-private baseline accuracy %.3f  AUC %.3f  (same split, same run)" % (b["accuracy"], b["auc"]))
PY
cr_verify study "$out/results" --output "by_diagnosis.json=$out/by_diagnosis.json" \
    --output "malignancy.metrics=$out/malignancy.metrics" --output "malignancy.model=$out/malignancy.model"
cr_api GET /v1/audit/sth >/dev/null && cp "$CR_WORK/body" "$out/audit-sth.json"
cr_api GET /v1/audit/export >/dev/null && cp "$CR_WORK/body" "$out/audit-export.jsonl"
"$clave" audit verify --log-key "$CR_WORK/ledger.pem" --sth "$out/audit-sth.json" --export "$out/audit-export.jsonl"
for p in $H; do
    "$clave" dp status --ledger "$CR_WORK/data/claved.db" --collaboration wdbc-study \
        --contract "$contract_id" --dataset "$p" --party "$p" |
        python3 -c 'import json,sys; b=json.load(sys.stdin); print("   budget of %s: epsilon %g of %g spent, delta %.0e of %.0e" % (sys.argv[1], b["epsilon_spent"], b["epsilon_cap"], b["delta_spent"], b["delta_cap"]))' "$p"
done

step "7. the negative path: a runner that is not the approved one asks for the keys"
WRONG=$(printf 'c%.0s' {1..96})
if cr_run study "$job" "$out/denied" --sim-measurement "$WRONG" 2>"$out/denied.log"; then
    echo "demo: a runner with another measurement got keys" >&2
    exit 1
fi
grep 'clave-runner:' "$out/denied.log" | sed 's/^/   /'
cr_admin audit tail -n 40 --json | grep '"kbs.deny"' | tail -1 | python3 -c 'import json,sys; e=json.loads(sys.stdin.read())["event"]; print("   ledger: %s %s — %s" % (e["type"], e.get("resource", ""), e["reason"]))'
[[ ! -e $out/denied ]] && say "nothing was released to it"
say "clean room done in $(($(date +%s) - started)) s; artefacts in demo-out/"

demo=$out/tour
mkdir -p "$demo"
cd "$demo"
step "tour: a file keyring (Argon2id-sealed) with a KEK and a P-256 recipient key"
# A demo passphrase in the environment; real use reads it from a file or the terminal.
export CLAVE_KEYRING="$demo/hospital-a.keyring"
export CLAVE_KEYRING_PASSPHRASE="demo passphrase, not for production"
"$clave" keyring init --label hospital-a
"$clave" keyring list
kek=$("$clave" keyring list --json | grep -m1 -o '"id": "kek-[0-9a-f]*"' | cut -d'"' -f4)
p256=$("$clave" keyring list --json | grep -m1 -o '"id": "p256-[0-9a-f]*"' | cut -d'"' -f4)

step "tour: a second party (the future key broker) publishes a public JWK"
CLAVE_KEYRING="$demo/broker.keyring" "$clave" keyring init --label broker >/dev/null
broker=$(CLAVE_KEYRING="$demo/broker.keyring" "$clave" keyring list --json |
    grep -o '"id": "p256-[0-9a-f]*"' | cut -d'"' -f4)
CLAVE_KEYRING="$demo/broker.keyring" "$clave" keyring export-public "$broker" >broker.jwk
cat broker.jwk

step "tour: seal the dataset to our KEK and to the broker's public key"
"$clave" seal "$data" wdbc.sealed --to "$kek" --to-jwk broker.jwk
ls -l wdbc.sealed

step "tour: inspect the header (no keys needed, nothing secret shown)"
"$clave" inspect wdbc.sealed

step "tour: unseal with our keyring, and separately with the broker's"
"$clave" unseal wdbc.sealed wdbc.csv
CLAVE_KEYRING="$demo/broker.keyring" "$clave" unseal wdbc.sealed wdbc.broker.csv
cmp "$data" wdbc.csv
cmp "$data" wdbc.broker.csv
echo "both copies are byte-identical to the original: $(sha256sum <wdbc.csv | cut -c1-16)…"

step "tour: tampering is detected and releases nothing"
cp wdbc.sealed tampered.sealed
printf '\x01' | dd of=tampered.sealed bs=1 seek=70000 conv=notrunc status=none
if "$clave" unseal tampered.sealed tampered.csv; then
    echo "demo: tampered file was accepted" >&2
    exit 1
fi
[[ ! -e tampered.csv ]] && echo "no output file was written"
head -c 100000 wdbc.sealed >truncated.sealed
if "$clave" unseal truncated.sealed truncated.csv; then
    echo "demo: truncated file was accepted" >&2
    exit 1
fi

step "tour: the same with a PKCS#11 token (SoftHSM2): the KEK never leaves the token"
mkdir -p softhsm/tokens
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
    "$demo/softhsm/tokens" >softhsm/softhsm2.conf
export SOFTHSM2_CONF="$demo/softhsm/softhsm2.conf"
softhsm2-util --init-token --free --label clave-demo --pin 1234 --so-pin 5678 >/dev/null
export CLAVE_PKCS11_PIN=1234
hsm=(--pkcs11-module /usr/lib/softhsm/libsofthsm2.so --token clave-demo)
"$clave" keyring init --label hospital-a-hsm "${hsm[@]}"
hsm_kek=$("$clave" keyring list --json "${hsm[@]}" | grep -o '"id": "kek-[0-9a-f]*"' | cut -d'"' -f4)
"$clave" seal "$data" wdbc.hsm.sealed --to "$hsm_kek" "${hsm[@]}"
"$clave" unseal wdbc.hsm.sealed wdbc.hsm.csv "${hsm[@]}"
cmp "$data" wdbc.hsm.csv

step "tour: privacy-preserving computation on the same table (docs/he.md, docs/dp.md, docs/secagg.md)"
# Two hospitals each hold half of the rows; an analyst holds a Paillier key. Each hospital
# encrypts column 1 (mean radius) to the analyst's public key; an aggregator adds ciphertexts it
# cannot read; only the analyst decrypts the total.
sed -n '2,286p' "$data" >hospital-a.csv
sed -n '287,$p' "$data" >hospital-b.csv
"$clave" he keygen --bits 2048 --out analyst.he --to "$kek" >/dev/null
"$clave" he encrypt --key analyst.he.pub.json --csv hospital-a.csv --no-header --column 1 --out a.enc
"$clave" he encrypt --key analyst.he.pub.json --csv hospital-b.csv --no-header --column 1 --out b.enc
"$clave" he add --key analyst.he.pub.json --total a.enc b.enc --out total.enc
he_sum=$("$clave" he decrypt --key analyst.he --sum total.enc)
plain_sum=$(tail -n +2 "$data" | awk -F, '{s += $1} END {printf "%.4f", s}')
echo "Paillier total of mean radius: $he_sum (plaintext check: $plain_sum)"
awk -v a="$he_sum" -v b="$plain_sum" 'BEGIN {d = a - b; if (d < 0) d = -d; exit !(d < 0.01)}'

# Differential privacy: a noisy mean with exact discrete noise, paid from a budget ledger first.
"$clave" dp budget --ledger dp-ledger.db --party hospital-a --epsilon 1.0
"$clave" dp query --csv "$data" --column 0 --op mean --lower 5 --upper 30 --epsilon 0.5 \
    --ledger dp-ledger.db --party hospital-a --json
"$clave" dp status --ledger dp-ledger.db --party hospital-a --epsilon 0.5
"$clave" dp epsilon --q 0.0025 --sigma 1.3 --steps 6000 --delta 1e-5 --json

# Secure aggregation: 100 clients, 20% drop out, the server still gets the exact sum only.
"$clave" secagg simulate --clients 100 --dim 1000 --dropout 0.2 >secagg.txt
tail -3 secagg.txt

step "tour: federated learning across 10 hospitals: SecAgg+ updates, 30% dropouts, a malicious client"
cat >fl.json <<JSON
{
  "name": "wdbc",
  "model": {"kind": "logistic"},
  "data": {"format": "csv", "path": "$data", "alpha": 0.5},
  "clients": 10, "rounds": 10, "min_clients": 6,
  "protection": "secagg", "dropout": 0.3, "malicious": 1,
  "local": {"learning_rate": 0.05, "batch_size": 16}
}
JSON
"$clave" fl run --config fl.json >fl.txt
sed -n '1p;$p' fl.txt

step "tour: tamper-evident audit ledger: append, sign a head, verify offline"
mkdir -p ledger && "$root/build/example_ledger_tour" "$demo/ledger" >ledger.txt
tail -1 ledger.txt
"$clave" audit verify --log-key ledger/log-key.pem --sth ledger/sth.json --export ledger/export.jsonl


printf '\n\033[1;32mdemo: success\033[0m — three hospitals agreed on a signed contract; an attested\n'
printf 'runner got their keys, ran a DP query and DP-SGD training on their sealed data, and released\n'
printf 'encrypted results with a receipt anchored in the audit ledger; an unapproved runner was\n'
printf 'refused. Then: sealing, PKCS#11, Paillier, DP, secure aggregation, federated learning.\n'
