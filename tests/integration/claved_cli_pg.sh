#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# claved_cli.sh with claved on a throwaway PostgreSQL server (store = postgres): the login, user,
# token and audit-ledger flow on the second backend. Usage: claved_cli_pg.sh PATH-TO-clave
set -euo pipefail
CLAVE_TEST_STORE=postgres exec bash "$(dirname "$0")/claved_cli.sh" "$@"
