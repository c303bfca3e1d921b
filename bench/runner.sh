#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Clean-room benchmark: a DP query over ROWS rows (default 1,000,000) held by three parties, each
# phase timed — seal (each party, locally), upload (streamed), then clave-runner's own phases
# (check, attest, fetch+unseal, query, release) — next to references measured in the same run:
# the same aggregate as a plain, non-private SQL query in the sqlite3 shell over the plaintext
# (import + query), and `openssl speed -evp aes-256-gcm` (the sealing limit). Then the demo
# model's training time (WDBC, DP-SGD + baseline). Prints JSON lines.
# Usage: bench/runner.sh BUILD-DIR [ROWS]   (needs sqlite3, openssl, curl, python3)
set -euo pipefail
build=$(realpath "${1:?usage: bench/runner.sh BUILD-DIR [ROWS]}")
rows=${2:-1000000}
src=$(cd "$(dirname "$0")/.." && pwd)
for tool in sqlite3 openssl curl python3 awk; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/deps.sh)" >&2; exit 1; }
done
work=$(mktemp -d)
CR_PID=""
trap '[[ -n "$CR_PID" ]] && kill "$CR_PID" 2>/dev/null; rm -rf "$work"' EXIT
CR_CLAVE=$build/clave CR_CLAVED=$build/claved CR_RUNNER=$build/clave-runner CR_WORK=$work
# shellcheck source=../scripts/cleanroom-lib.sh
source "$src/scripts/cleanroom-lib.sh"
export CLAVE_LOG_LEVEL=warn CLAVE_MAX_BODY_BYTES=$((8 << 20))
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 4))" "$1" "$2"; }

# --- synthetic visits: id, age (18..90), diagnosis (0..3), cost (0..5000), split three ways
awk -v n="$rows" -v out="$work/p" 'BEGIN {
    srand(20261122)
    for (h = 1; h <= 3; h++) print "id,age,diagnosis,cost" > (out h ".csv")
    for (i = 1; i <= n; i++) {
        h = (i % 3) + 1
        printf "%d,%d,%d,%.2f\n", i, 18 + int(rand() * 73), int(rand() * 4), rand() * 5000 >> (out h ".csv")
    }
}'
printf '{"id":"int","age":"int","diagnosis":"int","cost":"float"}\n' >"$work/schema.json"
bytes=$(cat "$work"/p?.csv | wc -c)

cr_start_server
H="party-a party-b party-c"
for p in $H; do cr_party "$p"; done
cr_recipient party-a
cr_collab visits party-a "party-b party-c"
t0=$(now)
for i in 1 2 3; do
    "$CR_CLAVE" seal "$work/p$i.csv" "$work/d$i.sealed" --to-jwk "$work/broker.jwk" >/dev/null
done
t1=$(now)
declare -A SHA
i=1
for p in $H; do
    cr_admin dataset upload "$work/d$i.sealed" --collab visits --id "d$i" --name "d$i" --region eu \
        --schema "$work/schema.json" --rows "$((rows / 3))" --owner "$p" >/dev/null
    SHA[$p]=$(sha256sum "$work/d$i.sealed" | cut -d' ' -f1)
    i=$((i + 1))
done
t2=$(now)

cat >"$work/job.json" <<'JSON'
{"version": 1,
 "tables": {"visits": {"datasets": ["d1", "d2", "d3"],
                       "schema": {"id": "int", "age": "int", "diagnosis": "int", "cost": "float"}}},
 "queries": [{"name": "cost_by_diagnosis",
              "tables": [{"datasets": ["d1", "d2", "d3"], "as": "v"}],
              "filters": [{"column": "v.age", "op": ">=", "value": 40}],
              "group_by": [{"column": "v.diagnosis", "keys": [0, 1, 2, 3]}],
              "aggregates": [{"name": "visits", "op": "count"},
                             {"name": "mean_cost", "op": "mean", "column": "v.cost", "lower": 0, "upper": 5000}],
              "privacy": {"mechanism": "laplace", "epsilon": 1}, "grid_bits": 8}]}
JSON
M=$("$CR_RUNNER" measure)
cr_contract_json visits 1 "$work/job.json" "$M" 10 \
    "d1=party-a=${SHA[party-a]} d2=party-b=${SHA[party-b]} d3=party-c=${SHA[party-c]}" \
    "$H" party-a "diagnosis cost age" 10 >"$work/bench.json"
