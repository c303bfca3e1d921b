#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Format check and banned-function grep over every C file we own.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files -co --exclude-standard -- '*.c' '*.h' | grep -v '^build')
status=0

if ! clang-format --dry-run --Werror "${files[@]}" 2>/tmp/clave-format.$$; then
    head -40 /tmp/clave-format.$$ >&2
    echo "lint: clang-format found unformatted code (run clang-format -i on the files above)" >&2
    status=1
fi
rm -f /tmp/clave-format.$$

# Banned: unbounded string functions, atoi, rand(), and memcmp (secrets are compared with
# CRYPTO_memcmp / clave_ct_equal; a public-data memcmp carries a `lint:public` comment).
banned='\b(sprintf|vsprintf|strcpy|strcat|atoi|atol|gets|strtok|rand|srand|alloca)[[:space:]]*\('
if grep -nE "$banned" "${files[@]}"; then
    echo "lint: banned function above" >&2
    status=1
fi
if grep -nE '\bmemcmp[[:space:]]*\(' "${files[@]}" | grep -v 'lint:public'; then
    echo "lint: raw memcmp above: use clave_ct_equal, or mark public data with // lint:public" >&2
    status=1
fi
# grep -L's exit status differs between grep versions: judge by its output instead.
no_spdx=$(grep -LE 'SPDX-License-Identifier' "${files[@]}" || true)
if [[ -n "$no_spdx" ]]; then
    echo "$no_spdx"
    echo "lint: files above lack an SPDX line" >&2
    status=1
fi
if ((status == 0)); then
    echo "lint: ${#files[@]} files clean"
fi
exit $status
