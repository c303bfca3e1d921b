/* SPDX-License-Identifier: Apache-2.0 */
/* Process hardening for clave-runner (see sandbox.c). */
#ifndef RUNNER_SANDBOX_H
#define RUNNER_SANDBOX_H

#include <clave/status.h>
#include <stdbool.h>

struct runner_sandbox {
    bool mlock;   /* mlockall(MCL_CURRENT | MCL_FUTURE); skipped in sanitizer builds */
    bool seccomp; /* the system-call allowlist; everything else kills the process */
};

/* What is in force (a value struct, printed in the run log and the receipt's notes). */
struct runner_sandbox_state {
    bool no_core_dumps, no_new_privs, memory_locked, seccomp;
};

/* Always: RLIMIT_CORE 0, not dumpable, no_new_privs; then the options. Irreversible. Errors
 * (printed): CLAVE_ERR_IO, CLAVE_ERR_INTERNAL. */
clave_status runner_sandbox_enter(const struct runner_sandbox *s, struct runner_sandbox_state *out);

#endif
