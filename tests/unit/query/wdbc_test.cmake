# SPDX-License-Identifier: Apache-2.0
# The WDBC breast cancer CSV (scripts/fetch-data.sh: from Debian's python3-sklearn package, never
# committed) is fetched once into the build tree by a fixture; the test fails if it is missing.
if(NOT TEST query_fetch_data)
    add_test(NAME query_fetch_data
        COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/fetch-data.sh ${PROJECT_BINARY_DIR}/data)
    set_tests_properties(query_fetch_data PROPERTIES FIXTURES_SETUP query_data TIMEOUT 300
        LABELS query)
endif()
set_tests_properties(${test_name} PROPERTIES FIXTURES_REQUIRED query_data
    ENVIRONMENT "CLAVE_TEST_BREAST_CANCER=${PROJECT_BINARY_DIR}/data/breast_cancer.csv")
