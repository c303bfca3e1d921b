/* SPDX-License-Identifier: Apache-2.0 */
/* clave fl join --aggregator: a client of an attested FL aggregator (fl_join_tee.c) and its
 * RA-TLS link (fl_tee_link.c). docs/fl.md "Aggregation in an attested runner". */
#ifndef CLAVE_CLI_FL_TEE_H
#define CLAVE_CLI_FL_TEE_H

#include "fl_cli.h"

#include <openssl/ssl.h>

/* What the client trusts: its attestation policy (vendor roots, or the sim dev root in
 * development), collateral, and the contract whose workloads the aggregator must match. */
struct fl_tee_trust {
    const struct clave_attest_policy *policy;
    const char *collateral_dir; /* may be NULL */
    const struct clave_contract *contract;
};

struct fl_tee_link {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    struct clave_ratls_verifier *verifier;
    uint8_t cert_sha256[32]; /* SHA-256 of the aggregator's certificate DER (after connect) */
};

/* Connect, TLS 1.3 with the RA-TLS check, then appraise the evidence against the contract's
 * workloads; out->cert_sha256 gets the hash of the certificate appraised (what JOIN binds). 0, or
 * CLI_FAILED with the reason printed; nothing is sent in either case. Reads and writes later wait
 * at most `timeout_s`. Close with fl_tee_close in every case. */
int fl_tee_connect(const struct fl_tee_trust *t, const char *address, long timeout_s,
                   struct fl_tee_link *out);
void fl_tee_close(struct fl_tee_link *l);

/* One frame (u32le length + bytes); false on EOF, timeout, error or an oversized frame. */
bool fl_tee_send(struct fl_tee_link *l, const uint8_t *msg, size_t len);
bool fl_tee_recv(struct fl_tee_link *l, uint8_t **msg, size_t *len);

/* clave fl join with --aggregator. */
int fl_join_tee(int argc, char **argv);

#endif
