/* SPDX-License-Identifier: Apache-2.0 */
/* Login backoff: once `free_failures` failures have accumulated, the next attempt waits
 * base_delay_s, and each further failure doubles the wait (capped). */
#include <clave/auth.h>

#define LOCKOUT_MAX_DOUBLINGS 30

int64_t clave_lockout_until(const struct clave_lockout_policy *policy, uint32_t failures,
                            int64_t last_failure)
{
    if (policy == NULL || failures < policy->free_failures || failures == 0 ||
        policy->base_delay_s == 0) {
        return 0;
    }
    uint32_t extra = failures - policy->free_failures;
    uint64_t delay = policy->base_delay_s;
    for (uint32_t i = 0; i < extra && i < LOCKOUT_MAX_DOUBLINGS && delay < policy->max_delay_s;
         i++) {
        delay *= 2;
    }
    if (delay > policy->max_delay_s) {
        delay = policy->max_delay_s;
    }
    return last_failure + (int64_t)delay;
}
