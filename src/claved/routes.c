/* SPDX-License-Identifier: Apache-2.0 */
/* The route table, path matching and the role -> permission map. */
#include "routes.h"

#include <string.h>

#define P(perm) CLAVED_PERM_##perm

const struct claved_route CLAVED_ROUTES[] = {
    {CLAVED_GET, "/healthz", claved_h_healthz, P(PUBLIC), NULL, false, "Liveness"},
    {CLAVED_GET, "/readyz", claved_h_readyz, P(PUBLIC), NULL, true, "Readiness (store reachable)"},
    {CLAVED_GET, "/metrics", claved_h_metrics, P(PUBLIC), NULL, true, "Prometheus metrics"},
    {CLAVED_POST, "/v1/login", claved_h_login, P(PUBLIC), "login", true,
     "Log in with a password (+ TOTP) or a registered client certificate"},
    {CLAVED_POST, "/v1/logout", claved_h_logout, P(SELF), NULL, true, "Revoke this session"},
    {CLAVED_GET, "/v1/me", claved_h_me, P(SELF), NULL, false, "The calling user"},
    {CLAVED_POST, "/v1/users", claved_h_users_create, P(USERS_WRITE), "user_create", true,
     "Create a user"},
    {CLAVED_GET, "/v1/users", claved_h_users_list, P(USERS_READ), NULL, true, "List users"},
    {CLAVED_PUT, "/v1/users/{id}/role", claved_h_users_role, P(USERS_WRITE), "user_role", true,
     "Change a user's role"},
    {CLAVED_POST, "/v1/users/{id}/totp", claved_h_users_totp, P(SELF), "totp", true,
     "Enrol (no code) or confirm (code) a TOTP second factor"},
    {CLAVED_POST, "/v1/tokens", claved_h_tokens_create, P(SELF), "token_create", true,
     "Create an API token for the caller"},
    {CLAVED_GET, "/v1/tokens", claved_h_tokens_list, P(SELF), NULL, true,
     "List the caller's API tokens"},
    {CLAVED_DELETE, "/v1/tokens/{id}", claved_h_tokens_delete, P(SELF), NULL, true,
     "Revoke an API token"},
    {CLAVED_GET, "/v1/parties", claved_h_parties_list, P(PARTIES_READ), NULL, true, "List parties"},
    {CLAVED_POST, "/v1/parties", claved_h_parties_create, P(PARTIES_WRITE), "party_create", true,
     "Create a party"},
    {CLAVED_GET, "/v1/audit/key", claved_h_audit_key, P(AUDIT), NULL, true,
     "The audit log's Ed25519 public key (PEM)"},
    {CLAVED_GET, "/v1/audit/sth", claved_h_audit_sth, P(AUDIT), NULL, true,
     "The latest signed tree head"},
    {CLAVED_POST, "/v1/audit/checkpoint", claved_h_audit_checkpoint, P(AUDIT), NULL, true,
     "Sign a tree head now"},
    {CLAVED_GET, "/v1/audit/entries", claved_h_audit_entries, P(AUDIT), NULL, true,
     "A page of entries (?start=&end=)"},
    {CLAVED_GET, "/v1/audit/entries/{i}/proof", claved_h_audit_proof, P(AUDIT), NULL, true,
     "Inclusion proof of entry i (?tree_size=)"},
    {CLAVED_GET, "/v1/audit/consistency", claved_h_audit_consistency, P(AUDIT), NULL, true,
     "Consistency proof between two tree sizes (?first=&second=)"},
    {CLAVED_GET, "/v1/audit/export", claved_h_audit_export, P(AUDIT), NULL, true,
     "The log as JSON lines (?size=)"},
    {CLAVED_POST, "/v1/contracts", claved_h_contracts_create, P(COLLAB_WRITE), "contract_create",
     true, "Submit a contract bundle (canonical CBOR, base64url)"},
    {CLAVED_GET, "/v1/contracts/{id}", claved_h_contracts_get, P(COLLAB_READ), NULL, true,
     "A contract, its state now and its document"},
    {CLAVED_GET, "/v1/contracts/{id}/bundle", claved_h_contracts_bundle, P(COLLAB_READ), NULL, true,
     "The portable bundle with every approval and revocation"},
    {CLAVED_POST, "/v1/contracts/{id}/approvals", claved_h_contracts_approve, P(COLLAB_WRITE),
     "contract_statement", true, "Add a party's approval (COSE_Sign1)"},
    {CLAVED_POST, "/v1/contracts/{id}/revocations", claved_h_contracts_revoke, P(COLLAB_WRITE),
     "contract_statement", true, "Add a party's revocation (COSE_Sign1)"},
    {CLAVED_GET, "/v1/collaborations/{c}/contracts", claved_h_contracts_list, P(COLLAB_READ), NULL,
     true, "The collaboration's contract ids"},
    {CLAVED_POST, "/v1/collaborations/{c}/datasets", claved_h_datasets_create, P(COLLAB_WRITE),
     "dataset_create", true, "Upload a sealed dataset with its metadata"},
    {CLAVED_GET, "/v1/collaborations/{c}/datasets", claved_h_datasets_list, P(COLLAB_READ), NULL,
     true, "The collaboration's datasets (metadata)"},
    {CLAVED_GET, "/v1/collaborations/{c}/datasets/{id}", claved_h_datasets_get, P(COLLAB_READ),
     NULL, true, "One dataset's metadata"},
    {CLAVED_POST, "/v1/collaborations", claved_h_collabs_create, P(COLLAB_WRITE), "collab_create",
     true, "Create a collaboration (no members until its first signed statement)"},
    {CLAVED_GET, "/v1/collaborations", claved_h_collabs_list, P(COLLAB_READ), NULL, true,
     "List collaborations"},
    {CLAVED_GET, "/v1/collaborations/{c}", claved_h_collabs_get, P(COLLAB_READ), NULL, true,
     "A collaboration, its members and its signed membership history"},
    {CLAVED_POST, "/v1/collaborations/{c}/members", claved_h_collabs_member, P(COLLAB_WRITE),
     "collab_statement", true, "Append a signed membership statement (add, remove, rekey)"},
    {CLAVED_POST, "/v1/collaborations/{c}/recipients", claved_h_recipients_register,
     P(COLLAB_WRITE), "recipient_register", true,
     "Register a member party's recipient public key (JWK) for thumbprint-named recipients"},
    {CLAVED_GET, "/v1/collaborations/{c}/recipients", claved_h_recipients_list, P(COLLAB_READ),
     NULL, true, "The collaboration's registered recipient keys (public JWKs, thumbprints)"},
    {CLAVED_GET, "/v1/collaborations/{c}/recipients/{party}", claved_h_recipients_party,
     P(COLLAB_READ), NULL, true, "One party's registered recipient keys"},
    {CLAVED_PUT, "/v1/collaborations/{c}/datasets/{id}/sealed", claved_h_datasets_put_sealed,
     P(COLLAB_WRITE), CLAVED_SCHEMA_OCTETS, true,
     "One part of a dataset's sealed file (?offset=N; &final=1 on the last part)"},
    {CLAVED_POST, "/v1/fl/{contract}/clients", claved_h_fl_join, P(COLLAB_READ), "fl_join", true,
     "Join an FL contract's federation as a client of the caller's (member) party"},
    {CLAVED_GET, "/v1/fl/{contract}/clients", claved_h_fl_clients, P(COLLAB_READ), NULL, true,
     "The federation's clients and their Ed25519 keys (the SecAgg+ directory)"},
    {CLAVED_GET, "/v1/fl/{contract}/clients/{id}/message", claved_h_fl_message_get, P(COLLAB_READ),
     NULL, true, "The FL message waiting for this client (octets), or 202 (wait) / 410 (finished)"},
    {CLAVED_POST, "/v1/fl/{contract}/clients/{id}/message", claved_h_fl_message_post,
     P(COLLAB_READ), CLAVED_SCHEMA_OCTETS, true,
     "This client's answer for the current phase (an FL message, octets)"},
    {CLAVED_POST, "/v1/fl/{contract}/keyholder", claved_h_fl_keyholder_post, P(COLLAB_READ),
     "fl_keyholder", true,
     "Register a paillier federation's key (the contract's key_holder party only, with its "
     "key-holder statement)"},
    {CLAVED_GET, "/v1/fl/{contract}/keyholder/message", claved_h_fl_keyholder_message_get,
     P(COLLAB_READ), NULL, true,
     "The AGGREGATE waiting for the key holder (octets), or 202 (wait) / 410 (finished)"},
    {CLAVED_POST, "/v1/fl/{contract}/keyholder/message", claved_h_fl_keyholder_message_post,
     P(COLLAB_READ), CLAVED_SCHEMA_OCTETS, true,
     "The key holder's SUM for the round's aggregate (an FL message, octets)"},
    {CLAVED_GET, "/v1/fl/{contract}/model", claved_h_fl_model, P(COLLAB_READ), NULL, true,
     "The federation's current global model (docs/formats/model.md)"},
    {CLAVED_GET, "/v1/fl/{contract}/status", claved_h_fl_status, P(COLLAB_READ), NULL, true,
     "The federation: state, round, phase, per-round history"},
    {CLAVED_GET, "/v1/kbs/key", claved_h_kbs_key, P(PUBLIC), NULL, false,
     "The broker's public JWK (seal dataset keys to it)"},
    {CLAVED_GET, "/v1/kbs/ear-key", claved_h_kbs_ear_key, P(PUBLIC), NULL, false,
     "The public key that signs EAR tokens (PEM; verifies result receipts offline)"},
    {CLAVED_GET, "/v1/kbs/policy", claved_h_kbs_policy, P(COLLAB_READ), NULL, false,
     "The key broker's release policy settings"},
    {CLAVED_POST, "/v1/kbs/collateral/refresh", claved_h_kbs_collateral_refresh, P(PARTIES_WRITE),
     NULL, true, "Re-read kbs_collateral_dir now (admin)"},
    {CLAVED_POST, "/kbs/v0/auth", claved_h_kbs_auth, P(ATTESTED), "kbs_auth", true,
     "RCAR Request: returns the Challenge and a kbs-session-id cookie"},
    {CLAVED_POST, "/kbs/v0/attest", claved_h_kbs_attest, P(ATTESTED), "kbs_attest", true,
     "RCAR Attestation: evidence bound to the runtime data; returns an EAR token"},
    {CLAVED_GET, "/kbs/v0/resource/{repository}/{type}/{tag}", claved_h_kbs_resource, P(ATTESTED),
     NULL, true,
     "A resource: dataset key as a flattened JWE to the TEE key, sealed blob, recipient keys (401, "
     "403, 404)"},
    {CLAVED_POST, "/kbs/v0/budget/debit", claved_h_kbs_budget_debit, P(ATTESTED), "kbs_debit", true,
     "Debit a DP budget before releasing a result (EAR bearer token)"},
    {CLAVED_POST, "/kbs/v0/budget/debits", claved_h_kbs_budget_debits, P(ATTESTED), "kbs_debits",
     true, "Debit several parties' DP budgets at once, all or nothing (EAR bearer token)"},
    {CLAVED_POST, "/kbs/v0/result", claved_h_kbs_result, P(ATTESTED), "kbs_result", true,
     "Anchor a result receipt in the audit ledger; returns its inclusion proof (EAR bearer)"},
};
const size_t CLAVED_ROUTE_COUNT = sizeof(CLAVED_ROUTES) / sizeof(CLAVED_ROUTES[0]);

