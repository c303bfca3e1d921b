/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The prepared statements of one PostgreSQL connection: which (SQL text, parameter types) pairs
 * the server holds as named statements, so that pg.c parses and plans a statement once per
 * connection instead of at every call (PQexecParams). The names are "clave_<n>", unique for the
 * life of the connection. Bounded: when PG_STMTS_MAX statements are held, further ones run
 * unprepared. Only the bookkeeping lives here; pg.c talks to the server.
 */
#include "store/pg_stmts.h"

#include "core/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pg_stmt {
    uint64_t hash;
    char *sql;
    char *types;
    char name[PG_STMT_NAME_MAX];
};

struct pg_stmts {
    struct pg_stmt items[PG_STMTS_MAX];
    size_t count;
    uint64_t next_id;
};

/* FNV-1a over the SQL text, a separator and the type signature. */
static uint64_t key_hash(const char *sql, const char *types)
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = sql; *p != '\0'; p++) {
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    }
    h = (h ^ 0xffu) * 1099511628211ULL;
    for (const char *p = types; *p != '\0'; p++) {
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    }
    return h;
}

clave_status clave__pg_stmts_new(struct pg_stmts **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = calloc(1, sizeof(**out));
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}

void clave__pg_stmts_clear(struct pg_stmts *c)
{
    for (size_t i = 0; c != NULL && i < c->count; i++) {
        free(c->items[i].sql);
        free(c->items[i].types);
    }
    if (c != NULL) {
        c->count = 0;
    }
}

void clave__pg_stmts_free(struct pg_stmts *c)
{
    clave__pg_stmts_clear(c);
    free(c);
}

const char *clave__pg_stmts_find(const struct pg_stmts *c, const char *sql, const char *types)
{
    uint64_t h = key_hash(sql, types);
    for (size_t i = 0; i < c->count; i++) {
        const struct pg_stmt *e = &c->items[i];
        if (e->hash == h && strcmp(e->sql, sql) == 0 && strcmp(e->types, types) == 0) {
            return e->name;
        }
    }
    return NULL;
}

clave_status clave__pg_stmts_add(struct pg_stmts *c, const char *sql, const char *types,
                                 const char **name)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *name = NULL;
    CLAVE_ENSURE(c->count < PG_STMTS_MAX, CLAVE_ERR_LIMIT, "postgres: statement cache full");
    struct pg_stmt *e = &c->items[c->count];
    memset(e, 0, sizeof(*e));
    e->sql = strdup(sql);
    e->types = strdup(types);
    if (e->sql == NULL || e->types == NULL) {
        free(e->sql);
        free(e->types);
        CLAVE_RAISE(CLAVE_ERR_NOMEM, "out of memory");
    }
    e->hash = key_hash(sql, types);
    (void)snprintf(e->name, sizeof(e->name), "clave_%llu", (unsigned long long)++c->next_id);
    c->count++;
    *name = e->name;
    st = CLAVE_OK;
done:
    return st;
}

void clave__pg_stmts_forget(struct pg_stmts *c, const char *name)
{
    for (size_t i = 0; i < c->count; i++) {
        if (strcmp(c->items[i].name, name) == 0) {
            free(c->items[i].sql);
            free(c->items[i].types);
            c->items[i] = c->items[c->count - 1];
            c->count--;
            return;
        }
    }
}
