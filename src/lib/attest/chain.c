/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Certificate chains for the attestation verifiers: verification at the evidence's time with a
 * detail naming what expired, a small cache of verified chains, and collateral loading.
 */
#include "attest/attest_internal.h"
#include "core/check.h"

#include <clave/crypto.h>
#include <clave/secret.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Verified chains remembered by a cache; the oldest entry is replaced when it is full. */
#define CACHE_ENTRIES 64
#define CACHE_OBJECTS 32
/* Longest issuer walk when naming an expired certificate. */
#define CHAIN_WALK_MAX 8
/* Largest collateral file read from a directory. */
#define COLLATERAL_FILE_MAX (1024u * 1024u)

struct cache_entry {
    uint8_t digest[32]; /* SHA-256 over leaf, untrusted and roots DER, each length-prefixed */
    int64_t not_before; /* the intersection of the verified path's windows */
    int64_t not_after;
    bool used;
};

/* Parsed objects (certificates, collateral) keyed by a digest of their source bytes. */
struct cache_obj {
    uint8_t key[32];
    void *obj;
    void (*free_fn)(void *obj);
};

struct clave_attest_cache {
    struct cache_entry entries[CACHE_ENTRIES];
    size_t next;
    struct cache_obj objs[CACHE_OBJECTS];
    size_t next_obj;
};

clave_status clave_attest_cache_new(struct clave_attest_cache **out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    *out = calloc(1, sizeof(**out));
    CLAVE_ENSURE_ALLOC(*out);
    st = CLAVE_OK;
done:
    return st;
}

void clave_attest_cache_free(struct clave_attest_cache *cache)
{
    if (cache == NULL) {
        return;
    }
    for (size_t i = 0; i < CACHE_OBJECTS; i++) {
        if (cache->objs[i].obj != NULL) {
            cache->objs[i].free_fn(cache->objs[i].obj);
        }
    }
    free(cache);
}

void *clave__attest_cache_get(struct clave_attest_cache *cache, const uint8_t key[32])
{
    for (size_t i = 0; cache != NULL && i < CACHE_OBJECTS; i++) {
        if (cache->objs[i].obj != NULL && clave_ct_equal(cache->objs[i].key, key, 32)) {
            return cache->objs[i].obj;
        }
    }
    return NULL;
}

void clave__attest_cache_put(struct clave_attest_cache *cache, const uint8_t key[32], void *obj,
                             void (*free_fn)(void *obj))
{
    struct cache_obj *slot = &cache->objs[cache->next_obj];
    cache->next_obj = (cache->next_obj + 1) % CACHE_OBJECTS;
    if (slot->obj != NULL) {
        slot->free_fn(slot->obj);
    }
    memcpy(slot->key, key, 32);
    slot->obj = obj;
    slot->free_fn = free_fn;
}

clave_status clave__attest_digest(const char *label, const uint8_t *const *parts,
                                  const size_t *lens, size_t count, uint8_t key[32])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_hash_ctx *h = NULL;
    CLAVE_CHECK(clave_hash_new(CLAVE_HASH_SHA256, &h));
    CLAVE_CHECK(clave_hash_update(h, (const uint8_t *)label, strlen(label) + 1));
    for (size_t i = 0; i < count; i++) {
        uint8_t prefix[8];
        for (size_t b = 0; b < sizeof(prefix); b++) {
            prefix[b] = (uint8_t)((uint64_t)lens[i] >> (56 - 8 * b));
        }
        CLAVE_CHECK(clave_hash_update(h, prefix, sizeof(prefix)));
        if (lens[i] > 0) {
            CLAVE_CHECK(clave_hash_update(h, parts[i], lens[i]));
        }
    }
    CLAVE_CHECK(clave_hash_final(h, key, 32));
    st = CLAVE_OK;
done:
    clave_hash_free(h);
    return st;
}

int64_t clave__attest_time(const struct clave_attest_options *opts, int64_t evidence_time)
{
    if (opts != NULL && opts->at_time != 0) {
        return opts->at_time;
    }
    if (evidence_time != 0) {
        return evidence_time;
    }
    return (int64_t)time(NULL);
}

