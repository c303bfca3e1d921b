/* SPDX-License-Identifier: Apache-2.0 */
/* Identity tables through clave_store: `?`-parameterised statements only. */
#include "db.h"

#include "core/check.h"

#include <string.h>

#define PARAM_TEXT clave_store_param_text
#define PARAM_INT clave_store_param_int
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Schema v1 of module "identity". Times are Unix seconds; flags are 0/1 integers. */
#define IDENTITY_V1_COMMON(BLOB)                                                                   \
    "CREATE TABLE parties (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"                        \
    " created_at BIGINT NOT NULL);"                                                                \
    "CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"                          \
    " party_id TEXT NOT NULL REFERENCES parties(id),"                                              \
    " role TEXT NOT NULL CHECK (role IN ('admin','owner','analyst','auditor')),"                   \
    " password_hash TEXT, totp_secret " BLOB ", totp_enabled INTEGER NOT NULL DEFAULT 0,"          \
    " totp_last_step BIGINT NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,"              \
    " last_failure BIGINT NOT NULL DEFAULT 0, cert_sha256 TEXT UNIQUE,"                            \
    " created_at BIGINT NOT NULL);"                                                                \
    "CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"      \
    " created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"                                     \
    " revoked INTEGER NOT NULL DEFAULT 0);"                                                        \
    "CREATE INDEX sessions_expiry ON sessions(expires_at);"                                        \
    "CREATE TABLE api_tokens (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id),"    \
    " name TEXT NOT NULL, hash " BLOB " NOT NULL UNIQUE, created_at BIGINT NOT NULL,"              \
    " expires_at BIGINT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"

static const struct clave_store_migration MIGRATIONS[] = {
    {"identity", 1, IDENTITY_V1_COMMON("BLOB"), IDENTITY_V1_COMMON("BYTEA")},
};

clave_status claved_db_migrate(struct clave_store *store)
{
    return clave_store_migrate(store, MIGRATIONS, N(MIGRATIONS), NULL);
}

static clave_status copy_text(const struct clave_store_rows *r, size_t col, char *dst, size_t cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *v = NULL;
    dst[0] = '\0';
    if (clave_store_rows_is_null(r, 0, col)) {
        return CLAVE_OK;
    }
    CLAVE_CHECK(clave_store_rows_get_text(r, 0, col, &v));
    size_t n = strlen(v);
    CLAVE_ENSURE(n < cap, CLAVE_ERR_FORMAT, "db: column %zu too long", col);
    memcpy(dst, v, n + 1);
    st = CLAVE_OK;
done:
    return st;
}

#define USER_COLUMNS                                                                               \
    "SELECT id, party_id, name, role, password_hash, totp_secret, totp_enabled, totp_last_step,"   \
    " failures, last_failure FROM users WHERE "

static clave_status user_from_row(const struct clave_store_rows *r, struct claved_user *u)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char role[16];
    int64_t enabled = 0;
    memset(u, 0, sizeof(*u));
    CLAVE_CHECK(copy_text(r, 0, u->id, sizeof(u->id)));
    CLAVE_CHECK(copy_text(r, 1, u->party_id, sizeof(u->party_id)));
    CLAVE_CHECK(copy_text(r, 2, u->name, sizeof(u->name)));
    CLAVE_CHECK(copy_text(r, 3, role, sizeof(role)));
    u->role = claved_role_parse(role);
    CLAVE_CHECK(copy_text(r, 4, u->password_hash, sizeof(u->password_hash)));
    if (!clave_store_rows_is_null(r, 0, 5)) {
        const uint8_t *b = NULL;
        size_t n = 0;
        CLAVE_CHECK(clave_store_rows_get_blob(r, 0, 5, &b, &n));
        CLAVE_ENSURE(n <= sizeof(u->totp_blob), CLAVE_ERR_FORMAT, "db: totp secret too long");
        memcpy(u->totp_blob, b, n);
        u->totp_blob_len = n;
    }
    CLAVE_CHECK(clave_store_rows_get_int(r, 0, 6, &enabled));
    u->totp_enabled = enabled != 0;
    CLAVE_CHECK(clave_store_rows_get_int(r, 0, 7, &u->totp_last_step));
    CLAVE_CHECK(clave_store_rows_get_int(r, 0, 8, &u->failures));
    CLAVE_CHECK(clave_store_rows_get_int(r, 0, 9, &u->last_failure));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status user_by(struct clave_store *s, const char *sql, const char *key,
                            struct claved_user *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PARAM_TEXT(key)};
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(clave_store_query_one(s, sql, p, N(p), &r));
    CLAVE_CHECK(user_from_row(r, out));
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}

