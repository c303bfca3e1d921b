/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TCB info (v2, v3) and QE identity (v2) JSON bodies as served by Intel PCS ("Intel SGX and
 * Intel TDX Provisioning Certification Service API", "TCB Info V3" / "Enclave Identity V2"):
 *
 *   tcbInfo: {id "SGX"|"TDX", version, issueDate, nextUpdate, fmspc hex6, pceId hex2, tcbType,
 *             tcbEvaluationDataNumber, tdxModule? {mrsigner hex48, attributes hex8,
 *             attributesMask hex8}, tdxModuleIdentities? [{id "TDX_01", mrsigner, attributes,
 *             attributesMask, tcbLevels [{tcb {isvsvn}, tcbDate, tcbStatus, advisoryIDs?}]}],
 *             tcbLevels [{tcb {sgxtcbcomponents [16 x {svn}], pcesvn, tdxtcbcomponents?
 *             [16 x {svn}]} (v3) | {sgxtcbcomp01svn..16svn, pcesvn} (v2), tcbDate, tcbStatus,
 *             advisoryIDs?}]}
 *   enclaveIdentity: {id "QE"|"TD_QE"|…, version, issueDate, nextUpdate, miscselect hex4,
 *             miscselectMask hex4, attributes hex16, attributesMask hex16, mrsigner hex32,
 *             isvprodid, tcbLevels [{tcb {isvsvn}, tcbDate, tcbStatus, advisoryIDs?}]}
 */
#include "attest/dcap_tcb.h"

#include "core/check.h"

#include <clave/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DCAP_JSON_MAX_LEN (256u * 1024u)
#define DCAP_STATUS_MAX_LEN 48

static const char *const status_names[] = {
    [DCAP_TCB_UP_TO_DATE] = "UpToDate",
    [DCAP_TCB_SW_HARDENING_NEEDED] = "SWHardeningNeeded",
    [DCAP_TCB_CONFIGURATION_NEEDED] = "ConfigurationNeeded",
    [DCAP_TCB_CONFIGURATION_AND_SW_HARDENING_NEEDED] = "ConfigurationAndSWHardeningNeeded",
    [DCAP_TCB_OUT_OF_DATE] = "OutOfDate",
    [DCAP_TCB_OUT_OF_DATE_CONFIGURATION_NEEDED] = "OutOfDateConfigurationNeeded",
    [DCAP_TCB_REVOKED] = "Revoked",
};

const char *clave__dcap_status_name(enum dcap_tcb_status status)
{
    size_t i = (size_t)status;
    return i < sizeof(status_names) / sizeof(status_names[0]) ? status_names[i] : "Unknown";
}

static unsigned digits(const char *s, size_t n, bool *ok)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            *ok = false;
            return 0;
        }
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    return v;
}

