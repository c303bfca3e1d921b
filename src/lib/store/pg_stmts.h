/* SPDX-License-Identifier: Apache-2.0 */
/* The prepared-statement bookkeeping of one PostgreSQL connection (pg_stmts.c). */
#ifndef CLAVE_STORE_PG_STMTS_H
#define CLAVE_STORE_PG_STMTS_H

#include <clave/status.h>

#include <stddef.h>
#include <stdint.h>

#define PG_STMTS_MAX 256u    /* statements prepared per connection; more run unprepared */
#define PG_STMT_NAME_MAX 32u /* "clave_" and a decimal uint64 */

struct pg_stmts;

clave_status clave__pg_stmts_new(struct pg_stmts **out);
void clave__pg_stmts_free(struct pg_stmts *c); /* NULL is a no-op */
/* Forget every statement (the server forgot them: a new session after a reconnect). */
void clave__pg_stmts_clear(struct pg_stmts *c);
/* The name of the statement prepared for `sql` (the caller's text) with the parameter type
 * signature `types` (one letter per parameter), or NULL. Borrowed until the entry is
 * forgotten. */
const char *clave__pg_stmts_find(const struct pg_stmts *c, const char *sql, const char *types);
/* Record a statement about to be prepared and give its new name (borrowed, as above).
 * CLAVE_ERR_LIMIT when PG_STMTS_MAX are held: run it unprepared. */
clave_status clave__pg_stmts_add(struct pg_stmts *c, const char *sql, const char *types,
                                 const char **name);
/* Drop the entry named `name` (its prepare failed, or the server no longer has it). */
void clave__pg_stmts_forget(struct pg_stmts *c, const char *name);

#endif
