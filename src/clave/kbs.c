/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clave kbs fetch | debit: the attester side of the key broker protocol (RCAR) over HTTPS, with
 * simulated evidence (development and CI), and the runner's budget debit. See docs/kbs.md.
 */
#include "cli.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BODY_MAX (4u << 20)
#define FILE_MAX (64u << 20)

static const char USAGE[] =
    "usage: clave kbs fetch --server URL --cacert PEM --resource REPO/TYPE/TAG\n"
    "                       --sim-dir DIR [--format snp|nitro] [--measurement HEX]\n"
    "                       [--key ec|rsa] [--out KEY.hex] [--sealed FILE --plain-out FILE]\n"
    "                       [--raw-out FILE]\n"
    "                       [--token-out FILE] [--save-attest FILE] [--replay-attest FILE]\n"
    "                       [--stale-nonce] [--wrong-binding]\n"
    "                       [--attest-server URL] [--resource-server URL]\n"
    "       clave kbs debit --server URL --cacert PEM --token FILE --contract ID\n"
    "                       --dataset ID --party ID --epsilon E [--delta D]\n"
    "\n"
    "fetch   act as the TEE: make an ephemeral key (P-256, or RSA-3072 with --key rsa), POST\n"
    "        /kbs/v0/auth, bind SHA-384 of the runtime data {nonce, tee-pubkey} into simulated\n"
    "        evidence from DIR (clave attest sim-init; NO HARDWARE PROTECTION), POST\n"
    "        /kbs/v0/attest, GET /kbs/v0/resource/REPO/TYPE/TAG and decrypt the JWE. Writes\n"
    "        the key (hex) to --out, and with --sealed unseals FILE with it into --plain-out.\n"
    "        Test knobs: --stale-nonce (answer an earlier challenge), --wrong-binding (flip a\n"
    "        report-data bit), --save-attest / --replay-attest (the attestation body).\n"
    "        --raw-out FILE: the resource is not a JWE (a sealed blob, recipient keys\n"
    "        {\"keys\": [JWK, ...]}): write the answer as received to FILE, decrypt nothing.\n"
    "        Replicas: --attest-server / --resource-server send those steps to another claved\n"
    "        sharing the store (the session cookie goes along).\n"
    "debit   debit a DP budget with the EAR token fetch wrote (--token-out).\n"
    "\n"
    "Exit status: 0 success; 1 refused (the HTTP status and reason are printed); 2 usage.\n";

struct opts {
    const char *server, *cacert, *resource, *sim_dir, *format, *measurement, *key, *out;
    const char *sealed, *plain_out, *token_out, *save_attest, *replay_attest, *token;
    const char *contract, *dataset, *party, *epsilon, *delta;
    const char *attest_server, *resource_server, *raw_out;
    bool stale, wrong_binding;
};

struct http {
    CURL *c;
    char *body;
    size_t len;
    long status;
};

static size_t sink(char *p, size_t size, size_t n, void *arg)
{
    struct http *h = arg;
    size_t add = size * n;
    if (h->len + add > BODY_MAX) {
        return 0;
    }
    char *b = realloc(h->body, h->len + add + 1);
    if (b == NULL) {
        return 0;
    }
    memcpy(b + h->len, p, add);
    h->body = b;
    h->len += add;
    b[h->len] = '\0';
    return add;
}

