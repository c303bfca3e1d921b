/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CSV loading (RFC 4180): records separated by LF or CRLF, fields by commas; a field is either
 * unquoted (no '"', CR or LF inside) or quoted ("..." with "" for a quote, any byte but NUL
 * inside). NUL bytes are refused everywhere. The first record is the header. Each value is
 * parsed by its declared type and bound to a prepared INSERT; nothing is written but the
 * in-memory table. Cell contents never appear in error details (they are the parties' data).
 */
#include "query/query_int.h"

#include "core/check.h"

#include <openssl/crypto.h>

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum field_end { END_FIELD, END_RECORD, END_INPUT };

struct csv {
    const uint8_t *data;
    size_t len, pos;
    size_t line; /* 1-based record number, for errors */
    char *field; /* CLAVE_QUERY_CSV_FIELD_MAX + 1 bytes, wiped after use */
    size_t field_len;
    bool quoted;
};

/* The terminator after a field: ',' / LF / CRLF / end of input. */
static clave_status terminator(struct csv *c, enum field_end *end)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    if (c->pos == c->len) {
        *end = END_INPUT;
    } else if (c->data[c->pos] == ',') {
        c->pos++;
        *end = END_FIELD;
    } else if (c->data[c->pos] == '\n') {
        c->pos++;
        *end = END_RECORD;
    } else {
        CLAVE_ENSURE(c->data[c->pos] == '\r' && c->len - c->pos >= 2 && c->data[c->pos + 1] == '\n',
                     CLAVE_ERR_FORMAT, "csv: line %zu: unexpected character after a field",
                     c->line);
        c->pos += 2;
        *end = END_RECORD;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status put(struct csv *c, uint8_t b)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(b != 0, CLAVE_ERR_FORMAT, "csv: line %zu: NUL byte", c->line);
    CLAVE_ENSURE(c->field_len < CLAVE_QUERY_CSV_FIELD_MAX, CLAVE_ERR_TOO_LARGE,
                 "csv: line %zu: field longer than %d bytes", c->line, CLAVE_QUERY_CSV_FIELD_MAX);
    c->field[c->field_len++] = (char)b;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status next_field(struct csv *c, enum field_end *end)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    c->field_len = 0;
    c->quoted = c->pos < c->len && c->data[c->pos] == '"';
    if (c->quoted) {
        c->pos++;
        for (;;) {
            CLAVE_ENSURE(c->pos < c->len, CLAVE_ERR_FORMAT, "csv: line %zu: unterminated quote",
                         c->line);
            uint8_t b = c->data[c->pos++];
            if (b == '"') {
                if (c->pos == c->len || c->data[c->pos] != '"') {
                    break;
                }
                c->pos++;
            }
            CLAVE_CHECK(put(c, b));
        }
    } else {
        while (c->pos < c->len && c->data[c->pos] != ',' && c->data[c->pos] != '\n' &&
               c->data[c->pos] != '\r') {
            CLAVE_ENSURE(c->data[c->pos] != '"', CLAVE_ERR_FORMAT,
                         "csv: line %zu: quote inside an unquoted field", c->line);
            CLAVE_CHECK(put(c, c->data[c->pos++]));
        }
    }
    c->field[c->field_len] = '\0';
    CLAVE_CHECK(terminator(c, end));
    st = CLAVE_OK;
done:
    return st;
}

static bool parse_int(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    bool ok = s[0] != '\0' && s[0] != ' ' && s[0] != '\t' && *end == '\0' && errno == 0;
    *out = ok ? (int64_t)v : 0;
    return ok;
}

static bool parse_float(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    bool ok = s[0] != '\0' && s[0] != ' ' && s[0] != '\t' && *end == '\0' && errno != ERANGE &&
              isfinite(v);
    *out = ok ? v : 0.0;
    return ok;
}

static bool parse_bool(const char *s, int64_t *out)
{
    bool t = strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0;
    bool f = strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0;
    *out = t ? 1 : 0;
    return t || f;
}

/* Bind the current field as column `col` (1-based parameter `param`). */
static clave_status bind_field(struct csv *c, sqlite3_stmt *ins, int param,
                               const struct clave_query_column *col)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int64_t i = 0;
    double f = 0.0;
    int rc = SQLITE_OK;
    bool ok = true;
    if (c->field_len == 0 && !(c->quoted && col->type == CLAVE_QUERY_STRING)) {
        rc = sqlite3_bind_null(ins, param);
    } else if (col->type == CLAVE_QUERY_INT || col->type == CLAVE_QUERY_BOOL) {
        ok = col->type == CLAVE_QUERY_INT ? parse_int(c->field, &i) : parse_bool(c->field, &i);
        rc = sqlite3_bind_int64(ins, param, i);
    } else if (col->type == CLAVE_QUERY_FLOAT) {
        ok = parse_float(c->field, &f);
        rc = sqlite3_bind_double(ins, param, f);
    } else {
        ok = col->type != CLAVE_QUERY_DATE || query__valid_date(c->field, c->field_len);
        rc = sqlite3_bind_text(ins, param, c->field, (int)c->field_len, SQLITE_TRANSIENT);
    }
    CLAVE_ENSURE(ok, CLAVE_ERR_FORMAT, "csv: line %zu: column %s: not a valid %s", c->line,
                 col->name, query__type_name(col->type));
    CLAVE_ENSURE(rc == SQLITE_OK, rc == SQLITE_NOMEM ? CLAVE_ERR_NOMEM : CLAVE_ERR_STORE,
                 "csv: line %zu: bind failed", c->line);
    st = CLAVE_OK;
done:
    return st;
}

