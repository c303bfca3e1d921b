/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Authorisation matrix generated from the route table: every route x role x (own party, other
 * party, no session). The expected decision comes from an independent table below (the policy
 * as written in docs/server.md), not from the code under test; a route missing from it fails.
 * "Allowed" means the request got past authentication and authorisation (not 401/403/404 for a
 * target that exists); zero unexpected allows is the property that matters.
 */
#include "common.h"
#include "collab_db.h"
#include "kbs_db.h"

enum scope { OWN = 0, OTHER = 1 };

/* Who may call what, per scope: bit r set = role r allowed (r: 1 admin, 2 owner, 3 analyst,
 * 4 auditor); PUBLIC routes are allowed without a session too. */
#define A (1u << CLAVED_ROLE_ADMIN)
#define O (1u << CLAVED_ROLE_OWNER)
#define N (1u << CLAVED_ROLE_ANALYST)
#define U (1u << CLAVED_ROLE_AUDITOR)
#define ALL (A | O | N | U)

struct expect {
    enum claved_method method;
    const char *pattern;
    bool public_route;
    unsigned own, other; /* allowed roles acting on an object of their own / another party */
};

static const struct expect POLICY[] = {
    {CLAVED_GET, "/healthz", true, ALL, ALL},
    {CLAVED_GET, "/readyz", true, ALL, ALL},
    {CLAVED_GET, "/metrics", true, ALL, ALL},
    {CLAVED_POST, "/v1/login", true, ALL, ALL},
    {CLAVED_POST, "/v1/logout", false, ALL, ALL},
    {CLAVED_GET, "/v1/me", false, ALL, ALL},
    {CLAVED_POST, "/v1/users", false, A | O, A},
    {CLAVED_GET, "/v1/users", false, A | O | U, A | O | U}, /* scoped listing, checked below */
    {CLAVED_PUT, "/v1/users/{id}/role", false, A | O, A},
    {CLAVED_POST, "/v1/users/{id}/totp", false, ALL, 0}, /* own = the caller themself */
    {CLAVED_POST, "/v1/tokens", false, ALL, ALL},
    {CLAVED_GET, "/v1/tokens", false, ALL, ALL},
    {CLAVED_DELETE, "/v1/tokens/{id}", false, ALL, A}, /* own = the caller's token */
    {CLAVED_GET, "/v1/parties", false, ALL, ALL},
    {CLAVED_POST, "/v1/parties", false, A, A},
    /* The audit log is global: no party scope. */
    {CLAVED_GET, "/v1/audit/key", false, A | U, A | U},
    {CLAVED_GET, "/v1/audit/sth", false, A | U, A | U},
    {CLAVED_POST, "/v1/audit/checkpoint", false, A | U, A | U},
    {CLAVED_GET, "/v1/audit/entries", false, A | U, A | U},
    {CLAVED_GET, "/v1/audit/entries/{i}/proof", false, A | U, A | U},
    {CLAVED_GET, "/v1/audit/consistency", false, A | U, A | U},
    {CLAVED_GET, "/v1/audit/export", false, A | U, A | U},
    /* Collaborations: contracts and datasets (any user reads; admin and owner write). */
    {CLAVED_POST, "/v1/contracts", false, A | O, A | O},
    {CLAVED_GET, "/v1/contracts/{id}", false, ALL, ALL},
    {CLAVED_GET, "/v1/contracts/{id}/bundle", false, ALL, ALL},
    {CLAVED_POST, "/v1/contracts/{id}/approvals", false, A | O, A | O},
    {CLAVED_POST, "/v1/contracts/{id}/revocations", false, A | O, A | O},
    {CLAVED_GET, "/v1/collaborations/{c}/contracts", false, ALL, ALL},
    {CLAVED_POST, "/v1/collaborations/{c}/datasets", false, A | O, A | O},
    {CLAVED_GET, "/v1/collaborations/{c}/datasets", false, ALL, ALL},
    {CLAVED_GET, "/v1/collaborations/{c}/datasets/{id}", false, ALL, ALL},
    {CLAVED_PUT, "/v1/collaborations/{c}/datasets/{id}/sealed", false, A | O, A | O},
    {CLAVED_POST, "/v1/collaborations", false, A | O, A | O},
    {CLAVED_GET, "/v1/collaborations", false, ALL, ALL},
    {CLAVED_GET, "/v1/collaborations/{c}", false, ALL, ALL},
    {CLAVED_POST, "/v1/collaborations/{c}/members", false, A | O, A | O},
    /* FL federations: any user's route; the handler requires the caller's party to be a member
     * (tested in tests/integration/fl_join.sh). The fixture's contract is not of kind fl (409:
     * past authorisation); auditors never join; without a federation a client id is 404, and
     * the message POST stops at its content type (415). */
    {CLAVED_POST, "/v1/fl/{contract}/clients", false, A | O | N, A | O | N},
    {CLAVED_GET, "/v1/fl/{contract}/clients", false, ALL, ALL},
    {CLAVED_GET, "/v1/fl/{contract}/clients/{id}/message", false, 0, 0},
    {CLAVED_POST, "/v1/fl/{contract}/clients/{id}/message", false, ALL, ALL},
    {CLAVED_GET, "/v1/fl/{contract}/model", false, ALL, ALL},
    {CLAVED_GET, "/v1/fl/{contract}/status", false, ALL, ALL},
    /* Paillier key holder: auditors never register (403); the others get past authorisation
     * (the fixture's contract is not of kind fl: 409; the handler then requires the contract's
     * key_holder party, tested in tests/integration/fl_join_paillier.sh); without a federation
     * the message GET is 404, the POST stops at its content type (415). */
    {CLAVED_POST, "/v1/fl/{contract}/keyholder", false, A | O | N, A | O | N},
    {CLAVED_GET, "/v1/fl/{contract}/keyholder/message", false, 0, 0},
    {CLAVED_POST, "/v1/fl/{contract}/keyholder/message", false, ALL, ALL},
    /* Recipient keys: owners register for their own member party (checked in the handler,
     * after the body; docs/collaborations.md), anyone reads the public keys. */
    {CLAVED_POST, "/v1/collaborations/{c}/recipients", false, A | O, A | O},
    {CLAVED_GET, "/v1/collaborations/{c}/recipients", false, ALL, ALL},
    {CLAVED_GET, "/v1/collaborations/{c}/recipients/{party}", false, ALL, ALL},
    {CLAVED_GET, "/v1/kbs/key", true, ALL, ALL},
    {CLAVED_GET, "/v1/kbs/ear-key", true, ALL, ALL},
    {CLAVED_GET, "/v1/kbs/policy", false, ALL, ALL},
    {CLAVED_POST, "/v1/kbs/collateral/refresh", false, A, A},
    /* The key broker: open to anyone for the challenge; user credentials never attest. */
    {CLAVED_POST, "/kbs/v0/auth", true, ALL, ALL},
    {CLAVED_POST, "/kbs/v0/attest", false, 0, 0},
    {CLAVED_GET, "/kbs/v0/resource/{repository}/{type}/{tag}", false, 0, 0},
    {CLAVED_POST, "/kbs/v0/budget/debit", false, 0, 0},
    {CLAVED_POST, "/kbs/v0/budget/debits", false, 0, 0},
    {CLAVED_POST, "/kbs/v0/result", false, 0, 0},
};