clave_status claved_db_user_by_name(struct clave_store *s, const char *name,
                                    struct claved_user *out)
{
    return user_by(s, USER_COLUMNS "name = ?", name, out);
}

clave_status claved_db_user_by_id(struct clave_store *s, const char *id, struct claved_user *out)
{
    return user_by(s, USER_COLUMNS "id = ?", id, out);
}

clave_status claved_db_user_by_cert(struct clave_store *s, const char *fp, struct claved_user *out)
{
    return user_by(s, USER_COLUMNS "cert_sha256 = ?", fp, out);
}

clave_status claved_db_user_insert(struct clave_store *s, const struct claved_user *u,
                                   const char *cert_fp, int64_t now)
{
    struct clave_store_param p[] = {
        PARAM_TEXT(u->id),
        PARAM_TEXT(u->name),
        PARAM_TEXT(u->party_id),
        PARAM_TEXT(claved_role_name(u->role)),
        PARAM_TEXT(u->password_hash[0] != '\0' ? u->password_hash : NULL),
        PARAM_TEXT(cert_fp),
        PARAM_INT(now),
    };
    return clave_store_exec(s,
                            "INSERT INTO users (id, name, party_id, role, password_hash,"
                            " cert_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            p, N(p), NULL);
}

static clave_status count_query(struct clave_store *s, const char *sql,
                                const struct clave_store_param *p, size_t n, int64_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    *count = 0;
    CLAVE_CHECK(clave_store_query_one(s, sql, p, n, &r));
    CLAVE_CHECK(clave_store_rows_get_int(r, 0, 0, count));
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}

clave_status claved_db_user_count(struct clave_store *s, int64_t *count)
{
    return count_query(s, "SELECT COUNT(*) FROM users", NULL, 0, count);
}

/* Rows of text columns (named by `names`) into a JSON array of objects; `flags` marks 0/1
 * integer columns rendered as booleans. */
static clave_status rows_to_json(const struct clave_store_rows *r, const char *const *names,
                                 size_t ncol, uint32_t flags, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = json_array();
    *out = NULL;
    CLAVE_ENSURE_ALLOC(arr);
    for (size_t i = 0; i < clave_store_rows_count(r); i++) {
        json_t *o = json_object();
        CLAVE_ENSURE_ALLOC(o);
        CLAVE_ENSURE(json_array_append_new(arr, o) == 0, CLAVE_ERR_NOMEM, "out of memory");
        for (size_t c = 0; c < ncol; c++) {
            json_t *v = NULL;
            if (clave_store_rows_is_null(r, i, c)) {
                v = json_null();
            } else if (clave_store_rows_type(r, i, c) == CLAVE_STORE_INT) {
                int64_t x = 0;
                CLAVE_CHECK(clave_store_rows_get_int(r, i, c, &x));
                v = (flags >> c) & 1u ? json_boolean(x != 0) : json_integer(x);
            } else {
                const char *t = NULL;
                CLAVE_CHECK(clave_store_rows_get_text(r, i, c, &t));
                v = json_string(t);
            }
            CLAVE_ENSURE(v != NULL && json_object_set_new(o, names[c], v) == 0, CLAVE_ERR_NOMEM,
                         "out of memory");
        }
    }
    *out = arr;
    arr = NULL;
    st = CLAVE_OK;
done:
    json_decref(arr);
    return st;
}

clave_status claved_db_user_list(struct clave_store *s, const char *party, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const NAMES[] = {"id", "name", "party_id", "role", "totp_enabled"};
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PARAM_TEXT(party)};
    *out = NULL;
    if (party == NULL) {
        CLAVE_CHECK(clave_store_query(s,
                                      "SELECT id, name, party_id, role, totp_enabled FROM users"
                                      " ORDER BY name LIMIT 10000",
                                      NULL, 0, &r));
    } else {
        CLAVE_CHECK(clave_store_query(s,
                                      "SELECT id, name, party_id, role, totp_enabled FROM users"
                                      " WHERE party_id = ? ORDER BY name LIMIT 10000",
                                      p, N(p), &r));
    }
    CLAVE_CHECK(rows_to_json(r, NAMES, N(NAMES), 1u << 4, out));
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}

