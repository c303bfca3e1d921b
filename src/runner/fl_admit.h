/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Client admission of the attested FL aggregator (fl_admit.c; docs/fl.md "Aggregation in an
 * attested runner", "Client admission"). After the HELLO (with a fresh challenge) a client must
 * answer with a JOIN signed by the identity key of a party of the verified contract, bound to
 * the challenge and to this runner's RA-TLS certificate; a party owning d of the contract's D
 * datasets may hold at most ceil(clients * d / D) client slots. A refused connection takes no
 * slot and the reason is printed.
 */
#ifndef RUNNER_FL_ADMIT_H
#define RUNNER_FL_ADMIT_H

#include "fl_link.h"

struct fl_admit {
    const struct clave_contract *contract; /* borrowed, verified */
    uint32_t clients;
    uint8_t cert_sha256[32]; /* SHA-256 of this runner's RA-TLS certificate DER */
    uint32_t *held;          /* slots held, per signer index */
};

/* Slot accounting for `clients` slots of contract `c` (borrowed). */
clave_status fl_admit_init(struct fl_admit *ad, const struct clave_contract *c, uint32_t clients,
                           const uint8_t cert_sha256[32]);
void fl_admit_free(struct fl_admit *ad);

/* A party's slot limit: ceil(clients * datasets owned / datasets), 0 for a party owning none. */
uint32_t fl_admit_quota(const struct clave_contract *c, uint32_t clients, const char *party);

/* Read the JOIN answering `hello` on `l` by `deadline_ms` and check it; true: admitted (the
 * party's slot is counted, `party` names it); false: refused with the reason printed on stderr
 * (the caller closes the link). */
bool fl_admit_join(struct fl_admit *ad, struct fl_link *l, const struct clave_fl_hello *hello,
                   uint64_t deadline_ms, char party[CLAVE_FL_PARTY_MAX + 1]);

#endif
