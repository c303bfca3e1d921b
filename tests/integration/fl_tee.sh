#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Federated learning with the aggregator inside an attested runner, end to end on loopback: a real
# claved (TLS, SQLite) trusting the simulated SNP dev root, four hospitals in a signed
# collaboration, FL contracts with protection "tee" naming the runner's measurement, clave-runner
# fl serving four `clave fl join --aggregator` client processes over RA-TLS on the breast-cancer
# table (scripts/fetch-data.sh). Checked: rounds complete with median aggregation and the model
# reaches the recipient (receipt verified offline); one client disconnects mid-federation and the
# later rounds complete with min_clients; client admission: every client answers the runner's
# challenge with a JOIN signed by its party's identity key, and the runner refuses (without
# using up a slot) a key that is no party's, a party's name with another key, and a party's
# client beyond its slots, while the honest clients finish; with central DP every round's epsilon is debited in the
# coordinator's budget ledger (audit entries) before the round, and a second run of the contract
# finds the budget spent and stops before any round; a runner claiming another measurement is
# refused by the clients before they send anything; the coordinator refuses a "tee" contract.
# Usage: fl_tee.sh PATH-TO-clave (claved and clave-runner from $CLAVE_BINARY_DIR).
set -euo pipefail

clave=$(realpath "${1:?usage: fl_tee.sh PATH-TO-clave}")
bin=${CLAVE_BINARY_DIR:?}
src=${CLAVE_SOURCE_DIR:?}
for tool in curl openssl python3 base64 sha256sum awk; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done

work=$(mktemp -d)
CR_PID=""
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
    [[ -n "$CR_PID" ]] && kill -9 "$CR_PID" 2>/dev/null
    [[ -n ${CLAVE_TEST_KEEP:-} ]] && echo "kept $work" || rm -rf "$work"
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

CR_CLAVE=$clave CR_CLAVED=$bin/claved CR_RUNNER=$bin/clave-runner CR_WORK=$work
# shellcheck source=../../scripts/cleanroom-lib.sh
source "$src/scripts/cleanroom-lib.sh"
export CLAVE_THREADS=2 CLAVE_WORKERS=2
unset CLAVE_PASSWORD CLAVE_TOTP
cr_start_server
H="hospital-a hospital-b hospital-c hospital-d"
for p in $H; do cr_party "$p"; done
cr_recipient hospital-a
cr_collab wdbc hospital-a "hospital-b hospital-c hospital-d"

# --- data: the WDBC table dealt round-robin to four clients, one per hospital (sklearn header)
csv=$(bash "$src/scripts/fetch-data.sh" "$bin/data")
for k in 1 2 3 4; do
    awk -v k="$k" -F, 'NR == 1 {h = $0; next} (NR - 2) % 4 == k - 1 {rows[n++] = $0}
        END {split(h, f, ","); printf "%d,%s,%s,%s\n", n, f[2], f[3], f[4]; for (i = 0; i < n; i++) print rows[i]}' \
        "$csv" >"$work/part$k.csv"
done

M=$("$CR_RUNNER" measure)
WRONG=$(printf 'c%.0s' {1..96})
# fl_contract NAME VERSION SPEC-JSON: an FL contract (protection in the spec) naming the runner's
# measurement, a budget of epsilon 5 per party, hospital-a as recipient; signed and submitted.
fl_contract() {
    python3 - "$work" "$1" "$2" "$3" "$M" "$(cr_spki "$work/hospital-a-results.pub")" \
        "$(cr_spki "$work/hospital-a.pub")" "$(cr_spki "$work/hospital-b.pub")" \
        "$(cr_spki "$work/hospital-c.pub")" "$(cr_spki "$work/hospital-d.pub")" <<'PY'
import hashlib, json, sys
work, name, version, spec, m, rkey = sys.argv[1:7]
keys = dict(zip(["hospital-a", "hospital-b", "hospital-c", "hospital-d"], sys.argv[7:11]))
owners = list(keys)
sha = lambda k: hashlib.sha256(open("%s/part%d.csv" % (work, k), "rb").read()).hexdigest()
c = {"collaboration": "wdbc", "version": int(version),
     "datasets": [{"id": "part%d" % (i + 1), "owner": o, "sha256": sha(i + 1)} for i, o in enumerate(owners)],
     "computation": {"kind": "fl", "spec": json.loads(spec)},
     "workloads": [{"tee": "sim-snp", "measurement": m,
                    "min_tcb": {"bootloader": 0, "tee": 0, "snp": 0, "microcode": 0}}],
     "tcb_statuses": ["UpToDate"],
     "output": {"budgets": [{"party": p, "epsilon_micro": 5000000, "delta_pico": 100000000} for p in keys],
                "min_group_size": 1, "columns": []},
     "recipients": [{"party": "hospital-a", "spki": rkey}], "regions": ["eu"],
     "signers": [{"party": p, "spki": k} for p, k in keys.items()],
     "not_before": 1700000000, "expiry": 4000000000}
json.dump(c, open("%s/%s.json" % (work, name), "w"))
PY
    cr_sign_submit "$1" "$H"
}
seed=$(printf '7a%.0s' {1..32})
common='"seed": "'$seed'", "model": {"kind": "logistic", "inputs": 30}, "clients": 4,
  "clients_per_round": 4, "min_clients": 3, "protection": "tee", "round_timeout_s": 20,
  "local": {"learning_rate": "0.05", "batch_size": 16}'
