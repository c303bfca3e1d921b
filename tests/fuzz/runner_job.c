/* SPDX-License-Identifier: Apache-2.0 */
/* libFuzzer target: the runner's job file parser (src/runner/job.c) on arbitrary bytes. */
#include "job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct runner_job job;
    runner_job_quiet(true); /* the parser names each refusal on stderr */
    if (runner_job_parse(data, size, &job) == CLAVE_OK) {
        (void)runner_job_table(&job, job.train.table);
        runner_job_clear(&job);
    }
    return 0;
}