struct world {
    struct fixture f;
    char party[2][CLAVED_ID_LEN + 1];
    char *token[5];                    /* per role, in party[OWN] */
    char user[5][CLAVED_ID_LEN + 1];   /* the callers' ids */
    char target[2][CLAVED_ID_LEN + 1]; /* an analyst in each party */
    char *target_token[2];
    char contract[65]; /* a stored contract of collaboration "c1" (with dataset "d1") */
};

/* A contract (two Ed25519 signers) and a dataset row, so the collaboration routes have targets. */
static void add_collab_objects(struct fixture *f, char contract_hex[65])
{
    char spki_b64[2][128];
    char json[2048];
    struct clave_contract *c = NULL;
    for (int i = 0; i < 2; i++) {
        struct clave_pkey *k = NULL;
        uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
        size_t n = 0;
        size_t m = 0;
        T_OK(clave_pkey_generate(CLAVE_PKEY_ED25519, &k));
        T_OK(clave_pkey_export_spki(k, spki, sizeof(spki), &n));
        T_OK(clave_b64_encode(CLAVE_B64_STD, spki, n, spki_b64[i], sizeof(spki_b64[i]), &m));
        clave_pkey_free(k);
    }
    snprintf(json, sizeof(json),
             "{\"collaboration\":\"c1\",\"version\":1,\"datasets\":[{\"id\":\"d1\","
             "\"owner\":\"a\",\"sha256\":\"%064d\"}],\"computation\":{\"kind\":\"query\","
             "\"spec\":{}},\"workloads\":[{\"tee\":\"sim-snp\",\"measurement\":\"%096d\","
             "\"min_tcb\":{\"bootloader\":0,\"tee\":0,\"snp\":0,\"microcode\":0}}],"
             "\"tcb_statuses\":[\"UpToDate\"],\"output\":{\"budgets\":[],\"min_group_size\":1,"
             "\"columns\":[]},\"recipients\":[{\"party\":\"b\",\"spki\":\"%s\"}],\"regions\":[\"*"
             "\"],\"signers\":["
             "{\"party\":\"a\",\"spki\":\"%s\"},{\"party\":\"b\",\"spki\":\"%s\"}],"
             "\"expiry\":4000000000}",
             0, 0, spki_b64[1], spki_b64[0], spki_b64[1]);
    T_OK(clave_contract_from_json(json, strlen(json), &c));
    T_OK(claved_collab_insert(f->app.store, "c1", "", "u_test", 1));
    T_OK(claved_kbs_contract_insert(f->app.store, c, "u_test", 1));
    T_OK(clave_hex_encode(clave_contract_id(c), 32, contract_hex, 65));
    clave_contract_free(c);
    struct claved_kbs_dataset d;
    memset(&d, 0, sizeof(d));
    snprintf(d.collaboration, sizeof(d.collaboration), "c1");
    snprintf(d.id, sizeof(d.id), "d1");
    snprintf(d.owner_party, sizeof(d.owner_party), "p");
    snprintf(d.region, sizeof(d.region), "eu");
    snprintf(d.dek_id, sizeof(d.dek_id), "00");
    d.wrapped = (uint8_t *)"x";
    d.wrapped_len = 1;
    T_OK(claved_kbs_dataset_insert(f->app.store, &d, "d1", "{}", 0, 0, 1));
}

