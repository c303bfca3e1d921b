/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Loading DCAP collateral: the dcap-qvl JSON object (QuoteCollateralV3) or a directory of Intel
 * PCS responses. Nothing is trusted here; dcap_verify.c checks every signature, chain and time.
 */
#include "attest/dcap_collateral.h"

#include "core/check.h"
#include "keys/fileio.h"

#include <clave/encoding.h>
#include <clave/json.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DCAP_CHAIN_MAX_LEN (64u * 1024u)
#define DCAP_DOC_MAX_LEN (256u * 1024u)
#define DCAP_CRL_HEX_MAX_LEN (2u * 512u * 1024u)
#define DCAP_DIR_MAX_FILES 256

/* SHA-256 of the Intel SGX Root CA DER. */
static const uint8_t intel_root_sha256[CLAVE_X509_FINGERPRINT_LEN] = {
    0x44, 0xa0, 0x19, 0x6b, 0x2b, 0x99, 0xf8, 0x89, 0xb8, 0xe1, 0x49, 0xe9, 0x5b, 0x80, 0x7a, 0x35,
    0x0e, 0x74, 0x24, 0x96, 0x43, 0x99, 0xe8, 0x85, 0xa7, 0xcb, 0xb8, 0xcc, 0xfa, 0xb6, 0x74, 0xd3};

static clave_status collateral_new(struct clave_dcap_collateral **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dcap_collateral *c = calloc(1, sizeof(*c));
    struct clave_x509 *root = NULL;
    uint8_t fp[CLAVE_X509_FINGERPRINT_LEN];
    const uint8_t *der = NULL;
    size_t der_len = 0;
    CLAVE_ENSURE_ALLOC(c);
    CLAVE_CHECK(clave_x509_list_new(&c->certs));
    CLAVE_CHECK(clave_x509_list_new(&c->roots));
    CLAVE_CHECK(clave_x509_parse_pem(clave__dcap_intel_root_pem, strlen(clave__dcap_intel_root_pem),
                                     &root));
    CLAVE_CHECK(clave_x509_fingerprint_sha256(root, fp));
    CLAVE_ENSURE(memcmp(fp, intel_root_sha256, sizeof(fp)) == 0, // lint:public
                 CLAVE_ERR_INTERNAL, "dcap: embedded Intel root does not match its fingerprint");
    clave_x509_der(root, &der, &der_len);
    CLAVE_CHECK(clave_x509_list_add_der(c->roots, der, der_len));
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    clave_x509_free(root);
    clave_dcap_collateral_free(c);
    return st;
}

void clave_dcap_collateral_free(struct clave_dcap_collateral *c)
{
    if (c == NULL) {
        return;
    }
    for (size_t i = 0; i < c->tcb_info_count; i++) {
        free(c->tcb_infos[i].body);
    }
    for (size_t i = 0; i < c->qe_identity_count; i++) {
        free(c->qe_identities[i].body);
    }
    for (size_t i = 0; i < c->crl_count; i++) {
        clave_x509_crl_free(c->crls[i]);
    }
    clave_x509_list_free(c->certs);
    clave_x509_list_free(c->roots);
    free(c);
}

clave_status clave_dcap_collateral_set_root(struct clave_dcap_collateral *c, const char *pem,
                                            size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_x509_list *roots = NULL;
    CLAVE_CHECK(clave_x509_list_parse_pem(pem, len, &roots));
    clave_x509_list_free(c->roots);
    c->roots = roots;
    st = CLAVE_OK;
done:
    return st;
}

