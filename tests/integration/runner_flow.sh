#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The clean room end to end, with real parts on loopback: claved (SQLite, local blobs, TLS),
# three hospitals in a signed collaboration, the Wisconsin breast-cancer table split between them,
# sealed to the broker key and uploaded, a contract approving a job (DP query + DP-SGD) signed by
# all three, and clave-runner attesting with simulated SNP evidence bound to the contract. Then:
# the recipient decrypts the results, the receipt verifies offline (and fails on a wrong output),
# and the negative paths: a runner whose measurement is not the contract's; the budget exhausted
# on a second run; a contract revoked while the runner holds the keys; a tampered sealed dataset;
# query specs with a disallowed column or without bounds refused before anything is fetched.
# In every refusal nothing is released and the reason is in the audit ledger.
# Usage: runner_flow.sh PATH-TO-clave (claved and clave-runner from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: runner_flow.sh PATH-TO-clave}")
bin=${CLAVE_BINARY_DIR:?}
src=${CLAVE_SOURCE_DIR:?}
for tool in curl openssl python3 base64 sha256sum awk; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
CR_PID=""
cleanup() {
    [[ -n "$CR_PID" ]] && kill -9 "$CR_PID" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
expect() { # description rc-wanted text-wanted command...
    local d=$1 want=$2 text=$3 rc=0
    shift 3
    "$@" >"$work/last.out" 2>&1 || rc=$?
    if ((rc == want)) && grep -q -- "$text" "$work/last.out"; then ok "$d"; else
        bad "$d (rc=$rc, wanted $want and '$text'): $(tail -c 800 "$work/last.out")"
    fi
}
nothing_in() { [[ ! -e $1 ]] || [[ -z $(ls -A "$1") ]]; }

CR_CLAVE=$clave CR_CLAVED=$bin/claved CR_RUNNER=$bin/clave-runner CR_WORK=$work
# shellcheck source=../../scripts/cleanroom-lib.sh
source "$src/scripts/cleanroom-lib.sh"
export CLAVE_THREADS=2 CLAVE_WORKERS=2 CLAVE_MAX_BODY_BYTES=65536
unset CLAVE_PASSWORD CLAVE_TOTP
cr_start_server
H="hospital-a hospital-b hospital-c"

# --- data: the WDBC table (python3-sklearn), split three ways with named columns
data=$(bash "$src/scripts/fetch-data.sh" "$bin/data")
bash "$src/scripts/wdbc-split.sh" "$data" "$work/part" 3
python3 - "$src/examples/cleanroom/job.json" "$work/schema.json" <<'PY'
import json, sys
job = json.load(open(sys.argv[1]))
json.dump(job["tables"]["patients"]["schema"], open(sys.argv[2], "w"))
PY

# --- parties, collaboration, datasets
for p in $H; do cr_party "$p"; done
cr_recipient hospital-a
cr_collab wdbc hospital-a "hospital-b hospital-c"
expect "collaboration with three members" 0 "hospital-c" cr_admin party list --collab wdbc
n=1
declare -A SHA
for p in $H; do
    SHA[$p]=$(cr_seal_upload wdbc "$p" "$p" "$work/part$n.csv" "$work/schema.json")
    n=$((n + 1))
done
expect "datasets uploaded (streamed), hashed by the server" 0 "${SHA[hospital-b]}" \
    cr_admin dataset show --collab wdbc --id hospital-b --json

M=$("$CR_RUNNER" measure)
WRONG=$(printf 'c%.0s' {1..96})
job=$src/examples/cleanroom/job.json
dsets="hospital-a=hospital-a=${SHA[hospital-a]} hospital-b=hospital-b=${SHA[hospital-b]} hospital-c=hospital-c=${SHA[hospital-c]}"
cols="malignant mean_radius mean_area"
cr_contract_json wdbc 1 "$job" "$M" 5 "$dsets" "$H" hospital-a "$cols" 10 >"$work/main.json"
main_id=$(cr_sign_submit main "$H")
expect "contract active with three approvals" 0 "active" cr_admin contract status "$main_id"
expect "the bundle verifies offline" 0 "active" "$clave" contract verify "$work/main.bundle"

# --- the run
expect "runner: attests, computes, releases" 0 "receipt anchored" cr_run main "$job" "$work/out"
for f in by_diagnosis.json malignancy.model malignancy.metrics; do
    "$clave" result decrypt --key "$work/hospital-a-results.pem" --in "$work/out/$f.hospital-a.jwe" \
        --out "$work/$f" >"$work/last.out" 2>&1 && [[ -s $work/$f ]] && ok "recipient decrypts $f" ||
        bad "decrypt $f: $(cat "$work/last.out")"
done
python3 - "$work/by_diagnosis.json" <<'PY' && ok "DP query: both diagnosis groups released with noisy counts near 212/357" || bad "query result: $(head -c 400 "$work/by_diagnosis.json")"
import json, sys
r = json.load(open(sys.argv[1]))
g = {tuple(x["key"]): x for x in r["groups"]}
assert r["epsilon_spent"] == 1.0
m, b = g[(1,)]["values"]["patients"], g[(0,)]["values"]["patients"]
# discrete Laplace of scale 3 (epsilon 1/3 on the count): |noise| > 60 has probability < e^-19
assert abs(m - 212) < 60 and abs(b - 357) < 60, (m, b)
assert g[(1,)]["released"] and g[(0,)]["released"]
assert 5 <= g[(1,)]["values"]["mean_radius"] <= 30
PY
python3 - "$work/malignancy.metrics" <<'PY' && ok "DP-SGD model: epsilon within the target, non-private baseline accuracy >= 0.9" || bad "metrics: $(cat "$work/malignancy.metrics")"
import json, sys
m = json.load(open(sys.argv[1]))
assert 0 < m["dp"]["epsilon"] <= 3.0 + 1e-9, m["dp"]
assert m["baseline_non_private_test"]["accuracy"] >= 0.9, m
assert 0.0 <= m["test"]["accuracy"] <= 1.0 and m["test_rows"] + m["train_rows"] == 569
PY
grep -q '"seccomp": true' "$work/out/run.json" && grep -q '"no_core_dumps": true' "$work/out/run.json" &&
    ok "run log: seccomp allowlist and no core dumps in force" || bad "run.json: $(cat "$work/out/run.json")"
expect "receipt verifies offline (every check)" 0 "ledger.entry" \
    cr_verify main "$work/out" --output "by_diagnosis.json=$work/by_diagnosis.json" \
    --output "malignancy.metrics=$work/malignancy.metrics"
echo '{"tampered": true}' >"$work/fake.json"
expect "receipt: a different output fails its check" 1 "output.by_diagnosis.json" \
    cr_verify main "$work/out" --output "by_diagnosis.json=$work/fake.json"
[[ $(cr_api GET '/v1/audit/entries?start=0') == 200 ]] && grep -q "runner.result" <(python3 - "$work/body" <<'PY'
import base64, json, sys
for e in json.load(open(sys.argv[1]))["entries"]:
    b = e["event"]; print(base64.urlsafe_b64decode(b + "=" * (-len(b) % 4)).decode())
PY
) && ok "audit ledger: runner.result entry" || bad "ledger: $(head -c 300 "$work/body")"

# --- negative paths
expect "wrong measurement: keys refused, with the reason" 1 "measurement: no workload" \
    cr_run main "$job" "$work/out-wrong" --sim-measurement "$WRONG"
nothing_in "$work/out-wrong" && ok "wrong measurement: nothing released" || bad "out-wrong has files"
expect "budget exhausted on the second run: refused" 1 "budget_exhausted" cr_run main "$job" "$work/out-2"
nothing_in "$work/out-2" && ok "budget exhausted: nothing released" || bad "out-2 has files"

# revoked while the runner holds the keys: a fresh contract (version 2), revoked mid-run
cr_contract_json wdbc 2 "$job" "$M" 5 "$dsets" "$H" hospital-a "$cols" 10 >"$work/rev.json"
rev_id=$(cr_sign_submit rev "$H")
expect "receipt: checked against another contract's bundle fails" 1 "FAIL  contract.id" \
    "$clave" result verify "$work/out/receipt.cose" --bundle "$work/rev.bundle" \
    --attest-policy "$work/attest-policy.json" --ear-key "$work/ear.pem" --ledger-key "$work/ledger.pem" \
    --collateral "$work/sim"
cr_run rev "$job" "$work/out-rev" --hold "$work/go" >"$work/rev.log" 2>&1 &
runner_pid=$!
for _ in $(seq 1 200); do grep -q "holding" "$work/rev.log" 2>/dev/null && break; sleep 0.05; done
"$clave" contract revoke "$work/rev.cbor" --key "$work/hospital-b.pem" --party hospital-b \
    --out "$work/rev.revoke.cose" >/dev/null
cr_admin contract submit-revocation "$rev_id" --party hospital-b --statement "$work/rev.revoke.cose" >/dev/null
touch "$work/go"
rc=0
wait "$runner_pid" || rc=$?
((rc == 1)) && grep -q "contract: revoked" "$work/rev.log" && nothing_in "$work/out-rev" &&
    ok "revoked mid-run: no budget debit, no result" || bad "revoked mid-run (rc=$rc): $(tail -c 600 "$work/rev.log")"

# a tampered sealed dataset: one ciphertext byte flipped before upload (the contract names
# the tampered file, so the broker releases its key; the runner must refuse it)
cp "$work/part3.csv" "$work/part3t.csv"
"$clave" seal "$work/part3t.csv" "$work/t.sealed" --to-jwk "$work/broker.jwk" >/dev/null
python3 - "$work/t.sealed" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read()); b[-40] ^= 1; open(sys.argv[1], "wb").write(b)
PY
cr_admin dataset upload "$work/t.sealed" --collab wdbc --id hospital-t --name tampered --region eu \
    --schema "$work/schema.json" --rows 189 --owner hospital-c >/dev/null
