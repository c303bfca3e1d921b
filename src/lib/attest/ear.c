/* SPDX-License-Identifier: Apache-2.0 */
/*
 * EAR: EAT Attestation Results (draft-ietf-rats-ear, the Veraison profile
 * "tag:github.com,2023:veraison/ear" with its dotted claim names) as a JWT signed with ES256:
 *
 *   {"eat_profile": "tag:github.com,2023:veraison/ear", "iat": <int>,
 *    "ear.verifier-id": {"developer": "https://github.com/clave", "build": <verifier_id>},
 *    "submods": {"<tee>": {"ear.status": "affirming" | "warning" | "contraindicated" | "none",
 *                          "ear.trustworthiness-vector": {<AR4SI claim>: -128..127, ...}}}}
 *
 * Trustworthiness claims (draft-ietf-rats-ar4si, section 2.3) derived from the checks:
 *   instance-identity  2 trustworthy instance (signature ok) / 96 untrustworthy
 *   hardware           2 genuine (chain to a vendor root, TCB matches) / 32 unsafe (TCB or
 *                      policy minimum failed, or simulated) / 97 unrecognized (chain failed)
 *   configuration      2 approved (debug policy ok) / 96 unsafe (debug or any other failure)
 *   executables        2 approved runtime (all reference values matched) / 96 unrecognized;
 *                      omitted when the policy names no reference value
 *   runtime-opaque     2 encrypted memory (a real TEE) / 96 visible (simulated)
 * Tiers: 2..31 affirming, 32..95 warning, 96..127 contraindicated; the status is the worst.
 */
#include "core/check.h"

#include <clave/attest_verify.h>
#include <clave/encoding.h>
#include <clave/json.h>
#include <clave/sign.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EAR_DEVELOPER "https://github.com/clave"
#define EAR_MAX_LEN (64u * 1024u)
#define AR4SI_AFFIRMING 2
#define AR4SI_WARNING 32
#define AR4SI_CONTRAINDICATED 96
#define AR4SI_UNRECOGNIZED 97
#define ES256_SIG_LEN 64

enum tv_claim { TV_INSTANCE, TV_HARDWARE, TV_CONFIG, TV_EXECUTABLES, TV_RUNTIME, TV_COUNT };

static const char *const TV_NAMES[TV_COUNT] = {"instance-identity", "hardware", "configuration",
                                               "executables", "runtime-opaque"};

static bool prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

static void raise_to(int *slot, int value)
{
    *slot = value > *slot ? value : *slot;
}

/* The AR4SI vector for `report`; 0 means no claim. */
static void derive_vector(const struct clave_attest_report *report, int tv[TV_COUNT])
{
    struct clave_attest_claim tee;
    bool sim = clave_attest_report_find_claim(report, "tee", &tee) == CLAVE_OK &&
               prefix((const char *)tee.bytes, "sim-");
    bool refs = false;
    tv[TV_INSTANCE] = tv[TV_HARDWARE] = tv[TV_CONFIG] = AR4SI_AFFIRMING;
    tv[TV_EXECUTABLES] = 0;
    tv[TV_RUNTIME] = sim ? AR4SI_CONTRAINDICATED : AR4SI_AFFIRMING;
    if (sim) {
        raise_to(&tv[TV_HARDWARE], AR4SI_WARNING);
    }
    for (size_t i = 0; i < clave_attest_report_check_count(report); i++) {
        struct clave_attest_check c;
        if (clave_attest_report_get_check(report, i, &c) != CLAVE_OK) {
            continue;
        }
        bool failed = c.outcome != CLAVE_CHECK_PASS;
        if (prefix(c.name, "policy.reference.")) {
            refs = true;
            raise_to(&tv[TV_EXECUTABLES], failed ? AR4SI_CONTRAINDICATED : AR4SI_AFFIRMING);
        } else if (!failed) {
            continue;
        } else if (strstr(c.name, "signature") != NULL || strstr(c.name, "format") != NULL) {
            raise_to(&tv[TV_INSTANCE], AR4SI_CONTRAINDICATED);
        } else if (strstr(c.name, "chain") != NULL || strstr(c.name, "certificate") != NULL) {
            raise_to(&tv[TV_HARDWARE], AR4SI_UNRECOGNIZED);
        } else if (strstr(c.name, "tcb") != NULL || prefix(c.name, "policy.min.")) {
            raise_to(&tv[TV_HARDWARE], AR4SI_WARNING);
        } else {
            raise_to(&tv[TV_CONFIG], AR4SI_CONTRAINDICATED);
        }
    }
    if (!refs) {
        tv[TV_EXECUTABLES] = 0;
    }
}

