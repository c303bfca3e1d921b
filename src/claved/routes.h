/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one route table. The router, the authorisation check, the OpenAPI agreement test and the
 * authorisation matrix test all read it.
 */
#ifndef CLAVED_ROUTES_H
#define CLAVED_ROUTES_H

#include "claved.h"

typedef void (*claved_handler)(struct claved_ctx *ctx);

/* What a route requires of its caller. Party scope is checked by the handlers against the target
 * object (admin is global; everyone else acts within their own party). */
enum claved_perm {
    CLAVED_PERM_PUBLIC = 0,        /* no credentials */
    CLAVED_PERM_SELF = 1,          /* any authenticated user, acting on themselves */
    CLAVED_PERM_USERS_READ = 2,    /* admin; owner and auditor within their party */
    CLAVED_PERM_USERS_WRITE = 3,   /* admin; owner within their party (never granting admin) */
    CLAVED_PERM_PARTIES_READ = 4,  /* any authenticated user (non-admins see their own party) */
    CLAVED_PERM_PARTIES_WRITE = 5, /* admin */
    CLAVED_PERM_AUDIT = 6,         /* admin, auditor (the log is global) */
    CLAVED_PERM_COLLAB_READ = 7,   /* any authenticated user */
    CLAVED_PERM_COLLAB_WRITE = 8,  /* admin, owner (contracts, approvals, datasets) */
    CLAVED_PERM_ATTESTED = 9,      /* no user credentials: a key broker session cookie or an EAR
                                      token, checked by the handler (401 otherwise) */
};

struct claved_route {
    enum claved_method method;
    const char *pattern; /* "/v1/users/{id}/role" */
    claved_handler handler;
    enum claved_perm perm;
    const char *schema; /* request body schema (see claved_schema_keys), NULL for none,
                           CLAVED_SCHEMA_OCTETS for raw application/octet-stream bytes */
    bool offload;       /* run on the worker pool (store access, Argon2); false: the handler
                           needs no store and runs on the loop thread when the caller's
                           credentials are in its cache (else on a worker) */
    const char *summary;
};

/* The body "schema" of routes that take raw bytes (ctx->req->body) instead of JSON. */
#define CLAVED_SCHEMA_OCTETS "octets"

extern const struct claved_route CLAVED_ROUTES[];
extern const size_t CLAVED_ROUTE_COUNT;

/* Find the route for (method, path). Returns its index, or -1 with *path_known set when the path
 * matches some route under another method (405), or -1 with it unset (404). `params` receives
 * the {param} values copied into `buf` (capacity `cap`). */
int claved_route_match(enum claved_method method, const char *path, const char **params, char *buf,
                       size_t cap, bool *path_known);

bool claved_role_allows(enum claved_role role, enum claved_perm perm);

/* NULL-terminated list of the keys a body schema allows; NULL for an unknown schema. */
const char *const *claved_schema_keys(const char *schema);

const char *claved_method_name(enum claved_method method);

/* Handlers. */
void claved_h_healthz(struct claved_ctx *ctx);
void claved_h_readyz(struct claved_ctx *ctx);
void claved_h_metrics(struct claved_ctx *ctx);
void claved_h_login(struct claved_ctx *ctx);
void claved_h_logout(struct claved_ctx *ctx);
void claved_h_me(struct claved_ctx *ctx);
void claved_h_users_create(struct claved_ctx *ctx);
void claved_h_users_list(struct claved_ctx *ctx);
void claved_h_users_role(struct claved_ctx *ctx);
void claved_h_users_totp(struct claved_ctx *ctx);
void claved_h_tokens_create(struct claved_ctx *ctx);
void claved_h_tokens_list(struct claved_ctx *ctx);
void claved_h_tokens_delete(struct claved_ctx *ctx);
void claved_h_parties_list(struct claved_ctx *ctx);
void claved_h_parties_create(struct claved_ctx *ctx);
void claved_h_audit_key(struct claved_ctx *ctx);
void claved_h_audit_sth(struct claved_ctx *ctx);
void claved_h_audit_checkpoint(struct claved_ctx *ctx);
void claved_h_audit_entries(struct claved_ctx *ctx);
void claved_h_audit_proof(struct claved_ctx *ctx);
void claved_h_audit_consistency(struct claved_ctx *ctx);
void claved_h_audit_export(struct claved_ctx *ctx);
void claved_h_kbs_auth(struct claved_ctx *ctx);
void claved_h_kbs_attest(struct claved_ctx *ctx);
void claved_h_kbs_resource(struct claved_ctx *ctx);
void claved_h_kbs_budget_debit(struct claved_ctx *ctx);
void claved_h_kbs_budget_debits(struct claved_ctx *ctx);
void claved_h_kbs_result(struct claved_ctx *ctx);
void claved_h_kbs_ear_key(struct claved_ctx *ctx);
void claved_h_kbs_key(struct claved_ctx *ctx);
void claved_h_kbs_policy(struct claved_ctx *ctx);
void claved_h_kbs_collateral_refresh(struct claved_ctx *ctx);
void claved_h_contracts_create(struct claved_ctx *ctx);
void claved_h_contracts_get(struct claved_ctx *ctx);
void claved_h_contracts_bundle(struct claved_ctx *ctx);
void claved_h_contracts_approve(struct claved_ctx *ctx);
void claved_h_contracts_revoke(struct claved_ctx *ctx);
void claved_h_contracts_list(struct claved_ctx *ctx);
void claved_h_datasets_create(struct claved_ctx *ctx);
void claved_h_datasets_list(struct claved_ctx *ctx);
void claved_h_datasets_get(struct claved_ctx *ctx);
void claved_h_datasets_put_sealed(struct claved_ctx *ctx);
void claved_h_collabs_create(struct claved_ctx *ctx);
void claved_h_collabs_list(struct claved_ctx *ctx);
void claved_h_collabs_get(struct claved_ctx *ctx);
void claved_h_collabs_member(struct claved_ctx *ctx);
void claved_h_fl_join(struct claved_ctx *ctx);
void claved_h_fl_clients(struct claved_ctx *ctx);
void claved_h_fl_message_get(struct claved_ctx *ctx);
void claved_h_fl_message_post(struct claved_ctx *ctx);
void claved_h_fl_model(struct claved_ctx *ctx);
void claved_h_fl_status(struct claved_ctx *ctx);
void claved_h_fl_keyholder_post(struct claved_ctx *ctx);
void claved_h_fl_keyholder_message_get(struct claved_ctx *ctx);
void claved_h_fl_keyholder_message_post(struct claved_ctx *ctx);
void claved_h_recipients_register(struct claved_ctx *ctx);
void claved_h_recipients_list(struct claved_ctx *ctx);
void claved_h_recipients_party(struct claved_ctx *ctx);

#endif
