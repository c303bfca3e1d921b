#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# API benchmark: wrk against claved's authenticated GET /v1/me (a small JSON resource) over TLS
# 1.3 with keep-alive, and against nginx (started here on loopback, same TLS settings, a static
# file of the same size). Prints JSON lines: each side's requests/s and p50/p99, the ratio, and
# p99 at a fixed offered load of 1,000 requests/s.
# Fixed load: wrk2 is not in Debian, so bench/api/paced.lua paces each wrk connection with a
# per-request delay (connections x 1000/connections req/s); the latency wrk reports for a paced
# run is the service latency at that offered load (no coordinated-omission correction).
# Usage: bench/api.sh BUILD-DIR   (needs wrk, nginx, curl, openssl)
set -euo pipefail
build=$(realpath "${1:?usage: bench/api.sh BUILD-DIR}")
here=$(cd "$(dirname "$0")" && pwd)
for tool in wrk nginx curl openssl python3; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is missing (scripts/deps.sh)" >&2; exit 1; }
done
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
cport=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
nport=$((cport + 1))

export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=1024 CLAVE_LOG_LEVEL=warn
printf 'bench-password\n' >"$work/pw"
"$build/clave" server init --data-dir "$work/data" --admin bench --password-file "$work/pw" \
    --listen "127.0.0.1:$cport" >/dev/null
"$build/claved" --config "$work/data/claved.conf" 2>"$work/claved.log" &
pids+=($!)
for _ in $(seq 1 100); do curl -sk "https://127.0.0.1:$cport/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
token=$(curl -sk -X POST -H 'Content-Type: application/json' \
    -d '{"username":"bench","password":"bench-password"}' "https://127.0.0.1:$cport/v1/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
curl -sk -H "Authorization: Bearer $token" "https://127.0.0.1:$cport/v1/me" >"$work/me.json"

mkdir -p "$work/nginx/www"
cp "$work/me.json" "$work/nginx/www/me.json" # the same bytes, the same size
cat >"$work/nginx/nginx.conf" <<NGINX
worker_processes $THREADS;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 4096; }
http {
    access_log off;
    server {
        listen 127.0.0.1:$nport ssl;
        ssl_certificate $work/data/tls/cert.pem;
        ssl_certificate_key $work/data/tls/key.pem;
        ssl_protocols TLSv1.3;
        keepalive_requests 1000000;
        root $work/nginx/www;
        location / { default_type application/json; }
    }
}
NGINX
nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" -g 'daemon off;' &
pids+=($!)
sleep 0.5

run() { # name url lua
    wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency -s "$3" "$2" >"$work/$1.txt"
}
export BENCH_TOKEN=$token
run claved "https://127.0.0.1:$cport/v1/me" "$here/api/auth.lua"
run nginx "https://127.0.0.1:$nport/me.json" "$here/api/auth.lua"
BENCH_RATE=1000 BENCH_CONNS=$CONNS run claved_fixed "https://127.0.0.1:$cport/v1/me" "$here/api/paced.lua"

python3 - "$work" <<'PY'
import json, re, sys
work = sys.argv[1]
def parse(name):
    t = open(f"{work}/{name}.txt").read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
    def pct(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", t)
        v, u = float(m.group(1)), m.group(2)
        return v / 1000 if u == "us" else v * 1000 if u == "s" else v
    return {"rps": rps, "p50_ms": pct(50), "p99_ms": pct(99)}
c, n, f = parse("claved"), parse("nginx"), parse("claved_fixed")
print(json.dumps({"bench": "api", "server": "claved", "route": "GET /v1/me", **c}))
print(json.dumps({"bench": "api", "server": "nginx", "route": "static me.json", **n}))
print(json.dumps({"bench": "api", "ratio_claved_to_nginx": round(c["rps"] / n["rps"], 3)}))
print(json.dumps({"bench": "api", "server": "claved", "offered_rps": 1000, "achieved_rps": f["rps"],
                  "p50_ms": f["p50_ms"], "p99_ms": f["p99_ms"]}))
PY
