#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `cmake --install` into a private prefix, then build the documentation example against the
# installed headers and library through pkg-config, with the shared and the static library.
set -euo pipefail

build=${CLAVE_BINARY_DIR:?CLAVE_BINARY_DIR not set}
src=${CLAVE_SOURCE_DIR:?CLAVE_SOURCE_DIR not set}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null
pc=$(find "$work/prefix" -name clave.pc | head -1)
[[ -n "$pc" ]] || { echo "FAIL: clave.pc not installed"; exit 1; }
for header in clave.h status.h buf.h crypto.h seal.h keyring.h jose.h cose.h x509.h sign.h; do
    [[ -f "$work/prefix/include/clave/$header" ]] || { echo "FAIL: $header not installed"; exit 1; }
done
export PKG_CONFIG_PATH
PKG_CONFIG_PATH=$(dirname "$pc")
libdir=$(pkg-config --variable=libdir clave)

# A sanitized libclave needs the sanitizer runtimes in the program that links it.
cflags=(-std=c17 -Wall -Wextra -Werror)
if [[ -n "${CLAVE_SANITIZED:-}" ]]; then
    cflags+=(-fsanitize=address,undefined)
fi
cc=${CC:-cc}
[[ -n "${CLAVE_SANITIZED:-}" ]] && cc=clang

# shellcheck disable=SC2046
"$cc" "${cflags[@]}" "$src/docs/examples/crypto_tour.c" $(pkg-config --cflags --libs clave) \
    -Wl,-rpath,"$libdir" -o "$work/tour-shared"
"$work/tour-shared" >/dev/null
# Capture first: `ldd | grep -q` under pipefail fails whenever grep exits before ldd (SIGPIPE).
linked=$(ldd "$work/tour-shared")
grep -q "$libdir/libclave.so" <<<"$linked" || { echo "FAIL: not linked to the installed libclave.so"; exit 1; }
echo "ok - example builds and runs against the installed shared library"

# shellcheck disable=SC2046
"$cc" "${cflags[@]}" "$src/docs/examples/crypto_tour.c" -I"$work/prefix/include" \
    "$libdir/libclave.a" $(pkg-config --libs --static clave | sed 's/-lclave//') -o "$work/tour-static"
"$work/tour-static" >/dev/null
echo "ok - example builds and runs against the installed static library"
echo "install: 2 passed, 0 failed"
