/* SPDX-License-Identifier: Apache-2.0 */
/* The runner's key broker client (broker.h). */
#include "broker.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_BODY_MAX (4u << 20)
#define TOKEN_MAX 16384

struct runner_broker {
    CURL *curl;
    char server[512];
    uint8_t *body; /* the last response */
    size_t len, cap_limit;
    long status;
    char code[64];
    char reason[512];
    /* attestation results */
    char *token;
    uint8_t *evidence;
    size_t evidence_len;
    char format[16];
    char *runtime_data;
};

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
    struct runner_broker *b = arg;
    size_t add = size * n;
    if (add > b->cap_limit - b->len) {
        return 0; /* over the limit: curl fails the transfer */
    }
    uint8_t *nb = realloc(b->body, b->len + add + 1);
    if (nb == NULL) {
        return 0;
    }
    memcpy(nb + b->len, p, add);
    b->body = nb;
    b->len += add;
    nb[b->len] = '\0';
    return add;
}

clave_status runner_broker_open(const char *server, const char *cacert, struct runner_broker **out)
{
    struct runner_broker *b = calloc(1, sizeof(*b));
    *out = NULL;
    if (b == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    b->curl = curl_easy_init();
    if (strlen(server) >= sizeof(b->server) || strncmp(server, "https://", 8) != 0) {
        fprintf(stderr, "clave-runner: --server must be an https:// URL\n");
        runner_broker_close(b);
        return CLAVE_ERR_ARG;
    }
    snprintf(b->server, sizeof(b->server), "%s", server);
    if (b->curl == NULL || curl_easy_setopt(b->curl, CURLOPT_CAINFO, cacert) != CURLE_OK ||
        curl_easy_setopt(b->curl, CURLOPT_COOKIEFILE, "") != CURLE_OK ||
        curl_easy_setopt(b->curl, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
        curl_easy_setopt(b->curl, CURLOPT_WRITEFUNCTION, sink) != CURLE_OK ||
        curl_easy_setopt(b->curl, CURLOPT_WRITEDATA, b) != CURLE_OK ||
        curl_easy_setopt(b->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(b->curl, CURLOPT_TIMEOUT, 120L) != CURLE_OK) {
        runner_broker_close(b);
        return CLAVE_ERR_IO;
    }
    *out = b;
    return CLAVE_OK;
}

void runner_broker_close(struct runner_broker *b)
{
    if (b == NULL) {
        return;
    }
    curl_easy_cleanup(b->curl);
    free(b->body);
    free(b->token);
    free(b->evidence);
    free(b->runtime_data);
    free(b);
}

long runner_broker_status(const struct runner_broker *b)
{
    return b->status;
}

const char *runner_broker_code(const struct runner_broker *b)
{
    return b->code;
}

const char *runner_broker_reason(const struct runner_broker *b)
{
    return b->reason;
}

/* Remember a refusal's code and message ({"error": {"code", "message"}}). */
static clave_status refused(struct runner_broker *b)
{
    json_t *j = json_loadb((const char *)b->body, b->len, 0, NULL);
    json_t *e = json_object_get(j, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    snprintf(b->code, sizeof(b->code), "%s", code != NULL ? code : "http_error");
    snprintf(b->reason, sizeof(b->reason), "%s", msg != NULL ? msg : "(no reason given)");
    json_decref(j);
    return CLAVE_ERR_AUTH;
}

/* One request; the answer in b->body. 2xx: CLAVE_OK; else CLAVE_ERR_AUTH with the reason. */
static clave_status call(struct runner_broker *b, const char *method, const char *path,
                         const char *body, const char *bearer, size_t max)
{
    char url[1024];
    char auth[TOKEN_MAX + 32];
    struct curl_slist *hdr = NULL;
    snprintf(url, sizeof(url), "%s%s", b->server, path);
    free(b->body);
    b->body = NULL;
    b->len = 0;
    b->cap_limit = max;
    b->status = 0;
    b->code[0] = '\0';
    b->reason[0] = '\0';
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (bearer != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        hdr = curl_slist_append(hdr, auth);
    }
    bool ok = hdr != NULL && curl_easy_setopt(b->curl, CURLOPT_URL, url) == CURLE_OK &&
              curl_easy_setopt(b->curl, CURLOPT_HTTPHEADER, hdr) == CURLE_OK &&
              curl_easy_setopt(b->curl, CURLOPT_HTTPGET, body == NULL ? 1L : 0L) == CURLE_OK &&
              (body == NULL || curl_easy_setopt(b->curl, CURLOPT_POSTFIELDS, body) == CURLE_OK) &&
              curl_easy_setopt(b->curl, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK;
    CURLcode rc = ok ? curl_easy_perform(b->curl) : CURLE_FAILED_INIT;
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        snprintf(b->code, sizeof(b->code), "transport");
        snprintf(b->reason, sizeof(b->reason), "%s %s: %s", method, path, curl_easy_strerror(rc));
        return CLAVE_ERR_IO;
    }
    curl_easy_getinfo(b->curl, CURLINFO_RESPONSE_CODE, &b->status);
    return b->status >= 200 && b->status < 300 ? CLAVE_OK : refused(b);
}

/* The JSON answer of the last call, or NULL (reason set). */
static json_t *answer(struct runner_broker *b)
{
    json_t *j = json_loadb((const char *)b->body, b->len, 0, NULL);
    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(b->code, sizeof(b->code), "bad_answer");
        snprintf(b->reason, sizeof(b->reason), "the broker's answer is not a JSON object");
        return NULL;
    }
    return j;
}

static clave_status auth(struct runner_broker *b, const char *format, char *nonce, size_t cap)
{
    char body[160];
    snprintf(body, sizeof(body), "{\"version\":\"%s\",\"tee\":\"%s\",\"extra-params\":\"\"}",
             CLAVE_KBS_VERSION, format);
    clave_status st = call(b, "POST", "/kbs/v0/auth", body, NULL, JSON_BODY_MAX);
    if (st != CLAVE_OK) {
        return st;
    }
    json_t *j = answer(b);
    const char *n = json_string_value(json_object_get(j, "nonce"));
    st = n != NULL && strlen(n) < cap ? CLAVE_OK : CLAVE_ERR_FORMAT;
    if (st == CLAVE_OK) {
        memcpy(nonce, n, strlen(n) + 1);
    }
    json_decref(j);
    return st;
}

static clave_status evidence(struct runner_broker *b, const struct runner_evidence_source *src,
                             const uint8_t rd[CLAVE_KBS_REPORT_DATA_LEN])
{
    if (src->sim_dir == NULL) {
        const char *format = NULL;
        clave_status st = clave_attest_collect(rd, CLAVE_KBS_REPORT_DATA_LEN, &format, &b->evidence,
                                               &b->evidence_len);
        if (st == CLAVE_OK && strcmp(format, src->format) != 0) {
            fprintf(stderr, "clave-runner: this TEE gives %s evidence, not %s\n", format,
                    src->format);
            st = CLAVE_ERR_UNSUPPORTED;
        }
        snprintf(b->format, sizeof(b->format), "%s", src->format);
        return st;
    }
    struct clave_attest_sim_input in = {
        rd, CLAVE_KBS_REPORT_DATA_LEN, src->measurement, src->measurement != NULL ? 48 : 0, NULL, 0,
        0};
    snprintf(b->format, sizeof(b->format), "%s", src->format);
    return clave_attest_sim_evidence(src->sim_dir, src->format, &in, &b->evidence,
                                     &b->evidence_len);
}

/* The Attestation body around the runtime data that was hashed into the evidence. Caller frees. */
static char *attestation_body(const struct runner_broker *b)
{
    char *b64 = NULL;
    char *out = NULL;
    json_t *rt = json_loads(b->runtime_data, 0, NULL);
    if (rt != NULL &&
        clave_b64_encode_alloc(CLAVE_B64URL, b->evidence, b->evidence_len, &b64) == CLAVE_OK) {
        json_t *doc = json_pack("{s:O,s:{s:{s:s,s:s},s:s}}", "runtime-data", rt, "tee-evidence",
                                "primary_evidence", "format", b->format, "evidence", b64,
                                "additional_evidence", "");
        out = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
        json_decref(doc);
    }
    free(b64);
    json_decref(rt);
    return out;
}

clave_status runner_broker_attest(struct runner_broker *b, const struct runner_evidence_source *src,
                                  const struct clave_jwk *tee, const uint8_t *contract_id,
                                  struct runner_attestation *out)
{
    char nonce[CLAVE_KBS_NONCE_TEXT_MAX + 1];
    char *body = NULL;
    json_t *j = NULL;
    memset(out, 0, sizeof(*out));
    /* runtime data {nonce, tee-pubkey}; report data = its SHA-384 || contract id[0..16] */
    clave_status st = auth(b, src->format, nonce, sizeof(nonce));
    if (st == CLAVE_OK) {
        st = clave_receipt_runtime_data_new(nonce, tee, &b->runtime_data);
    }
    if (st == CLAVE_OK) {
        st = clave_receipt_report_data(b->runtime_data, strlen(b->runtime_data), contract_id,
                                       out->report_data);
    }
    if (st == CLAVE_OK) {
        st = evidence(b, src, out->report_data);
    }
    if (st == CLAVE_OK && (body = attestation_body(b)) == NULL) {
        st = CLAVE_ERR_NOMEM;
    }
    if (st == CLAVE_OK) {
        st = call(b, "POST", "/kbs/v0/attest", body, NULL, JSON_BODY_MAX);
    }
    if (st == CLAVE_OK && (j = answer(b)) == NULL) {
        st = CLAVE_ERR_FORMAT;
    }
    const char *tok = json_string_value(json_object_get(j, "token"));
    if (st == CLAVE_OK && (tok == NULL || strlen(tok) >= TOKEN_MAX)) {
        st = CLAVE_ERR_FORMAT;
    }
    if (st == CLAVE_OK && (b->token = strdup(tok)) == NULL) {
        st = CLAVE_ERR_NOMEM;
    }
    if (st == CLAVE_OK) {
        out->token = b->token;
        out->evidence = b->evidence;
        out->evidence_len = b->evidence_len;
        out->format = b->format;
        out->runtime_data = b->runtime_data;
    }
    json_decref(j);
    free(body);
    return st;
}

clave_status runner_broker_dataset_key(struct runner_broker *b, const char *collab, const char *id,
                                       const struct clave_jwk *tee, struct clave_secret **dek)
{
    char path[300];
    snprintf(path, sizeof(path), "/kbs/v0/resource/%s/dataset/%s", collab, id);
    clave_status st = call(b, "GET", path, NULL, b->token, JSON_BODY_MAX);
    if (st == CLAVE_OK) {
        st = clave_jwe_decrypt(tee, (const char *)b->body, b->len, dek);
    }
    return st;
}

clave_status runner_broker_sealed(struct runner_broker *b, const char *collab, const char *id,
                                  size_t max, uint8_t **blob, size_t *len)
{
    char path[300];
    snprintf(path, sizeof(path), "/kbs/v0/resource/%s/sealed/%s", collab, id);
    clave_status st = call(b, "GET", path, NULL, b->token, max);
    if (st == CLAVE_OK) {
        *blob = b->body;
        *len = b->len;
        b->body = NULL;
        b->len = 0;
    }
    return st;
}

clave_status runner_broker_recipient_keys(struct runner_broker *b, const char *collab,
                                          const char *party, json_t **keys)
{
    char path[300];
    snprintf(path, sizeof(path), "/kbs/v0/resource/%s/recipient/%s", collab, party);
    *keys = NULL;
    clave_status st = call(b, "GET", path, NULL, b->token, JSON_BODY_MAX);
    json_t *j = st == CLAVE_OK ? answer(b) : NULL;
    json_t *k = json_object_get(j, "keys");
    if (st == CLAVE_OK && !json_is_array(k)) {
        st = CLAVE_ERR_FORMAT;
    }
    if (st == CLAVE_OK) {
        *keys = json_incref(k);
    }
    json_decref(j);
    return st;
}

clave_status runner_broker_debits(struct runner_broker *b, const char *contract_hex,
                                  const char *const *datasets, const char *const *parties, size_t n,
                                  double epsilon, double delta, const char *what, int64_t *ids)
{
    json_t *list = json_array();
    for (size_t i = 0; list != NULL && i < n; i++) {
        if (json_array_append_new(
                list, json_pack("{s:s,s:s}", "dataset", datasets[i], "party", parties[i])) != 0) {
            json_decref(list);
            list = NULL;
        }
    }
    json_t *req = list != NULL
                      ? json_pack("{s:s,s:o,s:f,s:f,s:s}", "contract", contract_hex, "debits", list,
                                  "epsilon", epsilon, "delta", delta, "what", what)
                      : NULL;
    char *body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (body == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    clave_status st = call(b, "POST", "/kbs/v0/budget/debits", body, b->token, JSON_BODY_MAX);
    free(body);
    json_t *j = st == CLAVE_OK ? answer(b) : NULL;
    json_t *got = json_object_get(j, "debits");
    if (st == CLAVE_OK && (!json_is_array(got) || json_array_size(got) != n)) {
        st = CLAVE_ERR_FORMAT;
    }
    for (size_t i = 0; st == CLAVE_OK && i < n; i++) {
        json_t *x = json_array_get(got, i);
        json_t *id = json_object_get(x, "debit_id");
        const char *ds = json_string_value(json_object_get(x, "dataset"));
        const char *party = json_string_value(json_object_get(x, "party"));
        if (!json_is_integer(id) || ds == NULL || party == NULL || strcmp(ds, datasets[i]) != 0 ||
            strcmp(party, parties[i]) != 0) {
            st = CLAVE_ERR_FORMAT;
        } else {
            ids[i] = json_integer_value(id);
        }
    }
    json_decref(j);
    return st;
}

clave_status runner_broker_anchor(struct runner_broker *b, const uint8_t *receipt, size_t len,
                                  char **proof, char **sth)
{
    char *b64 = NULL;
    *proof = NULL;
    *sth = NULL;
    clave_status st = clave_b64_encode_alloc(CLAVE_B64URL, receipt, len, &b64);
    json_t *req = st == CLAVE_OK ? json_pack("{s:s}", "receipt", b64) : NULL;
    char *body = req != NULL ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    free(b64);
    if (body == NULL) {
        return CLAVE_ERR_NOMEM;
    }
    st = call(b, "POST", "/kbs/v0/result", body, b->token, JSON_BODY_MAX);
    free(body);
    json_t *j = st == CLAVE_OK ? answer(b) : NULL;
    json_t *p = json_object_get(j, "proof");
    json_t *h = json_object_get(j, "sth");
    if (st == CLAVE_OK && (!json_is_object(p) || !json_is_object(h))) {
        st = CLAVE_ERR_FORMAT;
    }
    if (st == CLAVE_OK) {
        *proof = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
        *sth = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
        st = *proof != NULL && *sth != NULL ? CLAVE_OK : CLAVE_ERR_NOMEM;
    }
    json_decref(j);
    return st;
}