struct schema {
    const char *name;
    const char *const keys[8];
};

static const struct schema SCHEMAS[] = {
    {"login", {"username", "password", "totp", "method", NULL}},
    {"user_create", {"name", "password", "party_id", "role", "cert_sha256", NULL}},
    {"user_role", {"role", NULL}},
    {"totp", {"code", NULL}},
    {"token_create", {"name", "ttl_s", NULL}},
    {"party_create", {"name", NULL}},
    {"contract_create", {"bundle", NULL}},
    {"contract_statement", {"party", "statement", NULL}},
    {"dataset_create", {"id", "name", "region", "schema", "row_count", "sealed", "owner", NULL}},
    {"collab_create", {"name", "description", NULL}},
    {"collab_statement", {"statement", NULL}},
    {"recipient_register", {"party", "jwk", NULL}},
    {"kbs_auth", {"version", "tee", "extra-params", NULL}},
    {"kbs_attest", {"runtime-data", "tee-evidence", "init-data", NULL}},
    {"kbs_debit", {"contract", "dataset", "party", "epsilon", "delta", "what", NULL}},
    {"kbs_debits", {"contract", "debits", "epsilon", "delta", "what", NULL}},
    {"kbs_result", {"receipt", NULL}},
    {"fl_join", {"public_key", "statement", NULL}},
    {"fl_keyholder", {"public_key", "statement", NULL}},
};