static const struct expect *policy_for(const struct claved_route *r)
{
    for (size_t i = 0; i < sizeof(POLICY) / sizeof(POLICY[0]); i++) {
        if (POLICY[i].method == r->method && strcmp(POLICY[i].pattern, r->pattern) == 0) {
            return &POLICY[i];
        }
    }
    return NULL;
}

static void world_init(struct world *w)
{
    memset(w, 0, sizeof(*w));
    fixture_init(&w->f);
    T_OK(claved_new_id("p", w->party[OWN]));
    T_OK(claved_new_id("p", w->party[OTHER]));
    T_OK(claved_db_party_insert(w->f.app.store, w->party[OWN], "own", 1));
    T_OK(claved_db_party_insert(w->f.app.store, w->party[OTHER], "other", 1));
    for (int r = CLAVED_ROLE_ADMIN; r <= CLAVED_ROLE_AUDITOR; r++) {
        char name[32];
        snprintf(name, sizeof(name), "caller-%s", claved_role_name((enum claved_role)r));
        w->token[r] = make_user(&w->f, w->party[OWN], name, (enum claved_role)r, w->user[r]);
    }
    add_collab_objects(&w->f, w->contract);
    w->target_token[OWN] =
        make_user(&w->f, w->party[OWN], "target-own", CLAVED_ROLE_ANALYST, w->target[OWN]);
    w->target_token[OTHER] =
        make_user(&w->f, w->party[OTHER], "target-other", CLAVED_ROLE_ANALYST, w->target[OTHER]);
}

static void world_fini(struct world *w)
{
    for (int r = 0; r < 5; r++) {
        free(w->token[r]);
    }
    free(w->target_token[OWN]);
    free(w->target_token[OTHER]);
    fixture_fini(&w->f);
}

/* A token owned by `user_token`'s user, created fresh; returns its id in `id`. */
static void new_token_id(struct world *w, const char *user_token, char *id)
{
    json_t *b = NULL;
    assert_int_equal(call(&w->f, CLAVED_POST, "/v1/tokens", user_token, "{\"name\":\"t\"}", &b),
                     201);
    snprintf(id, CLAVED_ID_LEN + 1, "%s", json_string_value(json_object_get(b, "id")));
    json_decref(b);
}

