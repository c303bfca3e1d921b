/* SPDX-License-Identifier: Apache-2.0 */
/* Thread-local last-error detail: where a failure happened and a short text saying why. */
#include "core/check.h"

#include <openssl/err.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERROR_DETAIL_MAX 512

struct error_slot {
    clave_status status;
    const char *file;
    int line;
    char detail[ERROR_DETAIL_MAX];
};

static _Thread_local struct error_slot last_error;

void clave__error_set(clave_status st, const char *file, int line, const char *fmt, ...)
{
    last_error.status = st;
    last_error.file = file;
    last_error.line = line;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(last_error.detail, sizeof(last_error.detail), fmt, ap);
    va_end(ap);
    if (n < 0) {
        last_error.detail[0] = '\0';
    }
}

void clave__error_context(const char *fmt, ...)
{
    char prefix[ERROR_DETAIL_MAX];
    char joined[2 * ERROR_DETAIL_MAX + 4];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    (void)snprintf(joined, sizeof(joined), "%s: %s", prefix, last_error.detail);
    /* Keep the prefix and as much of the old detail as fits. */
    memcpy(last_error.detail, joined, ERROR_DETAIL_MAX - 1);
    last_error.detail[ERROR_DETAIL_MAX - 1] = '\0';
}

void clave__error_set_ossl(clave_status st, const char *file, int line, const char *what)
{
    unsigned long code = ERR_peek_last_error();
    char reason[256] = "no detail";
    if (code != 0) {
        ERR_error_string_n(code, reason, sizeof(reason));
    }
    ERR_clear_error();
    clave__error_set(st, file, line, "%s (%s)", what, reason);
}

struct clave_error_info clave_error_last(void)
{
    struct clave_error_info info = {
        .status = last_error.status,
        .file = last_error.file != NULL ? last_error.file : "",
        .line = last_error.line,
        .detail = last_error.detail,
    };
    return info;
}

void clave_error_clear(void)
{
    memset(&last_error, 0, sizeof(last_error));
}