med_id=$(fl_contract median 1 "{\"name\": \"wdbc-median\", $common, \"rounds\": 4, \"aggregation\": \"median\"}")
dp_id=$(fl_contract dp 2 "{\"name\": \"wdbc-dp\", $common, \"rounds\": 3,
  \"dp\": {\"mode\": \"central\", \"clip\": \"1\", \"noise_multiplier\": \"2\", \"delta\": \"1e-5\"}}")
expect "FL contract with protection tee is active" 0 "active" cr_admin contract status "$med_id"

# runner NAME OUT [ARGS...]: clave-runner fl in the background (CR_RUNNER_PID), listening on $aport
runner() {
    local name=$1 out=$2
    shift 2
    aport=$((20000 + RANDOM % 12000))
    "$CR_RUNNER" fl --server "$CR_URL" --cacert "$CR_CA" --bundle "$work/$name.bundle" \
        --listen "127.0.0.1:$aport" --out "$out" --sim-dir "$work/sim" "$@" >"$out.log" 2>&1 &
    runner_pid=$!
    pids+=("$runner_pid")
    for _ in $(seq 1 200); do grep -q "listening on" "$out.log" 2>/dev/null && return 0; sleep 0.05; done
    echo "runner did not start: $(cat "$out.log")" >&2
    return 1
}
# join ID NAME K [ARGS...]: client K (part K, party hospital-[abcd][K], its identity key) in the
# background; output in $work/NAME.cK.log
parties=(x hospital-a hospital-b hospital-c hospital-d)
join() {
    local id=$1 name=$2 k=$3
    shift 3
    "$clave" fl join --contract "$id" --data "$work/part$k.csv" --aggregator "127.0.0.1:$aport" \
        --attest-policy "$work/attest-policy.json" --collateral "$work/sim" \
        --party "${parties[k]}" --sign-key "$work/${parties[k]}.pem" \
        --bundle "$work/$name.bundle" "$@" >"$work/$name.c$k.log" 2>&1 &
    client_pids+=($!)
    pids+=($!)
}
# join_token ID NAME K: client K with its party's identity key held outside the process (the
# token path): a background "token" (openssl pkeyutl here, standing in for pkcs11-tool) signs
# the signing input the client writes after the HELLO.
join_token() {
    local id=$1 name=$2 k=$3 tbs=$work/$2.c$3.tbs sig=$work/$2.c$3.sig
    "$clave" fl join --contract "$id" --data "$work/part$k.csv" --aggregator "127.0.0.1:$aport" \
        --attest-policy "$work/attest-policy.json" --collateral "$work/sim" \
        --party "${parties[k]}" --alg EdDSA --identity-key "$work/${parties[k]}.pub" \
        --signing-input "$tbs" --raw-signature "$sig" \
        --bundle "$work/$name.bundle" >"$work/$name.c$k.log" 2>&1 &
    client_pids+=($!)
    pids+=($!)
    (for _ in $(seq 1 1200); do
        if [[ -s $tbs ]]; then
            sleep 0.1
            openssl pkeyutl -sign -rawin -inkey "$work/${parties[k]}.pem" -in "$tbs" -out "$sig.tmp" &&
                mv "$sig.tmp" "$sig"
            exit 0
        fi
        sleep 0.05
    done) &
}
# intruder ID NAME TAG PARTY KEY: a client with part 1's data claiming PARTY with KEY, waited for;
# sets irc (its exit status); output in $work/NAME.TAG.log
intruder() {
    irc=0
    "$clave" fl join --contract "$1" --data "$work/part1.csv" --aggregator "127.0.0.1:$aport" \
        --attest-policy "$work/attest-policy.json" --collateral "$work/sim" --party "$4" \
        --sign-key "$5" --bundle "$work/$2.bundle" --wait 20 >"$work/$2.$3.log" 2>&1 || irc=$?
}
wait_all() { # waits for the clients and the runner; sets crc[] and rrc
    crc=()
    for p in "${client_pids[@]}"; do
        local rc=0
        wait "$p" || rc=$?
        crc+=("$rc")
    done
    rrc=0
    wait "$runner_pid" || rrc=$?
}
audit_events() { # the audit ledger's events, one JSON per line
    [[ $(cr_api GET '/v1/audit/entries?start=0') == 200 ]] || return 1
    python3 - "$work/body" <<'PY'
import base64, json, sys
for e in json.load(open(sys.argv[1]))["entries"]:
    b = e["event"]; print(base64.urlsafe_b64decode(b + "=" * (-len(b) % 4)).decode())
PY
}

