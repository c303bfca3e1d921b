#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of `clave fl run` on a generated breast-cancer-like table (scikit-learn CSV
# layout, 30 features, 0/1 label; nothing is fetched): plain FedAvg converges, SecAgg+ with 30 %
# dropouts and a hostile client completes, DP stops at the budget, the ledger carries the spend
# across runs, the model is written, bad configurations and hostile data fail cleanly.
# Usage: fl_cli.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: fl_cli.sh PATH-TO-clave}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
expect_rc() { # description rc text command...
    local what=$1 want=$2 text=$3
    shift 3
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if ((rc == want)) && grep -q -- "$text" <<<"$out"; then ok "$what"; else
        bad "$what (rc=$rc, output: $out)"
    fi
}

# 400 rows: class-dependent centres plus deterministic noise (an LCG in awk, not rand()).
awk 'BEGIN {
    n = 400; s = 12345; print n ",30,malignant,benign";
    for (r = 0; r < n; r++) {
        label = (r % 3 != 0); line = "";
        for (j = 0; j < 30; j++) {
            s = (s * 1103515245 + 12345) % 2147483648;
            noise = (s / 2147483648) * 5 - 2.5;
            centre = 10 + j + (label ? -1.5 : 1.5) * (1 + j % 5);
            line = line sprintf("%.4f,", centre + noise);
        }
        print line label;
    }
}' >"$work/wdbc.csv"

config() { # name extra-json
    cat >"$work/$1.json" <<JSON
{
  "name": "$1",
  "model": {"kind": "logistic"},
  "data": {"format": "csv", "path": "$work/wdbc.csv", "alpha": 0.5},
  "clients": 10, "rounds": 6,
  "local": {"learning_rate": 0.05, "batch_size": 16},
  $2
}
JSON
    echo "$work/$1.json"
}

expect_rc "help" 0 "usage: clave fl run" "$clave" fl run --help
expect_rc "fl help" 0 "usage: clave fl run" "$clave" fl --help
expect_rc "no config" 2 "usage" "$clave" fl run
expect_rc "unknown subcommand" 2 "unknown command" "$clave" fl frobnicate
expect_rc "fl join without a contract: usage" 2 "usage: clave fl join" "$clave" fl join

plain=$(config plain '"protection": "plain", "strategy": "fedavg"')
out=$("$clave" fl run --config "$plain" --json --out "$work/model.bin")
last=$(tail -1 <<<"$out")
if grep -q '"round":6' <<<"$last" &&
    awk -F'"accuracy":' '{split($2, a, ","); exit !(a[1] > 0.85)}' <<<"$last"; then
    ok "plain FedAvg reaches > 85 % accuracy"
else
    bad "plain FedAvg ($last)"
fi
if [[ $(head -c 4 "$work/model.bin") == CLML ]]; then ok "model written"; else bad "model"; fi

secagg=$(config secagg '"protection": "secagg", "dropout": 0.3, "malicious": 1, "min_clients": 6')
out=$("$clave" fl run --config "$secagg")
if [[ $(grep -c "^round .* clients 6/10  rejected 1\|^round .* clients 7/10  rejected 0" <<<"$out") -ge 3 ]] &&
    ! grep -q ABORTED <<<"$out"; then
    ok "secagg with 30 % dropouts and a hostile client completes every round"
else
    bad "secagg rounds ($out)"
fi

# One process per client over socketpairs: the same bytes, so the same model as in-process.
procs=$(config procs '"protection": "secagg", "min_clients": 6')
"$clave" fl run --config "$procs" --out "$work/inproc.bin" >/dev/null
out=$("$clave" fl run --config "$procs" --processes --out "$work/procs.bin")
if grep -q "in separate processes" <<<"$out" && cmp -s "$work/inproc.bin" "$work/procs.bin"; then
    ok "--processes gives the in-process model bit for bit"
else
    bad "--processes ($out)"
fi
dropping=$(config dropping '"protection": "secagg", "min_clients": 6, "dropout": 0.3')
out=$("$clave" fl run --config "$dropping" --processes)
if [[ $(grep -c "^round .* clients 7/10" <<<"$out") -eq 6 ]]; then
    ok "--processes with 30 % dropouts completes every round"
else
    bad "--processes dropouts ($out)"
fi
expect_rc "--processes refuses simulated hostile clients" 2 "in-process only" \
    "$clave" fl run --config "$secagg" --processes

dp=$(config dp '"protection": "secagg", "clients_per_round": 5, "min_clients": 4,
  "fixed_point_bits": 16, "dp": {"mode": "distributed", "clip": 0.5, "noise_multiplier": 1.0,
  "delta": 1e-5, "epsilon_budget": 3.0}')
expect_rc "DP stops when the budget is spent" 0 "stopped: privacy budget spent" \
    "$clave" fl run --config "$dp"

ledger=$(config ledger '"protection": "plain", "clients_per_round": 5, "min_clients": 4,
  "fixed_point_bits": 16, "dp": {"mode": "central", "clip": 0.5, "noise_multiplier": 3.0,
  "delta": 1e-5, "epsilon_budget": 2.0, "ledger": "'"$work"'/ledger.db"}')
first=$("$clave" fl run --config "$ledger" --json | grep -c '"round"' || true)
second=$("$clave" fl run --config "$ledger" --json)
if ((first >= 1)) && grep -q '"stopped":"privacy budget spent","rounds":0' <<<"$second"; then
    ok "the ledger keeps the spend across runs ($first rounds, then none)"
else
    bad "ledger (first $first, second $second)"
fi

bad_key=$(config badkey '"protection": "plain", "colour": "blue"')
expect_rc "unknown key named" 1 "colour" "$clave" fl run --config "$bad_key"
bad_combo=$(config badcombo '"protection": "secagg", "aggregation": "median"')
expect_rc "median under secagg refused" 1 "median aggregation needs plain" \
    "$clave" fl run --config "$bad_combo"
sed -i '5s/^\([^,]*\),/nan,/' "$work/wdbc.csv"
expect_rc "non-finite value in the data" 1 "line 5" "$clave" fl run --config "$plain"
echo '{"model": ' >"$work/trunc.json"
expect_rc "truncated config" 1 "JSON" "$clave" fl run --config "$work/trunc.json"

echo "fl_cli: $passed passed, $failed failed"
((failed == 0))