static clave_status exec_one(struct clave_store *s, const char *sql,
                             const struct clave_store_param *p, size_t n)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t rows = 0;
    CLAVE_CHECK(clave_store_exec(s, sql, p, n, &rows));
    CLAVE_ENSURE(rows == 1, CLAVE_ERR_NOT_FOUND, "db: no such row");
    st = CLAVE_OK;
done:
    return st;
}

clave_status claved_db_user_set_role(struct clave_store *s, const char *id, enum claved_role role)
{
    struct clave_store_param p[] = {PARAM_TEXT(claved_role_name(role)), PARAM_TEXT(id)};
    return exec_one(s, "UPDATE users SET role = ? WHERE id = ?", p, N(p));
}

clave_status claved_db_user_login_result(struct clave_store *s, const char *id, bool ok,
                                         int64_t now)
{
    struct clave_store_param p[] = {PARAM_INT(now), PARAM_TEXT(id)};
    if (ok) {
        return exec_one(s, "UPDATE users SET failures = 0 WHERE id = ?", p + 1, 1);
    }
    return exec_one(s, "UPDATE users SET failures = failures + 1, last_failure = ? WHERE id = ?", p,
                    N(p));
}

clave_status claved_db_user_set_totp(struct clave_store *s, const char *id, const uint8_t *blob,
                                     size_t len, bool enabled)
{
    struct clave_store_param p[] = {clave_store_param_blob(blob, len), PARAM_INT(enabled ? 1 : 0),
                                    PARAM_TEXT(id)};
    return exec_one(s,
                    "UPDATE users SET totp_secret = ?, totp_enabled = ?, totp_last_step = 0"
                    " WHERE id = ?",
                    p, N(p));
}

clave_status claved_db_user_totp_enable(struct clave_store *s, const char *id)
{
    struct clave_store_param p[] = {PARAM_TEXT(id)};
    return exec_one(s, "UPDATE users SET totp_enabled = 1 WHERE id = ?", p, N(p));
}

clave_status claved_db_user_totp_step(struct clave_store *s, const char *id, int64_t step)
{
    struct clave_store_param p[] = {PARAM_INT(step), PARAM_TEXT(id), PARAM_INT(step)};
    /* Compare-and-set: a concurrent login with the same code loses. */
    return exec_one(s, "UPDATE users SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?", p,
                    N(p));
}

clave_status claved_db_session_insert(struct clave_store *s, const char *sid, const char *user,
                                      int64_t now, int64_t exp)
{
    struct clave_store_param p[] = {PARAM_TEXT(sid), PARAM_TEXT(user), PARAM_INT(now),
                                    PARAM_INT(exp)};
    return clave_store_exec(
        s, "INSERT INTO sessions (id, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)", p,
        N(p), NULL);
}

clave_status claved_db_session_check(struct clave_store *s, const char *sid, const char *user,
                                     int64_t now)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t n = 0;
    struct clave_store_param p[] = {PARAM_TEXT(sid), PARAM_TEXT(user), PARAM_INT(now)};
    CLAVE_CHECK(count_query(s,
                            "SELECT COUNT(*) FROM sessions WHERE id = ? AND user_id = ?"
                            " AND revoked = 0 AND expires_at > ?",
                            p, N(p), &n));
    CLAVE_ENSURE(n == 1, CLAVE_ERR_NOT_FOUND, "session revoked or unknown");
    st = CLAVE_OK;
done:
    return st;
}

clave_status claved_db_session_revoke(struct clave_store *s, const char *sid)
{
    struct clave_store_param p[] = {PARAM_TEXT(sid)};
    return exec_one(s, "UPDATE sessions SET revoked = 1 WHERE id = ?", p, N(p));
}