static clave_status hash_cert(struct clave_hash_ctx *h, const struct clave_x509 *cert)
{
    const uint8_t *der = NULL;
    size_t len = 0;
    uint8_t prefix[8];
    clave_x509_der(cert, &der, &len);
    for (size_t i = 0; i < sizeof(prefix); i++) {
        prefix[i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
    }
    clave_status st = clave_hash_update(h, prefix, sizeof(prefix));
    return st == CLAVE_OK ? clave_hash_update(h, der, len) : st;
}

static clave_status chain_digest(const struct clave_x509 *leaf,
                                 const struct clave_x509_list *untrusted,
                                 const struct clave_x509_list *roots, uint8_t digest[32])
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_hash_ctx *h = NULL;
    const uint8_t sep = 0xff;
    CLAVE_CHECK(clave_hash_new(CLAVE_HASH_SHA256, &h));
    CLAVE_CHECK(hash_cert(h, leaf));
    for (size_t i = 0; i < clave_x509_list_count(untrusted); i++) {
        CLAVE_CHECK(hash_cert(h, clave_x509_list_get(untrusted, i)));
    }
    CLAVE_CHECK(clave_hash_update(h, &sep, 1));
    for (size_t i = 0; i < clave_x509_list_count(roots); i++) {
        CLAVE_CHECK(hash_cert(h, clave_x509_list_get(roots, i)));
    }
    CLAVE_CHECK(clave_hash_final(h, digest, 32));
    st = CLAVE_OK;
done:
    clave_hash_free(h);
    return st;
}

/* The certificate of `a` or `b` whose subject is `issuer` (and is not `self`), or NULL. */
static const struct clave_x509 *find_issuer(const struct clave_x509_list *a,
                                            const struct clave_x509_list *b, const char *issuer,
                                            const struct clave_x509 *self)
{
    const struct clave_x509_list *lists[2] = {a, b};
    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < clave_x509_list_count(lists[l]); i++) {
            const struct clave_x509 *c = clave_x509_list_get(lists[l], i);
            char *subject = NULL;
            bool match = false;
            if (c != self && clave_x509_subject(c, &subject) == CLAVE_OK) {
                match = strcmp(subject, issuer) == 0;
            }
            free(subject);
            if (match) {
                return c;
            }
        }
    }
    return NULL;
}

/* Describe the first certificate on the issuer path from `leaf` whose window excludes the time. */
static void describe_expired(const struct clave_x509 *leaf, const struct clave_x509_list *untrusted,
                             const struct clave_x509_list *roots, int64_t at_time, char *buf,
                             size_t cap)
{
    const struct clave_x509 *cur = leaf;
    (void)snprintf(buf, cap, "a certificate is outside its validity window at %lld",
                   (long long)at_time);
    for (size_t depth = 0; cur != NULL && depth < CHAIN_WALK_MAX; depth++) {
        char *subject = NULL;
        char *issuer = NULL;
        int64_t nb = 0;
        int64_t na = 0;
        bool named = false;
        if (clave_x509_subject(cur, &subject) == CLAVE_OK &&
            clave_x509_issuer(cur, &issuer) == CLAVE_OK &&
            clave_x509_not_before(cur, &nb) == CLAVE_OK &&
            clave_x509_not_after(cur, &na) == CLAVE_OK && (at_time < nb || at_time > na)) {
            (void)snprintf(buf, cap, "certificate %s (depth %zu) %s at %lld: valid %lld..%lld",
                           subject, depth, at_time > na ? "expired" : "not yet valid",
                           (long long)at_time, (long long)nb, (long long)na);
            named = true;
        }
        const struct clave_x509 *next = NULL;
        if (!named && issuer != NULL && subject != NULL && strcmp(issuer, subject) != 0) {
            next = find_issuer(untrusted, roots, issuer, cur);
        }
        free(subject);
        free(issuer);
        if (named) {
            return;
        }
        cur = next;
    }
}

