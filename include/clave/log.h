/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Structured logs: one JSON object per line to a sink (stderr for the daemons), with a level
 * filter. Fields are plain strings; there is no way to pass a `clave_secret` in, by design.
 * The library itself never logs: daemons and the CLI do.
 */
#ifndef CLAVE_LOG_H
#define CLAVE_LOG_H

#include <clave/status.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

enum clave_log_level {
    CLAVE_LOG_DEBUG = 10,
    CLAVE_LOG_INFO = 20,
    CLAVE_LOG_WARN = 30,
    CLAVE_LOG_ERROR = 40,
};

struct clave_log_field {
    const char *key;
    const char *value;
};

struct clave_log;

/** A logger writing to `sink` (borrowed, must outlive the logger). Caller frees. */
CLAVE_API CLAVE_MUST_USE clave_status clave_log_new(FILE *sink, enum clave_log_level min_level,
                                                    struct clave_log **out);
CLAVE_API void clave_log_free(struct clave_log *log);

/** "debug", "info", "warn" or "error". */
CLAVE_API CLAVE_MUST_USE clave_status clave_log_level_parse(const char *name,
                                                            enum clave_log_level *out);
CLAVE_API void clave_log_set_level(struct clave_log *log, enum clave_log_level min_level);

/**
 * Write one line: {"ts":…,"level":…,"component":…,"msg":…, fields…} if `level` passes the filter.
 * Fields named like the fixed keys are dropped. Control characters are escaped, so a value cannot
 * forge a second line. Thread-safe (one write per line).
 */
CLAVE_API void clave_log_write(struct clave_log *log, enum clave_log_level level,
                               const char *component, const char *msg,
                               const struct clave_log_field *fields, size_t field_count);

#ifdef __cplusplus
}
#endif
#endif
