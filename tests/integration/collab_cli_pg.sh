#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# collab_cli.sh on PostgreSQL (a throwaway server from tests/testlib/pg_server.sh).
# Usage: collab_cli_pg.sh PATH-TO-clave
set -euo pipefail
CLAVE_TEST_STORE=postgres exec bash "$(dirname "$0")/collab_cli.sh" "$@"
