/* SPDX-License-Identifier: Apache-2.0 */
/* Test-only helpers shared by the unit tests. Include after <setjmp.h> etc. via this header. */
#ifndef CLAVE_TESTLIB_H
#define CLAVE_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <clave/clave.h>

/* Fail the test with the last error's detail if `call` is not CLAVE_OK. */
#define T_OK(call)                                                                                 \
    do {                                                                                           \
        clave_status t_st_ = (call);                                                               \
        if (t_st_ != CLAVE_OK) {                                                                   \
            struct clave_error_info t_e_ = clave_error_last();                                     \
            fail_msg("%s -> %s (%s:%d %s)", #call, clave_status_str(t_st_), t_e_.file, t_e_.line,  \
                     t_e_.detail);                                                                 \
        }                                                                                          \
    } while (0)

/* Expect exactly the status `code`. */
#define T_ERR(call, code)                                                                          \
    do {                                                                                           \
        clave_status t_st_ = (call);                                                               \
        if (t_st_ != (code)) {                                                                     \
            fail_msg("%s -> %s, expected %s (%s)", #call, clave_status_str(t_st_),                 \
                     clave_status_str(code), clave_error_last().detail);                           \
        }                                                                                          \
    } while (0)

/* Hex string to a new buffer (test data only; aborts the test on bad hex). Caller frees. */
uint8_t *t_hex(const char *hex, size_t *len);

/* Whole file into a new buffer (aborts the test if unreadable). Caller frees. */
uint8_t *t_read_file(const char *path, size_t *len);

/* Path of a file in ../shared/vectors/ or tests/vectors/ (static buffer per call site: copy it). */
const char *t_shared_vector(const char *rel);
const char *t_test_vector(const char *rel);

/* A fresh private temporary directory (removed by t_rmtree). Caller frees. */
char *t_tempdir(void);
void t_rmtree(const char *path);

/* Write `len` bytes to `path`, replacing it. */
void t_write_file(const char *path, const uint8_t *data, size_t len);

#endif