clave_status claved_db_session_active_count(struct clave_store *s, int64_t now, int64_t *count)
{
    struct clave_store_param p[] = {PARAM_INT(now)};
    return count_query(s, "SELECT COUNT(*) FROM sessions WHERE revoked = 0 AND expires_at > ?", p,
                       N(p), count);
}

clave_status claved_db_token_insert(struct clave_store *s, const char *id, const char *user,
                                    const char *name, const uint8_t *hash, int64_t now, int64_t exp)
{
    struct clave_store_param p[] = {
        PARAM_TEXT(id),   PARAM_TEXT(user),
        PARAM_TEXT(name), clave_store_param_blob(hash, CLAVE_API_TOKEN_HASH_LEN),
        PARAM_INT(now),   PARAM_INT(exp)};
    return clave_store_exec(s,
                            "INSERT INTO api_tokens (id, user_id, name, hash, created_at,"
                            " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                            p, N(p), NULL);
}

clave_status claved_db_token_user(struct clave_store *s, const uint8_t *hash, int64_t now,
                                  char user_id[CLAVED_ID_LEN + 1])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {clave_store_param_blob(hash, CLAVE_API_TOKEN_HASH_LEN),
                                    PARAM_INT(now)};
    user_id[0] = '\0';
    CLAVE_CHECK(clave_store_query_one(s,
                                      "SELECT user_id FROM api_tokens WHERE hash = ?"
                                      " AND revoked = 0 AND (expires_at = 0 OR expires_at > ?)",
                                      p, N(p), &r));
    CLAVE_CHECK(copy_text(r, 0, user_id, CLAVED_ID_LEN + 1));
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}

clave_status claved_db_token_list(struct clave_store *s, const char *user, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const NAMES[] = {"id", "name", "created_at", "expires_at", "revoked"};
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PARAM_TEXT(user)};
    CLAVE_CHECK(clave_store_query(s,
                                  "SELECT id, name, created_at, expires_at, revoked FROM"
                                  " api_tokens WHERE user_id = ? ORDER BY created_at LIMIT 1000",
                                  p, N(p), &r));
    CLAVE_CHECK(rows_to_json(r, NAMES, N(NAMES), 1u << 4, out));
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}

clave_status claved_db_token_revoke(struct clave_store *s, const char *id, const char *user)
{
    struct clave_store_param p[] = {PARAM_TEXT(id), PARAM_TEXT(user)};
    if (user == NULL) {
        return exec_one(s, "UPDATE api_tokens SET revoked = 1 WHERE id = ?", p, 1);
    }
    return exec_one(s, "UPDATE api_tokens SET revoked = 1 WHERE id = ? AND user_id = ?", p, N(p));
}

clave_status claved_db_party_insert(struct clave_store *s, const char *id, const char *name,
                                    int64_t now)
{
    struct clave_store_param p[] = {PARAM_TEXT(id), PARAM_TEXT(name), PARAM_INT(now)};
    return clave_store_exec(s, "INSERT INTO parties (id, name, created_at) VALUES (?, ?, ?)", p,
                            N(p), NULL);
}

clave_status claved_db_party_exists(struct clave_store *s, const char *id)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t n = 0;
    struct clave_store_param p[] = {PARAM_TEXT(id)};
    CLAVE_CHECK(count_query(s, "SELECT COUNT(*) FROM parties WHERE id = ?", p, N(p), &n));
    CLAVE_ENSURE(n == 1, CLAVE_ERR_NOT_FOUND, "no such party");
    st = CLAVE_OK;
done:
    return st;
}

clave_status claved_db_party_list(struct clave_store *s, const char *only, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const NAMES[] = {"id", "name", "created_at"};
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PARAM_TEXT(only)};
    if (only == NULL) {
        CLAVE_CHECK(clave_store_query(
            s, "SELECT id, name, created_at FROM parties ORDER BY name LIMIT 10000", NULL, 0, &r));
    } else {
        CLAVE_CHECK(clave_store_query(s, "SELECT id, name, created_at FROM parties WHERE id = ?", p,
                                      N(p), &r));
    }
    CLAVE_CHECK(rows_to_json(r, NAMES, N(NAMES), 0, out));
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}
