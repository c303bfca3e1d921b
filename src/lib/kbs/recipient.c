/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recipient keys as broker resources (include/clave/kbs.h): a contract may name a result
 * recipient by the RFC 7638 thumbprint of a JWK only; the party registers that public key with
 * the coordinator, and an attested runner fetches it as <collaboration>/recipient/<party>. The
 * thumbprint the contract carries (signed by every party) is what pins the key: a registered
 * key that does not hash to it is never handed out.
 */
#include <clave/clave.h>
#include <clave/kbs.h>

#include "core/check.h"
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JWK_DEPTH_MAX 4

/* The recipient entry of `party`, false if the contract names none (parties are unique). */
static bool recipient_of(const struct clave_contract *c, const char *party,
                         struct clave_contract_recipient *out)
{
    for (size_t i = 0; i < clave_contract_recipient_count(c); i++) {
        struct clave_contract_recipient r = clave_contract_recipient(c, i);
        if (strcmp(r.party, party) == 0) {
            *out = r;
            return true;
        }
    }
    return false;
}

bool clave_kbs_appraise_recipient(const struct clave_kbs_recipient_release *r,
                                  char reason[CLAVE_KBS_REASON_MAX])
{
    struct clave_contract_recipient rc;
    reason[0] = '\0';
    if (!clave__kbs_contract_ok(r->contract, r->claims, r->now, reason)) {
        return false;
    }
    if (r->party == NULL || !recipient_of(r->contract, r->party, &rc)) {
        snprintf(reason, CLAVE_KBS_REASON_MAX,
                 "recipient: %.64s is not a recipient of the contract",
                 r->party != NULL ? r->party : "(none)");
        return false;
    }
    return clave__kbs_workload_ok(r->contract, r->claims, r->trust_sim, reason);
}

bool clave_kbs_recipient_key_named(const struct clave_contract *contract, const char *party,
                                   const struct clave_jwk *key)
{
    struct clave_contract_recipient rc;
    struct clave_jwk *named = NULL;
    uint8_t have[32];
    uint8_t want[32];
    bool ok = false;
    if (contract == NULL || party == NULL || key == NULL || !recipient_of(contract, party, &rc) ||
        clave_jwk_thumbprint(key, have) != CLAVE_OK) {
        return false;
    }
    if (rc.jwk_thumbprint != NULL) {
        return clave_ct_equal(have, rc.jwk_thumbprint, sizeof(have));
    }
    /* Named by SPKI: the same public key has the same JWK, hence the same thumbprint. */
    if (rc.spki != NULL && clave_receipt_load_jwk(rc.spki, rc.spki_len, &named) == CLAVE_OK &&
        clave_jwk_thumbprint(named, want) == CLAVE_OK) {
        ok = clave_ct_equal(have, want, sizeof(have));
    }
    clave_jwk_free(named);
    return ok;
}

/* Refuse any member that carries private material (RFC 7518 section 6.2.2, 6.3.2, 6.4; RFC 8037
 * section 2), so a party that pastes its private JWK by mistake is told, not stored. */
static clave_status no_private_member(const json_t *obj)
{
    static const char *const PRIVATE[] = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"};
    clave_status st = CLAVE_ERR_INTERNAL;
    for (size_t i = 0; i < sizeof(PRIVATE) / sizeof(PRIVATE[0]); i++) {
        CLAVE_ENSURE(json_object_get(obj, PRIVATE[i]) == NULL, CLAVE_ERR_KEY,
                     "jwk.%s: a private member; register the public key only", PRIVATE[i]);
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_kbs_recipient_key_parse(const char *json, size_t len, uint8_t thumbprint[32],
                                           char **public_json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *obj = NULL;
    struct clave_jwk *key = NULL;
    struct clave_json_limits lim = {CLAVE_KBS_RECIPIENT_JWK_MAX, JWK_DEPTH_MAX};
    *public_json = NULL;
    CLAVE_ENSURE(json != NULL, CLAVE_ERR_ARG, "jwk: missing");
    CLAVE_ENSURE(len <= CLAVE_KBS_RECIPIENT_JWK_MAX, CLAVE_ERR_TOO_LARGE,
                 "jwk: larger than %u bytes", (unsigned)CLAVE_KBS_RECIPIENT_JWK_MAX);
    CLAVE_CHECK(clave_json_parse(json, len, &lim, "jwk", &obj));
    CLAVE_CHECK(clave_json_expect_object(obj, "jwk"));
    CLAVE_CHECK(no_private_member(obj));
    CLAVE_CHECK_CTX(clave_jwk_parse(json, len, &key), "jwk: ");
    CLAVE_ENSURE(!clave_jwk_has_private(key), CLAVE_ERR_KEY, "jwk: holds private material");
    enum clave_jwk_type t = clave_jwk_type(key);
    CLAVE_ENSURE(t == CLAVE_JWK_EC_P256 || t == CLAVE_JWK_EC_P384 || t == CLAVE_JWK_OKP_X25519 ||
                     t == CLAVE_JWK_RSA,
                 CLAVE_ERR_KEY, "jwk: not an encryption key (EC P-256/P-384, X25519 or RSA)");
    CLAVE_CHECK(clave_jwk_thumbprint(key, thumbprint));
    CLAVE_CHECK(clave_jwk_export_public(key, public_json));
    st = CLAVE_OK;
done:
    clave_jwk_free(key);
    json_decref(obj);
    return st;
}
