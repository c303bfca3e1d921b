/* SPDX-License-Identifier: Apache-2.0 */
/* Internal interfaces between the attestation verifiers, the format table and the policy. */
#ifndef CLAVE_ATTEST_INTERNAL_H
#define CLAVE_ATTEST_INTERNAL_H

#include <clave/attest.h>
#include <clave/attest_verify.h>
#include <clave/x509.h>

/*
 * One evidence format. `verify` records checks and claims into `report` and returns CLAVE_OK
 * whenever it could examine the evidence (the verdict lives in the report); `inspect` records
 * claims only. `opts` is never NULL (defaults are filled in by verify.c).
 */
struct clave__attest_format {
    const char *name;
    bool (*detect)(const uint8_t *evidence, size_t len);
    clave_status (*verify)(const uint8_t *evidence, size_t len,
                           const struct clave_attest_options *opts,
                           struct clave_attest_report *report);
    clave_status (*inspect)(const uint8_t *evidence, size_t len,
                            struct clave_attest_report *report);
};

/* Parsed vendor roots and intermediates for "nitro" or "snp" (CLAVE_ERR_NOT_FOUND otherwise). */
clave_status clave__attest_vendor_roots(const char *tee, struct clave_x509_list **roots,
                                        struct clave_x509_list **intermediates)
    __attribute__((warn_unused_result));

/* Vendor roots and intermediates of one TEE type. */
struct clave__vendor_pki {
    struct clave_x509_list *roots;
    struct clave_x509_list *intermediates;
};

void clave__vendor_pki_free(void *p);

/* The vendor PKI of `tee`, borrowed from `cache` (parsed once per cache) or, without a cache,
 * returned in `*owned` too (caller frees with clave__vendor_pki_free). */
clave_status clave__attest_vendor_pki(struct clave_attest_cache *cache, const char *tee,
                                      const struct clave__vendor_pki **out,
                                      struct clave__vendor_pki **owned)
    __attribute__((warn_unused_result));

/* The time to judge validity at: opts->at_time, else `evidence_time` if non-zero, else now. */
int64_t clave__attest_time(const struct clave_attest_options *opts, int64_t evidence_time);

/*
 * Verify `leaf` to `roots` through `untrusted` at `at_time` (consulting/refreshing `cache`) and
 * record the outcome as check `check_name`. On failure the detail names the certificate that is
 * outside its validity window (subject and window) or OpenSSL's reason. `*ok` gets the outcome.
 */
clave_status clave__attest_chain(struct clave_attest_report *report, const char *check_name,
                                 const struct clave_x509 *leaf,
                                 const struct clave_x509_list *untrusted,
                                 const struct clave_x509_list *roots, int64_t at_time,
                                 struct clave_attest_cache *cache, bool *ok)
    __attribute__((warn_unused_result));

/* As clave__attest_chain without recording a check: CLAVE_OK if the chain verifies (`*cached`
 * tells whether the cache vouched for it). */
clave_status clave__attest_chain_verify(const struct clave_x509 *leaf,
                                        const struct clave_x509_list *untrusted,
                                        const struct clave_x509_list *roots, int64_t at_time,
                                        struct clave_attest_cache *cache, bool *cached)
    __attribute__((warn_unused_result));

/* Parsed-object cache: get by key (NULL if absent; borrowed from the cache), put (the cache
 * takes ownership of `obj` and frees it with `free_fn` on eviction). A cache assumes the
 * collateral files it saw do not change during its life. */
void *clave__attest_cache_get(struct clave_attest_cache *cache, const uint8_t key[32]);
void clave__attest_cache_put(struct clave_attest_cache *cache, const uint8_t key[32], void *obj,
                             void (*free_fn)(void *obj));

/* SHA-256 over `label` and the length-prefixed `parts`: a cache key. */
clave_status clave__attest_digest(const char *label, const uint8_t *const *parts,
                                  const size_t *lens, size_t count, uint8_t key[32])
    __attribute__((warn_unused_result));

/* Every certificate in the files of `dir` named .der, .pem, .crt or .cer, appended to `list`. */
clave_status clave__attest_load_dir(const char *dir, struct clave_x509_list *list)
    __attribute__((warn_unused_result));

/* Certificates from DER or PEM bytes appended to `list`. */
clave_status clave__attest_load_certs(const uint8_t *data, size_t len, struct clave_x509_list *list)
    __attribute__((warn_unused_result));

/* Whether `cert` (borrowed) is byte-identical to one of `list`. */
bool clave__attest_list_contains(const struct clave_x509_list *list, const struct clave_x509 *cert);

/* Format verifiers (nitro.c, snp.c). `tee` is "nitro"/"snp"; sim evidence is told apart by the
 * root it chains to. */
bool clave__nitro_detect(const uint8_t *evidence, size_t len);
clave_status clave__nitro_verify(const uint8_t *evidence, size_t len,
                                 const struct clave_attest_options *opts,
                                 struct clave_attest_report *report)
    __attribute__((warn_unused_result));
clave_status clave__nitro_inspect(const uint8_t *evidence, size_t len,
                                  struct clave_attest_report *report)
    __attribute__((warn_unused_result));
bool clave__snp_detect(const uint8_t *evidence, size_t len);
clave_status clave__snp_verify(const uint8_t *evidence, size_t len,
                               const struct clave_attest_options *opts,
                               struct clave_attest_report *report)
    __attribute__((warn_unused_result));
clave_status clave__snp_inspect(const uint8_t *evidence, size_t len,
                                struct clave_attest_report *report)
    __attribute__((warn_unused_result));

/* After a verifier that returns its first failure (the Intel/TPM ones): CLAVE_OK when the
 * evidence was examined, with the verdict in `report`; NOMEM/LIMIT/INTERNAL pass through. A
 * failure that left no failed check after the first `before` checks is recorded as failed check
 * `name` with the error's detail, so a non-OK status never leaves an "ok" report. */
clave_status clave__attest_settle(struct clave_attest_report *report, size_t before,
                                  const char *name, clave_status st)
    __attribute__((warn_unused_result));

/* The DCAP collateral named by `opts` (collateral_file, else collateral_dir), borrowed from
 * opts->cache or returned in `*owned` (caller frees). `*out` is NULL when none is named; a
 * collateral that fails to load is recorded as failed check "dcap.collateral_load". */
struct clave_dcap_collateral;
clave_status clave__attest_dcap_collateral(const struct clave_attest_options *opts,
                                           struct clave_attest_report *report,
                                           const struct clave_dcap_collateral **out,
                                           struct clave_dcap_collateral **owned)
    __attribute__((warn_unused_result));

/* Intel DCAP, TPM2 and GCP rows (formats_intel.c) and the Azure vTPM rows (formats_azure.c). */
#define CLAVE__FORMAT_DECL(prefix)                                                                 \
    bool clave__##prefix##_detect(const uint8_t *evidence, size_t len);                            \
    clave_status clave__##prefix##_verify(                                                         \
        const uint8_t *evidence, size_t len, const struct clave_attest_options *opts,              \
        struct clave_attest_report *report) __attribute__((warn_unused_result));                   \
    clave_status clave__##prefix##_inspect(const uint8_t *evidence, size_t len,                    \
                                           struct clave_attest_report *report)                     \
        __attribute__((warn_unused_result))

CLAVE__FORMAT_DECL(tdx);
CLAVE__FORMAT_DECL(sgx);
CLAVE__FORMAT_DECL(gcp_tdx);
CLAVE__FORMAT_DECL(tpm2);
CLAVE__FORMAT_DECL(az_snp);
CLAVE__FORMAT_DECL(az_tdx);

#endif
