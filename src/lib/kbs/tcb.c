/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Platform TCB collateral for the key broker (include/clave/kbs.h, docs/kbs.md "Collateral
 * refresh"): which SEV-SNP platforms are out of date or revoked. AMD publishes no status for a
 * VCEK, so the operator states it in a file of the collateral directory:
 *
 *   {"version": 1,
 *    "issued_at": <unix seconds, optional>,
 *    "snp": {"min_tcb": {"bootloader": u8, "tee": u8, "snp": u8, "microcode": u8},  optional
 *            "revoked_chip_ids": ["<128 hex: CHIP_ID>", ...]}}                     optional
 *
 * A report whose CHIP_ID is listed is "Revoked"; one whose REPORTED_TCB is below min_tcb in any
 * component is "OutOfDate"; otherwise "UpToDate". The names are Intel's TCB status strings, so
 * a contract's `tcb_statuses` judges SNP the way it judges DCAP.
 */
#include <clave/clave.h>
#include <clave/kbs.h>

#include "core/check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TCB_JSON_MAX (1u << 20)
#define TCB_JSON_DEPTH 6
#define TCB_REVOKED_MAX 65536

struct clave_kbs_tcb_collateral {
    int64_t issued_at;
    bool has_snp;
    bool has_min;
    struct clave_snp_tcb min;
    uint8_t (*revoked)[CLAVE_KBS_CHIP_ID_LEN];
    size_t revoked_count;
};

static clave_status tcb_part(const json_t *o, const char *key, uint8_t *out)
{
    int64_t v = 0;
    clave_status st = clave_json_get_int(o, "kbs-tcb.snp.min_tcb", key, true, 0, 255, &v);
    *out = (uint8_t)v;
    return st;
}

static clave_status parse_min(struct clave_kbs_tcb_collateral *t, json_t *min)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const KEYS[] = {"bootloader", "tee", "snp", "microcode", NULL};
    CLAVE_CHECK(clave_json_only_keys(min, "kbs-tcb.snp.min_tcb", KEYS));
    CLAVE_CHECK(tcb_part(min, "bootloader", &t->min.bootloader));
    CLAVE_CHECK(tcb_part(min, "tee", &t->min.tee));
    CLAVE_CHECK(tcb_part(min, "snp", &t->min.snp));
    CLAVE_CHECK(tcb_part(min, "microcode", &t->min.microcode));
    t->has_min = true;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_revoked(struct clave_kbs_tcb_collateral *t, json_t *list)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t n = json_array_size(list);
    size_t got = 0;
    t->revoked = calloc(n > 0 ? n : 1, CLAVE_KBS_CHIP_ID_LEN);
    CLAVE_ENSURE_ALLOC(t->revoked);
    for (size_t i = 0; i < n; i++) {
        const char *hex = json_string_value(json_array_get(list, i));
        CLAVE_ENSURE(hex != NULL && strlen(hex) == 2 * CLAVE_KBS_CHIP_ID_LEN, CLAVE_ERR_FORMAT,
                     "kbs-tcb.snp.revoked_chip_ids[%zu]: expected %d hex characters", i,
                     2 * CLAVE_KBS_CHIP_ID_LEN);
        CLAVE_CHECK_CTX(
            clave_hex_decode(hex, strlen(hex), t->revoked[i], CLAVE_KBS_CHIP_ID_LEN, &got),
            "kbs-tcb.snp.revoked_chip_ids[%zu]: ", i);
    }
    t->revoked_count = n;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_snp(struct clave_kbs_tcb_collateral *t, json_t *snp)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const KEYS[] = {"min_tcb", "revoked_chip_ids", NULL};
    json_t *min = NULL;
    json_t *revoked = NULL;
    CLAVE_CHECK(clave_json_only_keys(snp, "kbs-tcb.snp", KEYS));
    CLAVE_CHECK(clave_json_get_object(snp, "kbs-tcb.snp", "min_tcb", false, &min));
    CLAVE_CHECK(clave_json_get_array(snp, "kbs-tcb.snp", "revoked_chip_ids", false, TCB_REVOKED_MAX,
                                     &revoked));
    if (min != NULL) {
        CLAVE_CHECK(parse_min(t, min));
    }
    CLAVE_CHECK(parse_revoked(t, revoked));
    t->has_snp = true;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_kbs_tcb_collateral_parse(const char *json, size_t len,
                                            struct clave_kbs_tcb_collateral **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    static const char *const KEYS[] = {"version", "issued_at", "snp", NULL};
    struct clave_json_limits lim = {TCB_JSON_MAX, TCB_JSON_DEPTH};
    json_t *doc = NULL;
    json_t *snp = NULL;
    int64_t version = 0;
    struct clave_kbs_tcb_collateral *t = NULL;
    CLAVE_ENSURE(out != NULL && json != NULL, CLAVE_ERR_ARG, "kbs-tcb: no document");
    *out = NULL;
    t = calloc(1, sizeof(*t));
    CLAVE_ENSURE_ALLOC(t);
    CLAVE_CHECK(clave_json_parse(json, len, &lim, "kbs-tcb", &doc));
    CLAVE_CHECK(clave_json_expect_object(doc, "kbs-tcb"));
    CLAVE_CHECK(clave_json_only_keys(doc, "kbs-tcb", KEYS));
    CLAVE_CHECK(clave_json_get_int(doc, "kbs-tcb", "version", true, 1, 1, &version));
    CLAVE_CHECK(
        clave_json_get_int(doc, "kbs-tcb", "issued_at", false, 0, INT64_MAX, &t->issued_at));
    CLAVE_CHECK(clave_json_get_object(doc, "kbs-tcb", "snp", false, &snp));
    if (snp != NULL) {
        CLAVE_CHECK(parse_snp(t, snp));
    }
    *out = t;
    t = NULL;
    st = CLAVE_OK;
done:
    clave_kbs_tcb_collateral_free(t);
    json_decref(doc);
    return st;
}

void clave_kbs_tcb_collateral_free(struct clave_kbs_tcb_collateral *t)
{
    if (t == NULL) {
        return;
    }
    free(t->revoked);
    free(t);
}

int64_t clave_kbs_tcb_collateral_issued_at(const struct clave_kbs_tcb_collateral *t)
{
    return t->issued_at;
}

static void put(char *status, const char *value, char *detail, const char *why)
{
    (void)snprintf(status, CLAVE_KBS_TCB_STATUS_MAX, "%s", value);
    (void)snprintf(detail, CLAVE_KBS_REASON_MAX, "%s", why);
}

void clave_kbs_tcb_collateral_status(const struct clave_kbs_tcb_collateral *t,
                                     const struct clave_kbs_claims *c,
                                     char status[CLAVE_KBS_TCB_STATUS_MAX],
                                     char detail[CLAVE_KBS_REASON_MAX])
{
    bool snp = strcmp(c->tee, "snp") == 0 || strcmp(c->tee, "sim-snp") == 0;
    status[0] = '\0';
    detail[0] = '\0';
    if (t == NULL || !t->has_snp || !snp) {
        return;
    }
    /* Chip ids are public identifiers: an ordinary comparison is fine. */
    for (size_t i = 0; c->has_chip_id && i < t->revoked_count; i++) {
        if (memcmp(t->revoked[i], c->chip_id, CLAVE_KBS_CHIP_ID_LEN) == 0) { // lint:public
            put(status, "Revoked", detail, "the chip id is listed as revoked");
            return;
        }
    }
    if (t->has_min) {
        const struct clave_snp_tcb *h = &c->reported_tcb;
        if (!c->has_tcb || h->bootloader < t->min.bootloader || h->tee < t->min.tee ||
            h->snp < t->min.snp || h->microcode < t->min.microcode) {
            put(status, "OutOfDate", detail, "the reported TCB is below the collateral's minimum");
            return;
        }
    }
    put(status, "UpToDate", detail, "");
}
