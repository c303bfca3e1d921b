#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The whole test suite: lint, build + CTest, ASan+UBSan build + CTest, short fuzz runs.
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=$(nproc)
FUZZ_SECONDS=${CLAVE_FUZZ_SECONDS:-20}
summary=()

bash scripts/lint.sh

run_suite() { # name build-dir cmake-args...
    local name=$1 dir=$2
    shift 2
    echo "== $name: configure + build ($dir)"
    cmake -S . -B "$dir" -DCLAVE_WERROR=ON "$@" >/dev/null
    cmake --build "$dir" -j "$JOBS" >"$dir.build.log" 2>&1 || {
        tail -60 "$dir.build.log"
        echo "check: $name build failed" >&2
        exit 1
    }
    echo "== $name: ctest"
    local log="$dir.ctest.log"
    set +e
    (cd "$dir" && ctest --output-on-failure -j "$JOBS") 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    set -e
    summary+=("$name: $(grep -E 'tests passed' "$log" || echo 'no summary')")
    if ((rc != 0)); then
        echo "check: $name ctest failed" >&2
        exit 1
    fi
}

run_suite "release" build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc
run_suite "asan+ubsan" build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
    -DCLAVE_ASAN=ON -DCLAVE_UBSAN=ON

echo "== fuzz: build"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang -DCLAVE_FUZZ=ON \
    -DCLAVE_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$JOBS" >build-fuzz.build.log 2>&1 || {
    tail -60 build-fuzz.build.log
    exit 1
}
# Run the targets two at a time (the machine has two cores); each writes its verdict to a file.
fuzz_one() { # name
    local name=$1 work=build-fuzz/corpus-$1
    mkdir -p "$work"
    if build-fuzz/fuzz_"$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=0 "$work" "tests/fuzz/corpus/$name" >"build-fuzz/$name.log" 2>&1; then
        echo ok >"build-fuzz/$name.verdict"
    else
        echo failed >"build-fuzz/$name.verdict"
    fi
}
targets=()
for target in tests/fuzz/*.c; do
    targets+=("$(basename "$target" .c)")
done
echo "== fuzz: ${#targets[@]} targets, ${FUZZ_SECONDS}s each, 2 at a time"
for name in "${targets[@]}"; do
    rm -f "build-fuzz/$name.verdict"
    while (($(jobs -rp | wc -l) >= 2)); do
        wait -n || true
    done
    fuzz_one "$name" &
done
wait
fuzz_ok=0
fuzz_failed=0
for name in "${targets[@]}"; do
    if [[ "$(cat "build-fuzz/$name.verdict" 2>/dev/null)" == ok ]]; then
        fuzz_ok=$((fuzz_ok + 1))
        echo "fuzz $name: $(tail -1 "build-fuzz/$name.log")"
    else
        fuzz_failed=$((fuzz_failed + 1))
        tail -60 "build-fuzz/$name.log"
        echo "check: fuzz target $name failed" >&2
    fi
done
summary+=("fuzz: $fuzz_ok targets clean, $fuzz_failed failed")

echo "== summary"
printf '%s\n' "${summary[@]}"
passed=0
failed=0
for log in build.ctest.log build-asan.ctest.log; do
    line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1)
    total=$(sed -E 's/.* out of ([0-9]+).*/\1/' <<<"$line")
    bad=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
    passed=$((passed + total - bad))
    failed=$((failed + bad))
done
passed=$((passed + fuzz_ok))
failed=$((failed + fuzz_failed))
echo "check: $passed passed, $failed failed"
((failed == 0))
