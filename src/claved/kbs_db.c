/* SPDX-License-Identifier: Apache-2.0 */
/* Key broker tables through clave_store: `?`-parameterised statements only. */
#include "kbs_db.h"

#include "core/check.h"

#include <stdlib.h>
#include <string.h>

#define PT clave_store_param_text
#define PI clave_store_param_int
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Schema v1 of module "kbs". Times are Unix seconds; hashes are lowercase hex. */
#define KBS_V1(BLOB)                                                                               \
    "CREATE TABLE kbs_contracts (id TEXT PRIMARY KEY, collaboration TEXT NOT NULL,"                \
    " bundle " BLOB " NOT NULL, created_by TEXT NOT NULL, created_at BIGINT NOT NULL);"            \
    "CREATE INDEX kbs_contracts_collab ON kbs_contracts(collaboration, created_at);"               \
    "CREATE TABLE kbs_datasets (collaboration TEXT NOT NULL, id TEXT NOT NULL,"                    \
    " name TEXT NOT NULL, owner_party TEXT NOT NULL, region TEXT NOT NULL,"                        \
    " sha256 TEXT NOT NULL, dek_id TEXT NOT NULL, schema_json TEXT NOT NULL,"                      \
    " row_count BIGINT NOT NULL, size BIGINT NOT NULL, wrapped " BLOB " NOT NULL,"                 \
    " created_at BIGINT NOT NULL, PRIMARY KEY (collaboration, id));"                               \
    "CREATE TABLE kbs_sessions (id TEXT PRIMARY KEY, nonce TEXT NOT NULL, tee TEXT NOT NULL,"      \
    " created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,"                                     \
    " attested INTEGER NOT NULL DEFAULT 0, tee_pubkey TEXT, claims TEXT,"                          \
    " token_sha256 TEXT UNIQUE);"                                                                  \
    "CREATE INDEX kbs_sessions_expiry ON kbs_sessions(expires_at);"                                \
    "CREATE TABLE kbs_evidence_seen (sha256 TEXT PRIMARY KEY, seen_at BIGINT NOT NULL);"

static const struct clave_store_migration MIGRATIONS[] = {
    {"kbs", 1, KBS_V1("BLOB"), KBS_V1("BYTEA")},
};

clave_status claved_kbs_db_migrate(struct clave_store *s)
{
    return clave_store_migrate(s, MIGRATIONS, N(MIGRATIONS), NULL);
}

static clave_status id_hex(const struct clave_contract *c, char hex[65])
{
    return clave_hex_encode(clave_contract_id(c), CLAVE_CONTRACT_ID_LEN, hex, 65);
}

clave_status claved_kbs_contract_insert(struct clave_store *s, const struct clave_contract *c,
                                        const char *by, int64_t now)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *bundle = NULL;
    size_t len = 0;
    char hex[65];
    CLAVE_CHECK(id_hex(c, hex));
    CLAVE_CHECK(clave_contract_bundle_export(c, &bundle, &len));
    struct clave_store_param p[] = {PT(hex), PT(clave_contract_collaboration(c)),
                                    clave_store_param_blob(bundle, len), PT(by), PI(now)};
    CLAVE_CHECK(clave_store_exec(s,
                                 "INSERT INTO kbs_contracts (id, collaboration, bundle, created_by,"
                                 " created_at) VALUES (?, ?, ?, ?, ?)",
                                 p, N(p), NULL));
    st = CLAVE_OK;
done:
    free(bundle);
    return st;
}

clave_status claved_kbs_contract_load(struct clave_store *s, const char *hex,
                                      struct clave_contract **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    const uint8_t *b = NULL;
    size_t n = 0;
    struct clave_store_param p[] = {PT(hex)};
    *out = NULL;
    CLAVE_CHECK(
        clave_store_query_one(s, "SELECT bundle FROM kbs_contracts WHERE id = ?", p, 1, &r));
    CLAVE_CHECK(clave_store_rows_get_blob(r, 0, 0, &b, &n));
    CLAVE_CHECK(clave_contract_bundle_parse(b, n, out));
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}

clave_status claved_kbs_contract_store(struct clave_store *s, const struct clave_contract *c)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *bundle = NULL;
    size_t len = 0;
    char hex[65];
    int64_t rows = 0;
    CLAVE_CHECK(id_hex(c, hex));
    CLAVE_CHECK(clave_contract_bundle_export(c, &bundle, &len));
    struct clave_store_param p[] = {clave_store_param_blob(bundle, len), PT(hex)};
    CLAVE_CHECK(
        clave_store_exec(s, "UPDATE kbs_contracts SET bundle = ? WHERE id = ?", p, 2, &rows));
    CLAVE_ENSURE(rows == 1, CLAVE_ERR_NOT_FOUND, "kbs: no such contract");
    st = CLAVE_OK;
