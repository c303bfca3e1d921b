# SPDX-License-Identifier: Apache-2.0
# The ledger tests run twice: dp_ledger_test on SQLite, dp_ledger_test_pg on a throwaway
# PostgreSQL server (same executable; CLAVE_TEST_PG_CONNINFO selects the backend).
include(${PROJECT_SOURCE_DIR}/tests/testlib/pg_fixture.cmake)
clave_add_pg_test(${test_name})