static struct cache_entry *cache_find(struct clave_attest_cache *cache, const uint8_t digest[32])
{
    for (size_t i = 0; cache != NULL && i < CACHE_ENTRIES; i++) {
        if (cache->entries[i].used && clave_ct_equal(cache->entries[i].digest, digest, 32)) {
            return &cache->entries[i];
        }
    }
    return NULL;
}

/* The window of the verified path: the leaf and every issuer found by name. */
static void path_window(const struct clave_x509 *leaf, const struct clave_x509_list *untrusted,
                        const struct clave_x509_list *roots, struct cache_entry *e)
{
    const struct clave_x509 *cur = leaf;
    e->not_before = INT64_MIN;
    e->not_after = INT64_MAX;
    for (size_t depth = 0; cur != NULL && depth < CHAIN_WALK_MAX; depth++) {
        int64_t nb = 0;
        int64_t na = 0;
        char *subject = NULL;
        char *issuer = NULL;
        if (clave_x509_not_before(cur, &nb) != CLAVE_OK ||
            clave_x509_not_after(cur, &na) != CLAVE_OK ||
            clave_x509_subject(cur, &subject) != CLAVE_OK ||
            clave_x509_issuer(cur, &issuer) != CLAVE_OK) {
            e->not_after = INT64_MIN; /* unusable: never a cache hit */
            free(subject);
            free(issuer);
            return;
        }
        e->not_before = nb > e->not_before ? nb : e->not_before;
        e->not_after = na < e->not_after ? na : e->not_after;
        const struct clave_x509 *next =
            strcmp(subject, issuer) != 0 ? find_issuer(untrusted, roots, issuer, cur) : NULL;
        free(subject);
        free(issuer);
        cur = next;
    }
}

clave_status clave__attest_chain_verify(const struct clave_x509 *leaf,
                                        const struct clave_x509_list *untrusted,
                                        const struct clave_x509_list *roots, int64_t at_time,
                                        struct clave_attest_cache *cache, bool *cached)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint8_t digest[32];
    *cached = false;
    if (cache != NULL) {
        CLAVE_CHECK(chain_digest(leaf, untrusted, roots, digest));
        struct cache_entry *hit = cache_find(cache, digest);
        if (hit != NULL && at_time >= hit->not_before && at_time <= hit->not_after) {
            *cached = true;
            st = CLAVE_OK;
            goto done;
        }
    }
    CLAVE_CHECK(clave_x509_verify_chain(leaf, untrusted, roots, at_time, NULL, 0, 0));
    if (cache != NULL) {
        struct cache_entry *e = &cache->entries[cache->next];
        cache->next = (cache->next + 1) % CACHE_ENTRIES;
        memcpy(e->digest, digest, sizeof(digest));
        path_window(leaf, untrusted, roots, e);
        e->used = true;
    }
    st = CLAVE_OK;
done:
    return st;
}

clave_status clave__attest_chain(struct clave_attest_report *report, const char *check_name,
                                 const struct clave_x509 *leaf,
                                 const struct clave_x509_list *untrusted,
                                 const struct clave_x509_list *roots, int64_t at_time,
                                 struct clave_attest_cache *cache, bool *ok)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    char detail[CLAVE_ATTEST_DETAIL_MAX];
    bool cached = false;
    *ok = false;
    clave_status vst = clave__attest_chain_verify(leaf, untrusted, roots, at_time, cache, &cached);
    if (vst == CLAVE_OK) {
        *ok = true;
        CLAVE_CHECK(clave_attest_report_check(report, check_name, true,
                                              "chain to a pinned root valid at %lld%s",
                                              (long long)at_time, cached ? " (cached)" : ""));
    } else if (vst == CLAVE_ERR_EXPIRED) {
        describe_expired(leaf, untrusted, roots, at_time, detail, sizeof(detail));
        CLAVE_CHECK(clave_attest_report_check(report, check_name, false, "%s", detail));
    } else {
        CLAVE_CHECK(
            clave_attest_report_check(report, check_name, false, "%s", clave_error_last().detail));
    }
    st = CLAVE_OK;
done:
    return st;
}