tsha=$(sha256sum "$work/t.sealed" | cut -d' ' -f1)
sed 's/"hospital-c"/"hospital-t"/' "$job" >"$work/job-t.json"
cr_contract_json wdbc 3 "$work/job-t.json" "$M" 5 \
    "hospital-a=hospital-a=${SHA[hospital-a]} hospital-b=hospital-b=${SHA[hospital-b]} hospital-t=hospital-c=$tsha" \
    "$H" hospital-a "$cols" 10 >"$work/tamper.json"
cr_sign_submit tamper "$H" >/dev/null
expect "tampered sealed dataset: refused" 1 "hospital-t: cannot be unsealed" cr_run tamper "$work/job-t.json" "$work/out-t"
nothing_in "$work/out-t" && ok "tampered dataset: nothing released" || bad "out-t has files"

# a second recipient named only by its key's thumbprint: the runner gets the key from the broker
cr_recipient hospital-b
cr_admin recipient register --collab wdbc --party hospital-b --jwk "$work/hospital-b-results.pub" >/dev/null
tp=$("$clave" recipient thumbprint --jwk "$work/hospital-b-results.pub")
cr_contract_json wdbc 11 "$job" "$M" 5 "$dsets" "$H" hospital-a "$cols" 10 |
    python3 -c 'import json,sys; c=json.load(sys.stdin); c["recipients"].append({"party": "hospital-b", "jwk_thumbprint": sys.argv[1]}); print(json.dumps(c))' "$tp" >"$work/two.json"