/* One request on the shared handle (its cookie engine keeps kbs-session-id). */
static clave_status call(struct http *h, const struct opts *o, const char *method, const char *path,
                         const char *body, const char *bearer)
{
    char url[1024];
    char auth[8192];
    struct curl_slist *hdr = NULL;
    snprintf(url, sizeof(url), "%s%s", o->server, path);
    free(h->body);
    h->body = NULL;
    h->len = 0;
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    if (bearer != NULL) {
        snprintf(auth, sizeof(auth), "Authorization: Bearer %s", bearer);
        hdr = curl_slist_append(hdr, auth);
    }
    bool ok = curl_easy_setopt(h->c, CURLOPT_URL, url) == CURLE_OK &&
              curl_easy_setopt(h->c, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK &&
              curl_easy_setopt(h->c, CURLOPT_HTTPHEADER, hdr) == CURLE_OK &&
              curl_easy_setopt(h->c, CURLOPT_HTTPGET, body == NULL ? 1L : 0L) == CURLE_OK &&
              (body == NULL || curl_easy_setopt(h->c, CURLOPT_POSTFIELDS, body) == CURLE_OK) &&
              curl_easy_setopt(h->c, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK;
    CURLcode rc = ok ? curl_easy_perform(h->c) : CURLE_FAILED_INIT;
    curl_slist_free_all(hdr);
    if (rc != CURLE_OK) {
        fprintf(stderr, "clave kbs: %s %s: %s\n", method, path, curl_easy_strerror(rc));
        return CLAVE_ERR_IO;
    }
    curl_easy_getinfo(h->c, CURLINFO_RESPONSE_CODE, &h->status);
    return CLAVE_OK;
}

static int refused(const char *what, const struct http *h)
{
    printf("%s: HTTP %ld %s\n", what, h->status, h->body != NULL ? h->body : "");
    return CLI_FAILED;
}

static clave_status http_open(struct http *h, const struct opts *o)
{
    memset(h, 0, sizeof(*h));
    h->c = curl_easy_init();
    if (h->c == NULL || curl_easy_setopt(h->c, CURLOPT_CAINFO, o->cacert) != CURLE_OK ||
        curl_easy_setopt(h->c, CURLOPT_COOKIEFILE, "") != CURLE_OK ||
        curl_easy_setopt(h->c, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
        curl_easy_setopt(h->c, CURLOPT_WRITEFUNCTION, sink) != CURLE_OK ||
        curl_easy_setopt(h->c, CURLOPT_WRITEDATA, h) != CURLE_OK ||
        curl_easy_setopt(h->c, CURLOPT_TIMEOUT, 30L) != CURLE_OK) {
        return CLAVE_ERR_IO;
    }
    return CLAVE_OK;
}

static void http_close(struct http *h)
{
    curl_easy_cleanup(h->c);
    free(h->body);
}

static clave_status read_file(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *b = malloc(FILE_MAX);
    *out = NULL;
    if (f == NULL || b == NULL) {
        if (f != NULL) {
            fclose(f);
        }
        free(b);
        fprintf(stderr, "clave kbs: cannot read %s\n", path);
        return CLAVE_ERR_IO;
    }
    *len = fread(b, 1, FILE_MAX, f);
    fclose(f);
    *out = b;
    return CLAVE_OK;
}

static clave_status write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;
    if (fd >= 0) {
        close(fd);
    }
    return ok ? CLAVE_OK : CLAVE_ERR_IO;
}

/* POST /kbs/v0/auth; the challenge nonce into `nonce`. */
static int auth(struct http *h, const struct opts *o, char *nonce, size_t cap)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"version\":\"%s\",\"tee\":\"%s\",\"extra-params\":\"\"}",
             CLAVE_KBS_VERSION, o->format);
    if (call(h, o, "POST", "/kbs/v0/auth", body, NULL) != CLAVE_OK) {
        return CLI_FAILED;
    }
    json_t *j = h->status == 200 ? json_loads(h->body, 0, NULL) : NULL;
    const char *n = json_string_value(json_object_get(j, "nonce"));
    if (n == NULL || strlen(n) >= cap) {
        json_decref(j);
        return refused("auth", h);
    }
    memcpy(nonce, n, strlen(n) + 1);
    json_decref(j);
    return 0;
}

