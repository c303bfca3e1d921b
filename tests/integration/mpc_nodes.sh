#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Three real `clave mpc node` processes linked by TLS 1.3 with pinned certificates: every
# computation against a plaintext reference, a node that dies mid-computation (the others abort,
# the client prints nothing), a tampering node (detected, naming the link), an unpinned client
# (refused, nodes keep serving). Runs on loopback, then again with the nodes in three network
# namespaces joined by veth pairs if `ip netns add` works here. Shares reach the nodes as files
# and, with `mpc share --nodes`, over the nodes' pinned TLS links.
# Usage: mpc_nodes.sh PATH-TO-clave
set -euo pipefail

clave=$(realpath "${1:?usage: mpc_nodes.sh PATH-TO-clave}")
command -v openssl >/dev/null || { echo "mpc_nodes: openssl CLI is required"; exit 1; }
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $*"; }
bad() { failed=$((failed + 1)); echo "not ok - $*"; }
tmp=$(mktemp -d)
pids=()
netns_made=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    for ns in "${netns_made[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
    [[ -n "${bridge:-}" ]] && ip link del "$bridge" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
timeout_ms=3000
[[ "${CLAVE_SANITIZED:-}" == 1 ]] && timeout_ms=10000

# ---- usage -----------------------------------------------------------------------------------
for sub in "" node share run; do
    if "$clave" mpc $sub --help | grep -q "usage: clave mpc"; then ok "mpc $sub --help"; else
        bad "mpc $sub --help"
    fi
done
rc=0; "$clave" mpc frobnicate >/dev/null 2>&1 || rc=$?
((rc == 2)) && ok "unknown subcommand: usage error" || bad "unknown subcommand: rc=$rc"
rc=0; "$clave" mpc run --op median --input x --config /dev/null >/dev/null 2>&1 || rc=$?
((rc == 2)) && ok "unknown op: usage error" || bad "unknown op: rc=$rc"
rc=0; "$clave" mpc node >/dev/null 2>&1 || rc=$?
((rc == 2)) && ok "node without --config: usage error" || bad "node without --config: rc=$rc"

# ---- certificates and fingerprints -------------------------------------------------------------
cert() { # name
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=clave-mpc-$1" -keyout "$tmp/$1.key" -out "$tmp/$1.crt" 2>/dev/null
    openssl x509 -in "$tmp/$1.crt" -outform DER | sha256sum | cut -d' ' -f1 >"$tmp/$1.fp"
}
for n in node0 node1 node2 client stranger; do cert "$n"; done
fp() { cat "$tmp/$1.fp"; }

# ---- configurations ----------------------------------------------------------------------------
write_configs() { # dir addr0 addr1 addr2 [extra-json-for-node0 node1 node2]
    local dir=$1
    local -a addr=("$2" "$3" "$4")
    local -a extra=("${5:-}" "${6:-}" "${7:-}")
    mkdir -p "$dir"
    for i in 0 1 2; do
        local peers="" sep=""
        for j in 0 1 2; do
            ((i == j)) && continue
            peers+="$sep{\"id\":$j,\"address\":\"${addr[$j]}\",\"fingerprint\":\"$(fp node$j)\"}"
            sep=","
        done
        mkdir -p "$dir/in$i"
        cat >"$dir/node$i.json" <<JSON
{"id":$i,"listen":"${addr[$i]}","cert":"$tmp/node$i.crt","key":"$tmp/node$i.key",
 "inputs":"$dir/in$i","timeout_ms":$timeout_ms,"peers":[$peers],
 "clients":["$(fp client)"]${extra[$i]}}
JSON
    done
    local nodes=""
    sep=""
    for j in 0 1 2; do
        nodes+="$sep{\"id\":$j,\"address\":\"${addr[$j]}\",\"fingerprint\":\"$(fp node$j)\"}"
        sep=","
    done
    for who in client stranger; do
        cat >"$dir/$who.json" <<JSON
{"cert":"$tmp/$who.crt","key":"$tmp/$who.key","timeout_ms":$timeout_ms,"nodes":[$nodes]}
JSON
    done
}

# ---- data: two columns, plaintext reference with awk --------------------------------------------
awk 'BEGIN { srand(7); print "x,y"; for (i = 0; i < 200; i++) {
    printf "%.4f,%.4f\n", (rand() - 0.5) * 60 + 5, (rand() - 0.5) * 20 } }' >"$tmp/data.csv"
