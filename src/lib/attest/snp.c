/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AMD SEV-SNP attestation reports, versions 2 and 3 (and later versions with the same layout).
 *
 * SEV Secure Nested Paging Firmware ABI Specification (AMD pub. 56860), table
 * "ATTESTATION_REPORT Structure" (all fields little-endian):
 *   0x000  u32  VERSION            2, 3 (v3 adds CPUID_* and is what current firmware emits)
 *   0x004  u32  GUEST_SVN
 *   0x008  u64  POLICY             bit 16 SMT, 17 reserved (1), 18 MIGRATE_MA, 19 DEBUG,
 *                                  20 SINGLE_SOCKET
 *   0x010  16   FAMILY_ID
 *   0x020  16   IMAGE_ID
 *   0x030  u32  VMPL
 *   0x034  u32  SIGNATURE_ALGO     1 = ECDSA P-384 with SHA-384
 *   0x038  u64  CURRENT_TCB        TCB_VERSION
 *   0x040  u64  PLATFORM_INFO
 *   0x048  u32  bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY (0 VCEK, 1 VLEK,
 *               7 none)
 *   0x04C  u32  reserved
 *   0x050  64   REPORT_DATA
 *   0x090  48   MEASUREMENT
 *   0x0C0  32   HOST_DATA
 *   0x0E0  48   ID_KEY_DIGEST
 *   0x110  48   AUTHOR_KEY_DIGEST
 *   0x140  32   REPORT_ID
 *   0x160  32   REPORT_ID_MA
 *   0x180  u64  REPORTED_TCB
 *   0x188  u8   CPUID_FAM_ID (v3; reserved in v2)
 *   0x189  u8   CPUID_MOD_ID (v3)
 *   0x18A  u8   CPUID_STEP (v3)
 *   0x18B  21   reserved
 *   0x1A0  64   CHIP_ID
 *   0x1E0  u64  COMMITTED_TCB
 *   0x1E8  u8 CURRENT_BUILD, u8 CURRENT_MINOR, u8 CURRENT_MAJOR, u8 reserved
 *   0x1EC  u8 COMMITTED_BUILD, u8 COMMITTED_MINOR, u8 COMMITTED_MAJOR, u8 reserved
 *   0x1F0  u64  LAUNCH_TCB
 *   0x1F8  168  reserved
 *   0x2A0  512  SIGNATURE: R (72, little-endian) | S (72, little-endian) | 368 reserved
 * The signature covers bytes 0x000-0x29F. TCB_VERSION (Milan, Genoa): byte 0 BOOT_LOADER, 1 TEE,
 * 6 SNP, 7 MICROCODE; Turin (family 1Ah): byte 0 FMC, 1 BOOT_LOADER, 2 TEE, 3 SNP, 7 MICROCODE.
 *
 * The report is signed by a VCEK (per chip and TCB: ARK -> ASK -> VCEK) or a VLEK (per cloud
 * provider: ARK -> ASVK -> VLEK). VCEK/VLEK certificates carry the TCB they were issued for in
 * extensions 1.3.6.1.4.1.3704.1.3.{1 blSPL, 2 teeSPL, 3 snpSPL, 8 ucodeSPL} and the chip in
 * 1.3.6.1.4.1.3704.1.4 (hwID, VCEK only) (AMD "Versioned Chip Endorsement Key (VCEK) Certificate
 * and KDS Interface Specification", pub. 57230).
 */
#include "attest/attest_internal.h"
#include "core/check.h"

#include <clave/buf.h>
#include <clave/sign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNP_SIG_FIELD_LEN 72
#define SNP_SIG_RESERVED_LEN 368
#define SNP_SIG_ALGO_ECDSA_P384_SHA384 1
#define SNP_POLICY_SMT (1ull << 16)
#define SNP_POLICY_MIGRATE_MA (1ull << 18)
#define SNP_POLICY_DEBUG (1ull << 19)
#define SNP_SIGNING_KEY_VCEK 0
#define SNP_SIGNING_KEY_VLEK 1
#define SNP_CPUID_FAMILY_TURIN 0x1A
#define SNP_CHIP_ID_LEN 64
#define SNP_OID_BL "1.3.6.1.4.1.3704.1.3.1"
#define SNP_OID_TEE "1.3.6.1.4.1.3704.1.3.2"
#define SNP_OID_SNP "1.3.6.1.4.1.3704.1.3.3"
#define SNP_OID_UCODE "1.3.6.1.4.1.3704.1.3.8"
#define SNP_OID_FMC "1.3.6.1.4.1.3704.1.3.9"
#define SNP_OID_HWID "1.3.6.1.4.1.3704.1.4"

_Static_assert(CLAVE_SNP_SIGNED_LEN + 2 * SNP_SIG_FIELD_LEN + SNP_SIG_RESERVED_LEN ==
                   CLAVE_SNP_REPORT_LEN,
               "SEV-SNP report layout");

struct snp_tcb {
    uint8_t fmc, bootloader, tee, snp, microcode;
};

struct snp_report {
    uint32_t version, guest_svn, vmpl, sig_algo, key_info;
    uint64_t policy, current_tcb, platform_info, reported_tcb, committed_tcb, launch_tcb;
    const uint8_t *family_id, *image_id, *report_data, *measurement, *host_data;
    const uint8_t *id_key_digest, *author_key_digest, *report_id, *report_id_ma, *chip_id;
    uint8_t cpuid_family, cpuid_model, cpuid_stepping;
    const uint8_t *sig_r, *sig_s;
};

static clave_status parse_report(const uint8_t *data, size_t len, struct snp_report *rep)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_reader r;
    uint32_t reserved32 = 0;
    memset(rep, 0, sizeof(*rep));
    CLAVE_ENSURE(len == CLAVE_SNP_REPORT_LEN, CLAVE_ERR_FORMAT,
                 "snp: report of %zu bytes, expected %d", len, CLAVE_SNP_REPORT_LEN);
    clave_reader_init(&r, data, len);
    CLAVE_CHECK(clave_reader_u32le(&r, &rep->version));
    CLAVE_ENSURE(rep->version >= 2 && rep->version <= 5, CLAVE_ERR_UNSUPPORTED,
                 "snp: report version %u not in 2..5", rep->version);
    CLAVE_CHECK(clave_reader_u32le(&r, &rep->guest_svn));
    CLAVE_CHECK(clave_reader_u64le(&r, &rep->policy));
    CLAVE_CHECK(clave_reader_view(&r, 16, &rep->family_id));
    CLAVE_CHECK(clave_reader_view(&r, 16, &rep->image_id));
    CLAVE_CHECK(clave_reader_u32le(&r, &rep->vmpl));
    CLAVE_CHECK(clave_reader_u32le(&r, &rep->sig_algo));
    CLAVE_CHECK(clave_reader_u64le(&r, &rep->current_tcb));
    CLAVE_CHECK(clave_reader_u64le(&r, &rep->platform_info));
    CLAVE_CHECK(clave_reader_u32le(&r, &rep->key_info));
    CLAVE_CHECK(clave_reader_u32le(&r, &reserved32));
    CLAVE_CHECK(clave_reader_view(&r, CLAVE_SNP_REPORT_DATA_LEN, &rep->report_data));
    CLAVE_CHECK(clave_reader_view(&r, CLAVE_SNP_MEASUREMENT_LEN, &rep->measurement));
    CLAVE_CHECK(clave_reader_view(&r, 32, &rep->host_data));
    CLAVE_CHECK(clave_reader_view(&r, 48, &rep->id_key_digest));
    CLAVE_CHECK(clave_reader_view(&r, 48, &rep->author_key_digest));
    CLAVE_CHECK(clave_reader_view(&r, 32, &rep->report_id));
    CLAVE_CHECK(clave_reader_view(&r, 32, &rep->report_id_ma));
    CLAVE_CHECK(clave_reader_u64le(&r, &rep->reported_tcb));
    CLAVE_CHECK(clave_reader_u8(&r, &rep->cpuid_family));
    CLAVE_CHECK(clave_reader_u8(&r, &rep->cpuid_model));
    CLAVE_CHECK(clave_reader_u8(&r, &rep->cpuid_stepping));
    CLAVE_CHECK(clave_reader_skip(&r, 21));
    CLAVE_CHECK(clave_reader_view(&r, SNP_CHIP_ID_LEN, &rep->chip_id));
    CLAVE_CHECK(clave_reader_u64le(&r, &rep->committed_tcb));
    CLAVE_CHECK(clave_reader_skip(&r, 8)); /* current and committed firmware versions */
    CLAVE_CHECK(clave_reader_u64le(&r, &rep->launch_tcb));
    CLAVE_CHECK(clave_reader_skip(&r, 168));
    CLAVE_ENSURE(r.pos == CLAVE_SNP_SIGNED_LEN, CLAVE_ERR_INTERNAL, "snp: layout mismatch");
    CLAVE_CHECK(clave_reader_view(&r, SNP_SIG_FIELD_LEN, &rep->sig_r));
    CLAVE_CHECK(clave_reader_view(&r, SNP_SIG_FIELD_LEN, &rep->sig_s));
    CLAVE_CHECK(clave_reader_skip(&r, SNP_SIG_RESERVED_LEN));
    CLAVE_CHECK(clave_reader_expect_end(&r));
    if (rep->version < 3) { /* v2: the CPUID bytes are reserved */
        rep->cpuid_family = rep->cpuid_model = rep->cpuid_stepping = 0;
    }
    st = CLAVE_OK;
done:
    return st;
}

