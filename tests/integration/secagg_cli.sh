#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# End-to-end checks of `clave secagg simulate`: exact sums with dropouts at every stage, JSON
# output, a clean abort when too few clients survive, and usage errors.
# Usage: secagg_cli.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: secagg_cli.sh PATH-TO-clave}")
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

expect_rc "help" 0 "usage: clave secagg simulate" "$clave" secagg simulate --help
expect_rc "no subcommand" 2 "usage" "$clave" secagg
expect_rc "bad dropout" 2 "invalid arguments" "$clave" secagg simulate --dropout 1.5
expect_rc "bad stage" 2 "invalid arguments" "$clave" secagg simulate --stage later
expect_rc "bad clients" 2 "invalid arguments" "$clave" secagg simulate --clients -3

for stage in share masked unmask spread; do
    expect_rc "30 % dropout before $stage: exact" 0 "aggregate exact" \
        "$clave" secagg simulate --clients 30 --dim 500 --dropout 0.3 --stage "$stage"
done
expect_rc "no dropout, sparse graph: exact" 0 "aggregate exact" \
    "$clave" secagg simulate --clients 60 --dim 200 --degree 30
expect_rc "json line" 0 '"correct":true' \
    "$clave" secagg simulate --clients 20 --dim 100 --dropout 0.1 --json
# Complete graph, threshold 25 of 29 neighbours: 30 % dropout leaves 21 clients, the session must abort.
expect_rc "abort below threshold" 1 "secagg session aborted" \
    "$clave" secagg simulate --clients 30 --dim 100 --dropout 0.3 --degree 29 --threshold 25
expect_rc "semi-malicious sizing" 0 '"adversary":"semi-malicious"' \
    "$clave" secagg simulate --clients 40 --dim 100 --dropout 0.1 --semi-malicious --json
expect_rc "risk bounds printed" 0 "P\[insecure\] <= 2^-[0-9]" \
    "$clave" secagg simulate --clients 200 --dim 100 --dropout 0.1 --corrupt 0.1
expect_rc "impossible event printed as 0" 0 "P\[insecure\] = 0" \
    "$clave" secagg simulate --clients 40 --dim 100 --dropout 0.1 --corrupt 0.1
expect_rc "infeasible threat refused" 1 "no degree is safe" \
    "$clave" secagg simulate --clients 40 --dim 100 --dropout 0.4 --corrupt 0.3 --semi-malicious
expect_rc "corrupt fraction out of range" 2 "invalid arguments" \
    "$clave" secagg simulate --clients 40 --dim 100 --corrupt 1.5

echo "secagg_cli: $passed passed, $failed failed"
((failed == 0))