static const char *tier_name(int worst)
{
    return worst >= AR4SI_CONTRAINDICATED ? "contraindicated"
           : worst >= AR4SI_WARNING       ? "warning"
           : worst >= AR4SI_AFFIRMING     ? "affirming"
                                          : "none";
}

static clave_status build_claims(const struct clave_attest_report *report, const char *verifier_id,
                                 int64_t iat, char **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int tv[TV_COUNT];
    int worst = 0;
    struct clave_attest_claim tee;
    derive_vector(report, tv);
    json_t *vector = json_object();
    json_t *doc = NULL;
    CLAVE_ENSURE_ALLOC(vector);
    for (size_t i = 0; i < TV_COUNT; i++) {
        if (tv[i] != 0) {
            CLAVE_ENSURE(json_object_set_new(vector, TV_NAMES[i], json_integer(tv[i])) == 0,
                         CLAVE_ERR_NOMEM, "out of memory");
            raise_to(&worst, tv[i]);
        }
    }
    if (!clave_attest_report_ok(report)) {
        raise_to(&worst, AR4SI_WARNING); /* never affirm a failed appraisal */
    }
    const char *name = clave_attest_report_find_claim(report, "tee", &tee) == CLAVE_OK
                           ? (const char *)tee.bytes
                           : "unknown";
    doc = json_pack("{s:s, s:I, s:{s:s, s:s}, s:{s:{s:s, s:O}}}", "eat_profile", CLAVE_EAR_PROFILE,
                    "iat", (json_int_t)iat, "ear.verifier-id", "developer", EAR_DEVELOPER, "build",
                    verifier_id, "submods", name, "ear.status", tier_name(worst),
                    "ear.trustworthiness-vector", vector);
    CLAVE_ENSURE(doc != NULL, CLAVE_ERR_NOMEM, "ear: cannot build the claims");
    *out = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    json_decref(doc);
    json_decref(vector);
    return st;
}

static clave_status b64url(const uint8_t *data, size_t len, char **out)
{
    return clave_b64_encode_alloc(CLAVE_B64URL, data, len, out);
}

