# SPDX-License-Identifier: Apache-2.0
# Also on a throwaway PostgreSQL server: store_concurrency_test_pg.
include(${PROJECT_SOURCE_DIR}/tests/testlib/pg_fixture.cmake)
clave_add_pg_test(${test_name})
