# SPDX-License-Identifier: Apache-2.0
target_link_libraries(${test_name} PRIVATE claved_core)
target_include_directories(${test_name} PRIVATE ${PROJECT_SOURCE_DIR}/src/claved)
include(${PROJECT_SOURCE_DIR}/tests/testlib/pg_fixture.cmake)
clave_add_pg_test(${test_name})
