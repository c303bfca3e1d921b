#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kbs_recipients.sh on PostgreSQL (a throwaway server from tests/testlib/pg_server.sh).
# Usage: kbs_recipients_pg.sh PATH-TO-clave
set -euo pipefail
CLAVE_TEST_STORE=postgres exec bash "$(dirname "$0")/kbs_recipients.sh" "$@"