ref() { # op
    awk -F, -v op="$1" 'NR > 1 { n++; s += $1; q += $1 * $1; d += $1 * $2
        l = l ($1 < $2 ? "1" : "0") }
        END { m = s / n
              if (op == "sum") printf "%.6f\n", s; else if (op == "mean") printf "%.6f\n", m
              else if (op == "variance") printf "%.6f\n", q / n - m * m
              else if (op == "dot") printf "%.6f\n", d; else print l }' "$tmp/data.csv"
}
close_to() { # got want tolerance
    awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= t) }'
}
"$clave" mpc share --csv "$tmp/data.csv" --column x --out "$tmp/shares" >/dev/null
"$clave" mpc share --csv "$tmp/data.csv" --column y --out "$tmp/shares" >/dev/null

start_nodes() { # dir [netns prefix]
    local dir=$1 prefix=${2:-}
    for i in 0 1 2; do
        cp "$tmp/shares/"*".node$i.share" "$dir/in$i/"
        if [[ -n "$prefix" ]]; then
            ip netns exec "$prefix$i" "$clave" mpc node --config "$dir/node$i.json" \
                2>"$dir/node$i.log" &
        else
            "$clave" mpc node --config "$dir/node$i.json" 2>"$dir/node$i.log" &
        fi
        pids+=($!)
        eval "node${i}_pid=$!"
    done
    sleep 0.5
}
stop_nodes() { # also fails on any sanitizer report in the nodes' logs
    for i in 0 1 2; do
        local p
        eval "p=\$node${i}_pid"
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    if grep -l "AddressSanitizer\|runtime error\|LeakSanitizer" "$1"/node*.log 2>/dev/null; then
        bad "sanitizer report in a node log"
    fi
}