done:
    free(bundle);
    return st;
}

clave_status claved_kbs_contract_ids(struct clave_store *s, const char *collaboration, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PT(collaboration)};
    json_t *a = json_array();
    *out = NULL;
    CLAVE_ENSURE_ALLOC(a);
    CLAVE_CHECK(clave_store_query(s,
                                  "SELECT id FROM kbs_contracts WHERE collaboration = ?"
                                  " ORDER BY created_at, id LIMIT 64",
                                  p, 1, &r));
    for (size_t i = 0; i < clave_store_rows_count(r); i++) {
        const char *id = NULL;
        CLAVE_CHECK(clave_store_rows_get_text(r, i, 0, &id));
        CLAVE_ENSURE(json_array_append_new(a, json_string(id)) == 0, CLAVE_ERR_NOMEM, "oom");
    }
    *out = a;
    a = NULL;
    st = CLAVE_OK;
done:
    json_decref(a);
    clave_store_rows_free(r);
    return st;
}

clave_status claved_kbs_contract_bundles(struct clave_store *s, const char *collaboration,
                                         struct clave_store_rows **out)
{
    struct clave_store_param p[] = {PT(collaboration)};
    return clave_store_query(s,
                             "SELECT id, bundle FROM kbs_contracts WHERE collaboration = ?"
                             " ORDER BY created_at, id LIMIT 64",
                             p, 1, out);
}

clave_status claved_kbs_dataset_insert(struct clave_store *s, const struct claved_kbs_dataset *d,
                                       const char *name, const char *schema_json, int64_t row_count,
                                       uint64_t size, int64_t now)
{
    char sha[65];
    clave_status st = clave_hex_encode(d->sha256, 32, sha, sizeof(sha));
    if (st != CLAVE_OK) {
        return st;
    }
    struct clave_store_param p[] = {PT(d->collaboration),
                                    PT(d->id),
                                    PT(name),
                                    PT(d->owner_party),
                                    PT(d->region),
                                    PT(sha),
                                    PT(d->dek_id),
                                    PT(schema_json),
                                    PI(row_count),
                                    PI((int64_t)size),
                                    clave_store_param_blob(d->wrapped, d->wrapped_len),
                                    PI(now)};
    return clave_store_exec(
        s,
        "INSERT INTO kbs_datasets (collaboration, id, name, owner_party, region,"
        " sha256, dek_id, schema_json, row_count, size, wrapped, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        p, N(p), NULL);
}

static clave_status copy_col(const struct clave_store_rows *r, size_t col, char *dst, size_t cap)
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

clave_status claved_kbs_dataset_get(struct clave_store *s, const char *collaboration,
                                    const char *id, struct claved_kbs_dataset *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PT(collaboration), PT(id)};
    char sha[65];
    const uint8_t *w = NULL;
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(clave_store_query_one(s,
                                      "SELECT collaboration, id, owner_party, region, sha256,"
                                      " dek_id, wrapped FROM kbs_datasets"
                                      " WHERE collaboration = ? AND id = ?",
                                      p, 2, &r));
    CLAVE_CHECK(copy_col(r, 0, out->collaboration, sizeof(out->collaboration)));
    CLAVE_CHECK(copy_col(r, 1, out->id, sizeof(out->id)));
    CLAVE_CHECK(copy_col(r, 2, out->owner_party, sizeof(out->owner_party)));
    CLAVE_CHECK(copy_col(r, 3, out->region, sizeof(out->region)));
    CLAVE_CHECK(copy_col(r, 4, sha, sizeof(sha)));
    CLAVE_CHECK(clave_hex_decode(sha, 64, out->sha256, 32, &n));
    CLAVE_CHECK(copy_col(r, 5, out->dek_id, sizeof(out->dek_id)));
    CLAVE_CHECK(clave_store_rows_get_blob(r, 0, 6, &w, &n));
    out->wrapped = malloc(n + 1);
    CLAVE_ENSURE_ALLOC(out->wrapped);
    memcpy(out->wrapped, w, n);
    out->wrapped[n] = 0;
    out->wrapped_len = n;
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}

void claved_kbs_dataset_clear(struct claved_kbs_dataset *d)
{
    free(d->wrapped);
    memset(d, 0, sizeof(*d));
}

