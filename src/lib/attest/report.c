/* SPDX-License-Identifier: Apache-2.0 */
/* Appraisal reports: the ordered checks a verifier ran and the claims the evidence makes. */
#include "core/check.h"

#include <clave/attest.h>
#include <clave/encoding.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stored_check {
    char name[CLAVE_ATTEST_NAME_MAX];
    enum clave_check_outcome outcome;
    char detail[CLAVE_ATTEST_DETAIL_MAX];
};

struct stored_claim {
    char name[CLAVE_ATTEST_NAME_MAX];
    enum clave_claim_type type;
    uint8_t *bytes; /* BYTES and STRING (NUL-terminated) */
    size_t len;
    int64_t integer;
};

struct clave_attest_report {
    struct stored_check checks[CLAVE_ATTEST_MAX_CHECKS];
    size_t check_count;
    struct stored_claim claims[CLAVE_ATTEST_MAX_CLAIMS];
    size_t claim_count;
};

clave_status clave_attest_report_new(struct clave_attest_report **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = calloc(1, sizeof(**out));
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}

void clave_attest_report_free(struct clave_attest_report *report)
{
    if (report == NULL) {
        return;
    }
    for (size_t i = 0; i < report->claim_count; i++) {
        free(report->claims[i].bytes);
    }
    free(report);
}

static clave_status check_name(const char *name)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(name != NULL && name[0] != '\0' && strlen(name) < CLAVE_ATTEST_NAME_MAX,
                 CLAVE_ERR_ARG, "attest: name empty or longer than %d", CLAVE_ATTEST_NAME_MAX - 1);
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_attest_report_check(struct clave_attest_report *report, const char *name,
                                       bool passed, const char *fmt, ...)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(check_name(name));
    CLAVE_ENSURE(report->check_count < CLAVE_ATTEST_MAX_CHECKS, CLAVE_ERR_LIMIT,
                 "attest: more than %d checks", CLAVE_ATTEST_MAX_CHECKS);
    struct stored_check *c = &report->checks[report->check_count++];
    (void)snprintf(c->name, sizeof(c->name), "%s", name);
    c->outcome = passed ? CLAVE_CHECK_PASS : CLAVE_CHECK_FAIL;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
    va_end(ap);
    st = CLAVE_OK;
done:
    return st;
}