clave_status clave__dcap_parse_time(const char *text, int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    bool ok = strlen(text) == 20 && text[4] == '-' && text[7] == '-' && text[10] == 'T' &&
              text[13] == ':' && text[16] == ':' && text[19] == 'Z';
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    *out = 0;
    if (ok) {
        tm.tm_year = (int)digits(text, 4, &ok) - 1900;
        tm.tm_mon = (int)digits(text + 5, 2, &ok) - 1;
        tm.tm_mday = (int)digits(text + 8, 2, &ok);
        tm.tm_hour = (int)digits(text + 11, 2, &ok);
        tm.tm_min = (int)digits(text + 14, 2, &ok);
        tm.tm_sec = (int)digits(text + 17, 2, &ok);
    }
    ok = ok && tm.tm_mon >= 0 && tm.tm_mon < 12 && tm.tm_mday >= 1 && tm.tm_mday <= 31 &&
         tm.tm_hour < 24 && tm.tm_min < 60 && tm.tm_sec < 61;
    CLAVE_ENSURE(ok, CLAVE_ERR_FORMAT, "time \"%.32s\" is not YYYY-MM-DDThh:mm:ssZ", text);
    *out = (int64_t)timegm(&tm);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_time(const json_t *obj, const char *where, const char *key, int64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    CLAVE_CHECK(clave_json_get_string(obj, where, key, true, 32, &s));
    CLAVE_CHECK_CTX(clave__dcap_parse_time(s, out), "%s.%s: ", where, key);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_id(const json_t *obj, const char *where, char id[DCAP_ID_LEN])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    CLAVE_CHECK(clave_json_get_string(obj, where, "id", true, DCAP_ID_LEN - 1, &s));
    (void)snprintf(id, DCAP_ID_LEN, "%s", s);
    st = CLAVE_OK;
done:
    return st;
}

/* A hex field of 4 bytes read as the little-endian u32 the report holds. */
static clave_status get_hex_u32(const json_t *obj, const char *where, const char *key,
                                uint32_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t b[4];
    CLAVE_CHECK(clave_json_get_hex(obj, where, key, b, sizeof(b)));
    *out = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    st = CLAVE_OK;
done:
    return st;
}

/* tcbStatus and advisoryIDs of one level. */
static clave_status get_status(const json_t *level, const char *where, struct dcap_status *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    json_t *ids = NULL;
    size_t i = 0;
    json_t *v = NULL;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_get_string(level, where, "tcbStatus", true, DCAP_STATUS_MAX_LEN, &s));
    size_t n = sizeof(status_names) / sizeof(status_names[0]);
    for (i = 0; i < n && strcmp(s, status_names[i]) != 0; i++) {
    }
    CLAVE_ENSURE(i < n, CLAVE_ERR_FORMAT, "%s.tcbStatus: unknown status \"%s\"", where, s);
    out->status = (enum dcap_tcb_status)i;
    CLAVE_CHECK(
        clave_json_get_array(level, where, "advisoryIDs", false, DCAP_MAX_ADVISORIES, &ids));
    out->advisory_count = 0;
    json_array_foreach (ids, i, v) {
        const char *id = json_string_value(v);
        clave_json_path_index(path, sizeof(path), where, i);
        CLAVE_ENSURE(id != NULL && strlen(id) < DCAP_ADVISORY_LEN, CLAVE_ERR_JSON,
                     "%s.advisoryIDs: expected short strings", path);
        (void)snprintf(out->advisories[out->advisory_count++], DCAP_ADVISORY_LEN, "%s", id);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* An array of exactly 16 {"svn": 0..255} objects. */
static clave_status get_components(const json_t *tcb, const char *where, const char *key,
                                   uint8_t out[16])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = NULL;
    json_t *v = NULL;
    size_t i = 0;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_get_array(tcb, where, key, true, 16, &arr));
    CLAVE_ENSURE(json_array_size(arr) == 16, CLAVE_ERR_FORMAT, "%s.%s: %zu components, want 16",
                 where, key, json_array_size(arr));
    json_array_foreach (arr, i, v) {
        int64_t svn = 0;
        clave_json_path_index(path, sizeof(path), key, i);
        CLAVE_CHECK(clave_json_expect_object(v, path));
        CLAVE_CHECK(clave_json_get_int(v, path, "svn", true, 0, 255, &svn));
        out[i] = (uint8_t)svn;
    }
    st = CLAVE_OK;
done:
    return st;
}

/* TCB info v2 keeps the components as sgxtcbcomp01svn … sgxtcbcomp16svn. */
static clave_status get_components_v2(const json_t *tcb, const char *where, uint8_t out[16])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char key[24];
    for (unsigned i = 0; i < 16; i++) {
        int64_t svn = 0;
        (void)snprintf(key, sizeof(key), "sgxtcbcomp%02usvn", i + 1);
        CLAVE_CHECK(clave_json_get_int(tcb, where, key, true, 0, 255, &svn));
        out[i] = (uint8_t)svn;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_platform_level(const json_t *level, const char *where, bool v3, bool tdx,
                                       struct dcap_tcb_level *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *tcb = NULL;
    int64_t pcesvn = 0;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_expect_object(level, where));
    CLAVE_CHECK(clave_json_get_object(level, where, "tcb", true, &tcb));
    clave_json_path_key(path, sizeof(path), where, "tcb");
    if (v3) {
        CLAVE_CHECK(get_components(tcb, path, "sgxtcbcomponents", out->sgx));
    } else {
        CLAVE_CHECK(get_components_v2(tcb, path, out->sgx));
    }
    CLAVE_CHECK(clave_json_get_int(tcb, path, "pcesvn", true, 0, 0xffff, &pcesvn));
    out->pcesvn = (uint16_t)pcesvn;
    if (tdx) {
        CLAVE_CHECK(get_components(tcb, path, "tdxtcbcomponents", out->tdx));
    }
    CLAVE_CHECK(get_status(level, where, &out->status));
    st = CLAVE_OK;
done:
    return st;
}

