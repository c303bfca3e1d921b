/* SPDX-License-Identifier: Apache-2.0 */
/* Identity tables (parties, users, sessions, API tokens) over clave_store, both backends. */
#ifndef CLAVED_DB_H
#define CLAVED_DB_H

#include "claved.h"

#define CLAVED_TOTP_BLOB_MAX 128

struct claved_user {
    char id[CLAVED_ID_LEN + 1];
    char party_id[CLAVED_ID_LEN + 1];
    char name[65];
    enum claved_role role;
    char password_hash[CLAVE_PASSWORD_HASH_MAX];
    uint8_t totp_blob[CLAVED_TOTP_BLOB_MAX]; /* sealed TOTP secret, empty if none */
    size_t totp_blob_len;
    bool totp_enabled;
    int64_t totp_last_step;
    int64_t failures;
    int64_t last_failure;
};

clave_status claved_db_migrate(struct clave_store *store);

/* Lookups: CLAVE_ERR_NOT_FOUND if absent. */
clave_status claved_db_user_by_name(struct clave_store *s, const char *name,
                                    struct claved_user *out);
clave_status claved_db_user_by_id(struct clave_store *s, const char *id, struct claved_user *out);
clave_status claved_db_user_by_cert(struct clave_store *s, const char *fp, struct claved_user *out);
clave_status claved_db_user_insert(struct clave_store *s, const struct claved_user *u,
                                   const char *cert_fp, int64_t now);
clave_status claved_db_user_count(struct clave_store *s, int64_t *count);
/* Users as a JSON array, all (`party` NULL) or one party's. */
clave_status claved_db_user_list(struct clave_store *s, const char *party, json_t **out);
clave_status claved_db_user_set_role(struct clave_store *s, const char *id, enum claved_role role);
clave_status claved_db_user_login_result(struct clave_store *s, const char *id, bool ok,
                                         int64_t now);
clave_status claved_db_user_set_totp(struct clave_store *s, const char *id, const uint8_t *blob,
                                     size_t len, bool enabled);
clave_status claved_db_user_totp_enable(struct clave_store *s, const char *id);
clave_status claved_db_user_totp_step(struct clave_store *s, const char *id, int64_t step);

clave_status claved_db_session_insert(struct clave_store *s, const char *sid, const char *user,
                                      int64_t now, int64_t exp);
/* CLAVE_OK if the session exists, is not revoked and has not expired. */
clave_status claved_db_session_check(struct clave_store *s, const char *sid, const char *user,
                                     int64_t now);
clave_status claved_db_session_revoke(struct clave_store *s, const char *sid);
clave_status claved_db_session_active_count(struct clave_store *s, int64_t now, int64_t *count);

clave_status claved_db_token_insert(struct clave_store *s, const char *id, const char *user,
                                    const char *name, const uint8_t *hash, int64_t now,
                                    int64_t exp);
/* The user owning an active token with this hash. */
clave_status claved_db_token_user(struct clave_store *s, const uint8_t *hash, int64_t now,
                                  char user_id[CLAVED_ID_LEN + 1]);
clave_status claved_db_token_list(struct clave_store *s, const char *user, json_t **out);
/* Revoke token `id` owned by `user` (NULL: any owner). CLAVE_ERR_NOT_FOUND if none. */
clave_status claved_db_token_revoke(struct clave_store *s, const char *id, const char *user);

clave_status claved_db_party_insert(struct clave_store *s, const char *id, const char *name,
                                    int64_t now);
clave_status claved_db_party_exists(struct clave_store *s, const char *id);
clave_status claved_db_party_list(struct clave_store *s, const char *only, json_t **out);

#endif