/* The Attestation body for `nonce` and the TEE key. Caller frees. */
static char *attestation(const struct opts *o, const char *nonce, const struct clave_jwk *tee)
{
    char *pub = NULL;
    json_t *pk = NULL;
    uint8_t rd[CLAVE_KBS_REPORT_DATA_LEN];
    uint8_t m[48];
    size_t mlen = 0;
    uint8_t *ev = NULL;
    size_t evlen = 0;
    char *b64 = NULL;
    char *out = NULL;
    if (clave_jwk_export_public(tee, &pub) != CLAVE_OK || (pk = json_loads(pub, 0, NULL)) == NULL ||
        clave_kbs_report_data(nonce, pk, rd) != CLAVE_OK ||
        (o->measurement != NULL && clave_hex_decode(o->measurement, strlen(o->measurement), m,
                                                    sizeof(m), &mlen) != CLAVE_OK)) {
        goto done;
    }
    if (o->wrong_binding) {
        rd[0] ^= 1;
    }
    struct clave_attest_sim_input in = {rd, sizeof(rd), mlen > 0 ? m : NULL, mlen, NULL, 0, 0};
    if (clave_attest_sim_evidence(o->sim_dir, o->format, &in, &ev, &evlen) != CLAVE_OK ||
        clave_b64_encode_alloc(CLAVE_B64URL, ev, evlen, &b64) != CLAVE_OK) {
        (void)cli_fail("kbs fetch: sim evidence", clave_error_last().status);
        goto done;
    }
    json_t *doc = json_pack("{s:{s:s,s:O},s:{s:{s:s,s:s},s:s}}", "runtime-data", "nonce", nonce,
                            "tee-pubkey", pk, "tee-evidence", "primary_evidence", "format",
                            o->format, "evidence", b64, "additional_evidence", "");
    out = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
done:
    free(b64);
    free(ev);
    json_decref(pk);
    free(pub);
    return out;
}

static int unseal_with(const struct opts *o, const struct clave_secret *dek)
{
    uint8_t *data = NULL;
    size_t len = 0;
    struct clave_seal_header *hdr = NULL;
    struct clave_seal_mem mem = {0};
    int rc = CLI_FAILED;
    if (read_file(o->sealed, &data, &len) != CLAVE_OK) {
        return CLI_FAILED;
    }
    mem.in = data;
    mem.in_len = len;
    mem.out_max = FILE_MAX;
    struct clave_seal_io io = clave_seal_io_mem(&mem);
    clave_status st = clave_seal_header_read(&io, &hdr);
    st = st == CLAVE_OK ? clave_unseal_stream(hdr, dek, &io, NULL) : st;
    st = st == CLAVE_OK ? write_file(o->plain_out, mem.out, mem.out_len) : st;
    rc = st == CLAVE_OK ? 0 : cli_fail("kbs fetch: unseal", st);
    clave_seal_header_free(hdr);
    free(mem.out);
    free(data);
    return rc;
}

static int resource(struct http *h, const struct opts *o, const struct clave_jwk *tee)
{
    char path[512];
    struct clave_secret *dek = NULL;
    char hex[129];
    int rc = CLI_FAILED;
    struct opts ro = *o;
    ro.server = o->resource_server != NULL ? o->resource_server : o->server;
    snprintf(path, sizeof(path), "/kbs/v0/resource/%s", o->resource);
    if (call(h, &ro, "GET", path, NULL, NULL) != CLAVE_OK) {
        return CLI_FAILED;
    }
    if (h->status != 200) {
        return refused("resource", h);
    }
    if (o->raw_out != NULL) {
        if (write_file(o->raw_out, h->body, h->len) != CLAVE_OK) {
            return cli_fail("kbs fetch: --raw-out", CLAVE_ERR_IO);
        }
        printf("released %s (%zu bytes)\n", o->resource, h->len);
        return 0;
    }
    clave_status st = clave_jwe_decrypt(tee, h->body, h->len, &dek);
    if (st != CLAVE_OK) {
        return cli_fail("kbs fetch: decrypt the resource", st);
    }
    if (clave_secret_len(dek) * 2 < sizeof(hex) &&
        clave_hex_encode(clave_secret_cdata(dek), clave_secret_len(dek), hex, sizeof(hex)) ==
            CLAVE_OK) {
        rc = o->out == NULL || write_file(o->out, hex, strlen(hex)) == CLAVE_OK ? 0 : CLI_FAILED;
        clave_wipe(hex, sizeof(hex));
    }
    if (rc == 0 && o->sealed != NULL) {
        rc = unseal_with(o, dek);
    }
    printf("released %s (%zu bytes)\n", o->resource, clave_secret_len(dek));
    clave_secret_free(dek);
    return rc;
}

