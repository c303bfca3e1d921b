/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Collected statements and the contract's state at a given time:
 *   revoked       a verified revocation whose time <= now (final: nothing undoes it)
 *   expired       now >= expiry
 *   draft         a required signer's approval is missing
 *   not-yet-valid now < not_before
 *   active        otherwise
 * in that order of precedence, so a revoked or expired contract never reads as a draft.
 */
#include "contract/contract_internal.h"

#include "core/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static clave_status keep_copy(struct contract_statement *slot, const uint8_t *cose, size_t len,
                              uint64_t time)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    slot->cose = malloc(len);
    CLAVE_ENSURE_ALLOC(slot->cose);
    memcpy(slot->cose, cose, len);
    slot->len = len;
    slot->time = time;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_add_signature(struct clave_contract *c, const char *party,
                                          const uint8_t *cose, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t index = 0;
    uint64_t unused = 0;
    CLAVE_CHECK(clave__contract_signer_index(c, party, &index));
    CLAVE_CHECK(
        clave__contract_verify_statement(c, CLAVE_CONTRACT_APPROVAL, index, cose, len, &unused));
    if (c->approvals[index].cose == NULL) {
        CLAVE_CHECK(keep_copy(&c->approvals[index], cose, len, 0));
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_contract_add_revocation(struct clave_contract *c, const char *party,
                                           const uint8_t *cose, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t index = 0;
    uint64_t time = 0;
    CLAVE_CHECK(clave__contract_signer_index(c, party, &index));
    CLAVE_CHECK(
        clave__contract_verify_statement(c, CLAVE_CONTRACT_REVOCATION, index, cose, len, &time));
    CLAVE_ENSURE(c->revocations[index].cose == NULL, CLAVE_ERR_EXISTS,
                 "contract: %s already revoked this contract", party);
    CLAVE_CHECK(keep_copy(&c->revocations[index], cose, len, time));
    st = CLAVE_OK;
done:
    return st;
}

bool clave_contract_has_signature(const struct clave_contract *c, const char *party)
{
    size_t index = 0;
    return clave__contract_signer_index(c, party, &index) == CLAVE_OK &&
           c->approvals[index].cose != NULL;
}

bool clave_contract_has_revocation(const struct clave_contract *c, const char *party)
{
    size_t index = 0;
    return clave__contract_signer_index(c, party, &index) == CLAVE_OK &&
           c->revocations[index].cose != NULL;
}

const char *clave_contract_state_name(enum clave_contract_state state)
{
    switch (state) {
    case CLAVE_CONTRACT_DRAFT:
        return "draft";
    case CLAVE_CONTRACT_ACTIVE:
        return "active";
    case CLAVE_CONTRACT_NOT_YET_VALID:
        return "not-yet-valid";
    case CLAVE_CONTRACT_EXPIRED:
        return "expired";
    case CLAVE_CONTRACT_REVOKED:
        return "revoked";
    default:
        return "unknown";
    }
}

/* The earliest revocation in effect at `now`; false if none. */
static bool revoked_at(const struct clave_contract *c, uint64_t now, size_t *who, uint64_t *when)
{
    bool found = false;
    for (size_t i = 0; i < c->doc.signer_count; i++) {
        const struct contract_statement *r = &c->revocations[i];
        if (r->cose != NULL && r->time <= now && (!found || r->time < *when)) {
            found = true;
            *who = i;
            *when = r->time;
        }
    }
    return found;
}

void clave_contract_status(const struct clave_contract *c, uint64_t now,
                           struct clave_contract_verdict *out)
{
    size_t who = 0;
    size_t missing = c->doc.signer_count;
    memset(out, 0, sizeof(*out));
    out->required = c->doc.signer_count;
    for (size_t i = 0; i < c->doc.signer_count; i++) {
        if (c->approvals[i].cose != NULL) {
            out->signatures++;
        } else if (missing == c->doc.signer_count) {
            missing = i;
        }
    }
    if (revoked_at(c, now, &who, &out->revoked_at)) {
        out->state = CLAVE_CONTRACT_REVOKED;
        snprintf(out->reason, sizeof(out->reason), "revoked by %s at %llu",
                 c->doc.signers[who].party, (unsigned long long)out->revoked_at);
    } else if (now >= c->doc.expiry) {
        out->state = CLAVE_CONTRACT_EXPIRED;
        snprintf(out->reason, sizeof(out->reason), "expired at %llu",
                 (unsigned long long)c->doc.expiry);
    } else if (missing < c->doc.signer_count) {
        out->state = CLAVE_CONTRACT_DRAFT;
        snprintf(out->reason, sizeof(out->reason), "%zu of %zu signatures; missing %s",
                 out->signatures, out->required, c->doc.signers[missing].party);
    } else if (now < c->doc.not_before) {
        out->state = CLAVE_CONTRACT_NOT_YET_VALID;
        snprintf(out->reason, sizeof(out->reason), "not valid before %llu",
                 (unsigned long long)c->doc.not_before);
    } else {
        out->state = CLAVE_CONTRACT_ACTIVE;
        snprintf(out->reason, sizeof(out->reason), "all %zu required signatures valid",
                 out->required);
    }
}
