# SPDX-License-Identifier: Apache-2.0
# A throwaway PostgreSQL server for tests that run against the postgres backend.
# In a tests/unit/<area>/<module>_test.cmake:
#     include(${PROJECT_SOURCE_DIR}/tests/testlib/pg_fixture.cmake)
#     clave_add_pg_test(${test_name})
# registers ${test_name}_pg: the same executable, with its own fresh database, and the env var
# CLAVE_TEST_PG_CONNINFO pointing at it. CTest starts the server once before the first such test
# (fixture clave_pg) and stops it after the last one, so `make check` needs nothing set up.
include_guard(GLOBAL)

# A short socket directory (unix socket paths are limited to 107 bytes), one per build tree.
string(MD5 clave_pg_hash "${PROJECT_BINARY_DIR}")
string(SUBSTRING "${clave_pg_hash}" 0 12 clave_pg_hash)
set(CLAVE_PG_DIR "/tmp/clave-pg-${clave_pg_hash}")
set(CLAVE_PG_PORT 54329)
set(CLAVE_PG_SCRIPT ${PROJECT_SOURCE_DIR}/tests/testlib/pg_server.sh)

add_test(NAME pg_server_start COMMAND bash ${CLAVE_PG_SCRIPT} start ${CLAVE_PG_DIR} ${CLAVE_PG_PORT})
add_test(NAME pg_server_stop COMMAND bash ${CLAVE_PG_SCRIPT} stop ${CLAVE_PG_DIR})
set_tests_properties(pg_server_start PROPERTIES FIXTURES_SETUP clave_pg TIMEOUT 180 LABELS pg)
set_tests_properties(pg_server_stop PROPERTIES FIXTURES_CLEANUP clave_pg TIMEOUT 120 LABELS pg)

function(clave_add_pg_test name)
    string(TOLOWER "${name}" db)
    add_test(NAME ${name}_pg_db
        COMMAND bash ${CLAVE_PG_SCRIPT} createdb ${CLAVE_PG_DIR} ${db} ${CLAVE_PG_PORT})
    set_tests_properties(${name}_pg_db PROPERTIES FIXTURES_SETUP ${name}_pg_db
        FIXTURES_REQUIRED clave_pg TIMEOUT 60 LABELS pg)
    add_test(NAME ${name}_pg COMMAND ${name})
    set_tests_properties(${name}_pg PROPERTIES
        FIXTURES_REQUIRED "clave_pg;${name}_pg_db"
        ENVIRONMENT "CLAVE_TEST_PG_CONNINFO=host=${CLAVE_PG_DIR} port=${CLAVE_PG_PORT} user=postgres dbname=${db}"
        TIMEOUT 600 LABELS "store;pg")
endfunction()
