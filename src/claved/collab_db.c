/* SPDX-License-Identifier: Apache-2.0 */
/* Collaboration tables through clave_store: `?`-parameterised statements only. */
#include "collab_db.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

#define PT clave_store_param_text
#define PI clave_store_param_int
#define N(a) (sizeof(a) / sizeof((a)[0]))
#define LIST_MAX "1000"

/* Schema v1 of module "collab". Times are Unix seconds. A statement's seq is its index in the
 * collaboration's history; the primary key makes concurrent appends of one seq collide. */
#define COLLAB_V1(BLOB)                                                                            \
    "CREATE TABLE collab_collaborations (name TEXT PRIMARY KEY, description TEXT NOT NULL,"        \
    " created_by TEXT NOT NULL, created_at BIGINT NOT NULL);"                                      \
    "CREATE TABLE collab_statements (collaboration TEXT NOT NULL"                                  \
    " REFERENCES collab_collaborations(name), seq BIGINT NOT NULL, statement " BLOB " NOT NULL,"   \
    " created_at BIGINT NOT NULL, PRIMARY KEY (collaboration, seq));"                              \
    "CREATE TABLE collab_uploads (collaboration TEXT NOT NULL, id TEXT NOT NULL,"                  \
    " name TEXT NOT NULL, owner_party TEXT NOT NULL, region TEXT NOT NULL,"                        \
    " schema_json TEXT NOT NULL, row_count BIGINT NOT NULL, created_by TEXT NOT NULL,"             \
    " created_at BIGINT NOT NULL, PRIMARY KEY (collaboration, id));"

static const struct clave_store_migration MIGRATIONS[] = {
    {"collab", 1, COLLAB_V1("BLOB"), COLLAB_V1("BYTEA")},
};

clave_status claved_collab_db_migrate(struct clave_store *s)
{
    return clave_store_migrate(s, MIGRATIONS, N(MIGRATIONS), NULL);
}

clave_status claved_collab_insert(struct clave_store *s, const char *name, const char *description,
                                  const char *by, int64_t now)
{
    struct clave_store_param p[] = {PT(name), PT(description), PT(by), PI(now)};
    return clave_store_exec(s,
                            "INSERT INTO collab_collaborations (name, description, created_by,"
                            " created_at) VALUES (?, ?, ?, ?)",
                            p, N(p), NULL);
}

static clave_status row_json(const struct clave_store_rows *r, size_t i, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *name = NULL;
    const char *desc = NULL;
    const char *by = NULL;
    int64_t at = 0;
    CLAVE_CHECK(clave_store_rows_get_text(r, i, 0, &name));
    CLAVE_CHECK(clave_store_rows_get_text(r, i, 1, &desc));
    CLAVE_CHECK(clave_store_rows_get_text(r, i, 2, &by));
    CLAVE_CHECK(clave_store_rows_get_int(r, i, 3, &at));
    *out = json_pack("{s:s,s:s,s:s,s:I}", "name", name, "description", desc, "created_by", by,
                     "created_at", (json_int_t)at);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}

clave_status claved_collab_json(struct clave_store *s, const char *name, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    json_t *a = NULL;
    struct clave_store_param p[] = {PT(name)};
#define COLS "SELECT name, description, created_by, created_at FROM collab_collaborations"
    *out = NULL;
    if (name != NULL) {
        CLAVE_CHECK(clave_store_query_one(s, COLS " WHERE name = ?", p, 1, &r));
        CLAVE_CHECK(row_json(r, 0, out));
    } else {
        a = json_array();
        CLAVE_ENSURE_ALLOC(a);
        CLAVE_CHECK(clave_store_query(s, COLS " ORDER BY name LIMIT " LIST_MAX, NULL, 0, &r));
#undef COLS
        for (size_t i = 0; i < clave_store_rows_count(r); i++) {
            json_t *o = NULL;
            CLAVE_CHECK(row_json(r, i, &o));
            CLAVE_ENSURE(json_array_append_new(a, o) == 0, CLAVE_ERR_NOMEM, "oom");
        }
        *out = a;
        a = NULL;
    }
    st = CLAVE_OK;
done:
    json_decref(a);
    clave_store_rows_free(r);
    return st;
}

clave_status claved_collab_load(struct clave_store *s, const char *name, struct clave_collab **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    struct clave_collab *c = NULL;
    struct clave_store_param p[] = {PT(name)};
    *out = NULL;
    CLAVE_CHECK(
        clave_store_query_one(s, "SELECT 1 FROM collab_collaborations WHERE name = ?", p, 1, &r));
    clave_store_rows_free(r);
    r = NULL;
    CLAVE_CHECK(clave_collab_new(name, &c));
    CLAVE_CHECK(clave_store_query(s,
                                  "SELECT statement FROM collab_statements WHERE collaboration = ?"
                                  " ORDER BY seq",
                                  p, 1, &r));
    for (size_t i = 0; i < clave_store_rows_count(r); i++) {
        const uint8_t *b = NULL;
        size_t n = 0;
        CLAVE_CHECK(clave_store_rows_get_blob(r, i, 0, &b, &n));
        clave_status vst = clave_collab_append(c, b, n);
        CLAVE_ENSURE(vst == CLAVE_OK, CLAVE_ERR_TAMPERED,
                     "collab: stored statement %zu of %s does not verify", i, name);
    }
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    clave_collab_free(c);
    clave_store_rows_free(r);
    return st;
}

