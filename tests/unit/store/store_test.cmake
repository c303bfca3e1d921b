# SPDX-License-Identifier: Apache-2.0
# The store suite runs twice: store_store_test on SQLite, store_store_test_pg on a throwaway
# PostgreSQL server (same executable; CLAVE_TEST_PG_CONNINFO selects the backend).
include(${PROJECT_SOURCE_DIR}/tests/testlib/pg_fixture.cmake)
clave_add_pg_test(${test_name})
# store_test.c defines fdatasync to count the WAL syncs: export it so that libsqlite3's calls
# bind to it rather than to libc's.
set_target_properties(${test_name} PROPERTIES ENABLE_EXPORTS ON)
