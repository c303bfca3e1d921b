/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recipient public keys registered per (collaboration, party, RFC 7638 thumbprint), through
 * clave_store (both backends). A party may hold several keys (rotation); the contract's
 * thumbprint (or SPKI) decides which one a runner gets.
 */
#ifndef CLAVED_RECIPIENT_DB_H
#define CLAVED_RECIPIENT_DB_H

#include "claved.h"

#define CLAVED_RECIPIENT_KEYS_MAX 16 /* keys per party and collaboration */
#define CLAVED_THUMBPRINT_TEXT 44    /* base64url of 32 bytes (43) + NUL */

clave_status claved_recipient_db_migrate(struct clave_store *s);

/* Store one key (`jwk` the canonical public JSON). CLAVE_ERR_EXISTS if that thumbprint is
 * registered for the party already. */
clave_status claved_recipient_insert(struct clave_store *s, const char *collaboration,
                                     const char *party, const char *thumbprint, const char *jwk,
                                     const char *by, int64_t now);

/* How many keys `party` holds in `collaboration`. */
clave_status claved_recipient_count(struct clave_store *s, const char *collaboration,
                                    const char *party, int64_t *out);

/* Rows (party, thumbprint, jwk, created_at) of the collaboration, or of one party (`party` not
 * NULL), ordered by party then registration time. Caller frees. */
clave_status claved_recipient_list(struct clave_store *s, const char *collaboration,
                                   const char *party, struct clave_store_rows **out);

#endif