const char *const *claved_schema_keys(const char *schema)
{
    for (size_t i = 0; schema != NULL && i < sizeof(SCHEMAS) / sizeof(SCHEMAS[0]); i++) {
        if (strcmp(SCHEMAS[i].name, schema) == 0) {
            return SCHEMAS[i].keys;
        }
    }
    return NULL;
}

static bool param_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* Match one pattern; {param} matches 1..64 of [A-Za-z0-9_-]. */
static bool match(const char *pattern, const char *path, const char **params, char *buf, size_t cap)
{
    size_t used = 0;
    size_t np = 0;
    while (*pattern != '\0') {
        if (*pattern == '{') {
            const char *close = strchr(pattern, '}');
            size_t n = 0;
            while (param_char(path[n]) && n <= 64) {
                n++;
            }
            if (close == NULL || n == 0 || n > 64 || used + n + 1 > cap ||
                np >= CLAVED_MAX_PATH_PARAMS) {
                return false;
            }
            memcpy(buf + used, path, n);
            buf[used + n] = '\0';
            params[np++] = buf + used;
            used += n + 1;
            path += n;
            pattern = close + 1;
        } else if (*pattern++ != *path++) {
            return false;
        }
    }
    return *path == '\0';
}

int claved_route_match(enum claved_method method, const char *path, const char **params, char *buf,
                       size_t cap, bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < CLAVED_ROUTE_COUNT; i++) {
        if (match(CLAVED_ROUTES[i].pattern, path, params, buf, cap)) {
            if (CLAVED_ROUTES[i].method == method) {
                return (int)i;
            }
            *path_known = true;
        }
    }
    return -1;
}

