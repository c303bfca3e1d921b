/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCB level matching as Intel's Quote Verification Library does it (QVL
 * QuoteVerifier::verify, TcbLevelCheck, convergeTcbStatus*):
 *  1. Levels are ordered highest first (SGX components lexicographically, then PCESVN, then
 *     TDX components), as PCS serves them and QVL keeps them.
 *  2. The platform level is the first whose 16 SGX component SVNs are each <= the PCK
 *     certificate's and whose PCESVN <= the PCK's; for TDX (TCB info v3, id "TDX") also each
 *     TDX component <= TEE_TCB_SVN, skipping the first two bytes when TEE_TCB_SVN[1] (the TDX
 *     module major version) is non-zero: those are judged by the module identity.
 *  3. TDX module: MRSIGNERSEAM and masked SEAMATTRIBUTES must equal tdxModule, or, for module
 *     version v > 0 with tdxModuleIdentities, the identity "TDX_%02X"; its first level with
 *     isvsvn <= TEE_TCB_SVN[0] gives the module status.
 *  4. The module status, then the QE identity status, converge into the platform status:
 *     OutOfDate from either turns UpToDate/SWHardeningNeeded into OutOfDate and the
 *     Configuration* statuses into OutOfDateConfigurationNeeded; Revoked wins. Advisory ids are
 *     merged (platform first, then the others, without duplicates).
 */
#include "attest/dcap_tcb.h"

#include "core/check.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int compare_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return a[i] > b[i] ? 1 : -1;
        }
    }
    return 0;
}

/* > 0 when level a is higher than level b. */
static int compare_levels(const struct dcap_tcb_level *a, const struct dcap_tcb_level *b, bool tdx)
{
    int c = compare_bytes(a->sgx, b->sgx, DCAP_SGX_COMPONENTS);
    if (c == 0 && a->pcesvn != b->pcesvn) {
        c = a->pcesvn > b->pcesvn ? 1 : -1;
    }
    if (c == 0 && tdx) {
        c = compare_bytes(a->tdx, b->tdx, DCAP_TEE_TCB_SVN_LEN);
    }
    return c;
}

/* Indices of the levels, highest first (insertion sort: at most DCAP_MAX_TCB_LEVELS). */
static void order_levels(const struct dcap_tcb_info *info, bool tdx, size_t *order)
{
    for (size_t i = 0; i < info->level_count; i++) {
        size_t j = i;
        while (j > 0 && compare_levels(&info->levels[i], &info->levels[order[j - 1]], tdx) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}

static bool sgx_level_ok(const struct dcap_tcb_level *level, const struct dcap_pck_ext *pck)
{
    for (size_t i = 0; i < DCAP_SGX_COMPONENTS; i++) {
        if (pck->cpusvn[i] < level->sgx[i]) {
            return false;
        }
    }
    return pck->pcesvn >= level->pcesvn;
}

static bool tdx_level_ok(const struct dcap_tcb_level *level, const uint8_t *tee_tcb_svn)
{
    size_t start = tee_tcb_svn[1] > 0 ? 2 : 0;
    for (size_t i = start; i < DCAP_TEE_TCB_SVN_LEN; i++) {
        if (tee_tcb_svn[i] < level->tdx[i]) {
            return false;
        }
    }
    return true;
}

static bool masked_equal(const uint8_t *a, const uint8_t *b, const uint8_t *mask, size_t n)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++) {
        diff |= (uint8_t)((a[i] ^ b[i]) & mask[i]);
    }
    return diff == 0;
}