static int attest(struct http *h, const struct opts *o, const struct clave_jwk *tee)
{
    char nonce[CLAVE_KBS_NONCE_TEXT_MAX + 1];
    char old[CLAVE_KBS_NONCE_TEXT_MAX + 1];
    char *body = NULL;
    size_t len = 0;
    int rc = auth(h, o, nonce, sizeof(nonce));
    if (rc == 0 && o->stale) { /* a second challenge replaces the first: answer the first */
        memcpy(old, nonce, sizeof(old));
        rc = auth(h, o, nonce, sizeof(nonce));
        memcpy(nonce, old, sizeof(nonce));
    }
    if (rc != 0) {
        return rc;
    }
    if (o->replay_attest != NULL) {
        uint8_t *b = NULL;
        if (read_file(o->replay_attest, &b, &len) != CLAVE_OK) {
            return CLI_FAILED;
        }
        body = calloc(1, len + 1);
        if (body != NULL) {
            memcpy(body, b, len);
        }
        free(b);
    } else {
        body = attestation(o, nonce, tee);
    }
    if (body == NULL) {
        return CLI_FAILED;
    }
    if (o->save_attest != NULL && write_file(o->save_attest, body, strlen(body)) != CLAVE_OK) {
        free(body);
        return CLI_FAILED;
    }
    struct opts at = *o;
    at.server = o->attest_server != NULL ? o->attest_server : o->server;
    clave_status st = call(h, &at, "POST", "/kbs/v0/attest", body, NULL);
    free(body);
    if (st != CLAVE_OK) {
        return CLI_FAILED;
    }
    json_t *j = h->status == 200 ? json_loads(h->body, 0, NULL) : NULL;
    const char *tok = json_string_value(json_object_get(j, "token"));
    rc = tok == NULL ? refused("attest", h) : 0;
    if (rc == 0 && o->token_out != NULL && write_file(o->token_out, tok, strlen(tok)) != CLAVE_OK) {
        rc = CLI_FAILED;
    }
    json_decref(j);
    return rc;
}

static int fetch(const struct opts *o)
{
    struct http h;
    struct clave_jwk *tee = NULL;
    int rc = CLI_FAILED;
    if (o->server == NULL || o->cacert == NULL || o->resource == NULL || o->sim_dir == NULL ||
        (o->sealed != NULL) != (o->plain_out != NULL) ||
        (o->raw_out != NULL && (o->sealed != NULL || o->out != NULL))) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    clave_status st = http_open(&h, o);
    if (st == CLAVE_OK) {
        st = clave_jwk_generate(
            o->key != NULL && strcmp(o->key, "rsa") == 0 ? CLAVE_JWK_RSA : CLAVE_JWK_EC_P256, &tee);
    }
    if (st != CLAVE_OK) {
        rc = cli_fail("kbs fetch", st);
    } else {
        rc = attest(&h, o, tee);
        rc = rc == 0 ? resource(&h, o, tee) : rc;
    }
    clave_jwk_free(tee);
    http_close(&h);
    return rc;
}