cr_sign_submit two "$H" >/dev/null
expect "two recipients, one named by thumbprint: released to both" 0 "to 2 recipient" cr_run two "$job" "$work/out-two"
"$clave" result decrypt --key "$work/hospital-b-results.pem" --in "$work/out-two/by_diagnosis.json.hospital-b.jwe" \
    --out "$work/two-b.json" >/dev/null 2>&1 &&
    "$clave" result decrypt --key "$work/hospital-a-results.pem" --in "$work/out-two/by_diagnosis.json.hospital-a.jwe" \
        --out "$work/two-a.json" >/dev/null 2>&1 && cmp -s "$work/two-a.json" "$work/two-b.json" &&
    ok "the thumbprint-named recipient decrypts the same result" || bad "second recipient's result"

# infer: the model trained in the run applied to sealed inputs a recipient uploaded
python3 - "$job" "$work/part1.csv" "$work/job-infer.json" "$work/requests.csv" "$work/requests.schema" "$work/requests.labels" <<'PY'
import csv, json, sys
job = json.load(open(sys.argv[1]))
feats = list(job["train"]["features"])
rows = list(csv.DictReader(open(sys.argv[2])))[:20]
with open(sys.argv[4], "w") as f:
    f.write(",".join(["id"] + feats) + "\n")
    for r in rows:
        f.write(",".join([r["id"]] + [r[c] for c in feats]) + "\n")