clave_status clave_ear_issue(const struct clave_attest_report *report, const struct clave_pkey *key,
                             const char *verifier_id, int64_t iat, char **jwt)
{
    static const char HEADER[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";
    clave_status st = CLAVE_ERR_INTERNAL;
    char *claims = NULL;
    char *h = NULL;
    char *p = NULL;
    char *s = NULL;
    char *input = NULL;
    uint8_t sig[ES256_SIG_LEN];
    size_t sig_len = 0;
    *jwt = NULL;
    CLAVE_ENSURE(clave_pkey_type(key) == CLAVE_PKEY_P256 && clave_pkey_has_private(key),
                 CLAVE_ERR_KEY, "ear: the verifier key must be a P-256 private key");
    CLAVE_CHECK(build_claims(report, verifier_id, iat, &claims));
    CLAVE_CHECK(b64url((const uint8_t *)HEADER, sizeof(HEADER) - 1, &h));
    CLAVE_CHECK(b64url((const uint8_t *)claims, strlen(claims), &p));
    size_t input_len = strlen(h) + 1 + strlen(p);
    input = malloc(input_len + 1);
    CLAVE_ENSURE_ALLOC(input);
    (void)snprintf(input, input_len + 1, "%s.%s", h, p);
    CLAVE_CHECK(clave_ecdsa_sign(key, CLAVE_SIG_RAW, (const uint8_t *)input, input_len, sig,
                                 sizeof(sig), &sig_len));
    CLAVE_CHECK(b64url(sig, sig_len, &s));
    *jwt = malloc(input_len + 1 + strlen(s) + 1);
    CLAVE_ENSURE_ALLOC(*jwt);
    (void)snprintf(*jwt, input_len + 1 + strlen(s) + 1, "%s.%s", input, s);
    st = CLAVE_OK;
done:
    free(input);
    free(claims);
    free(h);
    free(p);
    free(s);
    return st;
}

static int status_rank(const char *s)
{
    static const char *const ORDER[] = {"none", "affirming", "warning", "contraindicated"};
    for (int i = 0; i < 4; i++) {
        if (strcmp(s, ORDER[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* eat_profile, iat and every submod's ear.status; the worst status into `*status`. */
static clave_status check_claims(json_t *doc, const char **status)
{
    static const char *const RANKED[] = {"none", "affirming", "warning", "contraindicated"};
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *profile = NULL;
    int64_t iat = 0;
    json_t *submods = NULL;
    const char *name = NULL;
    json_t *sub = NULL;
    int worst = -1;
    CLAVE_CHECK(clave_json_expect_object(doc, "ear"));
    CLAVE_CHECK(clave_json_get_string(doc, "ear", "eat_profile", true, 256, &profile));
    CLAVE_ENSURE(strcmp(profile, CLAVE_EAR_PROFILE) == 0, CLAVE_ERR_FORMAT,
                 "ear: eat_profile is not %s", CLAVE_EAR_PROFILE);
    CLAVE_CHECK(clave_json_get_int(doc, "ear", "iat", true, 0, INT64_MAX, &iat));
    CLAVE_CHECK(clave_json_get_object(doc, "ear", "submods", true, &submods));
    CLAVE_ENSURE(json_object_size(submods) > 0, CLAVE_ERR_FORMAT, "ear: no submods");
    json_object_foreach (submods, name, sub) {
        const char *s = NULL;
        char where[CLAVE_JSON_PATH_MAX];
        (void)clave_json_path_key(where, sizeof(where), "ear.submods", name);
        CLAVE_CHECK(clave_json_get_string(sub, where, "ear.status", true, 32, &s));
        int rank = status_rank(s);
        CLAVE_ENSURE(rank >= 0, CLAVE_ERR_FORMAT, "%s.ear.status: unknown status", where);
        worst = rank > worst ? rank : worst;
    }
    *status = RANKED[worst];
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_ear_verify(const char *jwt, size_t len, const struct clave_pkey *key,
                              const char **status, char **claims)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t *header = NULL;
    uint8_t *payload = NULL;
    uint8_t *sig = NULL;
    size_t header_len = 0;
    size_t payload_len = 0;
    size_t sig_len = 0;
    json_t *hdoc = NULL;
    json_t *doc = NULL;
    const char *alg = NULL;
    *status = NULL;
    if (claims != NULL) {
        *claims = NULL;
    }
    CLAVE_ENSURE(len <= EAR_MAX_LEN, CLAVE_ERR_TOO_LARGE, "ear: token of %zu bytes", len);
    const char *dot1 = memchr(jwt, '.', len);
    const char *dot2 = dot1 != NULL ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt)) : NULL;
    CLAVE_ENSURE(dot2 != NULL && memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - jwt)) == NULL,
                 CLAVE_ERR_FORMAT, "ear: not a JWS compact serialization");
    CLAVE_CHECK(
        clave_b64_decode_alloc(CLAVE_B64URL, jwt, (size_t)(dot1 - jwt), &header, &header_len));
    CLAVE_CHECK(clave_b64_decode_alloc(CLAVE_B64URL, dot2 + 1, len - (size_t)(dot2 + 1 - jwt), &sig,
                                       &sig_len));
    CLAVE_CHECK(clave_json_parse((const char *)header, header_len, NULL, "ear header", &hdoc));
    CLAVE_CHECK(clave_json_get_string(hdoc, "ear header", "alg", true, 16, &alg));
    CLAVE_ENSURE(strcmp(alg, "ES256") == 0, CLAVE_ERR_SIGNATURE, "ear: alg %s is not ES256", alg);
    CLAVE_ENSURE(sig_len == ES256_SIG_LEN, CLAVE_ERR_SIGNATURE, "ear: signature length");
    CLAVE_CHECK(clave_ecdsa_verify(key, CLAVE_SIG_RAW, (const uint8_t *)jwt, (size_t)(dot2 - jwt),
                                   sig, sig_len));
    CLAVE_CHECK(clave_b64_decode_alloc(CLAVE_B64URL, dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload,
                                       &payload_len));
    CLAVE_CHECK(clave_json_parse((const char *)payload, payload_len, NULL, "ear", &doc));
    CLAVE_CHECK(check_claims(doc, status));
    if (claims != NULL) {
        *claims = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
        CLAVE_ENSURE_ALLOC(*claims);
    }
    st = CLAVE_OK;
done:
    if (st != CLAVE_OK) {
        *status = NULL;
    }
    json_decref(hdoc);
    json_decref(doc);
    free(header);
    free(payload);
    free(sig);
    return st;
}
