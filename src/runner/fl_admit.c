/* SPDX-License-Identifier: Apache-2.0 */
/* Client admission of the attested FL aggregator (fl_admit.h). */
#include "fl_admit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

clave_status fl_admit_init(struct fl_admit *ad, const struct clave_contract *c, uint32_t clients,
                           const uint8_t cert_sha256[32])
{
    size_t n = clave_contract_signer_count(c);
    ad->contract = c;
    ad->clients = clients;
    memcpy(ad->cert_sha256, cert_sha256, sizeof(ad->cert_sha256));
    ad->held = calloc(n > 0 ? n : 1, sizeof(*ad->held));
    return ad->held != NULL ? CLAVE_OK : CLAVE_ERR_NOMEM;
}

void fl_admit_free(struct fl_admit *ad)
{
    free(ad->held);
    ad->held = NULL;
}

uint32_t fl_admit_quota(const struct clave_contract *c, uint32_t clients, const char *party)
{
    size_t total = clave_contract_dataset_count(c), owned = 0;
    for (size_t i = 0; i < total; i++) {
        owned += strcmp(clave_contract_dataset(c, i).owner, party) == 0; // lint:public
    }
    if (total == 0 || owned == 0) {
        return 0;
    }
    return (uint32_t)(((uint64_t)clients * owned + total - 1) / total);
}

/* The signer index of `party`, or -1 when it is not a party of the contract. */
static long signer_of(const struct clave_contract *c, const char *party)
{
    size_t n = clave_contract_signer_count(c);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(clave_contract_signer(c, i).party, party) == 0) { // lint:public
            return (long)i;
        }
    }
    return -1;
}

/* One line naming why; `party` was checked against the identifier rule (or is empty). */
static void refuse(uint32_t client, const char *why, const char *party, const char *detail)
{
    fprintf(stderr, "clave-runner fl: refused a client (slot %u stays free): %s%s%s%s%s%s\n",
            client, why, party[0] != '\0' ? " (party " : "", party, party[0] != '\0' ? ")" : "",
            detail != NULL ? ": " : "", detail != NULL ? detail : "");
}

/* The statement checked under the party's key, with this runner's challenge and certificate. */
static bool verified(const struct fl_admit *ad, const struct clave_fl_hello *h, long idx,
                     const char *party, const uint8_t *statement, size_t len)
{
    struct clave_contract_signer s = clave_contract_signer(ad->contract, (size_t)idx);
    struct clave_fl_join_claim want = {party, h->challenge, ad->cert_sha256, h->contract_id,
                                       h->client};
    clave_status st = clave_fl_join_verify(statement, len, &want, s.spki, s.spki_len);
    if (st == CLAVE_ERR_SIGNATURE) {
        refuse(h->client, "bad signature: not signed by the party's identity key in the contract",
               party, NULL);
    } else if (st == CLAVE_ERR_STATE) {
        refuse(h->client,
               "wrong channel: the JOIN binds another challenge, RA-TLS certificate, contract or "
               "client id (replayed or relayed)",
               party, NULL);
    } else if (st != CLAVE_OK) {
        refuse(h->client, "malformed JOIN statement", party, clave_error_last().detail);
    }
    return st == CLAVE_OK;
}

bool fl_admit_join(struct fl_admit *ad, struct fl_link *l, const struct clave_fl_hello *hello,
                   uint64_t deadline_ms, char party[CLAVE_FL_PARTY_MAX + 1])
{
    uint8_t *msg = NULL;
    size_t len = 0, sig_len = 0;
    const uint8_t *sig = NULL;
    bool ok = false;
    party[0] = '\0';
    if (!fl_link_recv(l, CLAVE_FL_JOIN_MAX_LEN, deadline_ms, &msg, &len)) {
        refuse(hello->client, "no JOIN frame (closed, late or oversized)", party, NULL);
        return false;
    }
    if (clave_fl_join_parse(msg, len, party, &sig, &sig_len) != CLAVE_OK) {
        refuse(hello->client, "malformed JOIN", party, clave_error_last().detail);
        free(msg);
        return false;
    }
    long idx = signer_of(ad->contract, party);
    uint32_t quota = idx >= 0 ? fl_admit_quota(ad->contract, ad->clients, party) : 0;
    if (idx < 0) {
        refuse(hello->client, "unknown party: not a party of the contract", party, NULL);
    } else if (quota == 0) {
        refuse(hello->client, "the party owns no dataset of the contract", party, NULL);
    } else if (ad->held[idx] >= quota) {
        char detail[64];
        snprintf(detail, sizeof(detail), "it already holds its %u slot(s)", quota);
        refuse(hello->client, "slot limit", party, detail);
    } else if (verified(ad, hello, idx, party, sig, sig_len)) {
        ad->held[idx]++;
        ok = true;
    }
    free(msg);
    return ok;
}
