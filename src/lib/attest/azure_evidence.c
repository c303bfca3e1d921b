/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Azure vTPM evidence as JSON (confidential-containers/trustee az-snp-vtpm / az-tdx-vtpm):
 *   {"version": 1|2, "tpm_quote": {"signature": hex, "message": hex, "pcrs": [24 x hex32]},
 *    "hcl_report": base64url, "vcek": base64url DER (SNP), "td_quote": base64url (TDX)}
 * and the older split form: the HCL report file plus the "tpm_quote" object on its own.
 */
#include "attest/azure_vtpm.h"

#include "core/check.h"

#include <clave/crypto.h>
#include <clave/encoding.h>
#include <clave/json.h>
#include <stdlib.h>
#include <string.h>

#define AZ_BLOB_MAX (64u * 1024u)

static clave_status get_hex(const json_t *obj, const char *where, const char *key, uint8_t *out,
                            size_t cap, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    CLAVE_CHECK(clave_json_get_string(obj, where, key, true, 2 * cap, &s));
    CLAVE_CHECK_CTX(clave_hex_decode(s, strlen(s), out, cap, len), "%s.%s: ", where, key);
    st = CLAVE_OK;
done:
    return st;
}

/* base64url with optional '=' padding (as trustee's serde emits it) into a new buffer. */
static clave_status get_b64url_padded(const json_t *obj, const char *key, bool required,
                                      uint8_t **out, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    *out = NULL;
    *len = 0;
    CLAVE_CHECK(clave_json_get_string(obj, "evidence", key, required, 2 * AZ_BLOB_MAX, &s));
    if (s != NULL) {
        size_t n = strlen(s);
        for (int pad = 0; pad < 2 && n > 0 && s[n - 1] == '='; pad++) {
            n--;
        }
        CLAVE_CHECK_CTX(clave_b64_decode_alloc(CLAVE_B64URL, s, n, out, len), "evidence.%s: ", key);
    }
    st = CLAVE_OK;
done:
    return st;
}

/* A JSON array of byte values (the older trustee serialisation). */
static clave_status byte_array(const json_t *arr, const char *where, uint8_t *out, size_t cap,
                               size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    size_t i = 0;
    json_t *v = NULL;
    *len = 0;
    CLAVE_ENSURE(json_is_array(arr) && json_array_size(arr) <= cap, CLAVE_ERR_JSON,
                 "%s: expected an array of at most %zu bytes", where, cap);
    json_array_foreach (arr, i, v) {
        json_int_t b = json_integer_value(v);
        CLAVE_ENSURE(json_is_integer(v) && b >= 0 && b <= 255, CLAVE_ERR_JSON,
                     "%s[%zu]: expected a byte", where, i);
        out[i] = (uint8_t)b;
    }
    *len = json_array_size(arr);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status quote_arrays(const json_t *q, struct az_quote_bufs *b,
                                 struct azure_vtpm_input *in)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *pcrs = json_object_get(q, "pcrs");
    size_t n = 0;
    CLAVE_CHECK(byte_array(json_object_get(q, "signature"), "quote.signature", b->sig,
                           sizeof(b->sig), &in->quote_sig_len));
    CLAVE_CHECK(byte_array(json_object_get(q, "message"), "quote.message", b->msg, sizeof(b->msg),
                           &in->quote_len));
    CLAVE_ENSURE(json_is_array(pcrs) && json_array_size(pcrs) == AZ_PCR_COUNT, CLAVE_ERR_FORMAT,
                 "quote.pcrs: want %d values", AZ_PCR_COUNT);
    for (size_t i = 0; i < AZ_PCR_COUNT; i++) {
        CLAVE_CHECK(byte_array(json_array_get(pcrs, i), "quote.pcrs",
                               b->pcrs + i * CLAVE_SHA256_LEN, CLAVE_SHA256_LEN, &n));
        CLAVE_ENSURE(n == CLAVE_SHA256_LEN, CLAVE_ERR_FORMAT, "quote.pcrs[%zu]: not 32 bytes", i);
    }
    in->quote_sig = b->sig;
    in->quote = b->msg;
    in->pcrs = b->pcrs;
    in->pcrs_len = sizeof(b->pcrs);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status quote_fields(const json_t *q, struct az_quote_bufs *b,
                                 struct azure_vtpm_input *in)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *pcrs = NULL;
    json_t *v = NULL;
    size_t i = 0;
    size_t n = 0;
    CLAVE_CHECK(clave_json_expect_object(q, "tpm_quote"));
    CLAVE_CHECK(get_hex(q, "tpm_quote", "signature", b->sig, sizeof(b->sig), &in->quote_sig_len));
    CLAVE_CHECK(get_hex(q, "tpm_quote", "message", b->msg, sizeof(b->msg), &in->quote_len));
    CLAVE_CHECK(clave_json_get_array(q, "tpm_quote", "pcrs", true, AZ_PCR_COUNT, &pcrs));
    CLAVE_ENSURE(json_array_size(pcrs) == AZ_PCR_COUNT, CLAVE_ERR_FORMAT,
                 "tpm_quote.pcrs: want %d values", AZ_PCR_COUNT);
    json_array_foreach (pcrs, i, v) {
        const char *s = json_string_value(v);
        CLAVE_ENSURE(s != NULL && strlen(s) == 2 * CLAVE_SHA256_LEN, CLAVE_ERR_JSON,
                     "tpm_quote.pcrs[%zu]: want 64 hex characters", i);
        CLAVE_CHECK(
            clave_hex_decode(s, strlen(s), b->pcrs + i * CLAVE_SHA256_LEN, CLAVE_SHA256_LEN, &n));
    }
    in->quote_sig = b->sig;
    in->quote = b->msg;
    in->pcrs = b->pcrs;
    in->pcrs_len = sizeof(b->pcrs);
    st = CLAVE_OK;
done:
    return st;
}

