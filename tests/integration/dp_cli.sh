#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of `clave dp`: accountant values of the reference libraries, the inverse,
# parameter validation naming the parameter, noisy queries on a generated CSV in the demo
# dataset's format, and a budget ledger that refuses to overspend and releases nothing then.
# Usage: dp_cli.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: dp_cli.sh PATH-TO-clave}")
for tool in awk grep seq; do
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
fails_with() { # description exit-code expected-text command...
    local what=$1 code=$2 text=$3
    shift 3
    local out rc=0
    out=$("$@" 2>&1) || rc=$?
    if ((rc == code)) && grep -q -- "$text" <<<"$out"; then ok "$what"; else
        bad "$what (rc=$rc, output: $out)"
    fi
}
quiet() { "$@" >/dev/null; }
json_field() { # json field
    grep -o "\"$2\":[^,}]*" <<<"$1" | head -1 | cut -d: -f2 | tr -d '"'
}
near() { # a b reltol
    awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t * (b < 0 ? -b : b)) }'
}

# --- help
for sub in "" epsilon sigma query budget status; do
    check "clave dp $sub --help" "$clave" dp $sub --help >/dev/null
done

# --- accountants (published values)
out=$("$clave" dp epsilon --q 0.0025 --sigma 1.3 --steps 6000 --delta 1e-5 --orders tf_privacy --json)
check "TF Privacy q=150/60000 sigma=1.3 6000 steps -> 0.7242234026" near "$(json_field "$out" epsilon)" 0.7242234026109595 1e-6
check "JSON carries order 19" test "$(json_field "$out" order)" = 19
check "JSON carries the conversion" test "$(json_field "$out" conversion)" = improved
out=$("$clave" dp epsilon --q 0.04 --sigma 1.5 --steps 2250 --delta 1e-5 --orders opacus --json)
check "Opacus q=0.04 sigma=1.5 2250 steps -> 7.32911117143" near "$(json_field "$out" epsilon)" 7.32911117143 1e-6
out=$("$clave" dp epsilon --q 0.004266666666666667 --sigma 1.1 --steps 14063 --delta 1e-5 --orders opacus --conversion classic --json)
check "MNIST tutorial (classic) -> 3.01" near "$(json_field "$out" epsilon)" 3.01 0.002
check "classic conversion reported" test "$(json_field "$out" conversion)" = classic
out=$("$clave" dp epsilon --q 0.01 --sigma 1.1 --steps 1000 --delta 1e-5 --accountant zcdp --json)
check "zcdp accountant answers" test -n "$(json_field "$out" epsilon)"
out=$("$clave" dp sigma --epsilon 1 --delta 1e-5 --q 0.01 --steps 1000 --json)
sigma=$(json_field "$out" sigma)
eps=$("$clave" dp epsilon --q 0.01 --sigma "$sigma" --steps 1000 --delta 1e-5 --json)
check "sigma meets the target epsilon" awk -v e="$(json_field "$eps" epsilon)" 'BEGIN { exit !(e <= 1) }'

# --- hostile parameters name the parameter
fails_with "q > 1 rejected" 1 "q = 1.5" "$clave" dp epsilon --q 1.5 --sigma 1 --steps 10 --delta 1e-5
fails_with "q = 0 rejected" 1 "q = 0" "$clave" dp epsilon --q 0 --sigma 1 --steps 10 --delta 1e-5
fails_with "sigma <= 0 rejected" 1 "sigma" "$clave" dp epsilon --q 0.1 --sigma 0 --steps 10 --delta 1e-5
fails_with "delta >= 1 rejected" 1 "delta" "$clave" dp epsilon --q 0.1 --sigma 1 --steps 10 --delta 1
fails_with "non-finite sigma rejected" 2 "sigma" "$clave" dp epsilon --q 0.1 --sigma nan --steps 10 --delta 1e-5
fails_with "garbage number rejected" 2 "delta" "$clave" dp epsilon --q 0.1 --sigma 1 --steps 10 --delta 1e-5x
fails_with "negative steps rejected" 2 "steps" "$clave" dp epsilon --q 0.1 --sigma 1 --steps -5 --delta 1e-5
fails_with "epsilon <= 0 rejected" 1 "epsilon" "$clave" dp sigma --epsilon 0 --delta 1e-5 --q 0.1 --steps 10

# --- queries on a CSV in the demo dataset's format (header "N,D,name,name", numeric columns)
{
    echo "500,3,malignant,benign"
    for i in $(seq 1 500); do echo "$((i % 20)).25,$((i % 7)),$((i % 2))"; done
} >data.csv
out=$("$clave" dp query --csv data.csv --column 0 --op count --epsilon 1 --json)
check "noisy count near 500" awk -v v="$(json_field "$out" value)" 'BEGIN { exit !(v > 450 && v < 550) }'
out=$("$clave" dp query --csv data.csv --column 0 --op mean --lower 0 --upper 20 --epsilon 2 --json)
check "noisy mean near 9.75" awk -v v="$(json_field "$out" value)" 'BEGIN { exit !(v > 8 && v < 11.5) }'
out=$("$clave" dp query --csv data.csv --column 1 --op sum --lower 0 --upper 6 --epsilon 1 \
    --mechanism gaussian --delta 1e-6 --json)
check "gaussian sum reports delta" test "$(json_field "$out" delta)" = 9.9999999999999995e-07
fails_with "reversed bounds rejected" 2 "bounds reversed" "$clave" dp query --csv data.csv --column 0 --op sum --lower 5 --upper 1 --epsilon 1
fails_with "missing bounds rejected" 2 "lower and upper" "$clave" dp query --csv data.csv --column 0 --op sum --epsilon 1
fails_with "unknown column rejected" 1 "no column" "$clave" dp query --csv data.csv --column radius --op count --epsilon 1
fails_with "gaussian without delta rejected" 2 "delta" "$clave" dp query --csv data.csv --column 0 --op count --epsilon 1 --mechanism gaussian

# --- ledger: a cap of 1.0 pays for exactly two queries at 0.5; the third prints nothing
check "budget set" quiet "$clave" dp budget --ledger l.db --party hospital --epsilon 1
for i in 1 2; do
    check "query $i debited" quiet "$clave" dp query --csv data.csv --column 0 --op count --epsilon 0.5 --ledger l.db --party hospital --who alice
done
rc=0
out=$("$clave" dp query --csv data.csv --column 0 --op count --epsilon 0.5 --ledger l.db --party hospital 2>err.txt) || rc=$?
check "third query refused" test "$rc" = 1
check "refusal says budget exhausted" grep -q "budget exhausted" err.txt
check "refused query releases no result" test -z "$out"
out=$("$clave" dp status --ledger l.db --party hospital --epsilon 0.1)
check "status: spent 1.0" test "$(json_field "$out" epsilon_spent)" = 1
check "status: no queries left" test "$(json_field "$out" queries_left)" = 0
fails_with "no budget for another party" 1 "no budget" "$clave" dp query --csv data.csv --column 0 --op count --epsilon 0.5 --ledger l.db --party other

echo "dp_cli: $passed passed, $failed failed"
((failed == 0))