static struct snp_tcb decode_tcb(const struct snp_report *rep, uint64_t raw)
{
    struct snp_tcb t = {0};
    if (rep->cpuid_family == SNP_CPUID_FAMILY_TURIN) {
        t.fmc = (uint8_t)raw;
        t.bootloader = (uint8_t)(raw >> 8);
        t.tee = (uint8_t)(raw >> 16);
        t.snp = (uint8_t)(raw >> 24);
    } else {
        t.bootloader = (uint8_t)raw;
        t.tee = (uint8_t)(raw >> 8);
        t.snp = (uint8_t)(raw >> 48);
    }
    t.microcode = (uint8_t)(raw >> 56);
    return t;
}

static unsigned signing_key(const struct snp_report *rep)
{
    return rep->version >= 3 ? (rep->key_info >> 2) & 7u : SNP_SIGNING_KEY_VCEK;
}

bool clave__snp_detect(const uint8_t *evidence, size_t len)
{
    struct snp_report rep;
    return len == CLAVE_SNP_REPORT_LEN && parse_report(evidence, len, &rep) == CLAVE_OK &&
           rep.sig_algo == SNP_SIG_ALGO_ECDSA_P384_SHA384;
}

static clave_status claim_tcb(struct clave_attest_report *report, const char *prefix,
                              struct snp_tcb t)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char name[CLAVE_ATTEST_NAME_MAX];
    const char *parts[] = {"bootloader", "tee", "snp", "microcode"};
    const uint8_t values[] = {t.bootloader, t.tee, t.snp, t.microcode};
    for (size_t i = 0; i < 4; i++) {
        (void)snprintf(name, sizeof(name), "%s.%s", prefix, parts[i]);
        CLAVE_CHECK(clave_attest_claim_int(report, name, values[i]));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status record_claims(const struct snp_report *rep, const char *tee,
                                  struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_attest_claim_string(report, "tee", tee));
    CLAVE_CHECK(clave_attest_claim_bytes(report, "report_data", rep->report_data, 64));
    CLAVE_CHECK(clave_attest_claim_bytes(report, "measurement", rep->measurement, 48));
    CLAVE_CHECK(clave_attest_claim_bool(report, "debug", (rep->policy & SNP_POLICY_DEBUG) != 0));
    CLAVE_CHECK(clave_attest_claim_int(report, "snp.version", rep->version));
    CLAVE_CHECK(clave_attest_claim_int(report, "snp.guest_svn", rep->guest_svn));
    CLAVE_CHECK(clave_attest_claim_int(report, "snp.policy", (int64_t)rep->policy));
    CLAVE_CHECK(clave_attest_claim_bool(report, "snp.smt", (rep->policy & SNP_POLICY_SMT) != 0));
    CLAVE_CHECK(clave_attest_claim_bool(report, "snp.migrate_ma",
                                        (rep->policy & SNP_POLICY_MIGRATE_MA) != 0));
    CLAVE_CHECK(clave_attest_claim_int(report, "snp.vmpl", rep->vmpl));
    CLAVE_CHECK(clave_attest_claim_bytes(report, "snp.host_data", rep->host_data, 32));
    CLAVE_CHECK(clave_attest_claim_bytes(report, "snp.id_key_digest", rep->id_key_digest, 48));
    CLAVE_CHECK(
        clave_attest_claim_bytes(report, "snp.author_key_digest", rep->author_key_digest, 48));
    CLAVE_CHECK(clave_attest_claim_bytes(report, "snp.family_id", rep->family_id, 16));
    CLAVE_CHECK(clave_attest_claim_bytes(report, "snp.image_id", rep->image_id, 16));
    CLAVE_CHECK(clave_attest_claim_bytes(report, "snp.report_id", rep->report_id, 32));
    CLAVE_CHECK(clave_attest_claim_bytes(report, "snp.chip_id", rep->chip_id, SNP_CHIP_ID_LEN));
    CLAVE_CHECK(clave_attest_claim_int(report, "snp.platform_info", (int64_t)rep->platform_info));
    CLAVE_CHECK(clave_attest_claim_string(
        report, "snp.signing_key", signing_key(rep) == SNP_SIGNING_KEY_VLEK ? "vlek" : "vcek"));
    CLAVE_CHECK(claim_tcb(report, "snp.reported_tcb", decode_tcb(rep, rep->reported_tcb)));
    CLAVE_CHECK(claim_tcb(report, "snp.committed_tcb", decode_tcb(rep, rep->committed_tcb)));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__snp_inspect(const uint8_t *evidence, size_t len,
                                struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct snp_report rep;
    CLAVE_CHECK(parse_report(evidence, len, &rep));
    CLAVE_CHECK(record_claims(&rep, "snp", report));
    st = CLAVE_OK;
done:
    return st;
}

/* Whether the report signature verifies under `key`. */
static bool signed_by(const struct snp_report *rep, const uint8_t *evidence,
                      const struct clave_pkey *key)
{
    uint8_t raw[2 * CLAVE_P384_COORD_LEN];
    bool ok = key != NULL && clave_pkey_type(key) == CLAVE_PKEY_P384 &&
              clave_ecdsa_le_to_raw(rep->sig_r, rep->sig_s, SNP_SIG_FIELD_LEN, CLAVE_P384_COORD_LEN,
                                    raw) == CLAVE_OK &&
              clave_ecdsa_verify(key, CLAVE_SIG_RAW, evidence, CLAVE_SNP_SIGNED_LEN, raw,
                                 sizeof(raw)) == CLAVE_OK;
    clave_error_clear();
    return ok;
}

/* The collateral: endorsement certificates given by the caller or found in the directory, with
 * their public keys, and the AMD roots. Cached per (endorsement bytes, directory). */
struct snp_collateral {
    struct clave_x509_list *certs;                /* candidates and intermediates given */
    struct clave_pkey *keys[CLAVE_X509_LIST_MAX]; /* P-384 keys of `certs`, NULL otherwise */
    struct clave_x509_list *vendor_roots;         /* AMD ARKs */
    struct clave_x509_list *intermediates;        /* AMD ASK/ASVK + the given certificates */
    bool endorsement_ok;
    size_t last_signer; /* tried first: with a cache, one ECDSA verification per report */
};

static void collateral_free(void *p)
{
    struct snp_collateral *c = p;
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < CLAVE_X509_LIST_MAX; i++) {
        clave_pkey_free(c->keys[i]);
    }
    clave_x509_list_free(c->certs);
    clave_x509_list_free(c->vendor_roots);
    clave_x509_list_free(c->intermediates);
    free(c);
}