open(sys.argv[6], "w").write("\n".join(r["id"] + "," + r["malignant"] for r in rows) + "\n")
schema = {"id": "int", **{c: "float" for c in feats}}
json.dump(schema, open(sys.argv[5], "w"))
job.pop("queries")
# no DP noise here: the predictions (checked below) come from a deterministic model
job["train"].pop("dp")
job["train"].pop("baseline")
job["tables"]["requests"] = {"datasets": ["requests"], "schema": schema}
job["infer"] = {"name": "predictions", "table": "requests", "id_column": "id"}
json.dump(job, open(sys.argv[3], "w"))
PY
rsha=$(cr_seal_upload wdbc requests hospital-a "$work/requests.csv" "$work/requests.schema")
cr_contract_json wdbc 12 "$work/job-infer.json" "$M" 5 "$dsets requests=hospital-a=$rsha" "$H" hospital-a "$cols" 10 >"$work/infer.json"
cr_sign_submit infer "$H" >/dev/null
expect "infer: the trained model applied to the recipient's sealed inputs" 0 "infer predictions" \
    cr_run infer "$work/job-infer.json" "$work/out-infer"
"$clave" result decrypt --key "$work/hospital-a-results.pem" --in "$work/out-infer/predictions.csv.hospital-a.jwe" \
    --out "$work/predictions.csv" >/dev/null 2>&1 || true
python3 - "$work/predictions.csv" "$work/requests.labels" <<'PY' && ok "infer: 20 predictions, probabilities, mostly right" || bad "predictions: $(head -c 300 "$work/predictions.csv")"
import sys
pred = dict(l.split(",") for l in open(sys.argv[1]).read().split()[1:])
labels = dict(l.split(",") for l in open(sys.argv[2]).read().split())
assert len(pred) == 20 and set(pred) == set(labels)
assert all(0.0 <= float(p) <= 1.0 for p in pred.values())
right = sum((float(pred[i]) >= 0.5) == (labels[i] == "1") for i in labels)
assert right >= 15, right
PY
expect "receipt of the infer run verifies" 0 "receipt: verified" cr_verify infer "$work/out-infer" \
    --output "predictions.csv=$work/predictions.csv"
cr_contract_json wdbc 13 "$work/job-infer.json" "$M" 5 "$dsets requests=hospital-b=$rsha" "$H" hospital-a "$cols" 10 >"$work/infer-b.json"
cr_sign_submit infer-b "$H" >/dev/null
expect "infer: inputs of a party that is not a recipient are refused before attestation" 1 "not a recipient" \
    cr_run infer-b "$work/job-infer.json" "$work/out-infer-b"

# query specs checked before any key is asked for: a disallowed column, missing bounds
python3 - "$job" "$work/job-col.json" "$work/job-bounds.json" <<'PY'
import json, sys
job = json.load(open(sys.argv[1]))
job.pop("train")
q = job["queries"][0]
q["aggregates"].append({"name": "texture", "op": "mean", "column": "p.mean_texture", "lower": 5, "upper": 40})
json.dump(job, open(sys.argv[2], "w"))
q["aggregates"].pop()
del q["aggregates"][1]["lower"]
json.dump(job, open(sys.argv[3], "w"))
PY
for k in col bounds; do
    cr_contract_json wdbc "$((4 + ${#k}))" "$work/job-$k.json" "$M" 5 "$dsets" "$H" hospital-a "$cols" 10 >"$work/$k.json"
    cr_sign_submit "$k" "$H" >/dev/null
done
before=$(grep -c '/kbs/v0/auth' "$work/server.log" || true)
expect "disallowed column: refused before any data is read" 1 "refused before any data is read: query.aggregates.3..column: not allowed" \
    cr_run col "$work/job-col.json" "$work/out-col"
expect "missing bounds: refused before any data is read" 1 "refused before any data is read.*lower" \
    cr_run bounds "$work/job-bounds.json" "$work/out-bounds"
after=$(grep -c '/kbs/v0/auth' "$work/server.log" || true)
((before == after)) && nothing_in "$work/out-col" && ok "refused specs never contacted the broker" ||
    bad "the broker was contacted ($before -> $after)"
expect "a job the contract does not approve is refused" 1 "does not approve this job" \
    cr_run main "$work/job-col.json" "$work/out-x"

echo "runner_flow: $passed passed, $failed failed"
((failed == 0))
