/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The key broker's collateral (kbs_collateral_dir) and attestation caches. Every attestation and
 * every release first stats the directory's files; when any changed (added, removed, replaced,
 * rewritten), the platform TCB collateral (kbs-tcb.json) is parsed again and the collateral
 * generation moves on, which retires every attestation cache built over the old files (a cache
 * assumes its files do not change). POST /v1/kbs/collateral/refresh forces the same. Replicas
 * each watch their own directory; pointing them at one shared directory refreshes them all.
 */
#include "kbs.h"

#include "core/check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TCB_FILE_MAX (1u << 20)
#define FNV_OFFSET 1469598103934665603u
#define FNV_PRIME 1099511628211u

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const uint8_t *p = data;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ p[i]) * FNV_PRIME;
    }
    return h;
}

/* An order-independent digest of (name, inode, size, mtime) of every entry of `dir`. */
static clave_status dir_fingerprint(const char *dir, uint64_t *out)
{
    clave_status st = CLAVE_ERR_INTERNAL;
    uint64_t sum = 0;
    uint64_t count = 0;
    DIR *d = opendir(dir);
    struct dirent *e = NULL;
    CLAVE_ENSURE(d != NULL, CLAVE_ERR_IO, "kbs_collateral_dir %s: %s", dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        struct stat sb;
        if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &sb, 0) != 0) {
            continue;
        }
        uint64_t h = fnv(FNV_OFFSET, e->d_name, strlen(e->d_name));
        int64_t f[4] = {(int64_t)sb.st_ino, (int64_t)sb.st_size, (int64_t)sb.st_mtim.tv_sec,
                        (int64_t)sb.st_mtim.tv_nsec};
        sum += fnv(h, f, sizeof(f));
        count++;
    }
    *out = fnv(sum, &count, sizeof(count));
    st = CLAVE_OK;
done:
    if (d != NULL) {
        closedir(d);
    }
    return st;
}

/* Parse dir/kbs-tcb.json: NULL when absent; on a bad file `error` says why. */
static struct clave_kbs_tcb_collateral *load_tcb(const char *dir, char error[CLAVE_KBS_REASON_MAX])
{
    char path[4096];
    struct clave_kbs_tcb_collateral *t = NULL;
    char *buf = NULL;
    error[0] = '\0';
    (void)snprintf(path, sizeof(path), "%s/%s", dir, CLAVED_KBS_TCB_FILE);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT) {
            (void)snprintf(error, CLAVE_KBS_REASON_MAX, "%s: %s", CLAVED_KBS_TCB_FILE,
                           strerror(errno));
        }
        return NULL;
    }
    buf = malloc(TCB_FILE_MAX + 1);
    ssize_t n = buf != NULL ? read(fd, buf, TCB_FILE_MAX + 1) : -1;
    close(fd);
    if (n < 0 || n > (ssize_t)TCB_FILE_MAX) {
        (void)snprintf(error, CLAVE_KBS_REASON_MAX, "%s: unreadable or larger than 1 MiB",
                       CLAVED_KBS_TCB_FILE);
    } else if (clave_kbs_tcb_collateral_parse(buf, (size_t)n, &t) != CLAVE_OK) {
        (void)snprintf(error, CLAVE_KBS_REASON_MAX, "%s: %.150s", CLAVED_KBS_TCB_FILE,
                       clave_error_last().detail);
    }
    free(buf);
    return t;
}

clave_status claved_kbs_collateral_check(struct claved_kbs *k, bool force, uint64_t *generation)
{
    uint64_t fp = 0;
    clave_status st = CLAVE_OK;
    bool has_dir = k->collateral_dir != NULL && k->collateral_dir[0] != '\0';
    if (has_dir) {
        st = dir_fingerprint(k->collateral_dir, &fp);
    }
    pthread_mutex_lock(&k->coll_lock);
    if (st == CLAVE_OK && (force || fp != k->coll_fingerprint || k->coll_loaded_at == 0)) {
        char error[CLAVE_KBS_REASON_MAX] = "";
        struct clave_kbs_tcb_collateral *t = has_dir ? load_tcb(k->collateral_dir, error) : NULL;
        clave_kbs_tcb_collateral_free(k->tcb);
        k->tcb = t;
        memcpy(k->tcb_error, error, sizeof(error));
        k->coll_fingerprint = fp;
        k->coll_generation++;
        k->coll_loaded_at = (int64_t)time(NULL);
    }
    if (generation != NULL) {
        *generation = k->coll_generation;
    }
    pthread_mutex_unlock(&k->coll_lock);
    return st;
}

json_t *claved_kbs_collateral_json(struct claved_kbs *k)
{
    pthread_mutex_lock(&k->coll_lock);
    json_t *j = json_pack(
        "{s:s,s:I,s:I,s:b,s:I,s:s}", "dir", k->collateral_dir != NULL ? k->collateral_dir : "",
        "generation", (json_int_t)k->coll_generation, "loaded_at", (json_int_t)k->coll_loaded_at,
        "tcb_file", k->tcb != NULL, "issued_at",
        (json_int_t)(k->tcb != NULL ? clave_kbs_tcb_collateral_issued_at(k->tcb) : 0), "error",
        k->tcb_error);
    pthread_mutex_unlock(&k->coll_lock);
    return j;
}

bool claved_kbs_platform_claims(struct claved_kbs *k, const struct clave_kbs_claims *in,
                                struct clave_kbs_claims *out, char detail[CLAVE_KBS_REASON_MAX])
{
    bool ok = true;
    *out = *in;
    pthread_mutex_lock(&k->coll_lock);
    if (k->tcb_error[0] != '\0') {
        (void)snprintf(detail, CLAVE_KBS_REASON_MAX, "collateral: %.170s", k->tcb_error);
        ok = false;
    } else if (k->tcb != NULL) {
        char status[CLAVE_KBS_TCB_STATUS_MAX];
        clave_kbs_tcb_collateral_status(k->tcb, in, status, detail);
        if (status[0] != '\0') {
            memcpy(out->tcb_status, status, sizeof(status));
        }
    } else {
        detail[0] = '\0';
    }
    pthread_mutex_unlock(&k->coll_lock);
    return ok;
}

struct clave_attest_cache *claved_kbs_cache_take(struct claved_kbs *k, uint64_t *generation)
{
    struct clave_attest_cache *c = NULL;
    pthread_mutex_lock(&k->coll_lock);
    *generation = k->coll_generation;
    while (c == NULL && k->cache_count > 0) {
        k->cache_count--;
        c = k->caches[k->cache_count];
        if (k->cache_generation[k->cache_count] != k->coll_generation) {
            clave_attest_cache_free(c); /* built over files that changed since */
            c = NULL;
        }
    }
    pthread_mutex_unlock(&k->coll_lock);
    if (c == NULL && clave_attest_cache_new(&c) != CLAVE_OK) {
        c = NULL;
    }
    return c;
}

void claved_kbs_cache_give(struct claved_kbs *k, struct clave_attest_cache *c, uint64_t generation)
{
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&k->coll_lock);
    if (generation == k->coll_generation && k->cache_count < CLAVED_KBS_CACHE_POOL) {
        k->caches[k->cache_count] = c;
        k->cache_generation[k->cache_count] = generation;
        k->cache_count++;
        c = NULL;
    }
    pthread_mutex_unlock(&k->coll_lock);
    clave_attest_cache_free(c);
}
