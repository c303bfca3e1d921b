/* SPDX-License-Identifier: Apache-2.0 */
/* HTTPS requests to claved through libcurl, and the cached session (remote.h). */
#include "remote.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RESPONSE_MAX ((size_t)512 << 20) /* a whole audit export fits */
#define CREDENTIALS_MAX 65536
#define REQUEST_TIMEOUT_S 120L
#define PATH_CAP 4096

static clave_status config_dir(char *out, size_t cap)
{
    const char *dir = getenv("CLAVE_CONFIG_DIR");
    const char *home = getenv("HOME");
    int n = 0;
    if (dir != NULL && dir[0] != '\0') {
        n = snprintf(out, cap, "%s", dir);
    } else if (home != NULL && home[0] != '\0') {
        n = snprintf(out, cap, "%s/.config/clave", home);
    } else {
        fprintf(stderr, "clave: set CLAVE_CONFIG_DIR or HOME for the session cache\n");
        return CLAVE_ERR_ARG;
    }
    return n > 0 && (size_t)n < cap ? CLAVE_OK : CLAVE_ERR_ARG;
}

static clave_status credentials_path(char *out, size_t cap)
{
    char dir[PATH_CAP];
    clave_status st = config_dir(dir, sizeof(dir));
    int n = st == CLAVE_OK ? snprintf(out, cap, "%s/credentials.json", dir) : 0;
    return st == CLAVE_OK && n > 0 && (size_t)n < cap ? CLAVE_OK : CLAVE_ERR_ARG;
}

static void take_string(json_t *doc, const char *key, char **out)
{
    const char *v = json_string_value(json_object_get(doc, key));
    *out = v != NULL && v[0] != '\0' ? strdup(v) : NULL;
}

static clave_status session_read(struct cli_session *s, bool quiet);

clave_status cli_session_load(struct cli_session *s)
{
    return session_read(s, false);
}

clave_status cli_session_peek(struct cli_session *s)
{
    return session_read(s, true);
}

static clave_status session_read(struct cli_session *s, bool quiet)
{
    char path[PATH_CAP];
    memset(s, 0, sizeof(*s));
    clave_status st = credentials_path(path, sizeof(path));
    if (st != CLAVE_OK) {
        return st;
    }
    json_error_t err;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
    if (doc == NULL || !json_is_object(doc)) {
        if (!quiet) {
            fprintf(stderr, "clave: no session in %s: run 'clave login' first\n", path);
        }
        json_decref(doc);
        return CLAVE_ERR_NOT_FOUND;
    }
    take_string(doc, "server", &s->server);
    take_string(doc, "user", &s->user);
    take_string(doc, "token", &s->token);
    take_string(doc, "cacert", &s->cacert);
    take_string(doc, "pin_sha256", &s->pin);
    s->expires_at = (int64_t)json_integer_value(json_object_get(doc, "expires_at"));
    json_decref(doc);
    if (s->server == NULL || (s->cacert == NULL && s->pin == NULL)) {
        if (!quiet) {
            fprintf(stderr, "clave: %s is incomplete: run 'clave login' again\n", path);
        }
        cli_session_free(s);
        return CLAVE_ERR_FORMAT;
    }
    return CLAVE_OK;
}

void cli_session_free(struct cli_session *s)
{
    if (s->token != NULL) {
        clave_wipe(s->token, strlen(s->token));
    }
    free(s->server);
    free(s->user);
    free(s->token);
    free(s->cacert);
    free(s->pin);
    memset(s, 0, sizeof(*s));
}

static json_t *session_json(const struct cli_session *s)
{
    json_t *doc =
        json_pack("{s:s,s:I}", "server", s->server, "expires_at", (json_int_t)s->expires_at);
    const char *keys[] = {"user", "token", "cacert", "pin_sha256"};
    const char *vals[] = {s->user, s->token, s->cacert, s->pin};
    for (size_t i = 0; doc != NULL && i < 4; i++) {
        if (vals[i] != NULL && json_object_set_new(doc, keys[i], json_string(vals[i])) != 0) {
            json_decref(doc);
            doc = NULL;
        }
    }
    return doc;
}