/* Levels of the form {tcb {isvsvn}, tcbDate, tcbStatus, advisoryIDs?}. */
static clave_status get_isv_levels(const json_t *obj, const char *where, size_t max,
                                   struct dcap_tcb_level *levels, size_t *count)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *arr = NULL;
    json_t *v = NULL;
    json_t *tcb = NULL;
    size_t i = 0;
    char path[CLAVE_JSON_PATH_MAX];
    *count = 0;
    CLAVE_CHECK(clave_json_get_array(obj, where, "tcbLevels", true, max, &arr));
    json_array_foreach (arr, i, v) {
        int64_t isvsvn = 0;
        clave_json_path_index(path, sizeof(path), "tcbLevels", i);
        CLAVE_CHECK(clave_json_expect_object(v, path));
        CLAVE_CHECK(clave_json_get_object(v, path, "tcb", true, &tcb));
        CLAVE_CHECK(clave_json_get_int(tcb, path, "isvsvn", true, 0, 0xffff, &isvsvn));
        levels[i].isvsvn = (uint16_t)isvsvn;
        CLAVE_CHECK(get_status(v, path, &levels[i].status));
        *count = i + 1;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_module(const json_t *obj, const char *where, struct dcap_module_identity *m)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_CHECK(clave_json_expect_object(obj, where));
    CLAVE_CHECK(clave_json_get_hex(obj, where, "mrsigner", m->mrsigner, DCAP_MR48_LEN));
    CLAVE_CHECK(clave_json_get_hex(obj, where, "attributes", m->attributes, 8));
    CLAVE_CHECK(clave_json_get_hex(obj, where, "attributesMask", m->attributes_mask, 8));
    st = CLAVE_OK;
done:
    return st;
}

