/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collaboration tables through clave_store (both backends): collaborations, their membership
 * statements (the signed history, replayed into a struct clave_collab on every read) and
 * pending dataset uploads (metadata first, then the sealed bytes in parts).
 */
#ifndef CLAVED_COLLAB_DB_H
#define CLAVED_COLLAB_DB_H

#include "claved.h"

#include <clave/collab.h>

clave_status claved_collab_db_migrate(struct clave_store *s);

clave_status claved_collab_insert(struct clave_store *s, const char *name, const char *description,
                                  const char *by, int64_t now);
/* {name, description, created_by, created_at} of one, or the list of all (`name` NULL). */
clave_status claved_collab_json(struct clave_store *s, const char *name, json_t **out);
/* The verified membership history (caller frees). CLAVE_ERR_NOT_FOUND: no collaboration. A
 * stored statement that no longer verifies is CLAVE_ERR_TAMPERED. */
clave_status claved_collab_load(struct clave_store *s, const char *name, struct clave_collab **out);
/* Append statement `seq` (already verified against the history). CLAVE_ERR_EXISTS when another
 * statement took that seq first. */
clave_status claved_collab_statement_insert(struct clave_store *s, const char *name, uint64_t seq,
                                            const uint8_t *cose, size_t len, int64_t now);

/* The name of tenant party `party_id`, and whether a tenant party `name` exists. */
clave_status claved_collab_party_name(struct clave_store *s, const char *party_id, char *out,
                                      size_t cap);
clave_status claved_collab_party_exists(struct clave_store *s, const char *name);

/* ---- pending uploads ---- */
struct claved_upload {
    char collaboration[CLAVE_COLLAB_NAME_MAX + 1];
    char id[65];
    char owner_party[CLAVE_COLLAB_NAME_MAX + 1];
    char region[65];
    char *name;        /* malloc'd */
    char *schema_json; /* malloc'd */
    int64_t row_count;
};
clave_status claved_upload_insert(struct clave_store *s, const struct claved_upload *u,
                                  const char *by, int64_t now);
clave_status claved_upload_get(struct clave_store *s, const char *collaboration, const char *id,
                               struct claved_upload *out);
clave_status claved_upload_delete(struct clave_store *s, const char *collaboration, const char *id);
void claved_upload_clear(struct claved_upload *u);

#endif
