#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of `clave fl run` with Paillier-packed updates on a generated breast-cancer-like
# table (as in fl_cli.sh; nothing is fetched): the model equals the in-process one with a key-holder
# process and one process per client, and equals the SecAgg+ model bit for bit (both sums are
# exact); 30 % dropouts and a hostile client complete every round; distributed DP stops at the
# budget; configurations Paillier cannot serve are refused with a clear message.
# Usage: fl_paillier.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: fl_paillier.sh PATH-TO-clave}")
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

same=$(config same '"protection": "paillier", "min_clients": 6')
"$clave" fl run --config "$same" --out "$work/inproc.bin" >/dev/null
out=$("$clave" fl run --config "$same" --processes --out "$work/procs.bin")
if grep -q "paillier updates" <<<"$out" && grep -q "in separate processes" <<<"$out" &&
    [[ $(grep -c "^round .* clients 10/10  rejected 0 .*(key holder" <<<"$out") -eq 6 ]] &&
    cmp -s "$work/inproc.bin" "$work/procs.bin"; then
    ok "--processes with a key-holder process gives the in-process model bit for bit"
else
    bad "--processes paillier ($out)"
fi
masked=$(config masked '"protection": "secagg", "min_clients": 6')
"$clave" fl run --config "$masked" --out "$work/secagg.bin" >/dev/null
if cmp -s "$work/inproc.bin" "$work/secagg.bin"; then
    ok "paillier and secagg give the same model (both sums exact)"
else
    bad "paillier differs from secagg"
fi

dropping=$(config dropping '"protection": "paillier", "min_clients": 6, "dropout": 0.3')
out=$("$clave" fl run --config "$dropping" --processes --json)
if [[ $(grep -c '"reported":7,"rejected":0,"aborted":false' <<<"$out") -eq 6 ]] &&
    grep -q '"keyholder_seconds"' <<<"$out"; then
    ok "--processes with 30 % dropouts completes every round"
else
    bad "--processes dropouts ($out)"
fi
hostile=$(config hostile '"protection": "paillier", "dropout": 0.3, "malicious": 1, "min_clients": 6')
out=$("$clave" fl run --config "$hostile")
if [[ $(grep -c "^round .* clients 6/10  rejected 1\|^round .* clients 7/10  rejected 0" <<<"$out") -eq 6 ]] &&
    ! grep -q ABORTED <<<"$out"; then
    ok "30 % dropouts and a hostile client: every round completes"
else
    bad "hostile paillier rounds ($out)"
fi
too_many=$(config toomany '"protection": "paillier", "min_clients": 8, "dropout": 0.3')
out=$("$clave" fl run --config "$too_many" --processes)
if [[ $(grep -c "ABORTED" <<<"$out") -eq 6 ]]; then
    ok "fewer than min_clients: every round aborts, nothing is decrypted"
else
    bad "min_clients ($out)"
fi

dp=$(config dp '"protection": "paillier", "clients_per_round": 5, "min_clients": 4,
  "fixed_point_bits": 16, "dp": {"mode": "distributed", "clip": 0.5, "noise_multiplier": 1.0,
  "delta": 1e-5, "epsilon_budget": 3.0}')
expect_rc "distributed DP under paillier stops when the budget is spent" 0 \
    "stopped: privacy budget spent" "$clave" fl run --config "$dp" --processes
central=$(config central '"protection": "paillier", "dp": {"mode": "central"}')
expect_rc "central DP refused" 1 "central DP is not available with paillier" \
    "$clave" fl run --config "$central"
median=$(config median '"protection": "paillier", "aggregation": "median"')
expect_rc "median under paillier refused" 1 "median aggregation needs plain" \
    "$clave" fl run --config "$median"
small=$(config small '"protection": "paillier", "paillier_bits": 1024')
expect_rc "1024-bit key refused" 1 "paillier_bits 1024" "$clave" fl run --config "$small"
huge=$(config huge '"protection": "paillier", "paillier_bits": 8192')
expect_rc "8192-bit key refused" 1 "paillier_bits" "$clave" fl run --config "$huge"

echo "fl_paillier: $passed passed, $failed failed"
((failed == 0))
