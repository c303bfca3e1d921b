# SPDX-License-Identifier: Apache-2.0
# Cheap Argon2id parameters (t=1, m=64 KiB) for keyrings the tests create; one test sets
# the defaults explicitly.
set_tests_properties(${test_name} PROPERTIES ENVIRONMENT "CLAVE_ARGON2_TEST_PARAMS=1")
