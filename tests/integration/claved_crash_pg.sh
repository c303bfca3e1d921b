#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# claved_crash.sh with claved on a throwaway PostgreSQL server (store = postgres).
# Usage: claved_crash_pg.sh PATH-TO-clave
set -euo pipefail
CLAVE_TEST_STORE=postgres exec bash "$(dirname "$0")/claved_crash.sh" "$@"