static void load_keys(struct snp_collateral *c)
{
    for (size_t i = 0; i < clave_x509_list_count(c->certs); i++) {
        uint8_t *spki = NULL;
        size_t len = 0;
        if (clave_x509_spki_der(clave_x509_list_get(c->certs, i), &spki, &len) == CLAVE_OK &&
            clave_pkey_from_der(spki, len, &c->keys[i]) == CLAVE_OK &&
            clave_pkey_type(c->keys[i]) != CLAVE_PKEY_P384) {
            clave_pkey_free(c->keys[i]);
            c->keys[i] = NULL;
        }
        free(spki);
    }
    clave_error_clear();
}

static clave_status load_collateral(const struct clave_attest_options *opts,
                                    struct snp_collateral **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct snp_collateral *c = calloc(1, sizeof(*c));
    *out = NULL;
    CLAVE_ENSURE_ALLOC(c);
    CLAVE_CHECK(clave_x509_list_new(&c->certs));
    c->endorsement_ok =
        opts->endorsement == NULL ||
        clave__attest_load_certs(opts->endorsement, opts->endorsement_len, c->certs) == CLAVE_OK;
    if (opts->collateral_dir != NULL) {
        CLAVE_CHECK(clave__attest_load_dir(opts->collateral_dir, c->certs));
    }
    CLAVE_CHECK(clave__attest_vendor_roots("snp", &c->vendor_roots, &c->intermediates));
    for (size_t i = 0; i < clave_x509_list_count(c->certs); i++) {
        const uint8_t *der = NULL;
        size_t len = 0;
        clave_x509_der(clave_x509_list_get(c->certs, i), &der, &len);
        CLAVE_CHECK(clave_x509_list_add_der(c->intermediates, der, len));
    }
    load_keys(c);
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    collateral_free(c);
    return st;
}

