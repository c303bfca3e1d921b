/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz the store's checks on what callers hand it: the first byte picks a mode, the rest is
 *   0: SQL text -> the refusal check and the PostgreSQL `?` -> `$n` rewrite. Invariants: accepted
 *      text holds no quote, `$`, `;`, backslash or comment; the rewrite has no `?` left outside
 *      identifiers and every `$` it adds is one of $1..$n.
 *   1: a text parameter -> `SELECT ?` on SQLite. Invariant: accepted text comes back byte for
 *      byte and holds no NUL; anything refused is refused as CLAVE_ERR_ENCODING.
 *   2: a blob parameter -> `SELECT ?`: comes back byte for byte, NULs included.
 *   3: a blob id -> clave_blob_id_valid: accepted only if 64 characters of [0-9a-f].
 */
#include "store/store_internal.h"

#include <clave/blob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct clave_store *the_store(void)
{
    static struct clave_store *store;
    static char path[64];
    if (store == NULL) {
        char dir[] = "/tmp/clave-fuzz-store-XXXXXX";
        if (mkdtemp(dir) == NULL) {
            abort();
        }
        (void)snprintf(path, sizeof(path), "%s/fuzz.db", dir);
        struct clave_store_config cfg = {.backend = CLAVE_STORE_SQLITE, .sqlite_path = path};
        if (clave_store_open(&cfg, &store) != CLAVE_OK) {
            abort();
        }
    }
    return store;
}

static void fuzz_sql(const char *sql)
{
    size_t count = 0;
    char *pg = NULL;
    if (clave__store_check_sql(sql, &count) != CLAVE_OK) {
        return;
    }
    if (strpbrk(sql, "'$;\\") != NULL || strstr(sql, "--") != NULL || strstr(sql, "/*") != NULL) {
        abort();
    }
    if (clave__store_pg_rewrite(sql, count, &pg) != CLAVE_OK) {
        abort();
    }
    bool in_ident = false;
    for (const char *p = pg; *p != '\0'; p++) {
        if (*p == '"') {
            in_ident = !in_ident;
        } else if (*p == '?' && !in_ident) {
            abort();
        } else if (*p == '$') {
            char *end = NULL;
            unsigned long k = strtoul(p + 1, &end, 10);
            if (end == p + 1 || k == 0 || k > count) {
                abort();
            }
        }
    }
    free(pg);
}

static void fuzz_param(struct clave_store_param param, const uint8_t *bytes, size_t len)
{
    struct clave_store_rows *rows = NULL;
    clave_status st = clave_store_query(the_store(), "SELECT ?", &param, 1, &rows);
    if (st == CLAVE_ERR_ENCODING && param.type == CLAVE_STORE_TEXT) {
        return;
    }
    if (st != CLAVE_OK) {
        abort();
    }
    const uint8_t *out = NULL;
    size_t out_len = 0;
    if (clave_store_rows_get_blob(rows, 0, 0, &out, &out_len) != CLAVE_OK || out_len != len ||
        (len > 0 && memcmp(out, bytes, len) != 0)) { // lint:public
        abort();
    }
    if (param.type == CLAVE_STORE_TEXT && memchr(bytes, 0, len) != NULL) {
        abort(); /* text with a NUL must have been refused */
    }
    clave_store_rows_free(rows);
}

static void fuzz_blob_id(const char *id)
{
    if (!clave_blob_id_valid(id)) {
        return;
    }
    if (strlen(id) != CLAVE_BLOB_ID_LEN || strspn(id, "0123456789abcdef") != CLAVE_BLOB_ID_LEN) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) {
        return 0;
    }
    const uint8_t *rest = data + 1;
    size_t len = size - 1;
    char *text = malloc(len + 1);
    if (text == NULL) {
        return 0;
    }
    memcpy(text, rest, len);
    text[len] = '\0';
    switch (data[0] % 4) {
    case 0:
        fuzz_sql(text);
        break;
    case 1:
        fuzz_param(clave_store_param_textn((const char *)rest, len), rest, len);
        break;
    case 2:
        fuzz_param(clave_store_param_blob(rest, len), rest, len);
        break;
    default:
        fuzz_blob_id(text);
        break;
    }
    free(text);
    return 0;
}