/* Append a signed document: `body` (copied) and a 64-byte raw signature in hex. */
static clave_status add_doc(struct dcap_signed_doc *docs, size_t *count, const char *body,
                            size_t body_len, const char *sig_hex, const char *what)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct dcap_signed_doc *d = NULL;
    size_t n = 0;
    CLAVE_ENSURE(*count < DCAP_MAX_DOCS, CLAVE_ERR_LIMIT, "dcap: more than %d %s documents",
                 DCAP_MAX_DOCS, what);
    CLAVE_ENSURE(body_len <= DCAP_DOC_MAX_LEN, CLAVE_ERR_TOO_LARGE, "dcap: %s too large", what);
    d = &docs[*count];
    CLAVE_ENSURE(strlen(sig_hex) == 2 * DCAP_DOC_SIG_LEN, CLAVE_ERR_FORMAT,
                 "dcap: %s signature is not %d hex characters", what, 2 * DCAP_DOC_SIG_LEN);
    CLAVE_CHECK_CTX(clave_hex_decode(sig_hex, strlen(sig_hex), d->signature, DCAP_DOC_SIG_LEN, &n),
                    "dcap: %s signature: ", what);
    d->body = malloc(body_len + 1);
    CLAVE_ENSURE_ALLOC(d->body);
    memcpy(d->body, body, body_len);
    d->body[body_len] = '\0';
    d->body_len = body_len;
    (*count)++;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status add_chain(struct clave_dcap_collateral *c, const char *pem, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_x509_list *list = NULL;
    const uint8_t *der = NULL;
    size_t der_len = 0;
    CLAVE_CHECK(clave_x509_list_parse_pem(pem, len, &list));
    for (size_t i = 0; i < clave_x509_list_count(list); i++) {
        clave_x509_der(clave_x509_list_get(list, i), &der, &der_len);
        CLAVE_CHECK(clave_x509_list_add_der(c->certs, der, der_len));
    }
    st = CLAVE_OK;
done:
    clave_x509_list_free(list);
    return st;
}

static clave_status add_crl_der(struct clave_dcap_collateral *c, const uint8_t *der, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    CLAVE_ENSURE(c->crl_count < DCAP_MAX_CRLS, CLAVE_ERR_LIMIT, "dcap: more than %d CRLs",
                 DCAP_MAX_CRLS);
    CLAVE_CHECK(clave_x509_crl_parse_der(der, len, &c->crls[c->crl_count]));
    c->crl_count++;
    st = CLAVE_OK;
done:
    return st;
}

static clave_status add_crl_hex(struct clave_dcap_collateral *c, const json_t *obj, const char *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *hex = NULL;
    uint8_t *der = NULL;
    size_t n = 0;
    CLAVE_CHECK(clave_json_get_string(obj, "collateral", key, true, DCAP_CRL_HEX_MAX_LEN, &hex));
    der = malloc(strlen(hex) / 2 + 1);
    CLAVE_ENSURE_ALLOC(der);
    CLAVE_CHECK_CTX(clave_hex_decode(hex, strlen(hex), der, strlen(hex) / 2 + 1, &n),
                    "collateral.%s: ", key);
    CLAVE_CHECK_CTX(add_crl_der(c, der, n), "collateral.%s: ", key);
    st = CLAVE_OK;
done:
    free(der);
    return st;
}

static clave_status add_json_chain(struct clave_dcap_collateral *c, const json_t *obj,
                                   const char *key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *pem = NULL;
    CLAVE_CHECK(clave_json_get_string(obj, "collateral", key, true, DCAP_CHAIN_MAX_LEN, &pem));
    CLAVE_CHECK_CTX(add_chain(c, pem, strlen(pem)), "collateral.%s: ", key);
    st = CLAVE_OK;
done:
    return st;
}

static clave_status add_json_doc(struct dcap_signed_doc *docs, size_t *count, const json_t *obj,
                                 const char *key, const char *sig_key)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    const char *body = NULL;
    const char *sig = NULL;
    CLAVE_CHECK(clave_json_get_string(obj, "collateral", key, true, DCAP_DOC_MAX_LEN, &body));
    CLAVE_CHECK(clave_json_get_string(obj, "collateral", sig_key, true, 256, &sig));
    CLAVE_CHECK(add_doc(docs, count, body, strlen(body), sig, key));
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave_dcap_collateral_from_json(const char *json, size_t len,
                                             struct clave_dcap_collateral **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dcap_collateral *c = NULL;
    json_t *root = NULL;
    const struct clave_json_limits limits = {CLAVE_DCAP_COLLATERAL_MAX_LEN, 4};
    *out = NULL;
    CLAVE_CHECK(clave_json_parse(json, len, &limits, "collateral", &root));
    CLAVE_CHECK(clave_json_expect_object(root, "collateral"));
    CLAVE_CHECK(collateral_new(&c));
    CLAVE_CHECK(add_json_chain(c, root, "pck_crl_issuer_chain"));
    CLAVE_CHECK(add_json_chain(c, root, "tcb_info_issuer_chain"));
    CLAVE_CHECK(add_json_chain(c, root, "qe_identity_issuer_chain"));
    CLAVE_CHECK(add_crl_hex(c, root, "root_ca_crl"));
    CLAVE_CHECK(add_crl_hex(c, root, "pck_crl"));
    CLAVE_CHECK(
        add_json_doc(c->tcb_infos, &c->tcb_info_count, root, "tcb_info", "tcb_info_signature"));
    CLAVE_CHECK(add_json_doc(c->qe_identities, &c->qe_identity_count, root, "qe_identity",
                             "qe_identity_signature"));
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    json_decref(root);
    clave_dcap_collateral_free(c);
    return st;
}