/* mkdir -p with mode 0700 for the directories we create. */
static clave_status make_dir(const char *dir)
{
    char path[PATH_CAP];
    size_t n = strnlen(dir, sizeof(path));
    if (n == 0 || n >= sizeof(path)) {
        return CLAVE_ERR_ARG;
    }
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] == '/' || path[i] == '\0') {
            char saved = path[i];
            path[i] = '\0';
            if (mkdir(path, 0700) != 0 && errno != EEXIST) {
                fprintf(stderr, "clave: cannot create %s: %s\n", path, strerror(errno));
                return CLAVE_ERR_IO;
            }
            path[i] = saved;
        }
    }
    return CLAVE_OK;
}

clave_status cli_session_save(const struct cli_session *s)
{
    char dir[PATH_CAP];
    char path[PATH_CAP];
    char tmp[PATH_CAP + 8];
    clave_status st = config_dir(dir, sizeof(dir));
    if (st == CLAVE_OK) {
        st = make_dir(dir);
    }
    if (st == CLAVE_OK) {
        st = credentials_path(path, sizeof(path));
    }
    json_t *doc = st == CLAVE_OK ? session_json(s) : NULL;
    char *text = doc != NULL ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    json_decref(doc);
    if (text == NULL) {
        return st != CLAVE_OK ? st : CLAVE_ERR_NOMEM;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    (void)unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    size_t len = strlen(text);
    bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 &&
              fsync(fd) == 0;
    if (fd >= 0) {
        close(fd);
    }
    ok = ok && rename(tmp, path) == 0;
    clave_wipe(text, len);
    free(text);
    if (!ok) {
        fprintf(stderr, "clave: cannot write %s: %s\n", path, strerror(errno));
        (void)unlink(tmp);
        return CLAVE_ERR_IO;
    }
    return CLAVE_OK;
}

struct sink {
    char *data;
    size_t len, cap;
    bool overflow;
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *k = userdata;
    size_t n = size * nmemb;
    if (n > RESPONSE_MAX - k->len) {
        k->overflow = true;
        return 0;
    }
    if (k->len + n + 1 > k->cap) {
        size_t cap = k->cap == 0 ? 4096 : k->cap;
        while (cap < k->len + n + 1) {
            cap *= 2;
        }
        char *grown = realloc(k->data, cap);
        if (grown == NULL) {
            return 0;
        }
        k->data = grown;
        k->cap = cap;
    }
    memcpy(k->data + k->len, ptr, n);
    k->len += n;
    k->data[k->len] = '\0';
    return n;
}

/* Server authentication: CA bundle with host name check, or the pinned public key. */
static bool set_trust(CURL *c, const struct cli_session *s)
{
    char pin[CLI_PIN_LEN + 16];
    if (s->cacert != NULL) {
        return curl_easy_setopt(c, CURLOPT_CAINFO, s->cacert) == CURLE_OK &&
               curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK &&
               curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
    }
    if (s->pin == NULL) {
        return false;
    }
    /* The pin is checked whatever VERIFYPEER says (CURLOPT_PINNEDPUBLICKEY): the key is the
     * identity, so a self-signed certificate is accepted only with exactly this key. */
    snprintf(pin, sizeof(pin), "sha256//%s", s->pin);
    return curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, pin) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L) == CURLE_OK;
}

static bool set_common(CURL *c, const char *url, struct sink *k, char *errbuf)
{
    return curl_easy_setopt(c, CURLOPT_URL, url) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_TIMEOUT, REQUEST_TIMEOUT_S) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write) == CURLE_OK &&
           curl_easy_setopt(c, CURLOPT_WRITEDATA, k) == CURLE_OK;
}

