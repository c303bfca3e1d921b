#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# fl_join_paillier.sh with the coordinator on a throwaway PostgreSQL.
set -euo pipefail
CLAVE_TEST_STORE=postgres exec bash "$(dirname "$0")/fl_join_paillier.sh" "$@"
