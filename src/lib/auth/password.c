/* SPDX-License-Identifier: Apache-2.0 */
/* Argon2id password hashes (RFC 9106) in the PHC string format, through libargon2. */
#include "core/check.h"

#include <argon2.h>
#include <clave/auth.h>
#include <clave/crypto.h>
#include <clave/secret.h>
#include <string.h>

#define PASSWORD_MAX_LANES 16
#define PASSWORD_MAX_M_COST_KIB (4u << 20) /* 4 GiB */

static bool params_ok(const struct clave_argon2_params *p)
{
    return p->t_cost >= 1 && p->parallelism >= 1 && p->parallelism <= PASSWORD_MAX_LANES &&
           p->m_cost_kib >= 8 * p->parallelism && p->m_cost_kib <= PASSWORD_MAX_M_COST_KIB;
}

clave_status clave_password_hash(const struct clave_argon2_params *params, const char *password,
                                 size_t len, char *out, size_t cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t salt[CLAVE_PASSWORD_SALT_LEN];
    CLAVE_ENSURE(out != NULL && cap >= CLAVE_PASSWORD_HASH_MAX, CLAVE_ERR_ARG,
                 "password: output buffer too small");
    out[0] = '\0';
    CLAVE_ENSURE(params != NULL && params_ok(params), CLAVE_ERR_ARG,
                 "password: invalid argon2id parameters");
    CLAVE_ENSURE(password != NULL && len >= 1 && len <= CLAVE_PASSWORD_MAX_LEN, CLAVE_ERR_ARG,
                 "password: length must be 1..%d bytes", CLAVE_PASSWORD_MAX_LEN);
    CLAVE_CHECK(clave_random(salt, sizeof(salt)));
    int rc =
        argon2id_hash_encoded(params->t_cost, params->m_cost_kib, params->parallelism, password,
                              len, salt, sizeof(salt), CLAVE_PASSWORD_TAG_LEN, out, cap);
    CLAVE_ENSURE(rc != ARGON2_MEMORY_ALLOCATION_ERROR, CLAVE_ERR_NOMEM,
                 "password: argon2id: out of memory");
    CLAVE_ENSURE(rc == ARGON2_OK, CLAVE_ERR_CRYPTO, "password: argon2id: %s",
                 argon2_error_message(rc));
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK && out != NULL && cap > 0) {
        out[0] = '\0';
    }
    return st;
}

clave_status clave_password_verify(const char *encoded, const char *password, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(encoded != NULL && password != NULL && len >= 1 && len <= CLAVE_PASSWORD_MAX_LEN &&
                     strnlen(encoded, CLAVE_PASSWORD_HASH_MAX) < CLAVE_PASSWORD_HASH_MAX &&
                     strncmp(encoded, "$argon2id$", 10) == 0,
                 CLAVE_ERR_AUTH, "authentication failed");
    /* argon2_verify recomputes the tag and compares it in constant time (argon2_compare). */
    int rc = argon2id_verify(encoded, password, len);
    CLAVE_ENSURE(rc == ARGON2_OK, CLAVE_ERR_AUTH, "authentication failed");
    st = CLAVE_OK;
done:
    return st;
}