static struct curl_slist *headers_for(const struct cli_session *s, const char *content_type)
{
    char ct[128];
    struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
    if (h != NULL && content_type != NULL) {
        snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
        h = curl_slist_append(h, ct);
    }
    if (h != NULL && s->token != NULL) {
        size_t n = strlen(s->token) + 32;
        char *auth = malloc(n);
        if (auth == NULL) {
            curl_slist_free_all(h);
            return NULL;
        }
        snprintf(auth, n, "Authorization: Bearer %s", s->token);
        struct curl_slist *h2 = curl_slist_append(h, auth);
        clave_wipe(auth, n);
        free(auth);
        if (h2 == NULL) {
            curl_slist_free_all(h);
        }
        h = h2;
    }
    return h;
}

static clave_status perform(CURL *c, const char *what, const char *errbuf, struct sink *k,
                            struct cli_response *out)
{
    CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        fprintf(stderr, "clave: %s: %s\n", what,
                k->overflow         ? "response too large"
                : errbuf[0] != '\0' ? errbuf
                                    : curl_easy_strerror(rc));
        free(k->data);
        return rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH || rc == CURLE_PEER_FAILED_VERIFICATION
                   ? CLAVE_ERR_AUTH
                   : CLAVE_ERR_IO;
    }
    (void)curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    out->body = k->data != NULL ? k->data : strdup("");
    out->len = k->len;
    return out->body != NULL ? CLAVE_OK : CLAVE_ERR_NOMEM;
}

/* One request with an optional body of `len` bytes of `content_type`. */
static clave_status request(const struct cli_session *s, const char *method, const char *path,
                            const char *content_type, const void *body, size_t len,
                            struct cli_response *out)
{
    char url[PATH_CAP];
    char errbuf[CURL_ERROR_SIZE] = "";
    struct sink k = {0};
    memset(out, 0, sizeof(*out));
    snprintf(url, sizeof(url), "%s%s", s->server, path);
    CURL *c = curl_easy_init();
    struct curl_slist *h = headers_for(s, body != NULL ? content_type : NULL);
    bool ok = c != NULL && h != NULL && set_common(c, url, &k, errbuf) && set_trust(c, s) &&
              curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_HTTPHEADER, h) == CURLE_OK;
    if (ok && body != NULL) {
        ok = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len) == CURLE_OK &&
             curl_easy_setopt(c, CURLOPT_POSTFIELDS, body) == CURLE_OK;
    }
    clave_status st = ok ? perform(c, s->server, errbuf, &k, out) : CLAVE_ERR_INTERNAL;
    if (!ok) {
        fprintf(stderr, "clave: cannot set up the HTTPS request\n");
    }
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return st;
}

clave_status cli_request(const struct cli_session *s, const char *method, const char *path,
                         const char *body, struct cli_response *out)
{
    return request(s, method, path, "application/json", body, body != NULL ? strlen(body) : 0, out);
}

clave_status cli_request_bytes(const struct cli_session *s, const char *method, const char *path,
                               const uint8_t *body, size_t len, struct cli_response *out)
{
    /* An empty part still carries a (zero-length) body, so never NULL here. */
    static const uint8_t EMPTY[1] = {0};
    return request(s, method, path, "application/octet-stream", body != NULL ? body : EMPTY, len,
                   out);
}

