/* SPDX-License-Identifier: Apache-2.0 */
/* Key broker keys (created on first start), attestation policy, rate limiter. */
#include "kbs.h"
#include "kbs_db.h"

#include "core/check.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define KEY_FILE_MAX 8192

static clave_status read_small(const char *path, char *buf, size_t cap, size_t *len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    CLAVE_ENSURE(fd >= 0, errno == ENOENT ? CLAVE_ERR_NOT_FOUND : CLAVE_ERR_IO,
                 "cannot open %s: %s", path, strerror(errno));
    ssize_t n = read(fd, buf, cap - 1);
    CLAVE_ENSURE(n > 0 && (size_t)n < cap - 1, CLAVE_ERR_FORMAT, "%s: unreadable or too large",
                 path);
    buf[n] = '\0';
    *len = (size_t)n;
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        close(fd);
    }
    return st;
}

static clave_status write_new(const char *path, const void *data, size_t len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    CLAVE_ENSURE(fd >= 0, CLAVE_ERR_IO, "cannot create %s: %s", path, strerror(errno));
    CLAVE_ENSURE(write(fd, data, len) == (ssize_t)len && fsync(fd) == 0, CLAVE_ERR_IO,
                 "cannot write %s", path);
    st = CLAVE_OK;
done:
    if (fd >= 0) {
        close(fd);
    }
    return st;
}

/* The broker JWK: read it, or generate and write it (0600) on first start. */
static clave_status load_broker(struct claved_kbs *k, const char *path)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char buf[KEY_FILE_MAX];
    size_t len = 0;
    struct clave_secret *priv = NULL;
    uint8_t tp[32];
    char hex[65];
    clave_status r = read_small(path, buf, sizeof(buf), &len);
    if (r == CLAVE_ERR_NOT_FOUND) {
        CLAVE_CHECK(clave_jwk_generate(CLAVE_JWK_EC_P256, &k->broker));
        CLAVE_CHECK(clave_jwk_export_private(k->broker, &priv));
        CLAVE_CHECK(
            write_new(path, clave_secret_cdata(priv),
                      strnlen((const char *)clave_secret_cdata(priv), clave_secret_len(priv))));
    } else {
        CLAVE_CHECK(r);
        CLAVE_CHECK_CTX(clave_jwk_parse(buf, len, &k->broker), "%s: ", path);
        CLAVE_ENSURE(clave_jwk_type(k->broker) == CLAVE_JWK_EC_P256 &&
                         clave_jwk_has_private(k->broker),
                     CLAVE_ERR_KEY, "%s: expected a private P-256 JWK", path);
    }
    CLAVE_CHECK(clave_jwk_thumbprint(k->broker, tp));
    CLAVE_CHECK(clave_hex_encode(tp, 16, hex, sizeof(hex)));
    snprintf(k->broker_kid, sizeof(k->broker_kid), "kbs-%s", hex);
    CLAVE_CHECK(clave_jwk_set_kid(k->broker, k->broker_kid));
    CLAVE_CHECK(clave_jwk_export_public(k->broker, &k->broker_public));
    st = CLAVE_OK;
done:
    clave_secret_free(priv);
    clave_wipe(buf, sizeof(buf));
    return st;
}

/* The EAR key: 64 hex characters of a P-256 scalar. */
static clave_status load_ear(struct claved_kbs *k, const char *path)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char buf[256];
    size_t len = 0;
    uint8_t scalar[32];
    size_t n = 0;
    uint8_t spki[CLAVE_PKEY_SPKI_MAX_LEN];
    size_t spki_len = 0;
    clave_status r = read_small(path, buf, sizeof(buf), &len);
    if (r == CLAVE_ERR_NOT_FOUND) {
        do {
            CLAVE_CHECK(clave_random(scalar, sizeof(scalar)));
        } while (clave_pkey_from_raw_private(CLAVE_PKEY_P256, scalar, 32, &k->ear) != CLAVE_OK);
        CLAVE_CHECK(clave_hex_encode(scalar, 32, buf, sizeof(buf)));
        buf[64] = '\n';
        CLAVE_CHECK(write_new(path, buf, 65));
    } else {
        CLAVE_CHECK(r);
        CLAVE_ENSURE(len >= 64 && clave_hex_decode(buf, 64, scalar, 32, &n) == CLAVE_OK && n == 32,
                     CLAVE_ERR_FORMAT, "%s: expected 64 hex characters", path);
        CLAVE_CHECK(clave_pkey_from_raw_private(CLAVE_PKEY_P256, scalar, 32, &k->ear));
    }
    CLAVE_CHECK(clave_pkey_export_spki(k->ear, spki, sizeof(spki), &spki_len));
    CLAVE_CHECK(clave_pkey_from_der(spki, spki_len, &k->ear_pub));
    st = CLAVE_OK;
done:
    clave_wipe(scalar, sizeof(scalar));
    clave_wipe(buf, sizeof(buf));
    return st;
}

static clave_status load_policy(struct claved_kbs *k, const char *path)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char buf[65536];
    size_t len = 0;
    if (path == NULL || path[0] == '\0') {
        return clave_attest_policy_default(&k->policy);
    }
    char *copy = strdup(path);
    CLAVE_ENSURE_ALLOC(copy);
    char *slash = strrchr(copy, '/');
    if (slash != NULL) {
        *slash = '\0';
    }
    CLAVE_CHECK(read_small(path, buf, sizeof(buf), &len));
    CLAVE_CHECK_CTX(clave_attest_policy_parse(buf, len, slash != NULL ? copy : ".", &k->policy),
                    "kbs_attest_policy %s: ", path);
    st = CLAVE_OK;
