/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Guard macros: every fallible function starts with `clave_status st = CLAVE_ERR_INTERNAL;`,
 * fails through these macros to a single `done:` label, and returns `st`.
 */
#ifndef CLAVE_CORE_CHECK_H
#define CLAVE_CORE_CHECK_H

#include <clave/status.h>

/* Record a failure (status, site, printf-style detail) in the thread-local last error. */
void clave__error_set(clave_status st, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prefix the current detail with a context ("snp report: " + "need 4 bytes at offset 12"). */
void clave__error_context(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Append OpenSSL's error queue (first reason) to the detail and clear the queue. */
void clave__error_set_ossl(clave_status st, const char *file, int line, const char *what);

/* Fail with `code` and a detail unless `cond` holds. */
#define CLAVE_ENSURE(cond, code, ...)                                                              \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            st = (code);                                                                           \
            clave__error_set(st, __FILE__, __LINE__, __VA_ARGS__);                                 \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

/* Fail unconditionally. */
#define CLAVE_RAISE(code, ...)                                                                     \
    do {                                                                                           \
        st = (code);                                                                               \
        clave__error_set(st, __FILE__, __LINE__, __VA_ARGS__);                                     \
        goto done;                                                                                 \
    } while (0)

/* Propagate a failing clave call; the callee already recorded the detail. */
#define CLAVE_CHECK(call)                                                                          \
    do {                                                                                           \
        clave_status check_st_ = (call);                                                           \
        if (check_st_ != CLAVE_OK) {                                                               \
            st = check_st_;                                                                        \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

/* Propagate a failing clave call, prefixing its detail with a context. */
#define CLAVE_CHECK_CTX(call, ...)                                                                 \
    do {                                                                                           \
        clave_status check_st_ = (call);                                                           \
        if (check_st_ != CLAVE_OK) {                                                               \
            st = check_st_;                                                                        \
            clave__error_context(__VA_ARGS__);                                                     \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

/* OpenSSL calls that return 1 on success; anything else fails with `code`. */
#define CLAVE_CHECK_OSSL(call, code, what)                                                         \
    do {                                                                                           \
        if ((call) != 1) {                                                                         \
            st = (code);                                                                           \
            clave__error_set_ossl(st, __FILE__, __LINE__, (what));                                 \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

/* Allocation that must not be NULL. */
#define CLAVE_ENSURE_ALLOC(ptr) CLAVE_ENSURE((ptr) != NULL, CLAVE_ERR_NOMEM, "out of memory")

#endif