/* The collateral from the cache or freshly loaded (then also in `*owned` when it cannot be
 * cached). A malformed endorsement is a failed check (the evidence is not genuine), not an
 * error. */
static clave_status get_collateral(const struct clave_attest_options *opts,
                                   struct clave_attest_report *report, struct snp_collateral **out,
                                   struct snp_collateral **owned)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *dir = opts->collateral_dir != NULL ? opts->collateral_dir : "";
    const uint8_t *parts[2] = {opts->endorsement, (const uint8_t *)dir};
    size_t lens[2] = {opts->endorsement != NULL ? opts->endorsement_len : 0, strlen(dir)};
    uint8_t key[32];
    struct snp_collateral *fresh = NULL;
    *owned = NULL;
    CLAVE_CHECK(clave__attest_digest("snp-collateral", parts, lens, 2, key));
    *out = clave__attest_cache_get(opts->cache, key);
    if (*out == NULL) {
        CLAVE_CHECK(load_collateral(opts, &fresh));
        *out = fresh;
        if (opts->cache != NULL && fresh->endorsement_ok) {
            clave__attest_cache_put(opts->cache, key, fresh, collateral_free);
        } else {
            *owned = fresh;
        }
    }
    if (opts->endorsement != NULL) {
        CLAVE_CHECK(clave_attest_report_check(
            report, "snp.endorsement", (*out)->endorsement_ok, "%s",
            (*out)->endorsement_ok ? "endorsement certificate parsed"
                                   : "endorsement is not a DER or PEM certificate"));
    }
    st = CLAVE_OK;