expect "the coordinator refuses a tee contract (its aggregation is the runner's)" 1 "tee" \
    env CLAVE_CONFIG_DIR="$work/admin" "$clave" fl join --contract "$med_id" --data "$work/part1.csv" --wait 2 \
    --party hospital-a --sign-key "$CR_WORK/hospital-a.pem"

# --- a runner claiming another measurement: every client refuses it before sending anything
runner median "$work/out-wrong" --sim-measurement "$WRONG" --wait 8
client_pids=()
join "$med_id" median 1
wait "${client_pids[0]}" && rc=0 || rc=$?
((rc == 1)) && grep -q "refused: the aggregator is not a workload of the contract (measurement" "$work/median.c1.log" &&
    grep -q "nothing was sent" "$work/median.c1.log" &&
    ok "wrong measurement: the client refuses the aggregator before sending anything" ||
    bad "wrong measurement (rc=$rc): $(cat "$work/median.c1.log")"
rc=0
wait "$runner_pid" || rc=$?
((rc == 1)) && [[ ! -e $work/out-wrong/receipt.cose ]] && ok "wrong-measurement runner: no federation, nothing released" ||
    bad "wrong-measurement runner (rc=$rc): $(tail -c 400 "$work/out-wrong.log")"

# --- median aggregation, four clients, client 4 disconnects when round 2 begins; before and
# between them, connections the runner must refuse without giving away a slot
runner median "$work/out-median" --wait 60
openssl genpkey -algorithm ed25519 -out "$work/mallory.pem" 2>/dev/null
rlog=$work/out-median.log
intruder "$med_id" median mallory mallory "$work/mallory.pem"
((irc == 1)) && grep -q "refused a client (slot 1 stays free): unknown party: not a party of the contract (party mallory)" "$rlog" &&
    grep -q "did not admit this client" "$work/median.mallory.log" &&
    ok "admission: a key of no contract party is refused (unknown party), the client exits 1" ||
    bad "mallory (rc=$irc): $(tail -c 400 "$rlog") $(cat "$work/median.mallory.log")"
intruder "$med_id" median impostor hospital-b "$work/mallory.pem"
((irc == 1)) && grep -q "refused a client (slot 1 stays free): bad signature: not signed by the party's identity key in the contract (party hospital-b)" "$rlog" &&
    ok "admission: a party's name with another key is refused (bad signature)" ||
    bad "impostor (rc=$irc): $(tail -c 400 "$rlog")"
client_pids=()
join "$med_id" median 1 --wait 60
for _ in $(seq 1 200); do grep -q "client 1 of 4 connected (party hospital-a" "$rlog" && break; sleep 0.05; done
intruder "$med_id" median second-a hospital-a "$work/hospital-a.pem"
((irc == 1)) && grep -q "refused a client (slot 2 stays free): slot limit (party hospital-a): it already holds its 1 slot(s)" "$rlog" &&
    ok "admission: a party's client beyond its slots (one dataset of four, four clients) is refused" ||
    bad "second hospital-a client (rc=$irc): $(tail -c 400 "$rlog")"
join "$med_id" median 2
join_token "$med_id" median 3
join "$med_id" median 4 --drop-after 1
wait_all
((rrc == 0)) && ok "median run: the runner finished and released" || bad "median runner (rc=$rrc): $(tail -c 800 "$work/out-median.log")"
[[ ${crc[*]} == "0 0 0 0" ]] && grep -q "federation over after 4 round(s): all rounds done" "$work/median.c1.log" &&
    ok "median run: every client finished (END: all rounds done)" ||
    bad "clients: ${crc[*]}: $(cat "$work/median.c1.log" "$work/median.c4.log")"
grep -q "aggregator attested" "$work/median.c2.log" && ok "clients accepted the attested aggregator" ||
    bad "client 2: $(cat "$work/median.c2.log")"
grep -q "waiting for the raw signature" "$work/median.c3.log" &&
    grep -q "connected (party ${parties[3]}, JOIN verified)" "$rlog" &&
    ok "identity key outside the process: the client wrote the signing input, the token's signature made the JOIN" ||
    bad "token client: $(cat "$work/median.c3.log")"