static int debit(const struct opts *o)
{
    struct http h;
    uint8_t *tok = NULL;
    size_t len = 0;
    char *end = NULL;
    if (o->server == NULL || o->cacert == NULL || o->token == NULL || o->contract == NULL ||
        o->dataset == NULL || o->party == NULL || o->epsilon == NULL) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    double eps = strtod(o->epsilon, &end);
    double delta = o->delta != NULL ? strtod(o->delta, NULL) : 0.0;
    if (end == o->epsilon || http_open(&h, o) != CLAVE_OK) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    int rc = CLI_FAILED;
    json_t *b = json_pack("{s:s,s:s,s:s,s:f,s:f}", "contract", o->contract, "dataset", o->dataset,
                          "party", o->party, "epsilon", eps, "delta", delta);
    char *body = b != NULL ? json_dumps(b, JSON_COMPACT) : NULL;
    if (body != NULL && read_file(o->token, &tok, &len) == CLAVE_OK) {
        char *t = calloc(1, len + 1);
        if (t != NULL) {
            memcpy(t, tok, len);
            t[strcspn(t, "\r\n")] = '\0';
            if (call(&h, o, "POST", "/kbs/v0/budget/debit", body, t) == CLAVE_OK) {
                rc = h.status == 200 ? (printf("%s\n", h.body), 0) : refused("debit", &h);
            }
            free(t);
        }
    }
    free(tok);
    free(body);
    json_decref(b);
    http_close(&h);
    return rc;
}

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option LONG[] = {{"server", required_argument, NULL, 1},
                                         {"cacert", required_argument, NULL, 2},
                                         {"resource", required_argument, NULL, 3},
                                         {"sim-dir", required_argument, NULL, 4},
                                         {"format", required_argument, NULL, 5},
                                         {"measurement", required_argument, NULL, 6},
                                         {"key", required_argument, NULL, 7},
                                         {"out", required_argument, NULL, 8},
                                         {"sealed", required_argument, NULL, 9},
                                         {"plain-out", required_argument, NULL, 10},
                                         {"token-out", required_argument, NULL, 11},
                                         {"save-attest", required_argument, NULL, 12},
                                         {"replay-attest", required_argument, NULL, 13},
                                         {"token", required_argument, NULL, 14},
                                         {"contract", required_argument, NULL, 15},
                                         {"dataset", required_argument, NULL, 16},
                                         {"party", required_argument, NULL, 17},
                                         {"epsilon", required_argument, NULL, 18},
                                         {"delta", required_argument, NULL, 19},
                                         {"stale-nonce", no_argument, NULL, 20},
                                         {"wrong-binding", no_argument, NULL, 21},
                                         {"attest-server", required_argument, NULL, 22},
                                         {"resource-server", required_argument, NULL, 23},
                                         {"raw-out", required_argument, NULL, 24},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char **targets[] = {NULL,
                              &o->server,
                              &o->cacert,
                              &o->resource,
                              &o->sim_dir,
                              &o->format,
                              &o->measurement,
                              &o->key,
                              &o->out,
                              &o->sealed,
                              &o->plain_out,
                              &o->token_out,
                              &o->save_attest,
                              &o->replay_attest,
                              &o->token,
                              &o->contract,
                              &o->dataset,
                              &o->party,
                              &o->epsilon,
                              &o->delta,
                              NULL,
                              NULL,
                              &o->attest_server,
                              &o->resource_server,
                              &o->raw_out};
    int opt = 0;
    o->format = "snp";
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
        if ((opt >= 1 && opt <= 19) || (opt >= 22 && opt <= 24)) {
            *targets[opt] = optarg;
        } else if (opt == 20) {
            o->stale = true;
        } else if (opt == 21) {
            o->wrong_binding = true;
        } else if (opt == 'h') {
            fputs(USAGE, stdout);
            return 0;
        } else {
            fputs(USAGE, stderr);
            return CLI_USAGE;
        }
    }
    if (optind != argc) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    return -1;
}

int cli_kbs(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof(o));
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(USAGE, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : 0;
    }
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc >= 0) {
        return rc;
    }
    if (strcmp(argv[1], "fetch") == 0) {
        return fetch(&o);
    }
    if (strcmp(argv[1], "debit") == 0) {
        return debit(&o);
    }
    fprintf(stderr, "clave kbs: unknown kbs command %s\n", argv[1]);
    return CLI_USAGE;
}