/* Header: every schema column exactly once; map[i] = schema index of header field i. */
static clave_status read_header(struct csv *c, const struct clave_query_table *t, size_t *map)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    enum field_end end = END_FIELD;
    size_t n = 0;
    CLAVE_ENSURE(c->len > 0, CLAVE_ERR_FORMAT, "csv: empty input (a header is required)");
    if (c->len >= 3 && c->data[0] == 0xEF && c->data[1] == 0xBB && c->data[2] == 0xBF) {
        c->pos = 3; /* UTF-8 byte order mark */
    }
    while (end == END_FIELD) {
        CLAVE_CHECK(next_field(c, &end));
        CLAVE_ENSURE(n < t->column_count, CLAVE_ERR_FORMAT,
                     "csv: header has more fields than the schema's %zu columns", t->column_count);
        size_t k = t->column_count;
        for (size_t j = 0; j < t->column_count; j++) {
            k = strcmp(t->columns[j].name, c->field) == 0 ? j : k; // lint:public (header)
        }
        CLAVE_ENSURE(k < t->column_count, CLAVE_ERR_FORMAT,
                     "csv: header field %zu is not a column of the schema", n + 1);
        for (size_t j = 0; j < n; j++) {
            CLAVE_ENSURE(map[j] != k, CLAVE_ERR_FORMAT, "csv: header names column %s twice",
                         t->columns[k].name);
        }
        map[n++] = k;
    }
    CLAVE_ENSURE(n == t->column_count, CLAVE_ERR_FORMAT,
                 "csv: header has %zu fields, the schema %zu columns", n, t->column_count);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status read_record(struct csv *c, const struct clave_query_table *t, const size_t *map,
                                sqlite3_stmt *ins, sqlite3 *h)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    enum field_end end = END_FIELD;
    size_t n = 0;
    while (end == END_FIELD) {
        CLAVE_CHECK(next_field(c, &end));
        CLAVE_ENSURE(n < t->column_count, CLAVE_ERR_FORMAT, "csv: line %zu: too many fields",
                     c->line);
        CLAVE_CHECK(bind_field(c, ins, (int)map[n] + 1, &t->columns[map[n]]));
        n++;
    }
    CLAVE_ENSURE(n == t->column_count, CLAVE_ERR_FORMAT, "csv: line %zu: %zu fields, expected %zu",
                 c->line, n, t->column_count);
    int rc = sqlite3_step(ins);
    CLAVE_ENSURE(rc == SQLITE_DONE, rc == SQLITE_NOMEM ? CLAVE_ERR_NOMEM : CLAVE_ERR_STORE,
                 "csv: line %zu: insert failed: %s", c->line, sqlite3_errmsg(h));
    (void)sqlite3_reset(ins);
    st = CLAVE_OK;
done:
    return st;
}

static const char *sql_type(clave_query_type t)
{
    return t == CLAVE_QUERY_FLOAT                             ? "REAL"
           : t == CLAVE_QUERY_STRING || t == CLAVE_QUERY_DATE ? "TEXT"
                                                              : "INTEGER";
}