bool claved_role_allows(enum claved_role role, enum claved_perm perm)
{
    switch (perm) {
    case CLAVED_PERM_PUBLIC:
        return true;
    case CLAVED_PERM_SELF:
    case CLAVED_PERM_PARTIES_READ:
        return role != CLAVED_ROLE_NONE;
    case CLAVED_PERM_USERS_READ:
        return role == CLAVED_ROLE_ADMIN || role == CLAVED_ROLE_OWNER ||
               role == CLAVED_ROLE_AUDITOR;
    case CLAVED_PERM_USERS_WRITE:
        return role == CLAVED_ROLE_ADMIN || role == CLAVED_ROLE_OWNER;
    case CLAVED_PERM_PARTIES_WRITE:
        return role == CLAVED_ROLE_ADMIN;
    case CLAVED_PERM_AUDIT:
        return role == CLAVED_ROLE_ADMIN || role == CLAVED_ROLE_AUDITOR;
    case CLAVED_PERM_COLLAB_READ:
        return role != CLAVED_ROLE_NONE;
    case CLAVED_PERM_COLLAB_WRITE:
        return role == CLAVED_ROLE_ADMIN || role == CLAVED_ROLE_OWNER;
    case CLAVED_PERM_ATTESTED:
        return true;
    default:
        return false;
    }
}

const char *claved_method_name(enum claved_method method)
{
    static const char *const NAMES[] = {"?", "GET", "POST", "PUT", "DELETE", "OTHER"};
    return (unsigned)method < 6 ? NAMES[method] : "?";
}

const char *claved_role_name(enum claved_role role)
{
    static const char *const NAMES[] = {"none", "admin", "owner", "analyst", "auditor"};
    return (unsigned)role < 5 ? NAMES[role] : "none";
}

enum claved_role claved_role_parse(const char *name)
{
    for (int r = CLAVED_ROLE_ADMIN; name != NULL && r <= CLAVED_ROLE_AUDITOR; r++) {
        if (strcmp(name, claved_role_name((enum claved_role)r)) == 0) {
            return (enum claved_role)r;
        }
    }
    return CLAVED_ROLE_NONE;
}