done:
    return st;
}

/* A small DER INTEGER extension value (AMD SPL extensions) as an unsigned number. */
static clave_status ext_uint(const struct clave_x509 *cert, const char *oid, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t *v = NULL;
    size_t len = 0;
    *out = 0;
    CLAVE_CHECK(clave_x509_extension(cert, oid, &v, &len, NULL));
    CLAVE_ENSURE(len >= 3 && len <= 10 && v[0] == 0x02 && v[1] == len - 2 && (v[2] & 0x80) == 0,
                 CLAVE_ERR_FORMAT, "snp: extension %s is not a small non-negative INTEGER", oid);
    for (size_t i = 2; i < len; i++) {
        *out = (*out << 8) | v[i];
    }
    st = CLAVE_OK;
done:
    return st;
}

/* Reported TCB == the TCB the VCEK/VLEK was issued for. */
static clave_status check_tcb(const struct snp_report *rep, const struct clave_x509 *leaf,
                              struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct snp_tcb t = decode_tcb(rep, rep->reported_tcb);
    uint64_t bl = 0;
    uint64_t tee = 0;
    uint64_t snp = 0;
    uint64_t ucode = 0;
    bool ok = ext_uint(leaf, SNP_OID_BL, &bl) == CLAVE_OK &&
              ext_uint(leaf, SNP_OID_TEE, &tee) == CLAVE_OK &&
              ext_uint(leaf, SNP_OID_SNP, &snp) == CLAVE_OK &&
              ext_uint(leaf, SNP_OID_UCODE, &ucode) == CLAVE_OK;
    if (ok && rep->cpuid_family == SNP_CPUID_FAMILY_TURIN) {
        uint64_t fmc = 0;
        ok = ext_uint(leaf, SNP_OID_FMC, &fmc) == CLAVE_OK && fmc == t.fmc;
    }
    clave_error_clear();
    CLAVE_CHECK(clave_attest_report_check(
        report, "snp.tcb",
        ok && bl == t.bootloader && tee == t.tee && snp == t.snp && ucode == t.microcode,
        "reported_tcb bl=%u tee=%u snp=%u ucode=%u; certificate bl=%llu tee=%llu snp=%llu "
        "ucode=%llu",
        t.bootloader, t.tee, t.snp, t.microcode, (unsigned long long)bl, (unsigned long long)tee,
        (unsigned long long)snp, (unsigned long long)ucode));
    st = CLAVE_OK;
done:
    return st;
}

