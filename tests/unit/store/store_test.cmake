# SPDX-License-Identifier: Apache-2.0
# The store suite runs twice: store_store_test on SQLite, store_store_test_pg on a throwaway
# PostgreSQL server (same executable; CLAVE_TEST_PG_CONNINFO selects the backend).
include(${PROJECT_SOURCE_DIR}/tests/testlib/pg_fixture.cmake)
clave_add_pg_test(${test_name})