/* CREATE TABLE "ds" ("c1" INTEGER, ...) STRICT and INSERT INTO "ds" VALUES (?, ...). */
static clave_status table_sql(const struct clave_query_table *t, struct query_buf *create,
                              struct query_buf *insert)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    query__buf_add(create, "CREATE TABLE ");
    query__quote_ident(create, t->dataset);
    query__buf_add(insert, "INSERT INTO ");
    query__quote_ident(insert, t->dataset);
    /* "#row" (a name no declared column can have) is the rowid: the row-level unit id. */
    query__buf_add(create, " (\"" QUERY_ROW_COLUMN "\" INTEGER PRIMARY KEY");
    query__buf_add(insert, " VALUES (NULL");
    for (size_t i = 0; i < t->column_count; i++) {
        query__buf_add(create, ", ");
        query__quote_ident(create, t->columns[i].name);
        query__buf_add(create, " ");
        query__buf_add(create, sql_type(t->columns[i].type));
        query__buf_add(insert, ", ?");
    }
    query__buf_add(create, ") STRICT");
    query__buf_add(insert, ")");
    CLAVE_ENSURE(!create->failed && !insert->failed, CLAVE_ERR_NOMEM, "query db: SQL too long");
    st = CLAVE_OK;
done:
    return st;
}

static clave_status load(struct clave_query_db *db, const struct clave_query_table *t,
                         struct csv *c, size_t *map)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct query_buf create = {0}, insert = {0};
    sqlite3 *h = query__db_handle(db);
    sqlite3_stmt *ins = NULL;
    size_t rows = 0;
    CLAVE_CHECK(table_sql(t, &create, &insert));
    CLAVE_ENSURE(sqlite3_exec(h, create.text, NULL, NULL, NULL) == SQLITE_OK, CLAVE_ERR_STORE,
                 "query db: create %s: %s", t->dataset, sqlite3_errmsg(h));
    CLAVE_ENSURE(sqlite3_prepare_v2(h, insert.text, -1, &ins, NULL) == SQLITE_OK, CLAVE_ERR_STORE,
                 "query db: prepare insert: %s", sqlite3_errmsg(h));
    CLAVE_CHECK(read_header(c, t, map));
    while (c->pos < c->len) {
        c->line++;
        CLAVE_ENSURE(++rows <= CLAVE_QUERY_CSV_ROWS_MAX, CLAVE_ERR_TOO_LARGE,
                     "csv: more than %d rows", CLAVE_QUERY_CSV_ROWS_MAX);
        CLAVE_CHECK(read_record(c, t, map, ins, h));
    }
    st = CLAVE_OK;
done:
    sqlite3_finalize(ins);
    free(create.text);
    free(insert.text);
    return st;
}

clave_status clave_query_db_load_csv(struct clave_query_db *db,
                                     const struct clave_query_table *table, const uint8_t *csv,
                                     size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_query_table schema = {0};
    struct csv c = {csv, len, 0, 1, NULL, 0, false};
    size_t *map = NULL;
    bool began = false;
    CLAVE_ENSURE(db != NULL && table != NULL && (csv != NULL || len == 0), CLAVE_ERR_ARG,
                 "query db: NULL argument");
    CLAVE_CHECK(query__db_schema_copy(table, &schema));
    CLAVE_ENSURE(query__db_table(db, schema.dataset) == NULL, CLAVE_ERR_EXISTS,
                 "query db: dataset %s already loaded", schema.dataset);
    c.field = malloc(CLAVE_QUERY_CSV_FIELD_MAX + 1);
    map = calloc(schema.column_count, sizeof(*map));
    CLAVE_ENSURE_ALLOC(c.field);
    CLAVE_ENSURE_ALLOC(map);
    CLAVE_ENSURE(sqlite3_exec(query__db_handle(db), "BEGIN", NULL, NULL, NULL) == SQLITE_OK,
                 CLAVE_ERR_STORE, "query db: begin failed");
    began = true;
    CLAVE_CHECK(load(db, &schema, &c, map));
    CLAVE_ENSURE(sqlite3_exec(query__db_handle(db), "COMMIT", NULL, NULL, NULL) == SQLITE_OK,
                 CLAVE_ERR_STORE, "query db: commit failed");
    began = false;
    if (query__db_register(db, &schema) != CLAVE_OK) {
        struct query_buf drop = {0};
        query__buf_add(&drop, "DROP TABLE ");
        query__quote_ident(&drop, schema.dataset);
        (void)sqlite3_exec(query__db_handle(db), drop.failed ? "" : drop.text, NULL, NULL, NULL);
        free(drop.text);
        CLAVE_RAISE(CLAVE_ERR_NOMEM, "out of memory");
    }
    st = CLAVE_OK;
done:
    if (began) {
        (void)sqlite3_exec(query__db_handle(db), "ROLLBACK", NULL, NULL, NULL);
    }
    if (c.field != NULL) {
        OPENSSL_cleanse(c.field, CLAVE_QUERY_CSV_FIELD_MAX + 1);
    }
    free(c.field);
    free(map);
    query__db_schema_free(&schema);
    return st;
}