/* A PCS response {"tcbInfo"|"enclaveIdentity": {...}, "signature": hex}; others are skipped. */
static clave_status add_pcs_json(struct clave_dcap_collateral *c, const char *text, size_t len,
                                 const char *path)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    json_t *root = NULL;
    const char *sig = NULL;
    size_t start = 0;
    size_t span = 0;
    bool tcb = false;
    const struct clave_json_limits limits = {CLAVE_DCAP_COLLATERAL_MAX_LEN, 8};
    CLAVE_CHECK_CTX(clave_json_parse(text, len, &limits, path, &root), "%s: ", path);
    if (!json_is_object(root) || json_object_get(root, "signature") == NULL) {
        st = CLAVE_OK;
        goto done;
    }
    tcb = json_object_get(root, "tcbInfo") != NULL;
    if (!tcb && json_object_get(root, "enclaveIdentity") == NULL) {
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave_json_get_string(root, path, "signature", true, 256, &sig));
    CLAVE_CHECK_CTX(
        clave__json_member_span(text, len, tcb ? "tcbInfo" : "enclaveIdentity", &start, &span),
        "%s: ", path);
    if (tcb) {
        CLAVE_CHECK(add_doc(c->tcb_infos, &c->tcb_info_count, text + start, span, sig, path));
    } else {
        CLAVE_CHECK(
            add_doc(c->qe_identities, &c->qe_identity_count, text + start, span, sig, path));
    }
    st = CLAVE_OK;
done:
    json_decref(root);
    return st;
}

static bool has_suffix(const char *name, const char *suffix)
{
    size_t n = strlen(name);
    size_t s = strlen(suffix);
    return n > s && strcmp(name + n - s, suffix) == 0;
}

static clave_status add_file(struct clave_dcap_collateral *c, const char *path, const char *name)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char *data = NULL;
    size_t len = 0;
    bool json = has_suffix(name, ".json");
    bool crl = has_suffix(name, ".der") || has_suffix(name, ".crl");
    bool pem = has_suffix(name, ".pem");
    if (!json && !crl && !pem) {
        st = CLAVE_OK;
        goto done;
    }
    CLAVE_CHECK(clave__file_read(path, CLAVE_DCAP_COLLATERAL_MAX_LEN, &data, &len));
    if (json) {
        CLAVE_CHECK(add_pcs_json(c, data, len, name));
    } else if (crl) {
        CLAVE_CHECK_CTX(add_crl_der(c, (const uint8_t *)data, len), "%s: ", name);
    } else {
        CLAVE_CHECK_CTX(add_chain(c, data, len), "%s: ", name);
    }
    st = CLAVE_OK;
done:
    free(data);
    return st;
}

static int name_order(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

clave_status clave_dcap_collateral_from_dir(const char *dir, struct clave_dcap_collateral **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_dcap_collateral *c = NULL;
    struct dirent **names = NULL;
    int count = -1;
    char path[4096];
    *out = NULL;
    CLAVE_CHECK(collateral_new(&c));
    count = scandir(dir, &names, NULL, name_order);
    CLAVE_ENSURE(count >= 0, CLAVE_ERR_IO, "dcap: cannot list collateral directory %s", dir);
    CLAVE_ENSURE(count <= DCAP_DIR_MAX_FILES, CLAVE_ERR_LIMIT, "dcap: more than %d files in %s",
                 DCAP_DIR_MAX_FILES, dir);
    for (int i = 0; i < count; i++) {
        int n = snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        CLAVE_ENSURE(n > 0 && (size_t)n < sizeof(path), CLAVE_ERR_ARG, "dcap: path too long");
        if (names[i]->d_name[0] != '.') {
            CLAVE_CHECK(add_file(c, path, names[i]->d_name));
        }
    }
    CLAVE_ENSURE(c->tcb_info_count > 0, CLAVE_ERR_NOT_FOUND, "dcap: no TCB info in %s", dir);
    *out = c;
    c = NULL;
    st = CLAVE_OK;
done:
    for (int i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
    clave_dcap_collateral_free(c);
    return st;
}