void clave__azure_evidence_free(struct azure_evidence *ev)
{
    if (ev == NULL) {
        return;
    }
    free(ev->hcl);
    free(ev->td_quote);
    free(ev->vcek);
    free(ev->bufs);
    free(ev);
}

/* "vcek": base64url DER (evidence v1/v2) or PEM text (the older form), kept as given bytes. */
static clave_status get_vcek(const json_t *root, struct azure_evidence *ev)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *s = NULL;
    CLAVE_CHECK(clave_json_get_string(root, "evidence", "vcek", false, 2 * AZ_BLOB_MAX, &s));
    if (s != NULL && strstr(s, "-----BEGIN") != NULL) {
        ev->vcek_len = strlen(s);
        ev->vcek = malloc(ev->vcek_len);
        CLAVE_ENSURE_ALLOC(ev->vcek);
        memcpy(ev->vcek, s, ev->vcek_len);
    } else if (s != NULL) {
        CLAVE_CHECK(get_b64url_padded(root, "vcek", true, &ev->vcek, &ev->vcek_len));
    }
    st = CLAVE_OK;
done:
    return st;
}

static clave_status parse_root(const json_t *root, struct azure_evidence *ev)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *quote = NULL;
    int64_t version = 0;
    CLAVE_CHECK(clave_json_expect_object(root, "evidence"));
    if (json_object_get(root, "quote") != NULL) {
        /* older form: {"quote": {byte arrays}, "report": [bytes], "vcek": PEM} */
        CLAVE_CHECK(quote_arrays(json_object_get(root, "quote"), ev->bufs, &ev->in));
        ev->hcl = malloc(AZ_BLOB_MAX);
        CLAVE_ENSURE_ALLOC(ev->hcl);
        CLAVE_CHECK(byte_array(json_object_get(root, "report"), "report", ev->hcl, AZ_BLOB_MAX,
                               &ev->in.hcl_len));
    } else {
        CLAVE_CHECK(clave_json_get_int(root, "evidence", "version", true, 1, 2, &version));
        CLAVE_CHECK(clave_json_get_object(root, "evidence", "tpm_quote", true, &quote));
        CLAVE_CHECK(quote_fields(quote, ev->bufs, &ev->in));
        CLAVE_CHECK(get_b64url_padded(root, "hcl_report", true, &ev->hcl, &ev->in.hcl_len));
    }
    CLAVE_CHECK(get_b64url_padded(root, "td_quote", false, &ev->td_quote, &ev->in.td_quote_len));
    CLAVE_CHECK(get_vcek(root, ev));
    ev->in.hcl = ev->hcl;
    ev->in.td_quote = ev->td_quote;
    ev->in.check_user_data = version == 2;
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__azure_evidence_parse(const char *json, size_t len, struct azure_evidence **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    struct azure_evidence *ev = calloc(1, sizeof(*ev));
    *out = NULL;
    CLAVE_ENSURE_ALLOC(ev);
    ev->bufs = calloc(1, sizeof(*ev->bufs));
    CLAVE_ENSURE_ALLOC(ev->bufs);
    CLAVE_CHECK(clave_json_parse(json, len, NULL, "azure evidence", &root));
    CLAVE_CHECK(parse_root(root, ev));
    *out = ev;
    ev = NULL;
    st = CLAVE_OK;
done:
    json_decref(root);
    clave__azure_evidence_free(ev);
    return st;
}

clave_status clave__azure_parts_parse(const uint8_t *hcl, size_t hcl_len, const char *quote_json,
                                      size_t quote_len, struct azure_evidence **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    struct azure_evidence *ev = calloc(1, sizeof(*ev));
    *out = NULL;
    CLAVE_ENSURE_ALLOC(ev);
    ev->bufs = calloc(1, sizeof(*ev->bufs));
    CLAVE_ENSURE_ALLOC(ev->bufs);
    CLAVE_CHECK(clave_json_parse(quote_json, quote_len, NULL, "tpm quote", &root));
    CLAVE_CHECK(quote_fields(root, ev->bufs, &ev->in));
    ev->in.hcl = hcl;
    ev->in.hcl_len = hcl_len;
    *out = ev;
    ev = NULL;
    st = CLAVE_OK;
done:
    json_decref(root);
    clave__azure_evidence_free(ev);
    return st;
}

clave_status clave_azure_vtpm_verify(const char *json, size_t len, const uint8_t *nonce,
                                     size_t nonce_len, struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct azure_evidence *ev = NULL;
    CLAVE_CHECK(clave__azure_evidence_parse(json, len, &ev));
    ev->in.nonce = nonce;
    ev->in.nonce_len = nonce_len;
    CLAVE_CHECK(clave__azure_vtpm_steps(&ev->in, report));
    st = CLAVE_OK;
done:
    clave__azure_evidence_free(ev);
    return st;
}

clave_status clave_azure_vtpm_verify_parts(const uint8_t *hcl, size_t hcl_len,
                                           const char *quote_json, size_t quote_len,
                                           const uint8_t *nonce, size_t nonce_len,
                                           struct clave_attest_report *report)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct azure_evidence *ev = NULL;
    CLAVE_CHECK(clave__azure_parts_parse(hcl, hcl_len, quote_json, quote_len, &ev));
    ev->in.nonce = nonce;
    ev->in.nonce_len = nonce_len;
    CLAVE_CHECK(clave__azure_vtpm_steps(&ev->in, report));
    st = CLAVE_OK;
done:
    clave__azure_evidence_free(ev);
    return st;
}