/* VCEK: the hwID extension equals CHIP_ID (raw 64 bytes or an OCTET STRING of them). */
static clave_status check_chip(const struct snp_report *rep, const struct clave_x509 *leaf,
                               struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const uint8_t *v = NULL;
    size_t len = 0;
    bool ok = clave_x509_extension(leaf, SNP_OID_HWID, &v, &len, NULL) == CLAVE_OK;
    if (ok && len == SNP_CHIP_ID_LEN + 2 && v[0] == 0x04 && v[1] == SNP_CHIP_ID_LEN) {
        v += 2;
        len -= 2;
    }
    ok = ok && len == SNP_CHIP_ID_LEN && clave_ct_equal(v, rep->chip_id, SNP_CHIP_ID_LEN);
    clave_error_clear();
    CLAVE_CHECK(clave_attest_report_check(report, "snp.chip_id", ok, "%s",
                                          ok ? "CHIP_ID equals the VCEK hwID"
                                             : "CHIP_ID differs from the VCEK hwID extension"));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status find_signer(const struct snp_report *rep, const uint8_t *evidence,
                                struct snp_collateral *c, const struct clave_x509 **leaf,
                                struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = clave_x509_list_count(c->certs);
    *leaf = NULL;
    for (size_t k = 0; k < n && *leaf == NULL; k++) {
        size_t i = (c->last_signer + k) % n;
        if (signed_by(rep, evidence, c->keys[i])) {
            *leaf = clave_x509_list_get(c->certs, i);
            c->last_signer = i;
        }
    }
    CLAVE_CHECK(clave_attest_report_check(
        report, "snp.signature", *leaf != NULL, "%s",
        *leaf != NULL ? "ECDSA P-384 over 0x000-0x29F by the endorsement key"
        : n == 0      ? "no VCEK/VLEK given (endorsement or collateral directory)"
                      : "no given VCEK/VLEK verifies the report signature"));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status check_signer_kind(const struct snp_report *rep, const struct clave_x509 *leaf,
                                      struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *subject = NULL;
    unsigned kind = signing_key(rep);
    const char *want = kind == SNP_SIGNING_KEY_VCEK ? "CN=SEV-VCEK" : "CN=SEV-VLEK";
    CLAVE_CHECK(clave_x509_subject(leaf, &subject));
    bool ok = (kind == SNP_SIGNING_KEY_VCEK || kind == SNP_SIGNING_KEY_VLEK) &&
              strstr(subject, want) != NULL;
    CLAVE_CHECK(clave_attest_report_check(report, "snp.signing_key", ok,
                                          "SIGNING_KEY %u, signer %s", kind, subject));
    st = CLAVE_OK;
done:
    free(subject);
    return st;
}

static clave_status verify_parsed(const struct snp_report *rep, const uint8_t *evidence,
                                  const struct clave_attest_options *opts,
                                  struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct snp_collateral *c = NULL;
    struct snp_collateral *owned = NULL;
    const struct clave_x509 *leaf = NULL;
    bool chain_ok = false;
    bool simulated = false;
    bool cached = false;
    CLAVE_CHECK(clave_attest_report_check(report, "snp.signature_algo",
                                          rep->sig_algo == SNP_SIG_ALGO_ECDSA_P384_SHA384,
                                          "SIGNATURE_ALGO %u", rep->sig_algo));
    CLAVE_CHECK(get_collateral(opts, report, &c, &owned));
    CLAVE_CHECK(find_signer(rep, evidence, c, &leaf, report));
    if (leaf != NULL) {
        int64_t at_time = clave__attest_time(opts, 0);
        const struct clave_x509_list *sim = clave_attest_policy_roots(opts->policy, "sim-snp");
        const struct clave_x509_list *roots = clave_attest_policy_roots(opts->policy, "snp");
        if (sim != NULL && clave__attest_chain_verify(leaf, c->certs, sim, at_time, opts->cache,
                                                      &cached) == CLAVE_OK) {
            roots = sim;
            simulated = true;
        }
        clave_error_clear();
        CLAVE_CHECK(clave__attest_chain(report, "x509.chain", leaf, c->intermediates,
                                        roots != NULL ? roots : c->vendor_roots, at_time,
                                        opts->cache, &chain_ok));
        CLAVE_CHECK(check_signer_kind(rep, leaf, report));
        CLAVE_CHECK(check_tcb(rep, leaf, report));
        if (signing_key(rep) == SNP_SIGNING_KEY_VCEK) {
            CLAVE_CHECK(check_chip(rep, leaf, report));
        }
    }
    CLAVE_CHECK(record_claims(rep, simulated ? "sim-snp" : "snp", report));
    st = CLAVE_OK;
done:
    collateral_free(owned);
    return st;
}

clave_status clave__snp_verify(const uint8_t *evidence, size_t len,
                               const struct clave_attest_options *opts,
                               struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct snp_report rep;
    clave_status pst = parse_report(evidence, len, &rep);
    CLAVE_CHECK(clave_attest_report_check(report, "snp.format", pst == CLAVE_OK, "%s",
                                          pst == CLAVE_OK ? "attestation report"
                                                          : clave_error_last().detail));
    if (pst == CLAVE_OK) {
        CLAVE_CHECK(verify_parsed(&rep, evidence, opts, report));
    }
    st = CLAVE_OK;
done:
    return st;
}
