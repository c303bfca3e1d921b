/* SPDX-License-Identifier: Apache-2.0 */
/* Membership statements: payload codec and COSE plumbing shared by statement.c and history.c. */
#ifndef CLAVE_COLLAB_INTERNAL_H
#define CLAVE_COLLAB_INTERNAL_H

#include <clave/collab.h>

#define COLLAB_PAYLOAD_MAX 1024
#define COLLAB_AAD_MAX (sizeof(CLAVE_COLLAB_AAD) + 2 * (CLAVE_COLLAB_NAME_MAX + 1))

/* A decoded payload with its own copies of every field. */
struct clave_collab_statement {
    enum clave_collab_op op;
    char collaboration[CLAVE_COLLAB_NAME_MAX + 1];
    uint64_t seq;
    uint8_t prev[CLAVE_COLLAB_HASH_LEN];
    char party[CLAVE_COLLAB_NAME_MAX + 1];
    char signer[CLAVE_COLLAB_NAME_MAX + 1];
    uint8_t spki[CLAVE_COLLAB_SPKI_MAX];
    size_t spki_len;
    char region[CLAVE_COLLAB_NAME_MAX + 1]; /* "" for none */
    uint64_t time;
};

/* Check the fields of a change (names, op-specific fields, key type). */
clave_status clave__collab_change_check(const struct clave_collab_change *ch)
    __attribute__((warn_unused_result));

/* The canonical CBOR payload of a change into `buf` (COLLAB_PAYLOAD_MAX). */
clave_status clave__collab_payload(const struct clave_collab_change *ch, uint8_t *buf, size_t *len)
    __attribute__((warn_unused_result));

/* Decode (and check canonical form of) a payload. */
clave_status clave__collab_payload_decode(const uint8_t *p, size_t len,
                                          struct clave_collab_statement *out)
    __attribute__((warn_unused_result));

/* The external AAD for (collaboration, signer). */
clave_status clave__collab_aad(const char *collaboration, const char *signer, uint8_t *buf,
                               size_t *len) __attribute__((warn_unused_result));

/* Verify `cose` under `spki` with the AAD of (collaboration, signer); the verified payload must
 * decode to `expect` exactly (same bytes). */
clave_status clave__collab_verify(const uint8_t *cose, size_t len, const uint8_t *spki,
                                  size_t spki_len, const struct clave_collab_statement *expect)
    __attribute__((warn_unused_result));

/* A statement's change view (pointers into `s`). */
void clave__collab_view(const struct clave_collab_statement *s, struct clave_collab_change *out);

/* Whether two SPKIs hold the same public key. */
bool clave__collab_same_key(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len);

#endif