compute_checks() { # dir label
    local dir=$1 label=$2 out
    for op in sum mean variance dot; do
        local args=(--input x)
        [[ $op == dot ]] && args+=(--input2 y)
        if out=$("$clave" mpc run --config "$dir/client.json" --op "$op" "${args[@]}" 2>&1) &&
            close_to "${out#*: }" "$(ref "$op")" 0.01; then
            ok "$label: $op = ${out#*: } (plain $(ref "$op"))"
        else bad "$label: $op: $out (plain $(ref "$op"))"; fi
    done
    if out=$("$clave" mpc run --config "$dir/client.json" --op lt --input x --input2 y 2>&1) &&
        [[ "$(tr -d ' ' <<<"${out#*:}")" == "$(ref lt)" ]]; then
        ok "$label: lt matches all 200 plaintext comparisons"
    else bad "$label: lt: $out"; fi
    out=$("$clave" mpc run --config "$dir/client.json" --op mul --input x --input2 y --json 2>&1)
    if grep -q '^{"op":"mul","values":\[' <<<"$out"; then ok "$label: mul json"; else
        bad "$label: mul: $out"
    fi
}

# ---- loopback ---------------------------------------------------------------------------------
base=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
lo="$tmp/lo"
write_configs "$lo" "127.0.0.1:$base" "127.0.0.1:$((base + 1))" "127.0.0.1:$((base + 2))"
sed 's/"timeout_ms"/"timeout"/' "$lo/node0.json" >"$lo/bad.json"
out=$("$clave" mpc node --config "$lo/bad.json" 2>&1) && rc=0 || rc=$?
if ((rc == 1)) && grep -q "timeout" <<<"$out"; then ok "unknown config key refused"; else
    bad "bad config: rc=$rc $out"
fi
start_nodes "$lo"
compute_checks "$lo" loopback

out=$("$clave" mpc run --config "$lo/stranger.json" --op sum --input x 2>&1) && rc=0 || rc=$?
if ((rc == 1)) && grep -q "handshake\|certificate\|lost\|closed" <<<"$out"; then
    ok "unpinned client refused ($out)"
else bad "unpinned client: rc=$rc $out"; fi
out=$("$clave" mpc run --config "$lo/client.json" --op sum --input nosuch 2>&1) && rc=0 || rc=$?
if ((rc == 1)) && grep -q "aborted the session" <<<"$out" && grep -q "does not exist" <<<"$out"
then ok "missing input: every node aborts, reason relayed"; else bad "missing input: $out"; fi
out=$("$clave" mpc run --config "$lo/client.json" --op sum --input x 2>&1) || true
if close_to "${out#*: }" "$(ref sum)" 0.01; then ok "nodes keep serving after refused sessions"
else bad "after refused sessions: $out"; fi

# Shares sent to the nodes over their pinned TLS links instead of copied as files.
awk -F, 'NR == 1 { print "z" } NR > 1 { printf "%.4f\n", $1 * 2 - $2 }' "$tmp/data.csv" \
    >"$tmp/z.csv"
zsum=$(awk 'NR > 1 { s += $1 } END { printf "%.6f\n", s }' "$tmp/z.csv")
mkdir -p "$tmp/upload-cwd"
out=$(cd "$tmp/upload-cwd" && "$clave" mpc share --csv "$tmp/z.csv" --column z \
    --nodes "$lo/client.json" 2>&1) && rc=0 || rc=$?
if ((rc == 0)) && grep -q "sent 200 values of 'z'" <<<"$out" &&
    [[ -z "$(ls -A "$tmp/upload-cwd")" ]]; then
    ok "share --nodes: sent, nothing written locally"
else bad "share --nodes: rc=$rc $out"; fi
modes=$(stat -c %a "$lo"/in0/z.node0.share "$lo"/in1/z.node1.share "$lo"/in2/z.node2.share \
    2>&1 | tr '\n' ' ')
if [[ "$modes" == "600 600 600 " ]]; then ok "share --nodes: each node stored its file (0600)"
else bad "share --nodes: stored files: $modes"; fi
if cmp -s "$lo/in0/z.node0.share" "$lo/in1/z.node1.share"; then
    bad "share --nodes: nodes 0 and 1 hold the same file"
else ok "share --nodes: each node holds a different share"; fi
out=$("$clave" mpc run --config "$lo/client.json" --op sum --input z 2>&1) || true
if close_to "${out#*: }" "$zsum" 0.01; then ok "share --nodes: sum of z = ${out#*: } ($zsum)"
else bad "share --nodes: sum of z: $out (plain $zsum)"; fi
"$clave" mpc share --csv "$tmp/data.csv" --column y --name z --nodes "$lo/client.json" >/dev/null
out=$("$clave" mpc run --config "$lo/client.json" --op sum --input z 2>&1) || true
ysum=$(awk -F, 'NR > 1 { s += $2 } END { printf "%.6f\n", s }' "$tmp/data.csv")
if close_to "${out#*: }" "$ysum" 0.01; then ok "share --nodes: a new upload replaces the input"
else bad "share --nodes: replaced input: $out (plain $ysum)"; fi
out=$("$clave" mpc share --csv "$tmp/z.csv" --column z --name w --nodes "$lo/stranger.json" 2>&1) &&
    rc=0 || rc=$?
if ((rc == 1)) && [[ ! -e "$lo/in0/w.node0.share" ]]; then
    ok "share --nodes: unpinned client refused, nothing stored ($out)"
else bad "share --nodes: stranger: rc=$rc $out"; fi
out=$("$clave" mpc share --csv "$tmp/z.csv" --column z --name ../w --nodes "$lo/client.json" 2>&1) &&
    rc=0 || rc=$?
if ((rc == 1)) && grep -q "invalid input name" <<<"$out"; then ok "share --nodes: bad name refused"
else bad "share --nodes: bad name: rc=$rc $out"; fi
out=$("$clave" mpc share --csv "$tmp/z.csv" --column z 2>&1) && rc=0 || rc=$?
if ((rc == 2)) && grep -q -- "--out or --nodes" <<<"$out"; then
    ok "share without --out or --nodes: usage error"
else bad "share without a destination: rc=$rc $out"; fi
out=$("$clave" mpc run --config "$lo/client.json" --op sum --input x 2>&1) || true
if close_to "${out#*: }" "$(ref sum)" 0.01; then ok "nodes keep serving after uploads"
else bad "after uploads: $out"; fi
if grep -q '"compute":"upload","values":200,.*"status":"ok"' "$lo/node2.log"; then
    ok "share --nodes: the node logs the upload"
else bad "share --nodes: node log: $(grep upload "$lo/node2.log" | head -2)"; fi
stop_nodes "$lo"

# A node that dies in the middle of a comparison (test-only crash at round 5).
write_configs "$lo" "127.0.0.1:$base" "127.0.0.1:$((base + 1))" "127.0.0.1:$((base + 2))" \
    "" "" ',"test_only_exit_at_step":5'
start_nodes "$lo"
out=$("$clave" mpc run --config "$lo/client.json" --op lt --input x --input2 y 2>/dev/null) &&
    rc=0 || rc=$?
err=$("$clave" mpc run --config "$lo/client.json" --op sum --input x 2>&1) || true
if ((rc == 1)) && [[ -z "$out" ]]; then ok "killed node: client fails with no output"; else
    bad "killed node: rc=$rc out=$out"
fi
sleep 0.2
if grep -q '"status":"input/output error".*node 2' "$lo/node0.log" &&
    grep -q '"status":"input/output error".*node 2' "$lo/node1.log"; then
    ok "killed node: nodes 0 and 1 abort naming node 2"
else bad "killed node logs: $(cat "$lo/node0.log" "$lo/node1.log")"; fi
if grep -qi "node 2" <<<"$err"; then ok "next session: node 2 unreachable is named ($err)"; else
    bad "next session after the crash: $err"
fi
stop_nodes "$lo"

# A node that flips a bit in what it sends: to its neighbour (dot) and to the client (sum).
write_configs "$lo" "127.0.0.1:$base" "127.0.0.1:$((base + 1))" "127.0.0.1:$((base + 2))" \
    "" ',"test_only_tamper":true' ""
start_nodes "$lo"
out=$("$clave" mpc run --config "$lo/client.json" --op dot --input x --input2 y 2>&1) &&
    rc=0 || rc=$?
if ((rc == 1)) && grep -q "node 1 -> node 0" <<<"$out" && ! grep -q "^dot:" <<<"$out"; then
    ok "tampering node detected between nodes ($out)"
else bad "tamper (dot): rc=$rc $out"; fi
out=$("$clave" mpc run --config "$lo/client.json" --op sum --input x 2>&1) && rc=0 || rc=$?
if ((rc == 1)) && grep -q "tampered" <<<"$out" && grep -q "node 1 -> node 0" <<<"$out"; then
    ok "tampering node detected by the client ($out)"
else bad "tamper (sum): rc=$rc $out"; fi
stop_nodes "$lo"

# ---- network namespaces joined by veth pairs (root only) ---------------------------------------
tag=$$
bridge="brmpc$tag"
if ip netns add "mpc${tag}n0" 2>"$tmp/netns.err"; then
    netns_made+=("mpc${tag}n0")
    ns_ok=1
    {
        ip link add "$bridge" type bridge && ip addr add 10.77.0.254/24 dev "$bridge" &&
            ip link set "$bridge" up
        for i in 0 1 2; do
            ns="mpc${tag}n$i"
            if ((i > 0)); then ip netns add "$ns" && netns_made+=("$ns"); fi
            ip link add "vm${tag}h$i" type veth peer name "vm${tag}n$i"
            ip link set "vm${tag}n$i" netns "$ns"
            ip link set "vm${tag}h$i" master "$bridge" up
            ip netns exec "$ns" ip addr add "10.77.0.$((i + 1))/24" dev "vm${tag}n$i"
            ip netns exec "$ns" ip link set "vm${tag}n$i" up
            ip netns exec "$ns" ip link set lo up
        done
    } 2>>"$tmp/netns.err" || ns_ok=0
    if ((ns_ok)); then
        ns="$tmp/ns"
        write_configs "$ns" "10.77.0.1:$base" "10.77.0.2:$base" "10.77.0.3:$base"
        start_nodes "$ns" "mpc${tag}n"
        compute_checks "$ns" "netns"
        stop_nodes "$ns"
    else
        echo "netns variant: SKIPPED, veth/bridge setup failed: $(tr '\n' ' ' <"$tmp/netns.err")"
    fi
else
    echo "netns variant: SKIPPED, 'ip netns add' failed here: $(cat "$tmp/netns.err")"
fi

echo "mpc_nodes: $passed passed, $failed failed"
((failed == 0))
