/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Appraisal policy (docs/attestation.md, "Policy language"):
 *
 *   {"version": 1,
 *    "tees": {
 *      "<tee>": {                              ; a "tee" claim value: "nitro", "snp", "tdx", ...
 *        "trusted_roots": ["root.pem", "-----BEGIN CERTIFICATE-----..."],   ; replaces vendor roots
 *        "reference": {"<claim>": [<value>, ...]},  ; the claim must equal one of the values
 *        "min": {"<claim>": <int>},                 ; integer claim >= value
 *        "tcb_status": ["UpToDate", ...],           ; accepted "tcb_status" claim values
 *                                                   ; (absent: "UpToDate" when the claim exists)
 *        "debug": false,                            ; debug evidence allowed (default false)
 *        "max_age_seconds": 3600,                   ; now - "time" claim
 *        "report_data": "<hex>"                     ; expected report_data (zero-padded)
 *      }}}
 *
 * Values are compared by the claim's type: hex strings for byte claims, text for string claims,
 * numbers for integers, true/false for booleans. Claim names are the common names of
 * include/clave/attest.h or format-specific ones ("nitro.pcr0", "tdx.rtmr1", "sgx.mrsigner"), so
 * new formats need no policy change. A TEE type absent from the policy is rejected; the "sim-*"
 * types exist only when a policy names them with their dev root.
 */
#include "attest/attest_internal.h"
#include "core/check.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <clave/secret.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_MAX_TEES 16
#define POLICY_MAX_ENTRIES 64
#define POLICY_MAX_VALUES 64
#define POLICY_MAX_ROOT_FILE (256u * 1024u)
#define POLICY_CHECK_NAME_MAX CLAVE_ATTEST_NAME_MAX

struct tee_policy {
    char name[32];
    json_t *obj; /* borrowed from the document */
    struct clave_x509_list *roots;
    bool debug_allowed;
};

struct clave_attest_policy {
    json_t *doc;
    struct tee_policy tees[POLICY_MAX_TEES];
    size_t tee_count;
};

/* The production default: every real TEE type, vendor roots, no debug. */
static const char DEFAULT_POLICY[] =
    "{\"version\":1,\"tees\":{\"nitro\":{},\"snp\":{},\"tdx\":{},\"sgx\":{},"
    "\"az-snp-vtpm\":{},\"az-tdx-vtpm\":{},\"gcp-tdx\":{},\"tpm2\":{}}}";

void clave_attest_policy_free(struct clave_attest_policy *policy)
{
    if (policy == NULL) {
        return;
    }
    for (size_t i = 0; i < policy->tee_count; i++) {
        clave_x509_list_free(policy->tees[i].roots);
    }
    json_decref(policy->doc);
    free(policy);
}