# (clients 2..4 start together: the slot each gets depends on who connects first)
[[ $(grep -c "JOIN verified" "$rlog") == 4 ]] &&
    (for p in a b c d; do grep -q "connected (party hospital-$p, JOIN verified)" "$rlog" || exit 1; done) &&
    ok "admission: the four parties' JOINs verified; refused connections took no slot" ||
    bad "admissions: $(grep -E "connected|refused" "$rlog")"
grep -q "round 1/4  clients 4/4" "$work/out-median.log" && grep -q "round 2/4  clients 3/4" "$work/out-median.log" &&
    grep -q "round 4/4  clients 3/4" "$work/out-median.log" &&
    ok "the client that disconnected is a dropout; later rounds complete with min_clients" ||
    bad "rounds: $(grep round "$work/out-median.log")"
acc=$(awk '/^round 4\/4/ {for (i = 1; i <= NF; i++) if ($i == "accuracy") print $(i + 1)}' "$work/out-median.log")
python3 -c "import sys; sys.exit(0 if float('$acc') >= 0.85 else 1)" &&
    ok "median aggregation: federated accuracy $acc >= 0.85" || bad "accuracy '$acc'"
"$clave" result decrypt --key "$work/hospital-a-results.pem" --in "$work/out-median/wdbc-median.model.hospital-a.jwe" \
    --out "$work/median.model" >"$work/last.out" 2>&1 && [[ -s $work/median.model ]] &&
    ok "the recipient decrypts the model" || bad "decrypt: $(cat "$work/last.out")"
grep -q '"seccomp": true' "$work/out-median/run.json" && ok "run log: seccomp allowlist in force while listening" ||
    bad "run.json: $(cat "$work/out-median/run.json")"
expect "receipt of the FL run verifies offline" 0 "receipt: verified" \
    cr_verify median "$work/out-median" --output "wdbc-median.model=$work/median.model"

# --- central DP: each round's epsilon debited before the round; a second run finds it spent
runner dp "$work/out-dp" --wait 60
client_pids=()
for k in 1 2 3 4; do join "$dp_id" dp "$k" --wait 60; done
wait_all
((rrc == 0)) && grep -q "round 3/3  clients 4/4.*epsilon 4.011" "$work/out-dp.log" &&
    ok "central DP: three rounds, epsilon 4.011 (the RDP accountant's)" ||
    bad "dp run (rc=$rrc): $(tail -c 800 "$work/out-dp.log")"
audit_events >"$work/events.txt"
n=$(grep '"kbs.budget.debit"' "$work/events.txt" | grep -c "$dp_id" || true)
((n == 12)) && ok "budget ledger: 12 debits (3 rounds x 4 datasets) in the audit ledger" ||
    bad "debits: $n: $(grep budget "$work/events.txt" | head -c 600)"
python3 - "$work/events.txt" "$dp_id" <<'PY' && ok "debits per dataset sum to the accountant's epsilon" || bad "debit amounts"
import collections, json, sys
total = collections.Counter()
for line in open(sys.argv[1]):
    e = json.loads(line)
    f = e.get("fields", e)
    if "kbs.budget.debit" in line and sys.argv[2] in line:
        total[f["dataset"]] += float(f["epsilon"])
assert len(total) == 4 and all(abs(v - 4.011) < 0.001 for v in total.values()), total
PY
"$clave" result decrypt --key "$work/hospital-a-results.pem" --in "$work/out-dp/wdbc-dp.model.hospital-a.jwe" \
    --out "$work/dp.model" >/dev/null 2>&1 &&
    expect "receipt of the DP run verifies (debits within the contract's budgets)" 0 "dp.debits" \
        cr_verify dp "$work/out-dp" --output "wdbc-dp.model=$work/dp.model" ||
    bad "decrypt the DP model"

runner dp "$work/out-dp2" --wait 60
client_pids=()
for k in 1 2 3 4; do join "$dp_id" dp "$k" --wait 60; done
wait_all
((rrc == 1)) && grep -q "stopped: privacy budget spent after 0 round(s)" "$work/out-dp2.log" &&
    [[ ! -e $work/out-dp2/receipt.cose ]] && ok "second run: budget spent, no round, nothing released" ||
    bad "second dp run (rc=$rrc): $(tail -c 800 "$work/out-dp2.log")"
grep -q "federation over after 0 round(s): privacy budget spent" "$work/dp.c1.log" &&
    ok "clients are told the budget is spent" || bad "client: $(cat "$work/dp.c1.log")"
audit_events | grep '"kbs.budget.deny"' | grep -q "$dp_id" && ok "the refused debit is in the audit ledger" ||
    bad "no kbs.budget.deny entry"

echo "fl_tee: $passed passed, $failed failed"
((failed == 0))