static clave_status get_tdx_modules(const json_t *root, struct dcap_tcb_info *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *module = NULL;
    json_t *ids = NULL;
    json_t *v = NULL;
    size_t i = 0;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_get_object(root, "tcbInfo", "tdxModule", true, &module));
    CLAVE_CHECK(get_module(module, "tcbInfo.tdxModule", &out->module));
    out->has_module = true;
    CLAVE_CHECK(clave_json_get_array(root, "tcbInfo", "tdxModuleIdentities", false,
                                     DCAP_MAX_MODULE_IDS, &ids));
    json_array_foreach (ids, i, v) {
        struct dcap_module_identity *m = &out->module_ids[i];
        clave_json_path_index(path, sizeof(path), "tcbInfo.tdxModuleIdentities", i);
        CLAVE_CHECK(get_module(v, path, m));
        CLAVE_CHECK(get_id(v, path, m->id));
        CLAVE_CHECK(get_isv_levels(v, path, DCAP_MAX_MODULE_LEVELS, m->levels, &m->level_count));
        out->module_id_count = i + 1;
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status tcb_info_fields(const json_t *root, struct dcap_tcb_info *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *levels = NULL;
    json_t *v = NULL;
    size_t i = 0;
    char path[CLAVE_JSON_PATH_MAX];
    CLAVE_CHECK(clave_json_expect_object(root, "tcbInfo"));
    CLAVE_CHECK(get_id(root, "tcbInfo", out->id));
    CLAVE_CHECK(clave_json_get_int(root, "tcbInfo", "version", true, 2, 3, &out->version));
    CLAVE_CHECK(get_time(root, "tcbInfo", "issueDate", &out->issue_date));
    CLAVE_CHECK(get_time(root, "tcbInfo", "nextUpdate", &out->next_update));
    CLAVE_CHECK(clave_json_get_hex(root, "tcbInfo", "fmspc", out->fmspc, DCAP_FMSPC_LEN));
    CLAVE_CHECK(clave_json_get_hex(root, "tcbInfo", "pceId", out->pceid, DCAP_PCEID_LEN));
    bool tdx = strcmp(out->id, "TDX") == 0;
    CLAVE_ENSURE(tdx || strcmp(out->id, "SGX") == 0, CLAVE_ERR_FORMAT, "tcbInfo.id \"%s\"",
                 out->id);
    CLAVE_ENSURE(!tdx || out->version == 3, CLAVE_ERR_FORMAT, "TDX tcbInfo version %lld",
                 (long long)out->version);
    if (tdx) {
        CLAVE_CHECK(get_tdx_modules(root, out));
    }
    CLAVE_CHECK(
        clave_json_get_array(root, "tcbInfo", "tcbLevels", true, DCAP_MAX_TCB_LEVELS, &levels));
    json_array_foreach (levels, i, v) {
        clave_json_path_index(path, sizeof(path), "tcbInfo.tcbLevels", i);
        CLAVE_CHECK(get_platform_level(v, path, out->version == 3, tdx, &out->levels[i]));
        out->level_count = i + 1;
    }
    CLAVE_ENSURE(out->level_count > 0, CLAVE_ERR_FORMAT, "tcbInfo.tcbLevels is empty");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__dcap_tcb_info_parse(const char *json, size_t len, struct dcap_tcb_info *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    const struct clave_json_limits limits = {DCAP_JSON_MAX_LEN, 8};
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(clave_json_parse(json, len, &limits, "tcbInfo", &root));
    CLAVE_CHECK(tcb_info_fields(root, out));
    st = CLAVE_OK;
done:
    json_decref(root);
    return st;
}

static clave_status qe_identity_fields(const json_t *root, struct dcap_qe_identity *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *w = "enclaveIdentity";
    int64_t prodid = 0;
    CLAVE_CHECK(clave_json_expect_object(root, w));
    CLAVE_CHECK(get_id(root, w, out->id));
    CLAVE_CHECK(clave_json_get_int(root, w, "version", true, 2, 2, &out->version));
    CLAVE_CHECK(get_time(root, w, "issueDate", &out->issue_date));
    CLAVE_CHECK(get_time(root, w, "nextUpdate", &out->next_update));
    CLAVE_CHECK(get_hex_u32(root, w, "miscselect", &out->miscselect));
    CLAVE_CHECK(get_hex_u32(root, w, "miscselectMask", &out->miscselect_mask));
    CLAVE_CHECK(clave_json_get_hex(root, w, "attributes", out->attributes, 16));
    CLAVE_CHECK(clave_json_get_hex(root, w, "attributesMask", out->attributes_mask, 16));
    CLAVE_CHECK(clave_json_get_hex(root, w, "mrsigner", out->mrsigner, DCAP_MR32_LEN));
    CLAVE_CHECK(clave_json_get_int(root, w, "isvprodid", true, 0, 0xffff, &prodid));
    out->isvprodid = (uint16_t)prodid;
    CLAVE_CHECK(get_isv_levels(root, w, DCAP_MAX_QE_LEVELS, out->levels, &out->level_count));
    CLAVE_ENSURE(out->level_count > 0, CLAVE_ERR_FORMAT, "enclaveIdentity.tcbLevels is empty");
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__dcap_qe_identity_parse(const char *json, size_t len,
                                           struct dcap_qe_identity *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    const struct clave_json_limits limits = {DCAP_JSON_MAX_LEN, 8};
    memset(out, 0, sizeof(*out));
    CLAVE_CHECK(clave_json_parse(json, len, &limits, "enclaveIdentity", &root));
    CLAVE_CHECK(qe_identity_fields(root, out));
    st = CLAVE_OK;
done:
    json_decref(root);
    return st;
}