/* Build the concrete path and body for (route, caller role, scope). */
static void instantiate(struct world *w, const struct claved_route *r, int role, enum scope s,
                        char *path, size_t cap, char *body, size_t bcap, unsigned *counter)
{
    char id[CLAVED_ID_LEN + 1];
    body[0] = '\0';
    snprintf(path, cap, "%s", r->pattern);
    (*counter)++;
    if (strcmp(r->pattern, "/v1/users/{id}/role") == 0) {
        snprintf(path, cap, "/v1/users/%s/role", w->target[s]);
        snprintf(body, bcap, "{\"role\":\"auditor\"}");
    } else if (strcmp(r->pattern, "/v1/users/{id}/totp") == 0) {
        snprintf(path, cap, "/v1/users/%s/totp", s == OWN ? w->user[role] : w->target[OTHER]);
        snprintf(body, bcap, "{}");
    } else if (strcmp(r->pattern, "/v1/tokens/{id}") == 0) {
        new_token_id(w, s == OWN ? w->token[role] : w->target_token[OTHER], id);
        snprintf(path, cap, "/v1/tokens/%s", id);
    } else if (strcmp(r->pattern, "/v1/users") == 0 && r->method == CLAVED_POST) {
        snprintf(body, bcap,
                 "{\"name\":\"new-%u\",\"password\":\"pw-12345\",\"role\":\"analyst\","
                 "\"party_id\":\"%s\"}",
                 *counter, w->party[s]);
    } else if (strcmp(r->pattern, "/v1/parties") == 0 && r->method == CLAVED_POST) {
        snprintf(body, bcap, "{\"name\":\"party-%u\"}", *counter);
    } else if (strcmp(r->pattern, "/v1/login") == 0) {
        snprintf(body, bcap, "{\"username\":\"target-own\",\"password\":\"pw-12345\"}");
    } else if (strcmp(r->pattern, "/v1/audit/entries/{i}/proof") == 0) {
        snprintf(path, cap, "/v1/audit/entries/0/proof?tree_size=1");
    } else if (strcmp(r->pattern, "/v1/audit/consistency") == 0) {
        snprintf(path, cap, "/v1/audit/consistency?first=1&second=2");
    } else if (strcmp(r->pattern, "/v1/tokens") == 0 && r->method == CLAVED_POST) {
        snprintf(body, bcap, "{\"name\":\"tok-%u\"}", *counter);
    } else if (strncmp(r->pattern, "/v1/contracts/{id}", 18) == 0) {
        snprintf(path, cap, "/v1/contracts/%s%s", w->contract, r->pattern + 18);
        if (r->method == CLAVED_POST) {
            snprintf(body, bcap, "{\"party\":\"a\",\"statement\":\"AA\"}");
        }
    } else if (strncmp(r->pattern, "/v1/fl/{contract}", 17) == 0) {
        snprintf(path, cap, "/v1/fl/%s%s", w->contract, r->pattern + 17);
        if (strstr(path, "{id}") != NULL) {
            snprintf(path, cap, "/v1/fl/%s/clients/1/message", w->contract);
        }
        if ((strcmp(r->pattern, "/v1/fl/{contract}/clients") == 0 ||
             strcmp(r->pattern, "/v1/fl/{contract}/keyholder") == 0) &&
            r->method == CLAVED_POST) {
            snprintf(body, bcap, "{\"public_key\":\"%s\",\"statement\":\"0oRDoQEnoFgg\"}",
                     "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
        }
    } else if (strcmp(r->pattern, "/v1/contracts") == 0) {
        snprintf(body, bcap, "{\"bundle\":\"AA\"}");
    } else if (strncmp(r->pattern, "/v1/collaborations/{c}", 22) == 0) {
        snprintf(path, cap, "/v1/collaborations/c1%s", r->pattern + 22);
        if (strstr(path, "{id}/sealed") != NULL) {
            snprintf(path, cap, "/v1/collaborations/c1/datasets/d1/sealed?offset=0");
        } else if (strstr(path, "{id}") != NULL) {
            snprintf(path, cap, "/v1/collaborations/c1/datasets/d1");
        } else if (strstr(path, "{party}") != NULL) {
            snprintf(path, cap, "/v1/collaborations/c1/recipients/b");
        }
        if (r->method == CLAVED_POST) {
            snprintf(body, bcap, "{\"id\":\"x\"}");
        }
    } else if (strcmp(r->pattern, "/kbs/v0/auth") == 0) {
        snprintf(body, bcap, "{\"version\":\"0.1.1\",\"tee\":\"snp\",\"extra-params\":\"\"}");
    } else if (strcmp(r->pattern, "/kbs/v0/resource/{repository}/{type}/{tag}") == 0) {
        snprintf(path, cap, "/kbs/v0/resource/c1/dataset/d1");
    } else if (strcmp(r->pattern, "/kbs/v0/attest") == 0) {
        snprintf(body, bcap, "{\"runtime-data\":{},\"tee-evidence\":{}}");
    } else if (strcmp(r->pattern, "/kbs/v0/result") == 0) {
        snprintf(body, bcap, "{\"receipt\":\"AAAA\"}");
    } else if (strcmp(r->pattern, "/kbs/v0/budget/debits") == 0) {
        snprintf(body, bcap,
                 "{\"contract\":\"%s\",\"epsilon\":0.1,"
                 "\"debits\":[{\"dataset\":\"d1\",\"party\":\"a\"}]}",
                 w->contract);
    } else if (strcmp(r->pattern, "/kbs/v0/budget/debit") == 0) {
        snprintf(body, bcap,
                 "{\"contract\":\"%s\",\"dataset\":\"d1\",\"party\":\"a\","
                 "\"epsilon\":0.1}",
                 w->contract);
    }
}

static bool denied(int status)
{
    return status == 401 || status == 403 || status == 404;
}

static void test_matrix(void **state)
{
    (void)state;
    struct world w;
    char path[256];
    char body[512];
    unsigned counter = 0;
    unsigned cases = 0;
    world_init(&w);
    for (size_t i = 0; i < CLAVED_ROUTE_COUNT; i++) {
        const struct claved_route *r = &CLAVED_ROUTES[i];
        const struct expect *e = policy_for(r);
        if (e == NULL) {
            fail_msg("route %s %s has no expected policy", claved_method_name(r->method),
                     r->pattern);
        }
        /* No session. */
        instantiate(&w, r, CLAVED_ROLE_ANALYST, OWN, path, sizeof(path), body, sizeof(body),
                    &counter);
        int st = call(&w.f, r->method, path, NULL, body[0] != '\0' ? body : NULL, NULL);
        if (e->public_route == denied(st)) {
            fail_msg("no session: %s %s -> %d", claved_method_name(r->method), path, st);
        }
        cases++;
        for (int role = CLAVED_ROLE_ADMIN; role <= CLAVED_ROLE_AUDITOR; role++) {
            for (int s = OWN; s <= OTHER; s++) {
                /* Logout would end the caller's session: give it a throwaway one. */
                char *tok = w.token[role];
                char *fresh = NULL;
                if (strcmp(r->pattern, "/v1/logout") == 0) {
                    char nm[32];
                    snprintf(nm, sizeof(nm), "lo-%u", ++counter);
                    fresh = make_user(&w.f, w.party[OWN], nm, (enum claved_role)role, NULL);
                    tok = fresh;
                }
                instantiate(&w, r, role, (enum scope)s, path, sizeof(path), body, sizeof(body),
                            &counter);
                st = call(&w.f, r->method, path, tok, body[0] != '\0' ? body : NULL, NULL);
                bool allow = ((s == OWN ? e->own : e->other) >> role) & 1u;
                if (allow == denied(st) || st >= 500) {
                    fail_msg("%s %s %s scope=%s -> %d, expected %s",
                             claved_role_name((enum claved_role)role),
                             claved_method_name(r->method), path, s == OWN ? "own" : "other", st,
                             allow ? "allow" : "deny");
                }
                free(fresh);
                cases++;
            }
        }
    }
    assert_int_equal(cases, CLAVED_ROUTE_COUNT * 9);
    world_fini(&w);
}

/* Listings are scoped: non-admins never see another party's users or parties. */
static void test_scoped_listings(void **state)
{
    (void)state;
    struct world w;
    world_init(&w);
    for (int role = CLAVED_ROLE_ADMIN; role <= CLAVED_ROLE_AUDITOR; role++) {
        json_t *b = NULL;
        int st = call(&w.f, CLAVED_GET, "/v1/users", w.token[role], NULL, &b);
        if (st == 200) {
            json_t *users = json_object_get(b, "users");
            size_t i;
            json_t *u;
            bool saw_other = false;
            json_array_foreach (users, i, u) {
                saw_other |=
                    strcmp(json_string_value(json_object_get(u, "party_id")), w.party[OTHER]) == 0;
            }
            assert_true(saw_other == (role == CLAVED_ROLE_ADMIN));
        }
        json_decref(b);
        assert_int_equal(call(&w.f, CLAVED_GET, "/v1/parties", w.token[role], NULL, &b), 200);
        assert_int_equal(json_array_size(json_object_get(b, "parties")),
                         role == CLAVED_ROLE_ADMIN ? 2 : 1);
        json_decref(b);
    }
    /* An owner cannot mint an admin, nor demote one. */
    char body[256];
    snprintf(body, sizeof(body),
             "{\"name\":\"sneaky\",\"password\":\"pw-12345\",\"role\":\"admin\"}");
    assert_int_equal(call(&w.f, CLAVED_POST, "/v1/users", w.token[CLAVED_ROLE_OWNER], body, NULL),
                     403);
    char path[128];
    snprintf(path, sizeof(path), "/v1/users/%s/role", w.user[CLAVED_ROLE_ADMIN]);
    assert_int_equal(
        call(&w.f, CLAVED_PUT, path, w.token[CLAVED_ROLE_OWNER], "{\"role\":\"analyst\"}", NULL),
        403);
    world_fini(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_scoped_listings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
