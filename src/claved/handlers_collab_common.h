/* SPDX-License-Identifier: Apache-2.0 */
/* Membership checks shared by the collaboration, contract and dataset handlers. */
#ifndef CLAVED_HANDLERS_COLLAB_COMMON_H
#define CLAVED_HANDLERS_COLLAB_COMMON_H

#include "claved.h"

#include <clave/collab.h>

/* Load collaboration `name`'s verified history; false after a 404 (none) or 500 reply. */
bool claved_collab_load_or_reply(struct claved_ctx *ctx, const char *name,
                                 struct clave_collab **out);

/* Add "members", "statements" and "next" to the JSON object `obj` (borrowed). */
clave_status claved_collab_add_history(const struct clave_collab *c, json_t *obj);

/* The contract's collaboration must exist and every signer must be a member whose registered
 * identity key is the signer key of the contract. False after a 4xx reply. */
bool claved_collab_check_contract(struct claved_ctx *ctx, const struct clave_contract *contract);

/* The party a dataset upload is made for: the caller's own party (admins may name `requested`,
 * any member), which must be a current member of `c`. `out` gets CLAVE_COLLAB_NAME_MAX + 1.
 * False after a 4xx reply. */
bool claved_collab_uploader(struct claved_ctx *ctx, const struct clave_collab *c,
                            const char *requested, char *out);

#endif
