/* SPDX-License-Identifier: Apache-2.0 */
/* Recipient key table through clave_store: `?`-parameterised statements only. */
#include "recipient_db.h"

#define PT clave_store_param_text
#define PI clave_store_param_int
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Schema v1 of module "recipients". Times are Unix seconds; thumbprint is base64url (RFC 7638
 * section 3, as contracts write jwk_thumbprint); jwk the public key as compact JSON. */
#define RECIPIENTS_V1                                                                              \
    "CREATE TABLE recipient_keys (collaboration TEXT NOT NULL, party TEXT NOT NULL,"               \
    " thumbprint TEXT NOT NULL, jwk TEXT NOT NULL, created_by TEXT NOT NULL,"                      \
    " created_at BIGINT NOT NULL, PRIMARY KEY (collaboration, party, thumbprint));"

static const struct clave_store_migration MIGRATIONS[] = {
    {"recipients", 1, RECIPIENTS_V1, RECIPIENTS_V1},
};

clave_status claved_recipient_db_migrate(struct clave_store *s)
{
    return clave_store_migrate(s, MIGRATIONS, N(MIGRATIONS), NULL);
}

clave_status claved_recipient_insert(struct clave_store *s, const char *collaboration,
                                     const char *party, const char *thumbprint, const char *jwk,
                                     const char *by, int64_t now)
{
    struct clave_store_param p[] = {PT(collaboration), PT(party), PT(thumbprint),
                                    PT(jwk),           PT(by),    PI(now)};
    return clave_store_exec(s,
                            "INSERT INTO recipient_keys (collaboration, party, thumbprint, jwk,"
                            " created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                            p, N(p), NULL);
}

clave_status claved_recipient_count(struct clave_store *s, const char *collaboration,
                                    const char *party, int64_t *out)
{
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PT(collaboration), PT(party)};
    *out = 0;
    clave_status st = clave_store_query_one(s,
                                            "SELECT COUNT(*) FROM recipient_keys"
                                            " WHERE collaboration = ? AND party = ?",
                                            p, N(p), &r);
    if (st == CLAVE_OK) {
        st = clave_store_rows_get_int(r, 0, 0, out);
    }
    clave_store_rows_free(r);
    return st;
}

clave_status claved_recipient_list(struct clave_store *s, const char *collaboration,
                                   const char *party, struct clave_store_rows **out)
{
#define COLS "SELECT party, thumbprint, jwk, created_at FROM recipient_keys WHERE collaboration = ?"
    struct clave_store_param p[] = {PT(collaboration), PT(party)};
    if (party != NULL) {
        return clave_store_query(s, COLS " AND party = ? ORDER BY created_at, thumbprint", p, 2,
                                 out);
    }
    return clave_store_query(s, COLS " ORDER BY party, created_at, thumbprint LIMIT 4096", p, 1,
                             out);
#undef COLS
}