static clave_status read_root_file(const char *base_dir, const char *name, char **out,
                                   size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char path[4096];
    FILE *f = NULL;
    *out = NULL;
    *out_len = 0;
    int n = name[0] == '/' || base_dir == NULL
                ? snprintf(path, sizeof(path), "%s", name)
                : snprintf(path, sizeof(path), "%s/%s", base_dir, name);
    CLAVE_ENSURE(n > 0 && (size_t)n < sizeof(path), CLAVE_ERR_ARG, "policy: root path too long");
    f = fopen(path, "rb");
    CLAVE_ENSURE(f != NULL, CLAVE_ERR_NOT_FOUND, "policy: cannot open trusted root %s", path);
    *out = malloc(POLICY_MAX_ROOT_FILE);
    CLAVE_ENSURE_ALLOC(*out);
    *out_len = fread(*out, 1, POLICY_MAX_ROOT_FILE, f);
    CLAVE_ENSURE(!ferror(f) && *out_len < POLICY_MAX_ROOT_FILE, CLAVE_ERR_IO,
                 "policy: cannot read %s (or larger than %u bytes)", path, POLICY_MAX_ROOT_FILE);
    st = CLAVE_OK;
done:
    if (f != NULL) {
        fclose(f);
    }
    if (st != CLAVE_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

static clave_status load_roots(json_t *arr, const char *where, const char *base_dir,
                               struct clave_x509_list **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *file = NULL;
    size_t index = 0;
    json_t *item = NULL;
    CLAVE_CHECK(clave_x509_list_new(out));
    json_array_foreach (arr, index, item) {
        CLAVE_ENSURE(json_is_string(item), CLAVE_ERR_JSON, "%s[%zu]: expected string", where,
                     index);
        const char *text = json_string_value(item);
        size_t len = json_string_length(item);
        if (strstr(text, "-----BEGIN") == NULL) {
            CLAVE_CHECK(read_root_file(base_dir, text, &file, &len));
            text = file;
        }
        CLAVE_CHECK_CTX(clave__attest_load_certs((const uint8_t *)text, len, *out),
                        "%s[%zu]: ", where, index);
        free(file);
        file = NULL;
    }
    st = CLAVE_OK;
done:
    free(file);
    return st;
}

static clave_status check_values(json_t *obj, const char *where, bool arrays)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *key = NULL;
    json_t *v = NULL;
    CLAVE_ENSURE(json_object_size(obj) <= POLICY_MAX_ENTRIES, CLAVE_ERR_LIMIT,
                 "%s: more than %d entries", where, POLICY_MAX_ENTRIES);
    json_object_foreach (obj, key, v) {
        CLAVE_ENSURE(strlen(key) > 0 && strlen(key) < CLAVE_ATTEST_NAME_MAX, CLAVE_ERR_JSON,
                     "%s: claim name of %zu characters", where, strlen(key));
        if (arrays) {
            CLAVE_ENSURE(json_is_array(v) && json_array_size(v) > 0 &&
                             json_array_size(v) <= POLICY_MAX_VALUES,
                         CLAVE_ERR_JSON, "%s.%s: expected a non-empty array of values", where, key);
        } else {
            CLAVE_ENSURE(json_is_integer(v), CLAVE_ERR_JSON, "%s.%s: expected integer", where, key);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_tee(struct tee_policy *t, const char *name, json_t *obj,
                              const char *base_dir)
{
    static const char *const KEYS[] = {"trusted_roots", "reference", "min",
                                       "tcb_status",    "debug",     "max_age_seconds",
                                       "report_data",   NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    char where[CLAVE_JSON_PATH_MAX];
    char sub[CLAVE_JSON_PATH_MAX];
    json_t *v = NULL;
    int64_t age = 0;
    const char *hex = NULL;
    (void)clave_json_path_key(where, sizeof(where), "policy.tees", name);
    CLAVE_ENSURE(strlen(name) > 0 && strlen(name) < sizeof(t->name), CLAVE_ERR_JSON,
                 "%s: TEE name too long", where);
    (void)snprintf(t->name, sizeof(t->name), "%s", name);
    t->obj = obj;
    CLAVE_CHECK(clave_json_expect_object(obj, where));
    CLAVE_CHECK(clave_json_only_keys(obj, where, KEYS));
    CLAVE_CHECK(clave_json_get_array(obj, where, "trusted_roots", false, CLAVE_X509_LIST_MAX, &v));
    if (v != NULL) {
        CLAVE_CHECK(load_roots(v, clave_json_path_key(sub, sizeof(sub), where, "trusted_roots"),
                               base_dir, &t->roots));
    }
    CLAVE_CHECK(clave_json_get_object(obj, where, "reference", false, &v));
    if (v != NULL) {
        CLAVE_CHECK(
            check_values(v, clave_json_path_key(sub, sizeof(sub), where, "reference"), true));
    }
    CLAVE_CHECK(clave_json_get_object(obj, where, "min", false, &v));
    if (v != NULL) {
        CLAVE_CHECK(check_values(v, clave_json_path_key(sub, sizeof(sub), where, "min"), false));
    }
    CLAVE_CHECK(clave_json_get_array(obj, where, "tcb_status", false, POLICY_MAX_VALUES, &v));
    for (size_t i = 0; v != NULL && i < json_array_size(v); i++) {
        CLAVE_ENSURE(json_is_string(json_array_get(v, i)), CLAVE_ERR_JSON,
                     "%s.tcb_status[%zu]: expected a status string", where, i);
    }
    CLAVE_CHECK(clave_json_get_bool(obj, where, "debug", false, &t->debug_allowed));
    CLAVE_CHECK(clave_json_get_int(obj, where, "max_age_seconds", false, 0, INT32_MAX, &age));
    CLAVE_CHECK(clave_json_get_string(obj, where, "report_data", false,
                                      2 * CLAVE_NITRO_MAX_USER_DATA_LEN, &hex));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_attest_policy_parse(const char *json, size_t len, const char *base_dir,
                                       struct clave_attest_policy **out)
{
    static const char *const KEYS[] = {"version", "tees", NULL};
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_attest_policy *p = NULL;
    json_t *tees = NULL;
    const char *name = NULL;
    json_t *obj = NULL;
    int64_t version = 0;
    *out = NULL;
    p = calloc(1, sizeof(*p));
    CLAVE_ENSURE_ALLOC(p);
    CLAVE_CHECK(clave_json_parse(json, len, NULL, "policy", &p->doc));
    CLAVE_CHECK(clave_json_expect_object(p->doc, "policy"));
    CLAVE_CHECK(clave_json_only_keys(p->doc, "policy", KEYS));
    CLAVE_CHECK(clave_json_get_int(p->doc, "policy", "version", true, 1, 1, &version));
    CLAVE_CHECK(clave_json_get_object(p->doc, "policy", "tees", true, &tees));
    CLAVE_ENSURE(json_object_size(tees) <= POLICY_MAX_TEES, CLAVE_ERR_LIMIT,
                 "policy.tees: more than %d TEE types", POLICY_MAX_TEES);
    json_object_foreach (tees, name, obj) {
        CLAVE_CHECK(parse_tee(&p->tees[p->tee_count++], name, obj, base_dir));
    }
    *out = p;
    p = NULL;
    st = CLAVE_OK;
done:
    clave_attest_policy_free(p);
    return st;
}

clave_status clave_attest_policy_default(struct clave_attest_policy **out)
{
    return clave_attest_policy_parse(DEFAULT_POLICY, sizeof(DEFAULT_POLICY) - 1, NULL, out);
}

static const struct tee_policy *find_tee(const struct clave_attest_policy *policy, const char *tee)
{
    for (size_t i = 0; policy != NULL && tee != NULL && i < policy->tee_count; i++) {
        if (strcmp(policy->tees[i].name, tee) == 0) {
            return &policy->tees[i];
        }
    }
    return NULL;
}

const struct clave_x509_list *clave_attest_policy_roots(const struct clave_attest_policy *policy,
                                                        const char *tee)
{
    const struct tee_policy *t = find_tee(policy, tee);
    return t != NULL ? t->roots : NULL;
}

/* Whether the JSON `want` equals the claim `c` (by the claim's type). */
static bool value_matches(const json_t *want, const struct clave_attest_claim *c)
{
    uint8_t buf[CLAVE_ATTEST_CLAIM_MAX_LEN];
    size_t len = 0;
    switch (c->type) {
    case CLAVE_CLAIM_BYTES:
        if (!json_is_string(want) ||
            clave_hex_decode(json_string_value(want), json_string_length(want), buf, sizeof(buf),
                             &len) != CLAVE_OK) {
            clave_error_clear();
            return false;
        }
        return len == c->len && clave_ct_equal(buf, c->bytes, len);
    case CLAVE_CLAIM_STRING:
        return json_is_string(want) && strcmp(json_string_value(want), (const char *)c->bytes) == 0;
    case CLAVE_CLAIM_INT:
        return json_is_integer(want) && json_integer_value(want) == c->integer;
    case CLAVE_CLAIM_BOOL:
        return json_is_boolean(want) && json_is_true(want) == (c->integer != 0);
    default:
        return false;
    }
}

static clave_status check(struct clave_attest_report *report, const char *prefix, const char *claim,
                          bool ok, const char *detail)
{
    char name[POLICY_CHECK_NAME_MAX];
    int n = claim != NULL ? snprintf(name, sizeof(name), "%s.%s", prefix, claim)
                          : snprintf(name, sizeof(name), "%s", prefix);
    if (n < 0 || (size_t)n >= sizeof(name)) {
        name[sizeof(name) - 1] = 0; /* a long claim name is cut, the check still counts */
    }
    return clave_attest_report_check(report, name, ok, "%s", detail);
}

static clave_status apply_reference(json_t *ref, struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *key = NULL;
    json_t *values = NULL;
    json_object_foreach (ref, key, values) {
        struct clave_attest_claim c;
        bool found = clave_attest_report_find_claim(report, key, &c) == CLAVE_OK;
        bool ok = false;
        size_t i = 0;
        json_t *v = NULL;
        json_array_foreach (values, i, v) {
            ok = ok || (found && value_matches(v, &c));
        }
        clave_error_clear();
        CLAVE_CHECK(check(report, "policy.reference", key, ok,
                          !found ? "claim absent from the evidence"
                          : ok   ? "matches a reference value"
                                 : "matches no reference value"));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status apply_min(json_t *mins, struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *key = NULL;
    json_t *v = NULL;
    char detail[CLAVE_ATTEST_DETAIL_MAX];
    json_object_foreach (mins, key, v) {
        struct clave_attest_claim c;
        bool found = clave_attest_report_find_claim(report, key, &c) == CLAVE_OK &&
                     c.type == CLAVE_CLAIM_INT;
        bool ok = found && c.integer >= json_integer_value(v);
        clave_error_clear();
        (void)snprintf(detail, sizeof(detail), "%s%lld, minimum %lld",
                       found ? "value " : "no integer claim; ", found ? (long long)c.integer : 0LL,
                       (long long)json_integer_value(v));
        CLAVE_CHECK(check(report, "policy.min", key, ok, detail));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status apply_debug(const struct tee_policy *t, struct clave_attest_report *report)
{
    struct clave_attest_claim c;
    bool debug = clave_attest_report_find_claim(report, "debug", &c) != CLAVE_OK || c.integer != 0;
    clave_error_clear();
    return check(report, "policy.debug", NULL, t->debug_allowed || !debug,
                 !debug             ? "production (debug off)"
                 : t->debug_allowed ? "debug evidence allowed by the policy"
                                    : "debug evidence (or no debug claim) rejected");
}

static clave_status apply_age(const json_t *max_age, int64_t now,
                              struct clave_attest_report *report)
{
    struct clave_attest_claim c;
    char detail[CLAVE_ATTEST_DETAIL_MAX];
    bool found = clave_attest_report_find_claim(report, "time", &c) == CLAVE_OK;
    int64_t limit = json_integer_value(max_age);
    bool ok = found && c.integer <= now && now - c.integer <= limit;
    clave_error_clear();
    (void)snprintf(detail, sizeof(detail), "evidence time %lld, now %lld, maximum age %lld s",
                   found ? (long long)c.integer : -1LL, (long long)now, (long long)limit);
    return check(report, "policy.max_age", NULL, ok, found ? detail : "evidence carries no time");
}

static clave_status apply_report_data(const json_t *hex, struct clave_attest_report *report)
{
    uint8_t want[CLAVE_NITRO_MAX_USER_DATA_LEN];
    size_t len = 0;
    struct clave_attest_claim c;
    bool ok = clave_hex_decode(json_string_value(hex), json_string_length(hex), want, sizeof(want),
                               &len) == CLAVE_OK &&
              clave_attest_report_find_claim(report, "report_data", &c) == CLAVE_OK &&
              c.len >= len && clave_ct_equal(want, c.bytes, len);
    for (size_t i = len; ok && i < c.len; i++) {
        ok = c.bytes[i] == 0;
    }
    clave_error_clear();
    return check(report, "policy.report_data", NULL, ok,
                 ok ? "report_data is the expected binding" : "report_data differs");
}

/*
 * The "tcb_status" claim (Intel's status strings) must be one the policy lists. A policy that
 * lists none accepts only "UpToDate" from evidence that carries a status: OutOfDate,
 * ConfigurationNeeded, SWHardeningNeeded... are accepted only when named.
 */
static clave_status apply_tcb_status(json_t *accepted, struct clave_attest_report *report)
{
    struct clave_attest_claim c;
    char detail[CLAVE_ATTEST_DETAIL_MAX];
    bool found = clave_attest_report_find_claim(report, "tcb_status", &c) == CLAVE_OK &&
                 c.type == CLAVE_CLAIM_STRING;
    bool ok = false;
    size_t i = 0;
    json_t *v = NULL;
    if (accepted == NULL) {
        ok = found && strcmp((const char *)c.bytes, "UpToDate") == 0;
    }
    json_array_foreach (accepted, i, v) {
        ok = ok || (found && value_matches(v, &c));
    }
    clave_error_clear();
    (void)snprintf(detail, sizeof(detail), "%s %s%s", found ? (const char *)c.bytes : "",
                   ok ? "accepted" : "is not an accepted status",
                   accepted == NULL ? " (the policy lists none: UpToDate only)" : "");
    return check(report, "policy.tcb_status", NULL, ok, found ? detail : "no tcb_status claim");
}

clave_status clave_attest_policy_apply(const struct clave_attest_policy *policy, int64_t now,
                                       struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_attest_claim tee;
    struct clave_attest_claim status;
    const struct tee_policy *t = NULL;
    json_t *v = NULL;
    bool have_tee = clave_attest_report_find_claim(report, "tee", &tee) == CLAVE_OK;
    clave_error_clear();
    t = have_tee ? find_tee(policy, (const char *)tee.bytes) : NULL;
    CLAVE_CHECK(check(report, "policy.tee", NULL, t != NULL,
                      !have_tee   ? "evidence names no TEE type"
                      : t != NULL ? "TEE type covered by the policy"
                                  : "TEE type not accepted by the policy"));
    if (t == NULL) {
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(apply_debug(t, report));
    if ((v = json_object_get(t->obj, "reference")) != NULL) {
        CLAVE_CHECK(apply_reference(v, report));
    }
    if ((v = json_object_get(t->obj, "min")) != NULL) {
        CLAVE_CHECK(apply_min(v, report));
    }
    v = json_object_get(t->obj, "tcb_status");
    if (v != NULL || clave_attest_report_find_claim(report, "tcb_status", &status) == CLAVE_OK) {
        CLAVE_CHECK(apply_tcb_status(v, report));
    }
    clave_error_clear();
    if ((v = json_object_get(t->obj, "max_age_seconds")) != NULL && !json_is_null(v)) {
        CLAVE_CHECK(apply_age(v, now, report));
    }
    if ((v = json_object_get(t->obj, "report_data")) != NULL && !json_is_null(v)) {
        CLAVE_CHECK(apply_report_data(v, report));
    }
    st = CLAVE_OK;
done:
    return st;
}