clave_status claved_collab_statement_insert(struct clave_store *s, const char *name, uint64_t seq,
                                            const uint8_t *cose, size_t len, int64_t now)
{
    struct clave_store_param p[] = {PT(name), PI((int64_t)seq), clave_store_param_blob(cose, len),
                                    PI(now)};
    return clave_store_exec(s,
                            "INSERT INTO collab_statements (collaboration, seq, statement,"
                            " created_at) VALUES (?, ?, ?, ?)",
                            p, N(p), NULL);
}

clave_status claved_collab_party_name(struct clave_store *s, const char *party_id, char *out,
                                      size_t cap)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    const char *name = NULL;
    struct clave_store_param p[] = {PT(party_id)};
    out[0] = '\0';
    CLAVE_CHECK(clave_store_query_one(s, "SELECT name FROM parties WHERE id = ?", p, 1, &r));
    CLAVE_CHECK(clave_store_rows_get_text(r, 0, 0, &name));
    CLAVE_ENSURE(strlen(name) < cap, CLAVE_ERR_FORMAT, "party name too long");
    memcpy(out, name, strlen(name) + 1);
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}

clave_status claved_collab_party_exists(struct clave_store *s, const char *name)
{
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PT(name)};
    clave_status st = clave_store_query_one(s, "SELECT id FROM parties WHERE name = ?", p, 1, &r);
    clave_store_rows_free(r);
    return st;
}

clave_status claved_upload_insert(struct clave_store *s, const struct claved_upload *u,
                                  const char *by, int64_t now)
{
    struct clave_store_param p[] = {PT(u->collaboration), PT(u->id),     PT(u->name),
                                    PT(u->owner_party),   PT(u->region), PT(u->schema_json),
                                    PI(u->row_count),     PT(by),        PI(now)};
    return clave_store_exec(s,
                            "INSERT INTO collab_uploads (collaboration, id, name, owner_party,"
                            " region, schema_json, row_count, created_by, created_at)"
                            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            p, N(p), NULL);
}

static clave_status copy_text(const struct clave_store_rows *r, size_t col, char *dst, size_t cap)
{
    const char *v = NULL;
    clave_status st = clave_store_rows_get_text(r, 0, col, &v);
    if (st == CLAVE_OK && strlen(v) >= cap) {
        st = CLAVE_ERR_FORMAT;
    }
    if (st == CLAVE_OK) {
        memcpy(dst, v, strlen(v) + 1);
    }
    return st;
}

clave_status claved_upload_get(struct clave_store *s, const char *collaboration, const char *id,
                               struct claved_upload *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    const char *name = NULL;
    const char *schema = NULL;
    struct clave_store_param p[] = {PT(collaboration), PT(id)};
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(clave_store_query_one(s,
                                      "SELECT collaboration, id, owner_party, region, name,"
                                      " schema_json, row_count FROM collab_uploads"
                                      " WHERE collaboration = ? AND id = ?",
                                      p, N(p), &r));
    CLAVE_CHECK(copy_text(r, 0, out->collaboration, sizeof(out->collaboration)));
    CLAVE_CHECK(copy_text(r, 1, out->id, sizeof(out->id)));
    CLAVE_CHECK(copy_text(r, 2, out->owner_party, sizeof(out->owner_party)));
    CLAVE_CHECK(copy_text(r, 3, out->region, sizeof(out->region)));
    CLAVE_CHECK(clave_store_rows_get_text(r, 0, 4, &name));
    CLAVE_CHECK(clave_store_rows_get_text(r, 0, 5, &schema));
    CLAVE_CHECK(clave_store_rows_get_int(r, 0, 6, &out->row_count));
    out->name = strdup(name);
    out->schema_json = strdup(schema);
    CLAVE_ENSURE(out->name != NULL && out->schema_json != NULL, CLAVE_ERR_NOMEM, "oom");
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        claved_upload_clear(out);
    }
    clave_store_rows_free(r);
    return st;
}

clave_status claved_upload_delete(struct clave_store *s, const char *collaboration, const char *id)
{
    struct clave_store_param p[] = {PT(collaboration), PT(id)};
    return clave_store_exec(s, "DELETE FROM collab_uploads WHERE collaboration = ? AND id = ?", p,
                            N(p), NULL);
}

void claved_upload_clear(struct claved_upload *u)
{
    free(u->name);
    free(u->schema_json);
    memset(u, 0, sizeof(*u));
}