static clave_status dataset_row_json(const struct clave_store_rows *r, size_t i, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *t[8] = {NULL};
    int64_t rows = 0;
    int64_t size = 0;
    json_t *schema = NULL;
    for (size_t c = 0; c < 8; c++) {
        CLAVE_CHECK(clave_store_rows_get_text(r, i, c, &t[c]));
    }
    CLAVE_CHECK(clave_store_rows_get_int(r, i, 8, &rows));
    CLAVE_CHECK(clave_store_rows_get_int(r, i, 9, &size));
    schema = json_loads(t[7], 0, NULL);
    *out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:I,s:I}", "collaboration", t[0], "id", t[1],
                     "name", t[2], "owner_party", t[3], "region", t[4], "sha256", t[5],
                     "sealed_key_id", t[6], "schema", schema != NULL ? schema : json_object(),
                     "row_count", (json_int_t)rows, "size", (json_int_t)size);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}

clave_status claved_kbs_dataset_json(struct clave_store *s, const char *collaboration,
                                     const char *id, json_t **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    json_t *a = NULL;
    struct clave_store_param p[] = {PT(collaboration), PT(id)};
#define COLS                                                                                       \
    "SELECT collaboration, id, name, owner_party, region, sha256, dek_id, schema_json, row_count," \
    " size FROM kbs_datasets WHERE collaboration = ?"
    *out = NULL;
    if (id != NULL) {
        CLAVE_CHECK(clave_store_query_one(s, COLS " AND id = ?", p, 2, &r));
        CLAVE_CHECK(dataset_row_json(r, 0, out));
    } else {
        a = json_array();
        CLAVE_ENSURE_ALLOC(a);
        CLAVE_CHECK(clave_store_query(s, COLS " ORDER BY id LIMIT 1000", p, 1, &r));
#undef COLS
        for (size_t i = 0; i < clave_store_rows_count(r); i++) {
            json_t *o = NULL;
            CLAVE_CHECK(dataset_row_json(r, i, &o));
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

clave_status claved_kbs_session_count(struct clave_store *s, int64_t now, int64_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PI(now)};
    CLAVE_CHECK(clave_store_query_one(s, "SELECT COUNT(*) FROM kbs_sessions WHERE expires_at > ?",
                                      p, 1, &r));
    CLAVE_CHECK(clave_store_rows_get_int(r, 0, 0, count));
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}

clave_status claved_kbs_session_purge(struct clave_store *s, int64_t now)
{
    struct clave_store_param d[] = {PI(now)};
    return clave_store_exec(s, "DELETE FROM kbs_sessions WHERE expires_at <= ?", d, 1, NULL);
}

struct session_row {
    const char *sid, *nonce, *tee;
    int64_t now, exp;
};

static clave_status session_insert_tx(struct clave_store *s, void *arg)
{
    const struct session_row *r = arg;
    struct clave_store_param p[] = {PT(r->sid), PT(r->nonce), PT(r->tee), PI(r->now), PI(r->exp)};
    return clave_store_exec(s,
                            "INSERT INTO kbs_sessions (id, nonce, tee, created_at, expires_at)"
                            " VALUES (?, ?, ?, ?, ?)",
                            p, N(p), NULL);
}

clave_status claved_kbs_session_insert(struct clave_store *s, const char *sid, const char *nonce,
                                       const char *tee, int64_t now, int64_t exp)
{
    /* SQLite: visible to every connection at once, but not fsynced on its own: after a power
     * loss a client may find its unattested session gone (401) and start again with /auth. The
     * attestation that follows commits synced, which makes the session durable with it.
     * PostgreSQL: one autocommit statement (a SERIALIZABLE transaction would conflict with the
     * concurrent attestations' reads of kbs_sessions; its own group commit makes the flush
     * cheap). */
    struct session_row r = {sid, nonce, tee, now, exp};
    if (clave_store_backend_of(s) != CLAVE_STORE_SQLITE) {
        return session_insert_tx(s, &r);
    }
    return clave_store_tx_run(s, CLAVE_STORE_TX_WRITE_NOSYNC, session_insert_tx, &r, 5);
}

clave_status claved_kbs_session_get(struct clave_store *s, const char *sid, int64_t now,
                                    struct claved_kbs_session *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PT(sid), PI(now)};
    int64_t attested = 0;
    json_t *claims = NULL;
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(clave_store_query_one(s,
                                      "SELECT nonce, tee, expires_at, attested, tee_pubkey, claims"
                                      " FROM kbs_sessions WHERE id = ? AND expires_at > ?",
                                      p, 2, &r));
    CLAVE_CHECK(copy_col(r, 0, out->nonce, sizeof(out->nonce)));
    CLAVE_CHECK(copy_col(r, 1, out->tee, sizeof(out->tee)));
    CLAVE_CHECK(clave_store_rows_get_int(r, 0, 2, &out->expires_at));
    CLAVE_CHECK(clave_store_rows_get_int(r, 0, 3, &attested));
    out->attested = attested != 0;
    if (out->attested) {
        const char *pk = NULL;
        const char *cj = NULL;
        CLAVE_CHECK(clave_store_rows_get_text(r, 0, 4, &pk));
        CLAVE_CHECK(clave_store_rows_get_text(r, 0, 5, &cj));
        out->tee_pubkey = strdup(pk);
        CLAVE_ENSURE_ALLOC(out->tee_pubkey);
        claims = json_loads(cj, 0, NULL);
        CLAVE_ENSURE(claims != NULL, CLAVE_ERR_FORMAT, "kbs: stored claims unreadable");
        CLAVE_CHECK(clave_kbs_claims_from_json(claims, &out->claims));
    }
    st = CLAVE_OK;
done:
    json_decref(claims);
    clave_store_rows_free(r);
    return st;
}

clave_status claved_kbs_session_by_token(struct clave_store *s, const char *token_sha256,
                                         int64_t now, char sid[CLAVED_KBS_SID_LEN + 1])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PT(token_sha256), PI(now)};
    CLAVE_CHECK(clave_store_query_one(s,
                                      "SELECT id FROM kbs_sessions WHERE token_sha256 = ?"
                                      " AND attested = 1 AND expires_at > ?",
                                      p, 2, &r));
    CLAVE_CHECK(copy_col(r, 0, sid, CLAVED_KBS_SID_LEN + 1));
    st = CLAVE_OK;