cr_sign_submit bench "$H" >/dev/null
t3=$(now)
cr_run bench "$work/job.json" "$work/out" 2>"$work/runner.log" || { cat "$work/runner.log" >&2; exit 1; }
t4=$(now)
python3 - "$work/out/run.json" "$rows" "$bytes" "$(elapsed "$t0" "$t1")" "$(elapsed "$t1" "$t2")" \
    "$(elapsed "$t3" "$t4")" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))
p = run["phases_s"]
print(json.dumps({"bench": "runner_query", "rows": int(sys.argv[2]), "plaintext_bytes": int(sys.argv[3]),
                  "parties": 3, "seal_s": float(sys.argv[4]), "upload_s": float(sys.argv[5]),
                  "runner_wall_s": float(sys.argv[6]),
                  "runner_phases_s": {k: round(v, 4) for k, v in p.items()}}))
PY

# --- references in the same run: plain SQL in the sqlite3 shell; AES-256-GCM speed
t5=$(now)
sqlite3 "$work/ref.db" <<SQL >/dev/null
CREATE TABLE v(id INTEGER, age INTEGER, diagnosis INTEGER, cost REAL);
.mode csv
.import --skip 1 $work/p1.csv v
.import --skip 1 $work/p2.csv v
.import --skip 1 $work/p3.csv v
SQL
t6=$(now)
sqlite3 "$work/ref.db" "SELECT diagnosis, count(*), avg(min(max(cost, 0), 5000)) FROM v WHERE age >= 40 GROUP BY diagnosis;" >/dev/null
t7=$(now)
gcm=$(openssl speed -evp aes-256-gcm -seconds 1 -bytes 16384 2>/dev/null | awk '/^AES-256-GCM|^aes-256-gcm/ {print $NF}' | tr -d 'k')
python3 - "$(elapsed "$t5" "$t6")" "$(elapsed "$t6" "$t7")" "$gcm" "$bytes" "$work/out/run.json" <<'PY'
import json, sys
imp, q, gcm_k, size = float(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3] or 0), int(sys.argv[4])
run = json.load(open(sys.argv[5]))["phases_s"]
ref = imp + q
ours = run["fetch_unseal"] + run["query"]
print(json.dumps({"bench": "reference_sqlite3_plain", "import_s": round(imp, 4), "query_s": round(q, 4),
                  "total_s": round(ref, 4),
                  "runner_unseal_plus_dp_query_s": round(ours, 4),
                  "ratio_runner_to_plain_sqlite3": round(ours / ref, 3) if ref > 0 else None}))
print(json.dumps({"bench": "reference_openssl_aes256gcm", "bytes_per_s_16k": gcm_k * 1000,
                  "plaintext_bytes": size,
                  "seal_limit_s": round(size / (gcm_k * 1000), 4) if gcm_k else None}))
PY

# --- the demo model: WDBC, DP-SGD logistic regression + non-private baseline
data=$(bash "$src/scripts/fetch-data.sh" "$build/data")
bash "$src/scripts/wdbc-split.sh" "$data" "$work/w" 3
python3 -c 'import json,sys; json.dump(json.load(open(sys.argv[1]))["tables"]["patients"]["schema"], open(sys.argv[2], "w"))' \
    "$src/examples/cleanroom/job.json" "$work/wschema.json"
H2="hospital-a hospital-b hospital-c"
for p in $H2; do cr_party "$p"; done
cr_recipient hospital-a
cr_collab wdbc hospital-a "hospital-b hospital-c"
i=1
declare -A WSHA
for p in $H2; do
    WSHA[$p]=$(cr_seal_upload wdbc "$p" "$p" "$work/w$i.csv" "$work/wschema.json")
    i=$((i + 1))
done
cr_contract_json wdbc 1 "$src/examples/cleanroom/job.json" "$M" 10 \
    "hospital-a=hospital-a=${WSHA[hospital-a]} hospital-b=hospital-b=${WSHA[hospital-b]} hospital-c=hospital-c=${WSHA[hospital-c]}" \
    "$H2" hospital-a "malignant mean_radius mean_area" 10 >"$work/wdbc.json"
cr_sign_submit wdbc "$H2" >/dev/null
cr_run wdbc "$src/examples/cleanroom/job.json" "$work/wout" 2>"$work/wrunner.log" || { cat "$work/wrunner.log" >&2; exit 1; }
python3 - "$work/wout/run.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))["phases_s"]
print(json.dumps({"bench": "runner_train_demo", "rows": 569, "model": "logistic, 15 features",
                  "epochs": 40, "dp_sgd_plus_baseline_train_s": round(p["train"], 4),
                  "runner_phases_s": {k: round(v, 4) for k, v in p.items()}}))
PY