bool clave__attest_list_contains(const struct clave_x509_list *list, const struct clave_x509 *cert)
{
    const uint8_t *der = NULL;
    size_t len = 0;
    clave_x509_der(cert, &der, &len);
    for (size_t i = 0; i < clave_x509_list_count(list); i++) {
        const uint8_t *other = NULL;
        size_t other_len = 0;
        clave_x509_der(clave_x509_list_get(list, i), &other, &other_len);
        if (other_len == len && memcmp(other, der, len) == 0) { // lint:public
            return true;
        }
    }
    return false;
}

clave_status clave__attest_load_certs(const uint8_t *data, size_t len, struct clave_x509_list *list)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    struct clave_x509_list *pem = NULL;
    static const char PEM_MARK[] = "-----BEGIN CERTIFICATE-----";
    if (len >= sizeof(PEM_MARK) - 1 && memmem(data, len, PEM_MARK, sizeof(PEM_MARK) - 1) != NULL) {
        CLAVE_CHECK(clave_x509_list_parse_pem((const char *)data, len, &pem));
        for (size_t i = 0; i < clave_x509_list_count(pem); i++) {
            const uint8_t *der = NULL;
            size_t der_len = 0;
            clave_x509_der(clave_x509_list_get(pem, i), &der, &der_len);
            CLAVE_CHECK(clave_x509_list_add_der(list, der, der_len));
        }
    } else {
        CLAVE_CHECK(clave_x509_list_add_der(list, data, len));
    }
    st = CLAVE_OK;
done:
    clave_x509_list_free(pem);
    return st;
}

static bool collateral_name(const char *name)
{
    static const char *const SUFFIXES[] = {".der", ".pem", ".crt", ".cer"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(SUFFIXES) / sizeof(SUFFIXES[0]); i++) {
        size_t s = strlen(SUFFIXES[i]);
        if (n > s && strcmp(name + n - s, SUFFIXES[i]) == 0) {
            return true;
        }
    }
    return false;
}

static clave_status read_small_file(const char *path, uint8_t **out, size_t *out_len)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    FILE *f = fopen(path, "rb");
    *out = NULL;
    *out_len = 0;
    CLAVE_ENSURE(f != NULL, CLAVE_ERR_IO, "attest: cannot open %s", path);
    *out = malloc(COLLATERAL_FILE_MAX);
    CLAVE_ENSURE_ALLOC(*out);
    *out_len = fread(*out, 1, COLLATERAL_FILE_MAX, f);
    CLAVE_ENSURE(!ferror(f), CLAVE_ERR_IO, "attest: cannot read %s", path);
    CLAVE_ENSURE(*out_len < COLLATERAL_FILE_MAX, CLAVE_ERR_TOO_LARGE, "attest: %s is too large",
                 path);
    st = CLAVE_OK;
done:
    if (f != NULL) {
        fclose(f);
    }
    if (st != CLAVE_OK) {
        free(*out);
        *out = NULL;
    }
    return st;
}

clave_status clave__attest_load_dir(const char *dir, struct clave_x509_list *list)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    DIR *d = opendir(dir);
    uint8_t *data = NULL;
    CLAVE_ENSURE(d != NULL, CLAVE_ERR_IO, "attest: cannot open collateral directory %s", dir);
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        char path[4096];
        size_t len = 0;
        if (!collateral_name(e->d_name)) {
            continue;
        }
        CLAVE_ENSURE((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path),
                     CLAVE_ERR_ARG, "attest: collateral path too long");
        CLAVE_CHECK(read_small_file(path, &data, &len));
        /* Files that hold no certificate (keys, CRLs) are not collateral for chains. */
        clave_status lst = clave__attest_load_certs(data, len, list);
        CLAVE_ENSURE(lst != CLAVE_ERR_LIMIT, CLAVE_ERR_LIMIT, "attest: too many certificates in %s",
                     dir);
        free(data);
        data = NULL;
    }
    st = CLAVE_OK;
done:
    free(data);
    if (d != NULL) {
        closedir(d);
    }
    return st;
}