done:
    clave_store_rows_free(r);
    return st;
}

void claved_kbs_session_clear(struct claved_kbs_session *x)
{
    free(x->tee_pubkey);
    memset(x, 0, sizeof(*x));
}

static clave_status attest_tx(struct clave_store *s, void *arg)
{
    struct claved_kbs_attest_record *a = arg;
    int64_t rows = 0;
    struct clave_store_param e[] = {PT(a->evidence_sha256), PI(a->now)};
    clave_status st = clave_store_exec(
        s, "INSERT INTO kbs_evidence_seen (sha256, seen_at) VALUES (?, ?)", e, 2, NULL);
    if (st != CLAVE_OK) {
        return st;
    }
    struct clave_store_param p[] = {PT(a->tee_pubkey), PT(a->claims_json), PT(a->token_sha256),
                                    PT(a->sid), PI(a->now)};
    st = clave_store_exec(s,
                          "UPDATE kbs_sessions SET attested = 1, tee_pubkey = ?, claims = ?,"
                          " token_sha256 = ? WHERE id = ? AND expires_at > ? AND attested = 0",
                          p, N(p), &rows);
    if (st != CLAVE_OK || rows != 1) {
        return st == CLAVE_OK ? CLAVE_ERR_NOT_FOUND : st;
    }
    if (a->audit == NULL) {
        return CLAVE_OK;
    }
    /* The audit entry commits with the attestation, or neither does. */
    st = clave_ledger_append_in_tx(a->ledger, (const uint8_t *)a->audit, strlen(a->audit),
                                   &a->audit_index);
    if (st == CLAVE_ERR_EXISTS) { /* a concurrent append took the index: run it again */
        st = CLAVE_ERR_CONFLICT;
    }
    a->audit_failed = st != CLAVE_OK && st != CLAVE_ERR_CONFLICT;
    return st;
}

clave_status claved_kbs_session_attest(struct clave_store *s, struct claved_kbs_attest_record *r)
{
    r->audit_failed = false;
    r->audit_index = 0;
    /* As many retries as a ledger append of its own: concurrent appends conflict on PostgreSQL. */
    return clave_store_tx_run(s, CLAVE_STORE_TX_WRITE, attest_tx, r, 20);
}

clave_status claved_kbs_evidence_seen(struct clave_store *s, const char *evidence_sha256,
                                      bool *seen)
{
    struct clave_store_rows *r = NULL;
    struct clave_store_param p[] = {PT(evidence_sha256)};
    clave_status st =
        clave_store_query(s, "SELECT 1 FROM kbs_evidence_seen WHERE sha256 = ?", p, 1, &r);
    *seen = st == CLAVE_OK && clave_store_rows_count(r) > 0;
    clave_store_rows_free(r);
    return st;
}
