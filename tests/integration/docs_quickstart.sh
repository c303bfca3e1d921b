#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# docs/quickstart.md must work as written: its ```sh blocks run in order in an empty directory
# (on a free port instead of 8443), under `set -euo pipefail`; the final files are checked.
# Usage: docs_quickstart.sh PATH-TO-clave (claved and clave-runner from $CLAVE_BINARY_DIR).
set -euo pipefail
: "${1:?usage: docs_quickstart.sh PATH-TO-clave}"
B=$(realpath "${CLAVE_BINARY_DIR:?}")
SRC=$(realpath "${CLAVE_SOURCE_DIR:?}")
for tool in curl openssl python3; do
    command -v "$tool" >/dev/null || { echo "FAIL: required tool $tool is missing" >&2; exit 1; }
done
work=$(mktemp -d)
cleanup() {
    [[ -f $work/claved.pid ]] && kill -9 "$(cat "$work/claved.pid")" 2>/dev/null
    sleep 0.2
    rm -rf "$work"
}
trap cleanup EXIT
port=$((20000 + RANDOM % 12000)) # below the ephemeral range (32768+)
python3 - "$SRC/docs/quickstart.md" "$port" >"$work/quickstart.sh" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
print("set -euo pipefail")
print("export CLAVE_ARGON2_T_COST=1 CLAVE_ARGON2_M_COST_KIB=64")
for b in blocks:
    b = b.replace("8443", sys.argv[2])
    # claved needs a moment to listen before the next command talks to it
    b = b.replace("2>claved.log &\n", "2>claved.log &\necho $! >claved.pid\nfor _ in $(seq 100); do curl -sk https://127.0.0.1:%s/healthz >/dev/null && break; sleep 0.1; done\n" % sys.argv[2])
    print(b)
PY
cd "$work"
if B=$B SRC=$SRC bash quickstart.sh >quickstart.log 2>&1 &&
    python3 -c 'import json; assert json.load(open("by_diagnosis.json"))["epsilon_spent"] == 1.0' &&
    grep -q 'receipt: verified' quickstart.log &&
    grep -q 'refused: not the approved workload' quickstart.log &&
    grep -q 'refused: the second run exceeds the budget' quickstart.log; then
    echo "ok - docs/quickstart.md runs as written"
    echo "docs_quickstart: 1 passed, 0 failed"
else
    echo "not ok - docs/quickstart.md: $(tail -c 1500 quickstart.log)"
    echo "docs_quickstart: 0 passed, 1 failed"
    exit 1
fi