/* The claim slot for `name`: the existing one (its value released) or a new one. */
static clave_status claim_slot(struct clave_attest_report *report, const char *name,
                               struct stored_claim **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = NULL;
    CLAVE_CHECK(check_name(name));
    for (size_t i = 0; i < report->claim_count; i++) {
        if (strcmp(report->claims[i].name, name) == 0) {
            free(report->claims[i].bytes);
            memset(&report->claims[i], 0, sizeof(report->claims[i]));
            *out = &report->claims[i];
            break;
        }
    }
    if (*out == NULL) {
        CLAVE_ENSURE(report->claim_count < CLAVE_ATTEST_MAX_CLAIMS, CLAVE_ERR_LIMIT,
                     "attest: more than %d claims", CLAVE_ATTEST_MAX_CLAIMS);
        *out = &report->claims[report->claim_count++];
    }
    (void)snprintf((*out)->name, sizeof((*out)->name), "%s", name);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status claim_copy(struct clave_attest_report *report, const char *name,
                               enum clave_claim_type type, const uint8_t *value, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct stored_claim *c = NULL;
    CLAVE_ENSURE(len <= CLAVE_ATTEST_CLAIM_MAX_LEN, CLAVE_ERR_TOO_LARGE,
                 "attest: claim %s of %zu bytes", name, len);
    CLAVE_CHECK(claim_slot(report, name, &c));
    c->type = type;
    c->bytes = malloc(len + 1);
    CLAVE_ENSURE_ALLOC(c->bytes);
    if (len > 0) {
        memcpy(c->bytes, value, len);
    }
    c->bytes[len] = 0;
    c->len = len;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_attest_claim_bytes(struct clave_attest_report *report, const char *name,
                                      const uint8_t *value, size_t len)
{
    return claim_copy(report, name, CLAVE_CLAIM_BYTES, value, len);
}

clave_status clave_attest_claim_string(struct clave_attest_report *report, const char *name,
                                       const char *value)
{
    return claim_copy(report, name, CLAVE_CLAIM_STRING, (const uint8_t *)value, strlen(value));
}

static clave_status claim_number(struct clave_attest_report *report, const char *name,
                                 enum clave_claim_type type, int64_t value)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct stored_claim *c = NULL;
    CLAVE_CHECK(claim_slot(report, name, &c));
    c->type = type;
    c->integer = value;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_attest_claim_int(struct clave_attest_report *report, const char *name,
                                    int64_t value)
{
    return claim_number(report, name, CLAVE_CLAIM_INT, value);
}

clave_status clave_attest_claim_bool(struct clave_attest_report *report, const char *name,
                                     bool value)
{
    return claim_number(report, name, CLAVE_CLAIM_BOOL, value ? 1 : 0);
}

bool clave_attest_report_ok(const struct clave_attest_report *report)
{
    if (report->check_count == 0) {
        return false;
    }
    for (size_t i = 0; i < report->check_count; i++) {
        if (report->checks[i].outcome != CLAVE_CHECK_PASS) {
            return false;
        }
    }
    return true;
}

size_t clave_attest_report_check_count(const struct clave_attest_report *report)
{
    return report->check_count;
}

clave_status clave_attest_report_get_check(const struct clave_attest_report *report, size_t index,
                                           struct clave_attest_check *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(index < report->check_count, CLAVE_ERR_ARG, "attest: no check %zu", index);
    out->name = report->checks[index].name;
    out->outcome = report->checks[index].outcome;
    out->detail = report->checks[index].detail;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_attest_report_first_failure(const struct clave_attest_report *report,
                                               struct clave_attest_check *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < report->check_count; i++) {
        if (report->checks[i].outcome == CLAVE_CHECK_FAIL) {
            return clave_attest_report_get_check(report, i, out);
        }
    }
    return CLAVE_ERR_NOT_FOUND;
}

size_t clave_attest_report_claim_count(const struct clave_attest_report *report)
{
    return report->claim_count;
}

clave_status clave_attest_report_get_claim(const struct clave_attest_report *report, size_t index,
                                           struct clave_attest_claim *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(index < report->claim_count, CLAVE_ERR_ARG, "attest: no claim %zu", index);
    const struct stored_claim *c = &report->claims[index];
    out->name = c->name;
    out->type = c->type;
    out->bytes = c->bytes;
    out->len = c->len;
    out->integer = c->integer;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_attest_report_find_claim(const struct clave_attest_report *report,
                                            const char *name, struct clave_attest_claim *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < report->claim_count; i++) {
        if (strcmp(report->claims[i].name, name) == 0) {
            return clave_attest_report_get_claim(report, i, out);
        }
    }
    return CLAVE_ERR_NOT_FOUND;
}

static json_t *claim_json(const struct stored_claim *c)
{
    switch (c->type) {
    case CLAVE_CLAIM_BYTES: {
        char *hex = malloc(2 * c->len + 1);
        json_t *v = NULL;
        if (hex != NULL && clave_hex_encode(c->bytes, c->len, hex, 2 * c->len + 1) == CLAVE_OK) {
            v = json_string(hex);
        }
        free(hex);
        return v;
    }
    case CLAVE_CLAIM_STRING:
        return json_stringn((const char *)c->bytes, c->len);
    case CLAVE_CLAIM_INT:
        return json_integer(c->integer);
    case CLAVE_CLAIM_BOOL:
        return json_boolean(c->integer != 0);
    default:
        return json_null();
    }
}

clave_status clave_attest_report_json(const struct clave_attest_report *report, char **json)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = json_object();
    json_t *checks = json_array();
    json_t *claims = json_object();
    *json = NULL;
    CLAVE_ENSURE(root != NULL && checks != NULL && claims != NULL, CLAVE_ERR_NOMEM,
                 "out of memory");
    for (size_t i = 0; i < report->check_count; i++) {
        const struct stored_check *c = &report->checks[i];
        json_t *item =
            json_pack("{s:s, s:s, s:s}", "name", c->name, "outcome",
                      c->outcome == CLAVE_CHECK_PASS ? "pass" : "fail", "detail", c->detail);
        CLAVE_ENSURE(item != NULL && json_array_append_new(checks, item) == 0, CLAVE_ERR_NOMEM,
                     "attest: JSON check %zu (invalid UTF-8?)", i);
    }
    for (size_t i = 0; i < report->claim_count; i++) {
        json_t *v = claim_json(&report->claims[i]);
        CLAVE_ENSURE(v != NULL && json_object_set_new(claims, report->claims[i].name, v) == 0,
                     CLAVE_ERR_NOMEM, "attest: JSON claim %s", report->claims[i].name);
    }
    CLAVE_ENSURE(json_object_set_new(root, "ok", json_boolean(clave_attest_report_ok(report))) ==
                         0 &&
                     json_object_set(root, "checks", checks) == 0 &&
                     json_object_set(root, "claims", claims) == 0,
                 CLAVE_ERR_NOMEM, "out of memory");
    *json = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    CLAVE_ENSURE(*json != NULL, CLAVE_ERR_NOMEM, "out of memory");
    st = CLAVE_OK;
done:
    json_decref(checks);
    json_decref(claims);
    json_decref(root);
    return st;
}
