# SPDX-License-Identifier: Apache-2.0
# The same log tests on a throwaway PostgreSQL server (tests/testlib/pg_fixture.cmake).
include(${PROJECT_SOURCE_DIR}/tests/testlib/pg_fixture.cmake)
clave_add_pg_test(${test_name})
