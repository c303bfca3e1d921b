/* SPDX-License-Identifier: Apache-2.0 */
#ifndef CLAVE_SEAL_HEADER_H
#define CLAVE_SEAL_HEADER_H

#include <clave/seal.h>

/* Fixed part of the header before the recipient entries (docs/formats/sealed.md). */
#define SEAL_FIXED_LEN (CLAVE_SEAL_MAGIC_LEN + 2 + 2 + 4 + 4 + 2 * CLAVE_SEAL_ID_LEN + 1)
_Static_assert(SEAL_FIXED_LEN == 53, "sealed header fixed part is 53 bytes");

struct seal_entry {
    enum clave_seal_wrap wrap;
    char key_id[CLAVE_SEAL_KEY_ID_MAX + 1];
    uint8_t *wrapped;
    size_t wrapped_len;
};

struct clave_seal_header {
    uint16_t version;
    uint16_t algorithm;
    uint32_t header_len;
    uint32_t chunk_size;
    uint8_t file_id[CLAVE_SEAL_ID_LEN];
    uint8_t dek_id[CLAVE_SEAL_ID_LEN];
    size_t recipient_count;
    struct seal_entry recipients[CLAVE_SEAL_RECIPIENTS_MAX];
    uint8_t *raw; /* the header's bytes, tag included: what the tag authenticates */
    size_t raw_len;
};

/* Serialise a header with a zero tag into a new buffer (caller frees); `*len` = header_len. */
clave_status clave__seal_header_build(uint32_t chunk_size, const uint8_t file_id[CLAVE_SEAL_ID_LEN],
                                      const uint8_t dek_id[CLAVE_SEAL_ID_LEN],
                                      const struct clave_seal_recipient *recipients,
                                      size_t recipient_count, uint8_t **out, size_t *len);

/* Validate a chunk size against the format's limits. */
clave_status clave__seal_check_chunk_size(size_t chunk_size);

#endif