static clave_status module_match(const struct dcap_tcb_info *info, const struct dcap_td_report *td,
                                 struct dcap_status *out, bool *has_status)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const struct dcap_module_identity *m = &info->module;
    uint8_t version = td->tee_tcb_svn[1];
    char want[DCAP_ID_LEN];
    *has_status = false;
    CLAVE_ENSURE(info->has_module, CLAVE_ERR_FORMAT, "TDX tcbInfo lacks tdxModule");
    if (version > 0 && info->module_id_count > 0) {
        (void)snprintf(want, sizeof(want), "TDX_%02X", version);
        size_t i = 0;
        while (i < info->module_id_count && strcasecmp(info->module_ids[i].id, want) != 0) {
            i++;
        }
        CLAVE_ENSURE(i < info->module_id_count, CLAVE_ERR_NOT_FOUND,
                     "no TDX module identity %s in tcbInfo", want);
        m = &info->module_ids[i];
    }
    CLAVE_ENSURE(memcmp(m->mrsigner, td->mrsignerseam, DCAP_MR48_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "TDX module MRSIGNERSEAM differs from tcbInfo");
    CLAVE_ENSURE(masked_equal(m->attributes, td->seam_attributes, m->attributes_mask, 8),
                 CLAVE_ERR_FORMAT, "TDX module SEAMATTRIBUTES differ from tcbInfo");
    if (m != &info->module) {
        size_t i = 0;
        while (i < m->level_count && m->levels[i].isvsvn > td->tee_tcb_svn[0]) {
            i++;
        }
        CLAVE_ENSURE(i < m->level_count, CLAVE_ERR_NOT_FOUND,
                     "TDX module %s ISVSVN %u below every level", m->id, td->tee_tcb_svn[0]);
        *out = m->levels[i].status;
        *has_status = true;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__dcap_tcb_match(const struct dcap_tcb_info *info, const struct dcap_pck_ext *pck,
                                   const struct dcap_quote *quote, struct dcap_status *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t order[DCAP_MAX_TCB_LEVELS];
    bool tdx = quote->tee_type == DCAP_TEE_TDX;
    const struct dcap_tcb_level *found = NULL;
    struct dcap_status module;
    bool has_module = false;
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(strcmp(info->id, tdx ? "TDX" : "SGX") == 0, CLAVE_ERR_FORMAT,
                 "%s quote with tcbInfo id \"%s\"", tdx ? "TDX" : "SGX", info->id);
    order_levels(info, tdx, order);
    for (size_t i = 0; i < info->level_count && found == NULL; i++) {
        const struct dcap_tcb_level *level = &info->levels[order[i]];
        if (sgx_level_ok(level, pck) && (!tdx || tdx_level_ok(level, quote->td.tee_tcb_svn))) {
            found = level;
        }
    }
    CLAVE_ENSURE(found != NULL, CLAVE_ERR_NOT_FOUND,
                 "TCB level not supported: no level of %zu is met by the PCK SVNs%s",
                 info->level_count, tdx ? " and TEE_TCB_SVN" : "");
    *out = found->status;
    if (tdx) {
        CLAVE_CHECK(module_match(info, &quote->td, &module, &has_module));
        if (has_module) {
            clave__dcap_status_converge(out, &module);
        }
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__dcap_qe_match(const struct dcap_qe_identity *qe,
                                  const struct dcap_enclave_report *report, struct dcap_status *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t i = 0;
    memset(out, 0, sizeof(*out));
    CLAVE_ENSURE(memcmp(qe->mrsigner, report->mrsigner, DCAP_MR32_LEN) == 0, // lint:public
                 CLAVE_ERR_FORMAT, "QE MRSIGNER differs from the QE identity");
    CLAVE_ENSURE(qe->isvprodid == report->isvprodid, CLAVE_ERR_FORMAT,
                 "QE ISVPRODID %u, identity says %u", report->isvprodid, qe->isvprodid);
    CLAVE_ENSURE(((qe->miscselect ^ report->miscselect) & qe->miscselect_mask) == 0,
                 CLAVE_ERR_FORMAT, "QE MISCSELECT %#x does not match the identity",
                 report->miscselect);
    CLAVE_ENSURE(masked_equal(qe->attributes, report->attributes, qe->attributes_mask, 16),
                 CLAVE_ERR_FORMAT, "QE ATTRIBUTES do not match the identity");
    while (i < qe->level_count && qe->levels[i].isvsvn > report->isvsvn) {
        i++;
    }
    CLAVE_ENSURE(i < qe->level_count, CLAVE_ERR_NOT_FOUND, "QE ISVSVN %u below every level",
                 report->isvsvn);
    *out = qe->levels[i].status;
    st = CLAVE_OK;
done:
    return st;
}

static void merge_advisories(struct dcap_status *into, const struct dcap_status *from)
{
    for (size_t i = 0; i < from->advisory_count; i++) {
        bool seen = false;
        for (size_t j = 0; j < into->advisory_count && !seen; j++) {
            seen = strcmp(into->advisories[j], from->advisories[i]) == 0;
        }
        if (!seen && into->advisory_count < DCAP_MAX_ADVISORIES) {
            memcpy(into->advisories[into->advisory_count++], from->advisories[i],
                   DCAP_ADVISORY_LEN);
        }
    }
}

void clave__dcap_status_converge(struct dcap_status *platform, const struct dcap_status *other)
{
    enum dcap_tcb_status p = platform->status;
    if (other->status == DCAP_TCB_REVOKED) {
        platform->status = DCAP_TCB_REVOKED;
    } else if (other->status == DCAP_TCB_OUT_OF_DATE) {
        if (p == DCAP_TCB_UP_TO_DATE || p == DCAP_TCB_SW_HARDENING_NEEDED) {
            platform->status = DCAP_TCB_OUT_OF_DATE;
        } else if (p == DCAP_TCB_CONFIGURATION_NEEDED ||
                   p == DCAP_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED) {
            platform->status = DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED;
        }
    }
    merge_advisories(platform, other);
}

void clave__dcap_advisories_join(const struct dcap_status *status, char *buf, size_t cap)
{
    size_t used = 0;
    if (cap == 0) {
        return;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < status->advisory_count; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i > 0 ? "," : "", status->advisories[i]);
        if (n < 0 || (size_t)n >= cap - used) {
            return;
        }
        used += (size_t)n;
    }
}