done:
    free(copy);
    return st;
}

clave_status claved_kbs_init(struct claved_app *app)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct claved_kbs *k = calloc(1, sizeof(*k));
    CLAVE_ENSURE_ALLOC(k);
    pthread_mutex_init(&k->lock, NULL);
    pthread_mutex_init(&k->coll_lock, NULL);
    pthread_mutex_init(&k->contract_lock, NULL);
    pthread_mutex_init(&k->dek_lock, NULL);
    k->collateral_dir = app->cfg.kbs_collateral_dir;
    app->kbs = k;
    CLAVE_CHECK_CTX(load_broker(k, app->cfg.kbs_broker_key_file), "kbs broker key: ");
    CLAVE_CHECK_CTX(load_ear(k, app->cfg.kbs_ear_key_file), "kbs EAR key: ");
    CLAVE_CHECK(load_policy(k, app->cfg.kbs_attest_policy));
    CLAVE_CHECK(claved_kbs_collateral_check(k, true, NULL));
    CLAVE_ENSURE(k->tcb_error[0] == '\0', CLAVE_ERR_FORMAT, "kbs_collateral_dir: %s", k->tcb_error);
    struct clave_blob_config bc = {app->cfg.blob_dir, (uint64_t)app->cfg.max_body_bytes};
    CLAVE_CHECK_CTX(clave_blob_store_open(&bc, &k->blobs), "blob store: ");
    st = CLAVE_OK;
done:
    return st;
}

void claved_kbs_fini(struct claved_app *app)
{
    struct claved_kbs *k = app->kbs;
    if (k == NULL) {
        return;
    }
    clave_jwk_free(k->broker);
    free(k->broker_public);
    clave_pkey_free(k->ear);
    clave_pkey_free(k->ear_pub);
    clave_attest_policy_free(k->policy);
    clave_blob_store_close(k->blobs);
    for (size_t i = 0; i < k->cache_count; i++) {
        clave_attest_cache_free(k->caches[i]);
    }
    clave_kbs_tcb_collateral_free(k->tcb);
    for (size_t i = 0; i < CLAVED_KBS_CONTRACT_CACHE; i++) {
        clave_contract_free(k->contracts[i].contract);
    }
    for (size_t i = 0; i < CLAVED_KBS_DEK_CACHE; i++) {
        claved_kbs_dek_put(k, k->deks[i].dek);
    }
    pthread_mutex_destroy(&k->dek_lock);
    pthread_mutex_destroy(&k->contract_lock);
    pthread_mutex_destroy(&k->coll_lock);
    pthread_mutex_destroy(&k->lock);
    free(k);
    app->kbs = NULL;
}

static size_t slot_of(const char *ip)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (const char *p = ip; *p != '\0'; p++) {
        h = (h ^ (uint8_t)*p) * 1099511628211u;
    }
    return (size_t)(h % CLAVED_KBS_RATE_SLOTS);
}

bool claved_kbs_rate_take(struct claved_kbs *k, const char *ip, uint32_t rate, int64_t now_ms,
                          int *retry_s)
{
    const char *who = ip != NULL ? ip : "?";
    double burst = 2.0 * rate;
    bool ok = false;
    pthread_mutex_lock(&k->lock);
    struct claved_kbs_rate_slot *s = &k->rate[slot_of(who)];
    if (strncmp(s->ip, who, sizeof(s->ip)) != 0) { /* a new address takes over the slot */
        snprintf(s->ip, sizeof(s->ip), "%s", who);
        s->tokens = burst;
        s->last_ms = now_ms;
    }
    double add = (double)(now_ms - s->last_ms) * rate / 1000.0;
    s->tokens = s->tokens + (add > 0 ? add : 0);
    s->tokens = s->tokens > burst ? burst : s->tokens;
    s->last_ms = now_ms;
    if (s->tokens >= 1.0) {
        s->tokens -= 1.0;
        ok = true;
    }
    pthread_mutex_unlock(&k->lock);
    *retry_s = ok ? 0 : 1;
    return ok;
}

clave_status claved_kbs_session_admit(struct claved_kbs *k, struct clave_store *s, int64_t now,
                                      uint32_t max, bool *admit)
{
    clave_status st = CLAVE_OK;
    int64_t live = 0;
    *admit = false;
    pthread_mutex_lock(&k->lock);
    bool stale = k->sessions_counted_at != now;
    pthread_mutex_unlock(&k->lock);
    if (stale) { /* outside the lock: a store round trip */
        st = claved_kbs_session_purge(s, now);
        st = st == CLAVE_OK ? claved_kbs_session_count(s, now, &live) : st;
        if (st != CLAVE_OK) {
            return st;
        }
    }
    pthread_mutex_lock(&k->lock);
    if (stale) {
        k->sessions_live = live;
        k->sessions_counted_at = now;
    }
    if (k->sessions_live < (int64_t)max) {
        k->sessions_live++;
        *admit = true;
    }
    pthread_mutex_unlock(&k->lock);
    return st;
}
