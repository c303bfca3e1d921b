# SPDX-License-Identifier: Apache-2.0
# The attested aggregator's admission rule lives in runner_core (src/runner/), not in libclave.
target_link_libraries(${test_name} PRIVATE runner_core)