void cli_response_free(struct cli_response *r)
{
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* SHA-256 of the leaf certificate's SubjectPublicKeyInfo, base64. */
static clave_status pin_of_pem(const char *pem, char pin[CLI_PIN_LEN + 1])
{
    struct clave_x509 *cert = NULL;
    uint8_t digest[32];
    size_t n = 0;
    uint8_t *spki = NULL;
    size_t spki_len = 0;
    clave_status st = clave_x509_parse_pem(pem, strlen(pem), &cert);
    if (st == CLAVE_OK) {
        st = clave_x509_spki_der(cert, &spki, &spki_len);
    }
    if (st == CLAVE_OK) {
        st = clave_hash(CLAVE_HASH_SHA256, spki, spki_len, digest, sizeof(digest));
    }
    if (st == CLAVE_OK) {
        st = clave_b64_encode(CLAVE_B64_STD, digest, sizeof(digest), pin, CLI_PIN_LEN + 1, &n);
    }
    free(spki);
    clave_x509_free(cert);
    return st;
}

clave_status cli_probe_pin(const char *server, char pin[CLI_PIN_LEN + 1])
{
    char url[PATH_CAP];
    char errbuf[CURL_ERROR_SIZE] = "";
    struct sink k = {0};
    struct cli_response r = {0};
    struct curl_certinfo *ci = NULL;
    clave_status st = CLAVE_ERR_INTERNAL;
    snprintf(url, sizeof(url), "%s/healthz", server);
    CURL *c = curl_easy_init();
    bool ok = c != NULL && set_common(c, url, &k, errbuf) &&
              curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L) == CURLE_OK &&
              curl_easy_setopt(c, CURLOPT_CERTINFO, 1L) == CURLE_OK;
    if (ok) {
        st = perform(c, server, errbuf, &k, &r);
    }
    if (st == CLAVE_OK) {
        st = CLAVE_ERR_FORMAT;
        if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) == CURLE_OK && ci != NULL &&
            ci->num_of_certs > 0) {
            for (struct curl_slist *e = ci->certinfo[0]; e != NULL; e = e->next) {
                if (strncmp(e->data, "Cert:", 5) == 0) {
                    st = pin_of_pem(e->data + 5, pin);
                }
            }
        }
    }
    cli_response_free(&r);
    curl_easy_cleanup(c);
    return st;
}

int cli_http_fail(const char *what, const struct cli_response *r)
{
    json_t *doc = json_loadb(r->body, r->len, 0, NULL);
    json_t *e = json_object_get(doc, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    fprintf(stderr, "clave: %s: HTTP %ld%s%s%s%s\n", what, r->status, code != NULL ? " " : "",
            code != NULL ? code : "", msg != NULL ? ": " : "", msg != NULL ? msg : "");
    json_decref(doc);
    return CLI_FAILED;
}

void cli_print_json(const char *text, size_t len)
{
    json_t *doc = json_loadb(text, len, 0, NULL);
    char *out = doc != NULL ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    printf("%s\n", out != NULL ? out : text);
    free(out);
    json_decref(doc);
}

int cli_call(const char *what, const char *method, const char *path, json_t *body, long expect,
             json_t **out)
{
    struct cli_session s;
    struct cli_response r = {0};
    char *text = NULL;
    int rc = CLI_FAILED;
    if (out != NULL) {
        *out = NULL;
    }
    if (body != NULL) {
        text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (text == NULL) {
            return cli_fail(what, CLAVE_ERR_NOMEM);
        }
    }
    if (cli_session_load(&s) != CLAVE_OK) {
        free(text);
        return CLI_FAILED;
    }
    clave_status st = cli_request(&s, method, path, text, &r);
    if (st == CLAVE_OK && r.status == 401) {
        fprintf(stderr,
                "clave: %s: the session is not valid (expired or revoked); run 'clave "
                "login' again\n",
                what);
    } else if (st == CLAVE_OK && r.status != expect) {
        rc = cli_http_fail(what, &r);
    } else if (st == CLAVE_OK) {
        json_t *doc = out != NULL ? json_loadb(r.body, r.len, 0, NULL) : NULL;
        rc = out == NULL || doc != NULL ? 0 : cli_fail(what, CLAVE_ERR_FORMAT);
        if (out != NULL) {
            *out = doc;
        }
    }
    if (text != NULL) {
        clave_wipe(text, strlen(text));
        free(text);
    }
    cli_response_free(&r);
    cli_session_free(&s);
    return rc;
}
